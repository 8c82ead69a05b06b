"""Benchmark: time of a refused login for an unknown user against a wrong password for a known user, through the
real app (SQLite, Litestar's test client), median of N tries each, interleaved; also the lockout answer. Prints
the medians and their ratio; asserts nothing.

Usage: .venv/bin/python bench/login_timing.py [--tries 15]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

from litestar.testing import TestClient

from pingyi import db
from pingyi.accounts import service as accounts
from pingyi.app import create_app
from pingyi.cli import run_db
from pingyi.settings import Settings

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=15)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pingyi-login-"))
    settings = Settings.from_env({"PINGYI_DATA_DIR": str(tmp), "PINGYI_SECRET_KEY": "0" * 64,
                                  "PINGYI_LOGIN_MAX_FAILURES": "1000000"})  # measure refusals, not the lock
    asyncio.run(db.migrate(db.make_engine(settings.database)))
    run_db(settings, lambda: accounts.create_user("inv", "inv-password-1", "investigator", actor="bench"))
    timings: dict[str, list[float]] = {"unknown user": [], "wrong password": []}
    with TestClient(create_app(settings)) as client:
        token = CSRF.search(client.get("/login").text).group(1)

        def attempt(username: str) -> float:
            start = time.perf_counter()
            r = client.post("/login", data={"username": username, "password": "not-the-password",
                                            "_csrf_token": token}, follow_redirects=False)
            elapsed = time.perf_counter() - start
            assert r.status_code == 400
            return elapsed

        attempt("warm-up")
        for i in range(args.tries):
            timings["unknown user"].append(attempt(f"nobody{i}"))
            timings["wrong password"].append(attempt("inv"))
    medians = {k: statistics.median(v) * 1000 for k, v in timings.items()}
    for name, ms in medians.items():
        print(f"{name:15s} median {ms:7.1f} ms over {args.tries} tries")
    print(f"ratio unknown/wrong: {medians['unknown user'] / medians['wrong password']:.2f}")

    locked = Settings.from_env({"PINGYI_DATA_DIR": str(tmp), "PINGYI_SECRET_KEY": "0" * 64})
    with TestClient(create_app(locked)) as client:
        token = CSRF.search(client.get("/login").text).group(1)
        answers = [client.post("/login", data={"username": "locktest", "password": "x" * 10, "_csrf_token": token})
                   for _ in range(6)]
    message = re.search(r'<div class="error">([^<]+)</div>', answers[-1].text)
    print("lockout: attempts 1-5 ->", [a.status_code for a in answers[:5]], "; 6th ->", answers[-1].status_code,
          message.group(1) if message else "")


if __name__ == "__main__":
    main()
