"""Service layer: append to and verify the hash-chained audit log (SPEC §7)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from pingyi import clock
from pingyi.core import audit as chain
from pingyi.db import write_transaction

from . import repository
from .schemas import ChainHead


async def append(actor: str, action: str, subject: str, detail: dict[str, Any] | None = None,
                 *, at: datetime | None = None, in_transaction: bool = False) -> chain.AuditRecord:
    """Append one entry. Inside an open write transaction pass in_transaction=True (no nested retry loop)."""
    when = (at or clock.now()).astimezone(timezone.utc).isoformat(timespec="seconds")
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
    record = chain.next_record(await repository.newest(), when, actor, action, subject, detail)
    await repository.insert(record)
    return record


async def entries(limit: int = 200) -> list[chain.AuditRecord]:
    return await repository.newest_entries(limit)


async def verify() -> list[str]:
    return chain.verify_chain(await repository.all_entries())


async def head() -> ChainHead | None:
    """The newest entry's seq and hash: kept elsewhere, they detect deleted or rewritten entries later."""
    newest = await repository.newest()
    return ChainHead(seq=newest.seq, hash=newest.hash) if newest else None


async def has_action(action: str) -> bool:
    return await repository.has_action(action)
