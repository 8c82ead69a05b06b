"""Evaluation layer: a batch of QR cards drawn in a worker thread, with progress for the office page (SPEC §3 cards,
§8 heavy work off the serving loop).

The office mints the cards (one transaction, audited) and gets a job at once; a thread draws the sheet through
cardsheet.render_card_sheet, writing its progress after every page. Each job is a private folder (0700) in the data
folder, `cardsheets/<job id>/`, holding `status.json` and, when done, `cards.pdf` (0600): the tokens exist only in
the thread's memory and in that file, never in the database or a log. Every service process on the machine reads the
same folder, so a status poll or the download may reach any worker. A sheet is kept until the office discards it,
and for at most KEEP_HOURS; a job whose status stops moving for STALE_SECONDS died with its process and shows as
failed (its cards were minted and cannot be printed again: mint a new batch). docs/printing.md has the why.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets as _secrets
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from pingyi import clock
from pingyi.core.errors import NotFound
from pingyi.datafiles import private_dir

from . import cardsheet
from .schemas import CardJobStatus

JOBS_DIR = "cardsheets"
KEEP_HOURS = 24
STALE_SECONDS = 120
HEARTBEAT_SECONDS = 10  # a queued job rewrites its status this often while it waits for the drawing lock
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
FAILED_MESSAGE = "评议卡生成失败：{reason}。已生成的卡号无法再次打印，请重新生成一批。"
DIED_MESSAGE = "服务在生成过程中停止"

# At most one sheet is drawn at a time per process: the machine has few cores and the serving loop needs one.
_drawing = threading.Lock()
_threads: dict[str, threading.Thread] = {}  # live threads of this process (tests join them)


def root_of(data_dir: Path) -> Path:
    return Path(data_dir) / JOBS_DIR


def _folder(root: Path, job: str) -> Path:
    if not JOB_ID.match(job):
        raise NotFound("没有这个评议卡生成任务（可能已被删除或已过期）。")
    return root / job


def _write_status(folder: Path, status: CardJobStatus) -> None:
    """Replace status.json atomically (a reader never sees half a file)."""
    tmp = folder / f".status.{_secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(msgspec.json.encode(status))
    os.replace(tmp, folder / "status.json")


def _read_status(folder: Path) -> CardJobStatus | None:
    try:
        return msgspec.json.decode((folder / "status.json").read_bytes(), type=CardJobStatus)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def start(data_dir: Path, *, year: int, title: str, batch: int, cards: list[tuple[str, str]], base_url: str,
          fonts: tuple[str, ...] | None, actor: str,
          render: Callable[..., bytes] | None = None) -> CardJobStatus:
    """Start drawing `cards` in a worker thread; returns the job's first status (state "queued")."""
    root = private_dir(root_of(data_dir))
    purge_expired(data_dir)
    job = _secrets.token_hex(16)
    folder = private_dir(root / job)
    now = _iso(clock.now())
    status = CardJobStatus(job=job, year=year, batch=batch, count=len(cards), done=0, state="queued", error="",
                           created_by=actor, created_at=now, updated_at=now, finished_at=None)
    _write_status(folder, status)
    draw = render or cardsheet.render_card_sheet
    thread = threading.Thread(target=_run, args=(folder, status, draw, cards, title, year, base_url, fonts),
                              name=f"cardsheet-{year}-{batch}", daemon=True)
    _threads[job] = thread
    thread.start()
    return status


def _run(folder: Path, status: CardJobStatus, draw: Callable[..., bytes], cards: list[tuple[str, str]], title: str,
         year: int, base_url: str, fonts: tuple[str, ...] | None) -> None:
    try:
        while not _drawing.acquire(timeout=HEARTBEAT_SECONDS):  # queued: say so, or other workers think it died
            _write_status(folder, msgspec.structs.replace(status, updated_at=_iso(clock.now())))
        try:
            current = msgspec.structs.replace(status, state="running", updated_at=_iso(clock.now()))
            _write_status(folder, current)

            def progress(done: int) -> None:
                nonlocal current
                current = msgspec.structs.replace(current, done=done, updated_at=_iso(clock.now()))
                _write_status(folder, current)

            data = draw(cards, title, year, base_url, fonts, progress)
            tmp = folder / f".cards.{_secrets.token_hex(4)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / "cards.pdf")
            at = _iso(clock.now())
            _write_status(folder, msgspec.structs.replace(current, state="done", done=len(cards), updated_at=at,
                                                          finished_at=at))
        finally:
            _drawing.release()
    except Exception as exc:  # noqa: BLE001 - any failure is shown on the office page, never a token
        # A domain error's message is written for people and holds no token; anything else shows only its type.
        reason = getattr(exc, "message", None) or type(exc).__name__
        at = _iso(clock.now())
        with contextlib.suppress(OSError):  # the folder may have been removed meanwhile
            _write_status(folder, msgspec.structs.replace(status, state="failed", error=FAILED_MESSAGE.format(
                reason=str(reason)[:200]), updated_at=at, finished_at=at))
    finally:
        _threads.pop(folder.name, None)


def _effective(found: CardJobStatus) -> CardJobStatus:
    """A job that no thread of this process draws and whose status stopped moving died with its process."""
    if (found.state in ("queued", "running") and found.job not in _threads
            and clock.now() - datetime.fromisoformat(found.updated_at) > timedelta(seconds=STALE_SECONDS)):
        return msgspec.structs.replace(found, state="failed", error=FAILED_MESSAGE.format(reason=DIED_MESSAGE))
    return found


def status(data_dir: Path, year: int, job: str) -> CardJobStatus:
    """The job's status (NotFound for an unknown job, or one of another campaign); a dead job reads as failed."""
    found = _read_status(_folder(root_of(data_dir), job))
    if found is None or found.year != year or found.job != job:
        raise NotFound("没有这个评议卡生成任务（可能已被删除或已过期）。")
    return _effective(found)


def sheet_path(data_dir: Path, year: int, job: str) -> Path:
    """The finished PDF of a job (NotFound while it is still drawing or after it was discarded)."""
    found = status(data_dir, year, job)
    path = root_of(data_dir) / job / "cards.pdf"
    if found.state != "done" or not path.exists():
        raise NotFound("评议卡文件尚未生成完毕，或已被删除。")
    return path


def discard(data_dir: Path, year: int, job: str) -> CardJobStatus:
    """Delete a finished (or failed) job's folder; a job still drawing is left alone (NotFound)."""
    found = status(data_dir, year, job)
    if found.state in ("queued", "running"):
        raise NotFound("评议卡仍在生成中，完成后才能删除。")
    shutil.rmtree(root_of(data_dir) / job, ignore_errors=True)
    return found


def jobs(data_dir: Path, year: int | None = None) -> list[CardJobStatus]:
    """The jobs kept in the data folder (optionally one campaign's), newest first."""
    root = root_of(data_dir)
    if not root.is_dir():
        return []
    found = [read for folder in root.iterdir() if JOB_ID.match(folder.name)
             and (read := _read_status(folder)) is not None and read.job == folder.name
             and (year is None or read.year == year)]
    return sorted((_effective(one) for one in found), key=lambda s: (s.created_at, s.batch), reverse=True)


def purge_expired(data_dir: Path) -> int:
    """Remove the folders of jobs older than KEEP_HOURS that are not drawing; returns how many."""
    root = root_of(data_dir)
    if not root.is_dir():
        return 0
    removed = 0
    limit = clock.now() - timedelta(hours=KEEP_HOURS)
    for folder in root.iterdir():
        if not JOB_ID.match(folder.name) or folder.name in _threads:
            continue
        read = _read_status(folder)
        if read is None and datetime.fromtimestamp(folder.stat().st_mtime, UTC) >= limit:
            continue  # another process may be creating it this moment
        if read is not None and datetime.fromisoformat(read.created_at) >= limit:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def wait(job: str, timeout: float | None = None) -> None:
    """Join the job's thread if it runs in this process (tests, the CLI)."""
    thread = _threads.get(job)
    if thread is not None:
        thread.join(timeout)
