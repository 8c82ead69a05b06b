"""Web and repository layer: a complaint as its own department's liaison sees it — never the complainant's
contact or anything else about who complained (SPEC §5, §7)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class DepartmentComplaintEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One step of the complaint's history (who acted is left out: office staff, not the department's business)."""

    at: datetime
    action: str
    from_state: str
    to_state: str
    reason: str


class DepartmentComplaint(msgspec.Struct, frozen=True, kw_only=True):
    """A complaint against the liaison's own department. No `contact` field exists here, by construction."""

    tracking_code: str
    department_code: str
    channel: str
    summary: str
    state: str
    severity: str | None
    received_on: date
    decision_date: date | None
    decision_reason: str
    public_reply: str
    due_on: date | None = None  # last day of the investigation while it is open (working days, 调休 included)
    overdue: bool = False
    history: tuple[DepartmentComplaintEvent, ...] = ()
