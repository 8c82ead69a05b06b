"""Infrastructure layer: audit rows become core AuditRecords here (SPEC §7). Insert-only."""

from __future__ import annotations

import json
from typing import Any

from pingyi.core import audit as chain

from .tables import AuditEntry


def _record(row: dict[str, Any]) -> chain.AuditRecord:
    detail = row["detail"]
    if isinstance(detail, str):
        detail = json.loads(detail)
    return chain.AuditRecord(seq=row["seq"], at=row["at"], actor=row["actor"], action=row["action"],
                             subject=row["subject"], detail=detail, prev_hash=row["prev_hash"], hash=row["hash"])


async def newest() -> chain.AuditRecord | None:
    row = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).first()
    return _record(row) if row else None


async def insert(record: chain.AuditRecord) -> None:
    await AuditEntry.insert(AuditEntry(seq=record.seq, at=record.at, actor=record.actor, action=record.action,
                                       subject=record.subject, detail=json.dumps(record.detail, ensure_ascii=False),
                                       prev_hash=record.prev_hash, hash=record.hash))


async def newest_entries(limit: int) -> list[chain.AuditRecord]:
    rows = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).limit(limit)
    return [_record(r) for r in reversed(rows)]


async def all_entries() -> list[chain.AuditRecord]:
    return [_record(r) for r in await AuditEntry.select().order_by(AuditEntry.seq)]


async def has_action(action: str) -> bool:
    return bool(await AuditEntry.exists().where(AuditEntry.action == action))


async def lock_chain(key: int) -> None:
    """PostgreSQL: hold the chain's advisory lock until the transaction ends."""
    await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", key)
