"""Benchmark: ballot submissions per second against a pingyi server on PostgreSQL and on SQLite, compared in the
same run with a minimal Litestar POST on the same stack (uvicorn, 1 worker); p50/p99 at 32 concurrent clients.
Every ballot includes the anonymity reshuffle that follows it (inline while cheap, else in the background; see
docs/anonymity.md); the time of one reshuffle of all stored ballots, as at the campaign's close, is printed too.
Then the time to compute a results snapshot for 10,000 ballots × 21 departments against one SQL GROUP BY over
the same rows. Prints ratios; asserts nothing.

Usage: .venv/bin/python bench/ballots.py [--seconds 10] [--concurrency 32] [--engines pg,sqlite]
(needs wrk: apt-get install wrk). Needs PostgreSQL (PINGYI_TEST_PG, default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN = os.environ.get("PINGYI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {cmd}")


def wrk(url: str, bodies_file: Path, concurrency: int, seconds: int) -> dict:
    """Load with wrk (a separate C process) so the client is not the bottleneck; one body per request."""
    threads = 2
    env = {**os.environ, "BODIES": str(bodies_file), "THREADS": str(threads)}
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s",
                          "-s", str(ROOT / "bench/post_bodies.lua"), url], env=env, capture_output=True, text=True,
                         check=True).stdout
    import json

    result = json.loads(out.strip().splitlines()[-1])
    result["rate"] = result["requests"] / result["seconds"]
    return result


async def prepare(url: str, cards: int) -> list[str]:
    from pingyi import db
    from pingyi.settings import Settings
    from tests.integration.helpers import open_campaign

    settings = Settings.from_env({"PINGYI_DATABASE_URL": url, "PINGYI_DATA_DIR": tempfile.mkdtemp()})
    engine = db.make_engine(settings.database)
    await db.migrate(engine)
    await db.open_pool(engine)
    try:
        from pingyi.evaluation import service as evaluation

        tokens = await open_campaign(settings, cards=min(cards, 5000))
        while len(tokens) < cards:  # the office mints at most 5,000 per batch
            tokens += (await evaluation.mint_cards(2026, min(5000, cards - len(tokens)), actor="bench")).tokens
        return tokens
    finally:
        await db.close_pool(engine)


async def _spent(url: str) -> int:
    if url.startswith("sqlite:"):
        import sqlite3

        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            return conn.execute("SELECT COUNT(*) FROM ballot").fetchone()[0]
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT COUNT(*) FROM ballot")
    finally:
        await conn.close()


async def reshuffle_time(url: str) -> float | None:
    """Seconds for one reshuffle of every ballot stored (None on code without the reshuffle)."""
    from pingyi import db

    try:
        from pingyi.evaluation import mixing
    except ImportError:
        return None
    from pingyi.settings import Settings

    settings = Settings.from_env({"PINGYI_DATABASE_URL": url, "PINGYI_DATA_DIR": tempfile.mkdtemp()})
    engine = db.make_engine(settings.database)
    db.use_engine(engine)
    await db.open_pool(engine)
    try:
        t0 = time.perf_counter()
        await mixing.reshuffle()
        return time.perf_counter() - t0
    finally:
        await db.close_pool(engine)


def ballot_body(token: str, rng: random.Random, item_ids: list[str]) -> dict:
    depts = rng.sample([f"D{i:02d}" for i in range(1, 22)], 3)
    keys = ["satisfied", "basically_satisfied", "unsatisfied"]
    return {"token": token, "answers": {d: {i: rng.choice(keys) for i in item_ids} for d in depts},
            "opinions": {depts[0]: "希望进一步压缩审批时限。"}}


async def snapshot_bench(url: str, ballots: int) -> None:
    from pingyi import db
    from pingyi.publication import service as publication
    from pingyi.settings import Settings
    from tests.integration.helpers import open_campaign

    settings = Settings.from_env({"PINGYI_DATABASE_URL": url, "PINGYI_DATA_DIR": tempfile.mkdtemp()})
    engine = db.make_engine(settings.database)
    await db.migrate(engine)
    await open_campaign(settings, year=2030, cards=1)
    conn = await asyncpg.connect(url)
    campaign = await conn.fetchval("SELECT id FROM campaign WHERE year = 2030")
    depts = await conn.fetch("SELECT id FROM department ORDER BY code")
    rng = random.Random(7)
    ballot_rows, section_rows = [], []
    for _ in range(ballots):
        bid = uuid.uuid4()
        ballot_rows.append((bid, campaign))
        for d in depts:
            answers = "".join(rng.choice("530") for _ in range(20))
            section_rows.append((uuid.uuid4(), bid, campaign, d["id"], answers, sum(map(int, answers)), ""))
    await conn.copy_records_to_table("ballot", records=ballot_rows, columns=["id", "campaign"])
    await conn.copy_records_to_table("section", records=[r[:1] + r[2:6] for r in section_rows],
                                     columns=["id", "campaign", "department", "answers", "total"])
    await conn.execute("ANALYZE section")
    plain_sql = "SELECT department, COUNT(*), SUM(total) FROM section WHERE campaign = $1 GROUP BY department"
    await conn.fetch(plain_sql, campaign)  # warm
    t0 = time.perf_counter()
    for _ in range(3):
        await conn.fetch(plain_sql, campaign)
    group_by = (time.perf_counter() - t0) / 3
    await db.open_pool(engine)
    try:
        await publication.compute_inputs(2030)  # warm
        t0 = time.perf_counter()
        for _ in range(3):
            from pingyi.core.snapshot import to_plain

            publication.build_payload(to_plain(await publication.compute_inputs(2030)))
        snapshot = (time.perf_counter() - t0) / 3
    finally:
        await db.close_pool(engine)
        await conn.close()
    print(f"snapshot of {ballots} ballots × {len(depts)} departments ({len(section_rows)} sections): "
          f"{snapshot * 1000:.0f} ms; one SQL GROUP BY over the same rows: {group_by * 1000:.0f} ms; "
          f"ratio {snapshot / group_by:.2f}× (target ≤ 3×)")


def submit_bench(py: str, url: str, bodies_file: Path, args: argparse.Namespace) -> dict:
    port = free_port()
    env = {**os.environ, "PINGYI_DATABASE_URL": url, "PINGYI_PORT": str(port),
           "PINGYI_DATA_DIR": tempfile.mkdtemp(), "PINGYI_SECRET_KEY": "0" * 64}
    server = start([py, "-m", "pingyi", "serve"], env, port)
    try:
        return wrk(f"http://127.0.0.1:{port}/api/v1/ballots", bodies_file, args.concurrency, args.seconds)
    finally:
        server.terminate()
        server.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=20000, help="cards minted (≥ rate × seconds)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--snapshot-ballots", type=int, default=10000)
    parser.add_argument("--engines", default="pg,sqlite")
    args = parser.parse_args()
    base = ADMIN.rsplit("/", 1)[0]
    names = [f"pingyi_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for n in names:
        await admin(f'CREATE DATABASE "{n}"')
    try:
        from pingyi.catalog import load_catalog

        item_ids = list(load_catalog(ROOT / "surveys").questionnaire.item_ids)
        py = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
        import json

        results = {}
        for engine in args.engines.split(","):
            url = f"{base}/{names[0]}" if engine == "pg" else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
            tokens = await prepare(url, args.ballots)
            rng = random.Random(1)
            bodies_file = Path(tempfile.mkdtemp()) / "bodies.jsonl"
            bodies_file.write_text("\n".join(json.dumps(ballot_body(t, rng, item_ids), ensure_ascii=False)
                                             for t in tokens) + "\n", encoding="utf-8")
            results[engine] = (submit_bench(py, url, bodies_file, args), await _spent(url),
                               await reshuffle_time(url))

        port2 = free_port()
        minimal = start([py, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), "minimal_app:app", "--port",
                         str(port2), "--log-level", "warning", "--no-access-log"], dict(os.environ), port2)
        try:
            baseline = wrk(f"http://127.0.0.1:{port2}/api/v1/ballots", bodies_file, args.concurrency, args.seconds)
        finally:
            minimal.terminate()
            minimal.wait()

        for engine, (ballots, used, shuffle) in results.items():
            label = "PostgreSQL" if engine == "pg" else "SQLite"
            print(f"ballot submissions ({label}, 3 departments × 20 items each, {args.concurrency} concurrent, "
                  f"{args.seconds} s): {ballots['rate']:.0f}/s, p50 {ballots['p50_ms']:.1f} ms, "
                  f"p99 {ballots['p99_ms']:.1f} ms, non-2xx {ballots['non2xx']}, ballots stored {used}")
            print(f"  ratio ballots / minimal POST ({label}): {ballots['rate'] / baseline['rate']:.2f} "
                  f"(target ≥ 0.25 on PostgreSQL); ballot p99 {ballots['p99_ms']:.1f} ms (target < 100 ms)")
            if shuffle is not None:
                print(f"  one reshuffle of the {used} ballots' anonymous rows ({label}): {shuffle * 1000:.0f} ms")
        print(f"minimal Litestar POST, same stack and load generator: {baseline['rate']:.0f}/s, "
              f"p50 {baseline['p50_ms']:.1f} ms, p99 {baseline['p99_ms']:.1f} ms")
        await snapshot_bench(f"{base}/{names[1]}", args.snapshot_ballots)
    finally:
        for n in names:
            await admin(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
