"""Attack: the operator copies the data folder of a stopped PostgreSQL server after the campaign closed (SPEC §3).

A throwaway cluster (initdb/pg_ctl under /tmp on a free port, as the postgres user when run as root) serves a
campaign of 44 ballots; after the close the server is stopped and its files are read: the heap files of the
anonymous tables, every row version in them (live or dead) with its position and its xmin, and pg_wal. Same
statistic as test_operator_attack (p < 0.001 / m over the heap linkages). pg_wal keeps each insert in commit
order until it is recycled: that residual (docs/anonymity.md) is measured and printed, not asserted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from pingyi import db
from pingyi.evaluation import service as evaluation

from ..conftest import settings_for
from ..integration.helpers import run
from ..integration.server import free_port
from .datafolder import ANONYMOUS, cluster, observe_data_folder, stop
from .scoring import report, score
from .voting import cast, take_copy


async def _files(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT relname, pg_relation_filepath(oid) AS path FROM pg_class "
                                "WHERE relname = ANY($1::text[])", list(ANONYMOUS))
        return {r["relname"]: r["path"] for r in rows}
    finally:
        await conn.close()


async def _create(admin: str) -> None:
    conn = await asyncpg.connect(f"{admin}/postgres")
    try:
        await conn.execute("CREATE DATABASE pingyi")
    finally:
        await conn.close()


@pytest.mark.pg
def test_data_folder_of_the_stopped_server_links_nothing(tmp_path):
    with cluster(free_port()) as (admin, data):
        asyncio.run(_create(admin))
        s = settings_for(f"{admin}/pingyi", tmp_path)
        asyncio.run(db.migrate(db.make_engine(s.database)))
        db.use_engine(db.make_engine(s.database))
        voting = cast(s, count=44, copies_after=())
        run(s, lambda: evaluation.change_state(2026, "close", actor="office"))
        dump = take_copy(s, "closed", 44).dump
        paths = asyncio.run(_files(s.database.url))
        stop(data)
        heaps = {t: b"".join(p.read_bytes() for p in sorted(data.glob(paths[t] + "*")) if p.name.split(".")[0]
                             == Path(paths[t]).name) for t in paths}
        wal = b"".join(p.read_bytes() for p in sorted((data / "pg_wal").glob("0*")))
    linkages = score(voting, observe_data_folder("data folder after close", dump, heaps, wal))
    on_heap = [x for x in linkages if x.order != "pg_wal offset"]
    table, failing = report(on_heap)
    residual, _ = report([x for x in linkages if x.order == "pg_wal offset"])
    print(f"\n[data folder]\n{table}\n[pg_wal, residual (docs/anonymity.md)]\n{residual}")
    assert any(x.name.startswith("receipt ↔ submission") for x in on_heap), "the rows were found in the heap"
    assert not failing, f"{len(failing)} linkages beat chance:\n" + "\n".join(x.line() for x in failing)
