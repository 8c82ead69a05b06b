"""Core: the symposium (座谈会) record's rules — attendance of each department's main leader, the notes raised
per department (SPEC §2 "Opinions", seed 篇3: the evaluated departments' main leaders must attend).

A symposium record is office work in the open: it names no enterprise, no card and no ballot (docs/portal.md).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .complaints import entered_date
from .errors import InvalidInput

LEADER = "leader"  # the department's main leader (主要领导) attended
DEPUTY = "deputy"  # someone else was sent in the leader's place
ABSENT = "absent"  # nobody of the department came

ATTENDANCE_LABELS: dict[str, str] = {LEADER: "主要领导出席", DEPUTY: "委派他人出席", ABSENT: "未出席"}
NOT_RECORDED_LABEL = "未登记"

MAX_PLACE = 128
MAX_ATTENDEE = 64
MAX_ABSENCE_NOTE = 200
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class MeetingFields:
    held_on: _dt.date
    place: str


@dataclass(frozen=True, slots=True)
class AttendanceFields:
    status: str
    attendee: str
    note: str


def _line(value: str, what: str, limit: int) -> str:
    """One line of text: trimmed, at most `limit` characters, no control characters."""
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput(f"{what}不超过 {limit} 字（现有 {len(text)} 字）。")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidInput(f"{what}只能是一行文字，不能含换行或控制字符。")
    return text


def meeting_fields(held_on: str | _dt.date | None, place: str, today: _dt.date) -> MeetingFields:
    """The date it was held (required, never after today: a record of a meeting that took place) and its place."""
    if held_on is None or (isinstance(held_on, str) and not held_on.strip()):
        raise InvalidInput("请填写座谈会召开日期（年-月-日）。")
    return MeetingFields(entered_date(held_on, today, "座谈会召开日期"), _line(place, "座谈会地点", MAX_PLACE))


def attendance_fields(status: str, attendee: str, note: str) -> AttendanceFields:
    """Who came for a department: the main leader, a deputy (named), or nobody (a note may say why)."""
    if status not in ATTENDANCE_LABELS:
        raise InvalidInput("请选择出席情况：" + "、".join(ATTENDANCE_LABELS.values()) + "。")
    who = _line(attendee, "出席人（姓名、职务）", MAX_ATTENDEE)
    if status in (LEADER, DEPUTY) and not who:
        raise InvalidInput(f"“{ATTENDANCE_LABELS[status]}”需填写出席人姓名和职务。")
    if status == ABSENT and who:
        raise InvalidInput("“未出席”不填写出席人；缺席原因可写在说明中。")
    return AttendanceFields(status, who, _line(note, "说明", MAX_ABSENCE_NOTE))


def note_text(text: str) -> str:
    """An opinion raised at the symposium about one department: required, at most MAX_NOTE characters; line
    breaks allowed, other control characters not."""
    body = (text or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("请填写座谈会上提出的意见。")
    if len(body) > MAX_NOTE:
        raise InvalidInput(f"座谈会意见不超过 {MAX_NOTE} 字（现有 {len(body)} 字）。")
    if any((ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127 for ch in body):
        raise InvalidInput("座谈会意见不能含控制字符。")
    return body


def leader_attended(status: str | None) -> bool:
    return status == LEADER


def leaders_missing(department_codes: Iterable[str], attendance: Mapping[str, str]) -> list[str]:
    """The departments (in the given order) whose main leader did not attend: a deputy, nobody, or no record yet
    (seed 篇3 requires the main leaders; an unrecorded department is not assumed present)."""
    return [code for code in department_codes if not leader_attended(attendance.get(code))]


def attendance_label(status: str | None) -> str:
    return ATTENDANCE_LABELS.get(status or "", NOT_RECORDED_LABEL)
