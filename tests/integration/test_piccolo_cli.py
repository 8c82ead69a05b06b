"""Piccolo's own CLI still works on pingyi's apps, and nothing reads the environment at import (issue 6)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PICCOLO = Path(sys.executable).parent / "piccolo"


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGYI_")}
    env.update({"PICCOLO_CONF": "pingyi.piccolo_conf", "PINGYI_DATA_DIR": str(tmp),
                "PINGYI_DATABASE_URL": f"sqlite:///{tmp / 'p.sqlite3'}", **extra})
    return env


def test_piccolo_forwards_and_new_auto_work(tmp_path):
    done = subprocess.run([str(PICCOLO), "migrations", "forwards", "all"], cwd=ROOT / "platform",
                          env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(tmp_path / "p.sqlite3") as con:
        apps = {r[0] for r in con.execute("SELECT app_name FROM migration")}
    assert {"ops", "ratings", "hall", "accounts", "audit", "evaluation", "complaints", "publication"} <= apps
    before = sorted((ROOT / "platform" / "pingyi" / "hall" / "piccolo_migrations").glob("*.py"))
    new = subprocess.run([str(PICCOLO), "migrations", "new", "hall", "--auto"], cwd=ROOT / "platform",
                         env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    after = sorted((ROOT / "platform" / "pingyi" / "hall" / "piccolo_migrations").glob("*.py"))
    for extra in set(after) - set(before):  # never leave a stray migration behind, even when the check fails
        extra.unlink()
    assert new.returncode == 0 and after == before, new.stdout + new.stderr


def test_importing_the_service_reads_no_environment():
    """A broken PINGYI_DATABASE_URL fails a command, not an import: settings are read by Settings.from_env()."""
    code = ("import pingyi.piccolo_conf, pingyi.app, pingyi.db, pingyi.__main__; "
            "from pingyi.db import _ENGINE; assert _ENGINE is None; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PINGYI_DATABASE_URL": "mysql://nope",
                                                           "PINGYI_TIMEZONE": "Not/AZone"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
