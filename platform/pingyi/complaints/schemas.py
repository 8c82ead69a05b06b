"""Web and repository layer: complaints as typed records and the public JSON shape (SPEC §5)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class PublicStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a complaint as the public sees it: the day, what happened, the public reply given with it."""

    on: str
    action: str
    label: str
    public_reply: str


class ComplaintStatus(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/complaints/{code}`: what the public sees — state, public reply and the public steps; never the
    complainant's contact, the complaint's text, who handled it or the internal reasons."""

    tracking_code: str
    state: str
    state_label: str
    department: str
    received_on: str
    public_reply: str
    decision_date: str | None = None
    reopened: bool = False  # reopened at least once after a decision
    steps: list[PublicStep] = []


class ComplaintRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A complaint as stored (internal: carries the contact, shown to investigators only)."""

    id: int
    tracking_code: str
    state: str
    severity: str | None
    channel: str
    summary: str
    contact: str
    received_on: date
    decision_date: date | None
    decision_reason: str
    investigator: str
    public_reply: str
    department_code: str
    department_name: str
    similar_to: tuple[str, ...] = ()


class ComplaintEventRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a complaint's history (internal: the actor and the reason are for the office only)."""

    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str
    public_reply: str
    decision_date: date | None


class OfficeComplaint(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the office list: the record plus what the rules say about it today."""

    tracking_code: str
    state: str
    severity: str | None
    channel: str
    summary: str
    contact: str | None  # None unless the viewer may see contacts
    received_on: date
    decision_date: date | None
    decision_reason: str
    investigator: str
    department_code: str
    department_name: str
    due_on: date | None  # last day of the investigation (working days, 调休 included); None once decided
    overdue: bool
    actions: tuple[str, ...]
    public_reply: str = ""
    similar_to: tuple[str, ...] = ()  # likely duplicates found at intake (earlier complaints)
    reopened: bool = False  # reopened at least once after a decision


class OfficePage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of the office list: the rows of the filter, how many match, which page of how many."""

    items: list[OfficeComplaint]
    total: int
    page: int
    pages: int


class OfficeDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A complaint's own page: the row, its whole history, and the likely duplicates both ways."""

    complaint: OfficeComplaint
    events: list[ComplaintEventRecord]
    similar_later: tuple[str, ...]  # later complaints that were flagged as resembling this one


class SubstantiatedComplaint(msgspec.Struct, frozen=True, kw_only=True):
    """A substantiated complaint as a scoring input (SPEC §2, §4)."""

    tracking_code: str
    department_code: str
    decision_date: date
    severity: str | None
