"""Bench layer: closing a month (50 departments, 1,000,000 ratings) vs one SQL GROUP BY over the same rows.

Usage: .venv/bin/python bench/month.py [--ratings 1000000] [--departments 50] [--repeat 3] [--pg DSN]

- A fresh database (a temporary SQLite file by default; with `--pg postgresql://…/db` a temporary database created
  on that server and dropped at the end) is migrated, then seeded with `--departments` departments, one window and
  terminal each, and `--ratings` ratings spread over November 2026 (about 2 % 差评, 1 % flagged, 1 % web, plus one
  arm event per 1.25 presses), written in bulk (sqlite3 `executemany`, PostgreSQL `COPY`), never through the web.
- Baseline: one `SELECT department, channel, kind, …, COUNT(*) … GROUP BY …` over the month's rows.
- Close: `pingyi.assessment.monthclose.close_month` (gather facts, the core, canonical inputs, digest, snapshot
  insert, audit entry); between repeats the month is reopened with a reason, so every close does the whole work.
- Both are timed `--repeat` times in the same run, alternating; the best of each is compared. The machine's figures
  drift (PITFALLS): only the ratio, measured in one run, is meaningful. Target: close ≤ 3 × baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT / "terminals")]

from pingyi import db  # noqa: E402
from pingyi.assessment import monthclose, service  # noqa: E402
from pingyi.clock import FixedClock, use_clock  # noqa: E402
from pingyi.hall import repository as hall  # noqa: E402
from pingyi.ratings import repository as ratings  # noqa: E402
from pingyi.settings import Settings  # noqa: E402
from pingyi_terminal import protocol  # noqa: E402

MONTH = "2026-11"
START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 Asia/Shanghai
SPAN_S = 30 * 24 * 3600
COLUMNS = ("event_key", "terminal", "window", "department", "epoch", "seq", "kind", "level", "scale", "bad", "flags",
           "counted", "boot", "mono_ms", "wall_at", "synced", "occurred_at", "time_source", "channel", "received_at",
           "dismissed", "dismiss_reason", "dismissed_by")


def rows(n: int, terminals: list[tuple[int, int, int]], seed: int = 7):
    rnd = random.Random(seed)
    presses = 0
    for seq in range(1, n + 1):
        term, window, dept = terminals[seq % len(terminals)]
        at = START + timedelta(seconds=rnd.randrange(SPAN_S))
        if seq % 5 == 0:
            kind, level, flags = "arm", None, ""
        else:
            presses += 1
            kind = "press"
            level = 1 if rnd.random() < 0.02 else rnd.choice((3, 4, 5, 5, 5))
            flags = "repeat" if rnd.random() < 0.01 else ""
        bad = kind == "press" and protocol.is_bad(level or 5, "five")
        channel = "web" if rnd.random() < 0.01 else "terminal"
        yield (f"b-{term}:e1:{seq}", term, window, dept, "e1", seq, kind, level, "five", bad, flags,
               kind == "press" and not flags, "b1", seq, at, True, at, "terminal", channel, at, False, "", "")


def _sqlite_text(value):
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    if isinstance(value, bool):
        return int(value)
    return value


async def seed(settings: Settings, n: int, departments: int) -> list[tuple[int, int, int]]:
    terminals = []
    for d in range(1, departments + 1):
        code = f"B{d:03d}"
        dept_id = await hall.insert_department(code, f"基准单位{d:03d}", d * 10)
        window_id = await hall.insert_window(f"W-{code}", f"{code} 窗口", dept_id)
        term_id = await ratings.insert_terminal(f"bench-{d:04d}", window_id, "five", False)
        terminals.append((term_id, window_id, dept_id))
    return terminals


def bulk_sqlite(path: Path, n: int, terminals) -> None:
    con = sqlite3.connect(path)
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    sql = f"INSERT INTO rating ({names}) VALUES ({', '.join('?' * len(COLUMNS))})"
    batch = []
    for r in rows(n, terminals):
        batch.append(tuple(_sqlite_text(v) for v in r))
        if len(batch) == 50_000:
            con.executemany(sql, batch)
            batch.clear()
    con.executemany(sql, batch)
    con.commit()
    con.execute("ANALYZE")
    con.close()


async def bulk_pg(dsn: str, n: int, terminals) -> None:
    import asyncpg

    con = await asyncpg.connect(dsn)
    try:
        await con.copy_records_to_table("rating", records=rows(n, terminals), columns=list(COLUMNS))
        await con.execute("ANALYZE rating")
    finally:
        await con.close()


BASELINE = ("SELECT department, channel, kind, (kind = 'press' AND flags = '' AND dismissed = false) AS counts, bad, "
            "COUNT(*) AS n FROM rating WHERE occurred_at >= {} AND occurred_at < {} "
            "GROUP BY department, channel, kind, 4, 5")


async def measure(repeat: int) -> tuple[list[float], list[float], dict]:
    from pingyi.ratings.tables import Rating

    start, end = monthclose.bounds(MONTH)
    base, close = [], []
    payload: dict = {}
    for i in range(repeat):
        t0 = time.perf_counter()
        groups = await Rating.raw(BASELINE, start, end)
        base.append(time.perf_counter() - t0)
        assert groups
        if i:
            await monthclose.reopen_month(MONTH, f"基准第 {i + 1} 次", actor="bench")
        t0 = time.perf_counter()
        payload = await monthclose.close_month(MONTH, "bench", rubric=service.rubric_from())
        close.append(time.perf_counter() - t0)
    return base, close, payload


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ratings", type=int, default=1_000_000)
    ap.add_argument("--departments", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pg", default=None, help="PostgreSQL DSN of a server/database to create a temporary db on")
    args = ap.parse_args()
    use_clock(FixedClock(datetime(2026, 12, 3, 2, 0, tzinfo=UTC), "Asia/Shanghai"))
    tmp = Path(tempfile.mkdtemp(prefix="pingyi-bench-month-"))
    admin_dsn, dbname = args.pg, f"pingyi_bench_{uuid.uuid4().hex[:8]}"
    if admin_dsn:
        import asyncpg

        async def admin(sql: str) -> None:
            con = await asyncpg.connect(admin_dsn)
            try:
                await con.execute(sql)
            finally:
                await con.close()

        asyncio.run(admin(f'CREATE DATABASE "{dbname}"'))
        url = f"{admin_dsn.rsplit('/', 1)[0]}/{dbname}"
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    settings = Settings.from_env({"PINGYI_DATA_DIR": str(tmp), "PINGYI_DATABASE_URL": url,
                                  "PINGYI_SECRET_KEY": "0" * 64})
    try:
        async def prepare():
            engine = db.make_engine(settings.database)
            await db.migrate(engine)
            db.use_engine(engine)
            await db.open_pool(engine, settings.database.pool_max)
            try:
                return await seed(settings, args.ratings, args.departments)
            finally:
                await db.close_pool(engine)

        terminals = asyncio.run(prepare())
        t0 = time.perf_counter()
        if admin_dsn:
            asyncio.run(bulk_pg(url, args.ratings, terminals))
        else:
            bulk_sqlite(settings.database.sqlite_path, args.ratings, terminals)
        seeded = time.perf_counter() - t0

        async def run():
            engine = db.make_engine(settings.database)
            db.use_engine(engine)
            await db.open_pool(engine, settings.database.pool_max)
            try:
                return await measure(args.repeat)
            finally:
                await db.close_pool(engine)

        base, close, payload = asyncio.run(run())
        counted = sum(d["ratings"]["counted"] for d in payload["inputs"]["departments"])
        engine_name = "PostgreSQL" if admin_dsn else "SQLite"
        print(f"{engine_name}: {args.ratings} ratings over {args.departments} departments seeded in {seeded:.1f} s "
              f"(bulk); {counted} counted ratings in the closed month")
        print(f"GROUP BY baseline: best {min(base):.3f} s  (runs: {', '.join(f'{b:.3f}' for b in base)})")
        print(f"month close:       best {min(close):.3f} s  (runs: {', '.join(f'{c:.3f}' for c in close)})")
        ratio = min(close) / min(base)
        print(f"ratio close / GROUP BY = {ratio:.2f} (target ≤ 3)")
        return 0 if ratio <= 3 else 1
    finally:
        if admin_dsn:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))


if __name__ == "__main__":
    sys.exit(main())
