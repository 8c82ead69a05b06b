"""Integration: the `pingyi` command — migrate, demo, results JSON, cards, and exit 2 on bad input."""

from __future__ import annotations

import csv
import json
import os
import shutil
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
    from pingyi.catalog import load_catalog
    from pingyi.ops.demo import weakest

    weak = weakest(list(load_catalog(Path(__file__).resolve().parents[2] / "surveys").departments), 2)
    assert rows[weak[0].code]["substantiated"] == 2 and rows[weak[-1].code]["substantiated"] == 1
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


def test_demo_works_with_any_department_list(tmp_path):
    """No hard-coded codes: a county with three departments of its own codes gets a whole demo."""
    surveys = tmp_path / "surveys"
    shutil.copytree(Path(__file__).resolve().parents[2] / "surveys", surveys)
    (surveys / "departments.csv").write_text("code,name,sort_order\nZS,招商服务中心,1\nSW,税务窗口,2\nGA,公安窗口,3\n",
                                             encoding="utf-8")
    env = {"PINGYI_SURVEYS_DIR": str(surveys)}
    assert pingyi(tmp_path, "migrate", env=env).returncode == 0
    out = pingyi(tmp_path, "demo", env=env)
    assert out.returncode == 0, out.stderr
    from datetime import date

    results = json.loads(pingyi(tmp_path, "results", "--campaign", str(date.today().year - 1), "--format", "json",
                                env=env).stdout)
    assert sorted(r["code"] for r in results["results"]) == ["GA", "SW", "ZS"]
    assert sum(r["substantiated"] for r in results["results"]) == 3


def test_demo_refuses_a_production_database_and_writes_nothing(tmp_path):
    """Demo users have a published password: the demo never touches a database with real data in it."""
    assert pingyi(tmp_path, "migrate").returncode == 0
    assert pingyi(tmp_path, "departments", "sync", "--apply").returncode == 0
    made = pingyi(tmp_path, "user", "create", "--username", "chief", "--role", "admin",
                  env={"PINGYI_NEW_PASSWORD": "long-enough-password"})
    assert made.returncode == 0, made.stderr
    out = pingyi(tmp_path, "demo")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "正式数据" in out.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "pingyi.sqlite3") as con:
        assert [r[0] for r in con.execute("SELECT username FROM office_user")] == ["chief"]
        assert con.execute("SELECT COUNT(*) FROM campaign").fetchone()[0] == 0


def test_complaints_list_filters_overdue_and_never_prints_a_contact(demo_dir):
    every = pingyi(demo_dir, "complaints", "list")
    late = pingyi(demo_dir, "complaints", "list", "--overdue")
    assert every.returncode == 0 and late.returncode == 0, every.stderr + late.stderr
    # the demo: last year's 3 + this year's 9 (ops/demo_complaints.py) + the liaison portal's 3 (ops/demo_symposium.py)
    assert len(every.stdout.splitlines()) == 15
    lines = late.stdout.splitlines()
    assert lines and all(line.endswith("超期") for line in lines) and len(lines) < 15
    assert "13900001111" not in every.stdout and "138****0000" not in every.stdout
