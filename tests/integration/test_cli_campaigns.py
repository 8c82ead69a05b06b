"""Integration: the CLI keeps the office form's campaign rules and the results rules — each refusal is exit
status 2 with one line, and changes nothing (SPEC §2, §6, §8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pingyi(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PINGYI_DATA_DIR": str(tmp), "PINGYI_SECRET_KEY": "0" * 64}
    env.pop("PINGYI_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "pingyi", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def ok(tmp: Path, *args: str) -> str:
    out = pingyi(tmp, *args)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def refused(tmp: Path, *args: str) -> str:
    out = pingyi(tmp, *args)
    assert out.returncode == 2, (args, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    """A production-style install: departments from surveys/departments.csv, then D02 dropped from the list
    (deactivated by the sync, never deleted)."""
    tmp = tmp_path_factory.mktemp("cli-campaigns")
    ok(tmp, "migrate")
    ok(tmp, "departments", "sync", "--apply")
    source = (ROOT / "surveys" / "departments.csv").read_text(encoding="utf-8").splitlines()
    without = tmp / "departments-without-D02.csv"
    without.write_text("\n".join(line for line in source if not line.startswith("D02,")) + "\n", encoding="utf-8")
    ok(tmp, "departments", "sync", "--apply", "--file", str(without))
    assert "D02\t县发改委\t已停用" in ok(tmp, "departments", "list")
    return tmp


def _departments_of(tmp: Path, year: int) -> list[str]:
    data = json.loads(ok(tmp, "results", "--campaign", str(year), "--format", "json"))
    return [r["code"] for r in data["results"]]


@pytest.mark.parametrize("args, needle", [
    (("--year", "2040", "--departments", "D01,D02"), "县发改委（D02）"),
    (("--year", "2040", "--k", "51"), "小样本保护阈值 k应在 1–50 之间"),
    (("--year", "2040", "--k", "0"), "小样本保护阈值 k应在 1–50 之间"),
    (("--year", "2040", "--cards-from", "2040-12-12", "--symposium-on", "2040-12-15"), "前 5 天"),
    (("--year", "2040", "--complaint-from", "2040-12-01", "--complaint-to", "2040-01-31"), "晚于投诉统计期结束日期"),
], ids=["deactivated-department", "k51", "k0", "cards-late", "window-order"])
def test_campaign_create_refusals_exit_2_with_one_line(county, args, needle):
    line = refused(county, "campaign", "create", *args)
    assert needle in line
    assert "2040" in refused(county, "results", "--campaign", "2040")  # nothing was created


def test_campaign_create_defaults_to_active_departments_and_an_unused_year(county):
    out = ok(county, "campaign", "create", "--year", "2041")
    assert "2041" in out
    codes = _departments_of(county, 2041)
    assert "D02" not in codes and "D01" in codes and len(codes) == 20
    second = ok(county, "campaign", "create")  # no --year: the first year from this one without a campaign
    year = int(second.split("已创建 ", 1)[1].split(" ", 1)[0])
    assert year >= 2026 and year != 2041


def test_snapshot_and_publish_refusals_exit_2_with_one_line(county):
    ok(county, "campaign", "create", "--year", "2042")
    assert "草稿" in refused(county, "snapshot", "--campaign", "2042")
    ok(county, "campaign", "open", "--year", "2042")
    assert "评议中" in refused(county, "snapshot", "--campaign", "2042")
    ok(county, "results", "--campaign", "2042")  # the preview works at any state and stores nothing
    ok(county, "campaign", "close", "--year", "2042")
    ok(county, "snapshot", "--campaign", "2042")
    ok(county, "publish", "--campaign", "2042", "--version", "1")
    head = ok(county, "audit", "head")
    line = refused(county, "publish", "--campaign", "2042", "--version", "1", "--reason", "again")
    assert "已是当前公布的版本" in line
    assert ok(county, "audit", "head") == head  # refused: no second audit entry
