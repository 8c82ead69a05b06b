"""Service layer: terminal provisioning, 差评 review, 办件量 import, fleet view, demo seed (SPEC §4, §7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.catalog import tabular
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi_terminal import protocol

from . import channels, provisioning, repository, web_repository
from .schemas import QuarantineOverflowCount

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class BrokerFiles:
    password_file: Path | None = None
    acl_file: Path | None = None
    pid_file: Path | None = None  # SIGHUP the broker after writing
    ingest_user: str = provisioning.INGEST_USER


async def provision_terminal(terminal_id: str, window_code: str, *, scale: str = "five", armed: bool = False,
                             actor: str, files: BrokerFiles, broker_host: str, broker_port: int,
                             tls: bool = False, ca_file: str | None = None) -> str:
    """Create the terminal and its broker entries; return its TOML config (holding the new password)."""
    try:
        protocol.validate_terminal_id(terminal_id)
    except protocol.ProtocolError:
        raise InvalidInput(f"终端编号 {terminal_id!r} 无效：须匹配 {protocol.TERMINAL_ID_RE.pattern}。") from None
    if scale not in protocol.SCALES:
        raise InvalidInput(f"评价等级 {scale!r} 无效：five 或 three。")
    if terminal_id == files.ingest_user:
        raise InvalidInput(f"终端编号不能与接入服务的用户名 {files.ingest_user} 相同。")
    window = await hall.window_by_code(window_code)
    if window is None:
        raise NotFound(f"窗口 {window_code!r} 不存在；先用 `pingyi windows add` 创建。")
    existing = await repository.terminal_by_id(terminal_id)
    if existing is not None:
        state = "已吊销，编号不可复用" if existing["revoked"] else "已存在"
        raise Conflict(f"终端 {terminal_id} {state}。")
    password = provisioning.new_password()
    async with write_transaction():
        await repository.insert_terminal(terminal_id, window.id, scale, armed)
        await audit.append(actor, "terminal.provision", f"terminal:{terminal_id}",
                           {"window": window_code, "scale": scale, "armed": armed}, in_transaction=True)
    if files.password_file is not None:
        provisioning.set_password(files.password_file, terminal_id, password)
    await _write_acl(files)
    return provisioning.terminal_toml(terminal_id, password, host=broker_host, port=broker_port, scale=scale,
                                      armed=armed, tls=tls, ca_file=ca_file)


async def revoke_terminal(terminal_id: str, *, actor: str, files: BrokerFiles) -> None:
    existing = await repository.terminal_by_id(terminal_id)
    if existing is None:
        raise NotFound(f"终端 {terminal_id!r} 不存在。")
    async with write_transaction():
        await repository.mark_revoked(terminal_id, clock.now())
        await audit.append(actor, "terminal.revoke", f"terminal:{terminal_id}", {}, in_transaction=True)
    if files.password_file is not None:
        provisioning.remove_password(files.password_file, terminal_id)
    await _write_acl(files)


async def _write_acl(files: BrokerFiles) -> None:
    if files.acl_file is not None:
        provisioning.write_acl(files.acl_file, await repository.active_terminal_ids(), files.ingest_user)
    if files.pid_file is not None:
        provisioning.reload_broker(files.pid_file)


def _month_check(text: str) -> str:
    if not MONTH_RE.fullmatch(text):
        raise ValueError(f"{text!r} 应为 YYYY-MM（如 2026-11）")
    return text


# The 办件量 import's columns: Chinese headers, the older English ones still accepted (docs/monthly-assessment.md).
SERVED_COLUMNS = (tabular.Column("窗口编码", tabular.text_check, ("window_code",)),
                  tabular.Column("月份", _month_check, ("month",)),
                  tabular.Column("办件量", tabular.count_check, ("count",)))


ServedRow = tuple[int, str, str, int]


def _served_table(data: bytes, filename: str, source: str | None) -> tuple[tabular.Table, list[ServedRow]]:
    table = tabular.read_table(data, filename, SERVED_COLUMNS, source=source)
    seen: dict[tuple[str, str], int] = {}
    rows: list[tuple[int, str, str, int]] = []
    for n, (code, month, count) in table.rows:
        if (code, month) in seen:
            table.add_error(n, "窗口编码", f"窗口 {code} 的 {month} 与第 {seen[(code, month)]} 行重复")
            continue
        seen[(code, month)] = n
        rows.append((n, code, month, count))
    return table, rows


def parse_served_file(data: bytes, filename: str, source: str | None = None) -> list[tuple[int, str, str, int]]:
    """Rows (row number, window code, month, count) of a CSV or XLSX file. InvalidInput lists every bad row,
    column and problem at once; nothing is partial."""
    table, rows = _served_table(data, filename, source)
    table.raise_if_errors()
    return rows


def _row_number(message: str) -> int:
    """"第 12 行 …" → 12 (errors are listed in row order)."""
    digits = message.removeprefix("第 ").split(" ", 1)[0]
    return int(digits) if digits.isdigit() else 0


def parse_served_csv(text: str, source: str = "CSV") -> list[tuple[int, str, str, int]]:
    """Rows (line number, window code, month, count) of CSV text; see parse_served_file."""
    return parse_served_file(text.encode("utf-8"), "served.csv", source)


async def import_served(text: str, *, actor: str, source: str = "CSV") -> int:
    return await import_served_file(text.encode("utf-8"), "served.csv", actor=actor, source=source)


async def import_served_file(data: bytes, filename: str, *, actor: str, source: str | None = None) -> int:
    """Import 办件量 from CSV or XLSX: every row is checked (unknown windows too) before anything is written; one
    transaction; a window's month already imported is replaced."""
    source = source or filename
    table, rows = _served_table(data, filename, source)
    ids = await hall.window_ids_by_code(sorted({r[1] for r in rows}))
    for n, code, _, _ in rows:
        if code not in ids:
            table.add_error(n, "窗口编码", f"窗口 {code!r} 不存在")
    table.errors.sort(key=_row_number)
    table.raise_if_errors()
    async with write_transaction():
        for _, code, month, count in rows:
            await repository.upsert_served(ids[code], month, count)
        await audit.append(actor, "served.import", f"served:{source}", {"rows": len(rows)}, in_transaction=True)
    return len(rows)


async def dismiss_bad_rating(rating_id: int, reason: str, actor: str) -> None:
    reason = reason.strip()
    if len(reason) < 2:
        raise InvalidInput("请填写作废理由（如：误操作、恶意评价）。")
    if len(reason) > 500:
        raise InvalidInput("作废理由不能超过 500 字。")
    async with write_transaction():
        row = await repository.rating(rating_id)
        if row is None or not row["bad"]:
            raise NotFound("该差评不存在。")
        if row["dismissed"]:
            raise Conflict("该差评已作废。")
        if await repository.dismiss(rating_id, reason, actor, clock.now()) != 1:
            raise Conflict("该差评已作废。")
        await audit.append(actor, "rating.dismiss", f"rating:{row['event_key']}", {"reason": reason},
                           in_transaction=True)


async def fleet() -> list[dict[str, Any]]:
    """Terminals with today's figures; "today" starts at 00:00 in the office's time zone."""
    return await repository.fleet(clock.start_of_local_day(clock.today()))


async def bad_queue() -> dict[str, Any]:
    """The 差评 queue with the web details (tags, text, call-back contact) of web ratings, for the office only."""
    queue = await repository.bad_queue()
    web = await web_repository.details([r["id"] for r in queue if r.get("channel") == channels.WEB])
    return {"queue": queue, "dismissed": await repository.recently_dismissed(), "web": web}


async def quarantine() -> list[dict[str, Any]]:
    return await repository.quarantine()


async def quarantine_overflow() -> list[QuarantineOverflowCount]:
    """Per terminal id: messages over the quarantine bounds, acknowledged and counted, not stored."""
    return await repository.quarantine_overflow()


async def seed_demo_windows(departments: Any, count: int = 4, prefix: str = "demo") -> list[tuple[str, str]]:
    """Demo hook: one window and one terminal (in the database only) for each of the first `count` departments.

    Terminal ids follow `pingyi-terminal simulate --prefix PREFIX`: PREFIX-0001, PREFIX-0002, …
    `departments`: department codes, or rows/dicts/objects with a `code`. Returns (terminal id, window code) pairs.
    Idempotent: existing windows and terminals are kept.
    """
    made: list[tuple[str, str]] = []
    for n, dep in enumerate(list(departments)[:count], start=1):
        code = dep if isinstance(dep, str) else (dep["code"] if isinstance(dep, dict) else dep.code)
        dept = await hall.department_by_code(code)
        if dept is None:
            continue
        wcode, tid = f"W-{code}"[:16], f"{prefix}-{n:04d}"
        window = await hall.window_by_code(wcode)
        wid = window.id if window else await hall.insert_window(wcode, f"{dept.name}综合窗口", dept.id)
        if await repository.terminal_by_id(tid) is None:
            await repository.insert_terminal(tid, wid, "five", False)
        made.append((tid, wcode))
    return made
