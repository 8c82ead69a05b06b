"""Integration: `pingyi symposium record|attendance|note|show` — the same rules as the office page, audited as the
command's user, bad input one line and exit 2 with nothing stored (docs/portal.md)."""

from __future__ import annotations

import pytest

from .test_cli import pingyi


@pytest.fixture(scope="module")
def campaign_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-symposium")
    assert pingyi(tmp, "migrate").returncode == 0
    assert pingyi(tmp, "departments", "sync", "--apply").returncode == 0
    assert pingyi(tmp, "campaign", "create", "--year", "2025").returncode == 0
    assert pingyi(tmp, "campaign", "open", "--year", "2025").returncode == 0
    return tmp


def test_the_symposium_from_the_command_line(campaign_dir):
    made = pingyi(campaign_dir, "symposium", "record", "--campaign", "2025", "--held-on", "2025-12-15",
                  "--place", "三楼会议室")
    assert made.returncode == 0 and "编号 1" in made.stdout, made.stderr
    base = ("--campaign", "2025", "--symposium", "1")
    ok = pingyi(campaign_dir, "symposium", "attendance", *base, "--department", "D01", "--status", "leader",
                "--attendee", "王某 局长")
    assert ok.returncode == 0 and "主要领导出席" in ok.stdout
    again = pingyi(campaign_dir, "symposium", "attendance", *base, "--department", "D01", "--status", "leader",
                   "--attendee", "王某 局长")
    assert "未改动" in again.stdout
    assert pingyi(campaign_dir, "symposium", "note", *base, "--department", "D02", "--text", "审批慢").returncode == 0
    shown = pingyi(campaign_dir, "symposium", "show", "--campaign", "2025").stdout
    assert "D01 县招商局：主要领导出席（王某 局长）" in shown and "D02 县发改委：未登记，意见 1 条" in shown
    assert "主要领导未出席：20 个部门" in shown
    audit = pingyi(campaign_dir, "audit", "verify")
    assert audit.returncode == 0, audit.stderr


@pytest.mark.parametrize("args, needle", [
    (("record", "--campaign", "2025", "--held-on", "2999-01-01"), "不能晚于今天"),
    (("record", "--campaign", "2099", "--held-on", "2025-12-15"), "2099"),
    (("attendance", "--campaign", "2025", "--symposium", "999", "--department", "D01", "--status", "absent"),
     "没有这次座谈会记录"),
    (("attendance", "--campaign", "2025", "--symposium", "1", "--department", "D01", "--status", "deputy"),
     "需填写出席人姓名和职务"),
    (("attendance", "--campaign", "2025", "--symposium", "1", "--department", "D01", "--status", "boss"),
     "invalid choice"),
    (("note", "--campaign", "2025", "--symposium", "1", "--department", "D99", "--text", "x"),
     "不在 2025 年度参评名单中"),
], ids=["future", "unknown-campaign", "unknown-symposium", "deputy-nameless", "bad-status", "outsider"])
def test_bad_symposium_input_exits_2_with_one_line(campaign_dir, args, needle):
    pingyi(campaign_dir, "symposium", "record", "--campaign", "2025", "--held-on", "2025-12-15")  # id 1 exists
    before = pingyi(campaign_dir, "symposium", "show", "--campaign", "2025").stdout
    out = pingyi(campaign_dir, "symposium", *args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert pingyi(campaign_dir, "symposium", "show", "--campaign", "2025").stdout == before
