"""Infrastructure layer: rewrite the anonymous rows of a campaign in a random order (SPEC §3, docs/anonymity.md).

A ballot's rows are first stored where the engine puts them — on PostgreSQL at the end of each heap, which
`pg_dump` prints in that order; on SQLite at random rowids, though a page still keeps its newest cells apart.
`reshuffle` then rewrites every row of the campaign's ballot, section, receipt, opinion and spent_token tables:

- PostgreSQL: per table, one `DELETE … RETURNING` feeding an `INSERT … ORDER BY random()`, so the live rows of
  the heap (what a dump prints) come in a random order, all with the reshuffle's transaction id. Dead versions
  stay in the data folder until VACUUM (a residual listed in docs/anonymity.md). Row locks only: ballots keep
  being stored meanwhile. One reshuffle at a time (a transaction-level advisory lock).
- SQLite: per table, every row of the campaign is read, all are deleted, and they are inserted again in a random
  order at new random rowids, then the table's indexes are rebuilt (REINDEX). Measured on the way: moving rows
  one at a time (`UPDATE … SET rowid = random()`) is not enough — a row, or an index entry, deleted and
  re-inserted into the same page takes back its old slot, so the cells' positions kept the arrival order
  (tau = -1.00 for receipt codes and spent tags, -0.88 for opinions). `secure_delete` zeroes the bytes left behind,
  and a TRUNCATE checkpoint then empties the WAL, so the file holds no earlier state.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from piccolo.engine.postgres import PostgresEngine

from pingyi.db import current_engine, write_transaction

from .repository import random_rowid
from .tables import Ballot

ANONYMOUS_TABLES = ("spent_token", "ballot", "section", "opinion", "receipt")
ADVISORY_KEY = 0x70696E677969  # "pingyi": serialises reshuffles across processes


async def reshuffle(campaign_ids: Sequence[int] | None = None) -> None:
    """Rewrite the anonymous rows of the given campaigns (default: every open campaign) in a random order."""
    where = ("campaign IN (SELECT id FROM campaign WHERE state = 'open')" if campaign_ids is None else
             f"campaign IN ({', '.join(str(int(c)) for c in campaign_ids) or 'NULL'})")
    if isinstance(current_engine(), PostgresEngine):
        async with write_transaction():
            await Ballot.raw("SELECT pg_advisory_xact_lock({})", ADVISORY_KEY)
            for table in ANONYMOUS_TABLES:
                await Ballot.raw(f"WITH gone AS (DELETE FROM {table} WHERE {where} RETURNING *) "
                                 f"INSERT INTO {table} SELECT * FROM gone ORDER BY random()")
        return
    rng = secrets.SystemRandom()
    async with write_transaction():
        await Ballot.raw("PRAGMA secure_delete = ON")
        for table in ANONYMOUS_TABLES:
            columns = [r["name"] for r in await Ballot.raw(f"PRAGMA table_info({table})")]
            rows = await Ballot.raw(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}")
            await Ballot.raw(f"DELETE FROM {table} WHERE {where}")  # all first: pages empty out, slots merge
            rng.shuffle(rows)
            per = max(1, 900 // (len(columns) + 1))
            marks = "(" + ", ".join(["{}"] * (len(columns) + 1)) + ")"
            for start in range(0, len(rows), per):
                batch = rows[start:start + per]
                await Ballot.raw(f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES "
                                 + ", ".join([marks] * len(batch)),
                                 *[v for r in batch for v in (random_rowid(), *(r[c] for c in columns))])
            await Ballot.raw(f"REINDEX {table}")  # index entries rebuilt in key order, not in arrival order
    await Ballot.raw("PRAGMA wal_checkpoint(TRUNCATE)")


async def compact() -> None:
    """PostgreSQL, at a campaign's close: VACUUM FULL the anonymous tables, so their files hold only the live rows
    of the last reshuffle (all with that one transaction id), not the dead versions left behind by earlier
    reshuffles, which kept their arrival-ordered transaction ids. Takes an exclusive lock for its duration."""
    if isinstance(current_engine(), PostgresEngine):
        await Ballot.raw(f"VACUUM FULL {', '.join(ANONYMOUS_TABLES)}")
