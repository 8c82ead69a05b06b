"""Benchmark: what the web channel's ingest hook costs — BatchStore.write of batches of 500 unflagged presses on
PostgreSQL with `web_rating.after_ingest` (advisory locks + one UPDATE against the arm claims) against the same
write with the hook replaced by a no-op, interleaved in one run; with 1,000 arm claims stored. Prints the ratio;
asserts nothing.

Usage: .venv/bin/python bench/web_channel.py [--batches 40] [--terminals 50]
Needs PostgreSQL (PINGYI_TEST_PG, default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN = os.environ.get("PINGYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(batches: int, terminals: int) -> None:
    from pingyi import db
    from pingyi.catalog import load_catalog
    from pingyi.hall import repository as hall
    from pingyi.hall.service import add_missing_departments
    from pingyi.ratings import repository, web_rating
    from pingyi.ratings.ingest import store as store_mod
    from pingyi.ratings.ingest.validate import RawMessage, sort_batch
    from pingyi.ratings.tables import ArmClaim, Rating
    from pingyi.settings import Settings
    from pingyi_terminal import protocol

    name = f"pingyi_bench_web_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    try:
        base = ADMIN.rsplit("/", 1)[0]
        settings = Settings.from_env({"PINGYI_DATA_DIR": tempfile.mkdtemp(), "PINGYI_DATABASE_URL": f"{base}/{name}"})
        engine = db.make_engine(settings.database)
        db.use_engine(engine)
        await db.migrate(engine)
        await db.open_pool(engine, 10)
        await add_missing_departments(load_catalog(settings.surveys_dir).departments)
        dept = (await hall.departments())[0]
        tids = []
        for n in range(terminals):
            wid = await hall.insert_window(f"W-B{n:03d}", f"窗口{n}", dept.id)
            tid = f"bench-{n:04d}"
            await repository.insert_terminal(tid, wid, "five", True)
            tids.append(tid)
        store = store_mod.BatchStore(engine)
        known = await store.load_terminals()
        now = datetime.now(UTC)
        seq = {t: 0 for t in tids}

        def batch() -> object:
            msgs = []
            ms = int(time.time() * 1000)
            for i in range(500):
                t = tids[i % terminals]
                seq[t] += 1
                ev = protocol.Event(terminal=t, epoch="e1", seq=seq[t], kind="press", level=5, scale="five",
                                    flags=(), boot="b1", mono_ms=seq[t], wall_ms=ms, synced=True)
                msgs.append(RawMessage(topic=protocol.event_topic(t), payload=protocol.encode_event(ev),
                                       received_ms=ms))
            return sort_batch(msgs, known.get)

        await store.write(batch())  # warm-up; its first row stands in for the claims' web rating
        first = await Rating.select(Rating.id).first()
        # 1,000 stored claims (web ratings that used an arm), none matching the presses below
        await ArmClaim.insert(*[ArmClaim(arm_key=f"other:e:{i}", press_key=f"other:e:{i + 1}", rating=first["id"],
                                         claimed_at=now) for i in range(0, 2000, 2)])

        real = web_rating.after_ingest

        async def noop(_batch: object) -> int:
            return 0

        times: dict[str, list[float]] = {"with hook": [], "without": []}
        for i in range(batches):
            for label in (("with hook", "without") if i % 2 else ("without", "with hook")):
                web_rating.after_ingest = real if label == "with hook" else noop  # type: ignore[assignment]
                b = batch()
                t0 = time.perf_counter()
                await store.write(b)
                times[label].append(time.perf_counter() - t0)
        web_rating.after_ingest = real  # type: ignore[assignment]
        w, wo = statistics.median(times["with hook"]), statistics.median(times["without"])
        print(f"batch of 500 presses, {terminals} terminals, PostgreSQL, median of {batches}:")
        print(f"  with the web hook   {w * 1000:8.2f} ms   ({500 / w:,.0f} presses/s)")
        print(f"  hook as a no-op     {wo * 1000:8.2f} ms   ({500 / wo:,.0f} presses/s)")
        print(f"  ratio (with / without): {w / wo:.3f}")
        await db.close_pool(engine)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--terminals", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.batches, args.terminals))
