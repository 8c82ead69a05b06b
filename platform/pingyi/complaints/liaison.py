"""Service layer: the complaints against one department, for its liaison's portal — state, dates, decision and
public reply, the history of its steps; never the complainant's contact (SPEC §5, §7)."""

from __future__ import annotations

from datetime import date

import msgspec

from pingyi.core import cardcodes
from pingyi.core import complaints as rules
from pingyi.core.errors import InvalidInput, NotFound
from pingyi.workcalendar import WorkCalendar

from . import liaison_repository as repository
from .liaison_schemas import DepartmentComplaint

NOT_FOUND = "本部门没有这件投诉。"  # the same words for a foreign and an unknown code: nothing is confirmed


def _dated(c: DepartmentComplaint, today: date, calendar: WorkCalendar) -> DepartmentComplaint:
    """Due date and overdue flag from the one working-day calendar, as on the office's list."""
    return msgspec.structs.replace(
        c, due_on=calendar.due_date(c.received_on) if c.state in rules.OPEN_STATES else None,
        overdue=calendar.is_overdue(c.received_on, today, c.state))


async def of_department(department_code: str, *, today: date, calendar: WorkCalendar) -> list[DepartmentComplaint]:
    return [_dated(c, today, calendar) for c in await repository.of_department(department_code)]


async def one_of_department(department_code: str, tracking_code: str, *, today: date,
                            calendar: WorkCalendar) -> DepartmentComplaint:
    """One complaint against the department, with its history; a complaint of another department is not found."""
    try:
        code = cardcodes.normalize_tracking_code(tracking_code)
    except InvalidInput:  # a malformed code is not found either: same answer as a foreign one
        raise NotFound(NOT_FOUND) from None
    found = await repository.one_of_department(department_code, code)
    if found is None:
        raise NotFound(NOT_FOUND)
    return _dated(found, today, calendar)
