"""Service layer: append to and verify the hash-chained audit log (SPEC §7)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any

from pingyi.core import audit as chain
from pingyi.db import write_transaction

from .tables import AuditEntry


def _record(row: dict[str, Any]) -> chain.AuditRecord:
    detail = row["detail"]
    if isinstance(detail, str):
        detail = json.loads(detail)
    return chain.AuditRecord(seq=row["seq"], at=row["at"], actor=row["actor"], action=row["action"],
                             subject=row["subject"], detail=detail, prev_hash=row["prev_hash"], hash=row["hash"])


async def append(actor: str, action: str, subject: str, detail: dict[str, Any] | None = None,
                 *, at: datetime | None = None, in_transaction: bool = False) -> chain.AuditRecord:
    """Append one entry. Inside an open write transaction pass in_transaction=True (no nested retry loop)."""
    when = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
    for attempt in range(20):
        try:
            if in_transaction:
                return await _append_now(actor, action, subject, detail or {}, when)
            async with write_transaction():
                return await _append_now(actor, action, subject, detail or {}, when)
        except Exception as exc:  # unique violation on seq: another writer won; retry on the new head
            if in_transaction or "unique" not in str(exc).lower() or attempt == 19:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))
    raise RuntimeError("unreachable")


async def _append_now(actor: str, action: str, subject: str, detail: dict[str, Any], when: str) -> chain.AuditRecord:
    last = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).first()
    record = chain.next_record(_record(last) if last else None, when, actor, action, subject, detail)
    await AuditEntry.insert(AuditEntry(seq=record.seq, at=record.at, actor=record.actor, action=record.action,
                                       subject=record.subject, detail=json.dumps(record.detail, ensure_ascii=False),
                                       prev_hash=record.prev_hash, hash=record.hash))
    return record


async def entries(limit: int = 200) -> list[chain.AuditRecord]:
    rows = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).limit(limit)
    return [_record(r) for r in reversed(rows)]


async def verify() -> list[str]:
    rows = await AuditEntry.select().order_by(AuditEntry.seq)
    return chain.verify_chain([_record(r) for r in rows])


async def head() -> chain.AuditRecord | None:
    """The newest entry: its seq and hash, kept elsewhere, detect deleted or rewritten entries later."""
    row = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).first()
    return _record(row) if row else None
