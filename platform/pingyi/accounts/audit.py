"""Service layer: append to and verify the hash-chained audit log; its head (SPEC §7).

An entry is written in the same transaction as the change it records: `append` joins the caller's open
transaction (Piccolo nests by joining) or opens its own. Appends are serialised: SQLite's BEGIN IMMEDIATE takes
the write lock first; on PostgreSQL a transaction-scoped advisory lock is taken before the head is read, so two
writers never compute the same next seq (no retry on error text).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from pingyi import db
from pingyi.clock import SystemClock
from pingyi.core import audit as chain
from pingyi.db import write_transaction

from .tables import AuditEntry

# pg_advisory_xact_lock key of the audit chain ("pingyi" as an integer).
ADVISORY_KEY = 0x70696E677969


def _record(row: dict[str, Any]) -> chain.AuditRecord:
    detail = row["detail"]
    if isinstance(detail, str):
        detail = json.loads(detail)
    return chain.AuditRecord(seq=row["seq"], at=row["at"], actor=row["actor"], action=row["action"],
                             subject=row["subject"], detail=detail, prev_hash=row["prev_hash"], hash=row["hash"])


async def append(actor: str, action: str, subject: str, detail: dict[str, Any] | None = None,
                 *, at: datetime | None = None, in_transaction: bool = False) -> chain.AuditRecord:
    """Append one entry inside the caller's transaction, or in its own one. `in_transaction` is accepted for
    older callers; the open transaction is found either way."""
    when = at or SystemClock().now()
    async with write_transaction():
        if isinstance(db.current_engine(), PostgresEngine):
            await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", ADVISORY_KEY)
        last = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).first()
        record = chain.next_record(_record(last) if last else None, when, actor[:64], action[:64], subject[:128],
                                   detail or {})
        await AuditEntry.insert(AuditEntry(seq=record.seq, at=record.at, actor=record.actor, action=record.action,
                                           subject=record.subject,
                                           detail=json.dumps(record.detail, ensure_ascii=False),
                                           prev_hash=record.prev_hash, hash=record.hash))
    return record


async def entries(limit: int = 200) -> list[chain.AuditRecord]:
    rows = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).limit(limit)
    return [_record(r) for r in reversed(rows)]


async def _all() -> list[chain.AuditRecord]:
    return [_record(r) for r in await AuditEntry.select().order_by(AuditEntry.seq)]


async def verify(expected_head: str | None = None) -> list[str]:
    """Problems of the whole chain; with `expected_head` ("<seq>:<hash>" kept elsewhere) also against it."""
    records = await _all()
    if expected_head is None:
        return chain.verify_chain(records)
    return chain.verify_against_head(records, expected_head)


async def head() -> str:
    """The current head, "<seq>:<hash>" (inside a transaction: as that transaction sees it)."""
    last = await AuditEntry.select().order_by(AuditEntry.seq, ascending=False).first()
    return chain.format_head(_record(last) if last else None)
