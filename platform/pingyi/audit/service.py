"""Service layer: append to and verify the hash-chained audit log (SPEC §7).

An entry is written in the same transaction as the change it records (append joins the caller's open write
transaction, or opens its own). On PostgreSQL, concurrent appends are serialised by a transaction-scoped advisory
lock, so two writers never read the same head; SQLite's BEGIN IMMEDIATE already serialises writers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from pingyi import clock, db
from pingyi.core import audit as chain
from pingyi.db import write_transaction

from . import repository

# pg_advisory_xact_lock key of the audit chain ("pingyi" as an integer).
ADVISORY_KEY = 0x70696E677969


async def append(actor: str, action: str, subject: str, detail: dict[str, Any] | None = None,
                 *, at: datetime | None = None, in_transaction: bool = False) -> chain.AuditRecord:
    """Append one entry inside the caller's transaction, or in its own one. `in_transaction` is accepted for
    older callers; the open transaction is found either way."""
    when = at or clock.now()
    async with write_transaction():
        if isinstance(db.current_engine(), PostgresEngine):
            await repository.lock_chain(ADVISORY_KEY)
        record = chain.next_record(await repository.newest(), when, actor[:64], action[:64], subject[:128],
                                   detail or {})
        await repository.insert(record)
    return record


async def entries(limit: int = 200) -> list[chain.AuditRecord]:
    return await repository.newest_entries(limit)


async def verify(expected_head: str | None = None) -> list[str]:
    """Problems of the whole chain; with `expected_head` ("<seq>:<hash>" kept elsewhere) also against it."""
    records = await repository.all_entries()
    if expected_head is None:
        return chain.verify_chain(records)
    return chain.verify_against_head(records, expected_head)


async def head() -> str:
    """The current head, "<seq>:<hash>" (inside a transaction: as that transaction sees it)."""
    return chain.format_head(await repository.newest())


async def has_action(action: str) -> bool:
    return await repository.has_action(action)
