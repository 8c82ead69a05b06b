"""Benchmark: 30 concurrent requests for the public ranking chart against a real `pingyi serve` (uvicorn, 1 worker,
SQLite, the demo county's published results), while /health is polled every 10 ms; prints p99 of both.

Rounds in one run: "cold" (first requests after start: the SVG is drawn once, in a worker thread) and "cached"
(later rounds). With --before-ref REF (e.g. main) the same rounds run first against that git revision's code,
exported with `git archive` and served on the same data (before this change it drew a PNG on the event loop for
every request). Prints figures and ratios; asserts nothing. Figures on this 2-core machine drift: compare within
one run.

Usage: .venv/bin/python bench/chart_load.py [--requests 30] [--rounds 3] [--before-ref main]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def pingyi(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pingyi", *args], env=env, check=True, capture_output=True, timeout=600)


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    env = {**env, "PINGYI_PORT": str(port)}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pingyi", "serve"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def round_trip(base: str, chart_path: str, requests: int) -> dict[str, float]:
    """`requests` concurrent chart GETs; /health polled every 10 ms until they are all answered."""
    charts: list[float] = []
    health: list[float] = []
    done = asyncio.Event()
    limits = httpx.Limits(max_connections=requests + 4, max_keepalive_connections=requests + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def chart() -> None:
            t = time.perf_counter()
            r = await client.get(chart_path)
            charts.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise RuntimeError(f"{chart_path}: {r.status_code} {r.text[:200]}")

        async def poll() -> None:
            while not done.is_set():
                t = time.perf_counter()
                r = await client.get("/health")
                health.append(time.perf_counter() - t)
                r.raise_for_status()
                await asyncio.sleep(0.01)

        poller = asyncio.create_task(poll())
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        await asyncio.gather(*(chart() for _ in range(requests)))
        wall = time.perf_counter() - started
        done.set()
        await poller
    return {"chart_p99": p99(charts), "health_p99": p99(health), "health_max": max(health),
            "health_n": len(health), "wall": wall}


def export(ref: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref, "platform"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "platform"


def run_rounds(label: str, env: dict[str, str], log: Path, chart_path: str, requests: int, rounds: int,
               results: list[tuple[str, dict[str, float]]]) -> None:
    with serve(env, log) as base:
        for i in range(rounds):
            name = f"{label}, {'cold' if i == 0 else 'cached'}" if "before" not in label else f"{label}, round {i + 1}"
            results.append((name, asyncio.run(round_trip(base, chart_path, requests))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before-ref", help="git revision to measure first (e.g. main)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pingyi-chart-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "PINGYI_DATA_DIR": str(tmp / "data"), "PINGYI_SECRET_KEY": "0" * 64,
               "PINGYI_ACCESS_LOG": str(tmp / "access.log"), "PINGYI_RATE_CHART": "1000000/minute"}
        env.pop("PYTHONPATH", None)
        pingyi(env, "migrate")
        pingyi(env, "demo")  # publishes last year's results for 21 departments
        year = date.today().year - 1
        results: list[tuple[str, dict[str, float]]] = []
        if args.before_ref:
            src = export(args.before_ref, tmp / "before")
            before_env = {**env, "PYTHONPATH": str(src)}
            run_rounds(f"before ({args.before_ref}, PNG per request)", before_env, tmp / "before.log",
                       f"/results/{year}/ranking.png", args.requests, args.rounds, results)
        run_rounds("after (SVG drawn once per version)", env, tmp / "after.log", f"/results/{year}/ranking.svg",
                   args.requests, args.rounds, results)

    print(f"{args.requests} concurrent chart requests, /health polled every 10 ms (p99 in ms)")
    print(f"{'round':<48} {'chart p99':>10} {'health p99':>11} {'health max':>11} {'polls':>6} {'wall':>8}")
    for name, r in results:
        print(f"{name:<48} {r['chart_p99'] * 1000:>10.1f} {r['health_p99'] * 1000:>11.1f} "
              f"{r['health_max'] * 1000:>11.1f} {r['health_n']:>6} {r['wall'] * 1000:>8.1f}")
    after = [r for name, r in results if name.startswith("after") and "cached" in name]
    before = [r for name, r in results if name.startswith("before")]
    cold = next((r for name, r in results if name.startswith("after") and "cold" in name), None)
    if before and after:
        b = min(before, key=lambda r: r["health_p99"])
        a = max(after, key=lambda r: r["health_p99"])
        print(f"/health p99 before/after (best before vs worst cached after): "
              f"{b['health_p99'] / a['health_p99']:.1f}×; "
              f"chart p99 before/after: {b['chart_p99'] / a['chart_p99']:.1f}×")
    if cold and after:
        print(f"chart p99 cold/cached: {cold['chart_p99'] / max(r['chart_p99'] for r in after):.1f}×")


if __name__ == "__main__":
    main()
