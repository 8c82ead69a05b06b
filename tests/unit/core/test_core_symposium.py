"""Core: the symposium record's rules — attendance of the main leaders (seed 篇3), the fields the office enters."""

from __future__ import annotations

from datetime import date

import pytest

from pingyi.core import symposium as rules
from pingyi.core.errors import InvalidInput

TODAY = date(2026, 12, 15)


@pytest.mark.parametrize("held_on, place, expected", [
    ("2026-12-15", " 三楼会议室 ", (date(2026, 12, 15), "三楼会议室")),  # today, place trimmed
    ("2025-12-16", "", (date(2025, 12, 16), "")),  # entered a year late: allowed
    (date(2026, 12, 1), "礼堂", (date(2026, 12, 1), "礼堂")),
])
def test_meeting_fields_accepted(held_on, place, expected):
    fields = rules.meeting_fields(held_on, place, TODAY)
    assert (fields.held_on, fields.place) == expected


@pytest.mark.parametrize("held_on, place, message", [
    ("", "", "请填写座谈会召开日期"),
    (None, "", "请填写座谈会召开日期"),
    ("2026-12-16", "", "不能晚于今天"),  # a record of a meeting that took place, never ahead
    ("2026-13-01", "", "格式应为 年-月-日"),
    ("2026-12-01", "x" * 129, "不超过 128 字"),
    ("2026-12-01", "会议室\n二楼", "只能是一行文字"),
])
def test_meeting_fields_refused(held_on, place, message):
    with pytest.raises(InvalidInput, match=message):
        rules.meeting_fields(held_on, place, TODAY)


@pytest.mark.parametrize("status, attendee, note, expected", [
    ("leader", " 王某 局长 ", "", ("leader", "王某 局长", "")),
    ("deputy", "刘某 副局长", "主要领导外出", ("deputy", "刘某 副局长", "主要领导外出")),
    ("absent", "", "未说明原因", ("absent", "", "未说明原因")),
    ("absent", "  ", "", ("absent", "", "")),
])
def test_attendance_accepted(status, attendee, note, expected):
    f = rules.attendance_fields(status, attendee, note)
    assert (f.status, f.attendee, f.note) == expected


@pytest.mark.parametrize("status, attendee, note, message", [
    ("", "王某", "", "请选择出席情况"),
    ("present", "王某", "", "请选择出席情况"),  # not one of the three
    ("leader", "", "", "需填写出席人姓名和职务"),
    ("deputy", " ", "", "需填写出席人姓名和职务"),
    ("absent", "王某", "", "不填写出席人"),
    ("leader", "王" * 65, "", "不超过 64 字"),
    ("leader", "王某", "因" * 201, "不超过 200 字"),
    ("leader", "王某\t局长", "", "只能是一行文字"),
])
def test_attendance_refused(status, attendee, note, message):
    with pytest.raises(InvalidInput, match=message):
        rules.attendance_fields(status, attendee, note)


@pytest.mark.parametrize("text, expected", [
    ("  希望延长服务时间。 ", "希望延长服务时间。"),
    ("第一点\r\n第二点", "第一点\n第二点"),  # line breaks kept, normalised
    ("意" * 2000, "意" * 2000),
])
def test_note_text_accepted(text, expected):
    assert rules.note_text(text) == expected


@pytest.mark.parametrize("text, message", [
    ("", "请填写"), ("   \n ", "请填写"), ("意" * 2001, "不超过 2000 字"), ("响铃\x07", "控制字符"),
])
def test_note_text_refused(text, message):
    with pytest.raises(InvalidInput, match=message):
        rules.note_text(text)


def test_leaders_missing_counts_deputies_absences_and_unrecorded_departments_in_list_order():
    """Seed 篇3: the main leaders must attend. A deputy is not the main leader; a department with no record is not
    assumed present."""
    attendance = {"D01": "leader", "D02": "deputy", "D03": "absent", "D05": "leader"}
    assert rules.leaders_missing(["D05", "D04", "D03", "D02", "D01"], attendance) == ["D04", "D03", "D02"]
    assert rules.leaders_missing(["D01", "D05"], attendance) == []
    assert rules.leaders_missing([], attendance) == []


@pytest.mark.parametrize("status, label, attended", [
    ("leader", "主要领导出席", True), ("deputy", "委派他人出席", False), ("absent", "未出席", False),
    (None, "未登记", False),
])
def test_labels(status, label, attended):
    assert rules.attendance_label(status) == label and rules.leader_attended(status) is attended
