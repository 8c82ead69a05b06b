"""Bench layer: the comprehensive report (综合评议报告) for 21 departments, web and PDF, from a published version.

Usage: .venv/bin/python bench/report.py [--runs 20] [--cards 1000]

A fresh SQLite database with the demo county (21 departments, the 2025 campaign published) in a temporary folder;
the app in-process (Litestar's TestClient, the same handlers and worker threads as `pingyi serve`).
- cold: a fresh app (empty report cache): the web page, its SVG charts (four, the two monthly trends and one
  hour × weekday map per hall), then the PDF — each timed, and the sum (target < 5 s);
- cached: the same requests again, `--runs` times; the median of each request (target < 50 ms each) and of all
  of them together;
- the card-sheet figure in the same run (bench/cards.py's office path: `--cards` cards in a worker thread).
The machine's figures drift (PITFALLS): compare within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT / "terminals"), str(ROOT / "bench")]

from litestar.testing import TestClient  # noqa: E402

from pingyi.app import create_app  # noqa: E402
from pingyi.cli import run_db  # noqa: E402
from pingyi.publication import report  # noqa: E402
from pingyi.settings import Settings  # noqa: E402

YEAR = 2025
PINGYI = str(ROOT / ".venv" / "bin" / "pingyi")


def paths(charts: list[str]) -> list[str]:
    return [f"/results/{YEAR}/report", *(f"/results/{YEAR}/report/charts/{c}.svg" for c in charts),
            f"/results/{YEAR}/report.pdf"]


def timed(client: TestClient, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (path, response.text[:300])
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="cached rounds")
    parser.add_argument("--cards", type=int, default=1000, help="cards for the card-sheet figure (0: skip)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # fpdf2's notes on SVG tags it skips (matplotlib's <metadata>)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PINGYI_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "PINGYI_DATA_DIR": tmp}
        for command in (["migrate"], ["demo"]):
            subprocess.run([PINGYI, *command], env=env, check=True, capture_output=True)
        settings = Settings.from_env(env)
        with TestClient(create_app(settings)) as client:
            departments = len(client.get(f"/api/v1/results/{YEAR}").json()["results"])
            # the report's charts: the fixed ones and one map per hall with terminal ratings (the demo: one hall);
            # taken from the data layer without drawing, so the cold page below is still the first request
            charts = report.chart_names(run_db(settings, lambda: report.report_data(YEAR, settings.data_dir)))
            todo = paths(charts)
            cold = {path: timed(client, path) for path in todo}
            web = sum(t for p, t in cold.items() if not p.endswith(".pdf"))
            pdf = cold[f"/results/{YEAR}/report.pdf"]
            rounds = []
            per_path: dict[str, list[float]] = {path: [] for path in todo}
            for _ in range(args.runs):
                times = [timed(client, path) for path in todo]
                rounds.append(sum(times))
                for path, t in zip(todo, times, strict=True):
                    per_path[path].append(t)
            size = len(client.get(f"/results/{YEAR}/report.pdf").content)
        total = web + pdf
        cached = statistics.median(rounds)
        print(f"report for {departments} departments, version published; PDF {size // 1024} KiB")
        print(f"cold:   web page + {len(charts)} SVG charts {web:.2f} s, PDF {pdf:.2f} s, together {total:.2f} s  "
              f"[{'OK' if total < 5 else 'OVER the 5 s target'}]")
        print(f"          {'request':50s} {'cold':>9s} {'cached (median)':>16s} {'cached (max)':>13s}")
        for path, t in cold.items():
            got = per_path[path]
            print(f"          {path:50s} {t * 1000:6.1f} ms {statistics.median(got) * 1000:13.1f} ms "
                  f"{max(got) * 1000:10.1f} ms")
        worst = max(statistics.median(got) for got in per_path.values())
        print(f"cached: each request (median of {args.runs}) at most {worst * 1000:.1f} ms "
              f"[{'OK' if worst < 0.05 else 'OVER the 50 ms target'}]; all {len(todo)} together {cached * 1000:.1f} ms "
              f"(TestClient's own cost included)")
    if args.cards:
        import cards  # bench/cards.py

        with tempfile.TemporaryDirectory() as tmp:
            got = asyncio.run(cards.office_path(cards.make_cards(args.cards), Path(tmp)))
        print(f"card sheet, same run: {args.cards} cards in a worker thread {got['elapsed']:.2f} s "
              f"[{'OK' if args.cards < 1000 or got['elapsed'] < 10 else 'OVER the 10 s target'}]; event-loop tick "
              f"delay p95 {got['lag_p95'] * 1000:.1f} ms, max {got['lag_max'] * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
