"""Integration: the `pingyi` command — migrate, demo, results JSON, cards, and exit 2 on bad input."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def pingyi(tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {**os.environ, "PINGYI_DATA_DIR": str(tmp), "PINGYI_SECRET_KEY": "0" * 64}
    return subprocess.run([sys.executable, "-m", "pingyi", *args], env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    assert pingyi(tmp, "migrate").returncode == 0
    result = pingyi(tmp, "demo")
    assert result.returncode == 0, result.stderr
    return tmp


def test_demo_is_idempotent_and_results_json_lists_every_department(demo_dir):
    again = pingyi(demo_dir, "demo")
    assert again.returncode == 0, again.stderr
    from datetime import date

    year = date.today().year - 1
    out = pingyi(demo_dir, "results", "--campaign", str(year), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    rows = {r["code"]: r for r in data["results"]}
    assert len(rows) == 21
    assert rows["D07"]["substantiated"] == 2 and rows["D16"]["substantiated"] == 1
    for r in rows.values():
        if r["rank"] is not None:
            assert {"raw", "section_count", "final", "published", "grade_label", "rank"} <= set(r)
    assert data["turnout"]["cards_used"] == 60


def test_cards_generate_writes_pdf_and_csv_once(demo_dir, tmp_path):
    from datetime import date

    year = date.today().year
    out = pingyi(demo_dir, "cards", "generate", "--campaign", str(year), "--count", "3", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    pdfs = list(tmp_path.glob("*.pdf"))
    csvs = list(tmp_path.glob("*.csv"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
    rows = list(csv.DictReader(csvs[0].open(encoding="utf-8")))
    assert len(rows) == 3 and all("/b/" in r["ballot_url"] for r in rows)
    assert oct(csvs[0].stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("args, needle", [
    (("results", "--campaign", "2099"), "2099"),
    (("campaign", "create", "--year", "abc"), "invalid int"),
    (("cards", "generate", "--campaign", "2099", "--count", "3", "--out", "/tmp/x"), "2099"),
    (("campaign", "open", "--year", "2099"), "2099"),
    (("user", "create", "--username", "x y", "--role", "admin"), "用户名"),
], ids=["unknown-campaign", "bad-int", "cards-unknown-campaign", "open-unknown", "bad-username"])
def test_bad_input_exits_2_with_one_line(demo_dir, args, needle):
    out = pingyi(demo_dir, *args, env={"PINGYI_NEW_PASSWORD": "password-1"})
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_bad_database_url_exits_2(tmp_path):
    out = pingyi(tmp_path, "migrate", env={"PINGYI_DATABASE_URL": "mysql://x"})
    assert out.returncode == 2 and "PINGYI_DATABASE_URL" in out.stderr
