"""Web and repository layer: complaints as typed records and the public JSON shape (SPEC §5)."""

from __future__ import annotations

from datetime import date

import msgspec


class ComplaintStatus(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/complaints/{code}`: what the public sees — state and public reply only."""

    tracking_code: str
    state: str
    state_label: str
    department: str
    received_on: str
    public_reply: str


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


class SubstantiatedComplaint(msgspec.Struct, frozen=True, kw_only=True):
    """A substantiated complaint as a scoring input (SPEC §2, §4)."""

    tracking_code: str
    department_code: str
    decision_date: date
    severity: str | None
