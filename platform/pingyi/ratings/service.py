"""Service layer: terminal provisioning, 差评 review, 办件量 import, fleet view, demo seed (SPEC §4, §7)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi_terminal import protocol

from . import channels, provisioning, repository, web_repository

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


def parse_served_csv(text: str, source: str = "CSV") -> list[tuple[int, str, str, int]]:
    """Rows (line number, window code, month, count). InvalidInput names the first bad line; nothing is partial."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != ["window_code", "month", "count"]:
        raise InvalidInput(f"{source} 第 1 行：表头必须是 window_code,month,count。")
    rows: list[tuple[int, str, str, int]] = []
    seen: dict[tuple[str, str], int] = {}
    for n, rec in enumerate(reader, start=2):
        if not rec or all(not c.strip() for c in rec):
            continue
        if len(rec) != 3:
            raise InvalidInput(f"{source} 第 {n} 行：应有 3 列，实有 {len(rec)} 列。")
        code, month, count = (c.strip() for c in rec)
        if not MONTH_RE.fullmatch(month):
            raise InvalidInput(f"{source} 第 {n} 行：月份 {month!r} 应为 YYYY-MM。")
        if not count.isdigit():
            raise InvalidInput(f"{source} 第 {n} 行：办件量 {count!r} 应为非负整数。")
        if (code, month) in seen:
            raise InvalidInput(f"{source} 第 {n} 行：窗口 {code} 的 {month} 与第 {seen[(code, month)]} 行重复。")
        seen[(code, month)] = n
        rows.append((n, code, month, int(count)))
    return rows


async def import_served(text: str, *, actor: str, source: str = "CSV") -> int:
    rows = parse_served_csv(text, source)
    ids = await hall.window_ids_by_code(sorted({r[1] for r in rows}))
    for n, code, _, _ in rows:
        if code not in ids:
            raise InvalidInput(f"{source} 第 {n} 行：窗口 {code!r} 不存在。")
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
