"""Web and repository layer: 差评 answers and rectification tasks as typed records (SPEC §2, §4; issue 10)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class BadItem(msgspec.Struct, frozen=True, kw_only=True):
    """One counted 差评 with its answer, if any (internal: the web contact is never in this record)."""

    rating_id: int
    level: int
    scale: str
    channel: str
    occurred_at: datetime
    window_code: str
    window_name: str
    department_id: int
    department_code: str
    department_name: str
    state: str  # core.followup: pending (no answer row) | submitted | accepted | returned
    finding: str = ""
    cause: str = ""
    outcome: str = ""
    measure: str = ""
    fix_due: date | None = None
    first_due_on: date | None = None
    due_on: date | None = None
    first_answered_on: date | None = None
    answered_by: str = ""
    reviewed_by: str = ""
    review_reason: str = ""
    callback_outcome: str = ""
    callback_note: str = ""
    callback_by: str = ""


class QueueItem(msgspec.Struct, frozen=True, kw_only=True):
    """A 差评 as a page shows it: the item, what the citizen wrote (web channel), the deadline and the flags.

    `contact` is the call-back number, filled only for the roles that may see it (inspector, admin);
    `has_contact` tells the department that the office will call back."""

    item: BadItem
    local_date: date
    due_on: date
    overdue: bool
    tags: tuple[str, ...]
    text: str
    has_contact: bool
    contact: str | None


class TaskRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    source_key: str
    source: str
    period: str
    department_id: int
    department_code: str
    department_name: str
    reason: str
    deadline: date
    state: str
    accepted_summary: str
    review_reason: str
    created_by: str
    created_at: datetime


class MeasureRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    task_id: int
    summary: str
    evidence: str
    state: str
    submitted_by: str
    submitted_at: datetime
    reviewed_by: str
    reviewed_at: datetime | None
    review_reason: str


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """A published result that calls for a rectification task: an annual 不满意 grade or a monthly last place."""

    source: str  # core.followup.ANNUAL | MONTHLY
    period: str  # "2025" | "2025-11"
    department_code: str
    published_on: date  # the publication's date in the office's time zone: the deadline counts from it
    detail: str  # e.g. "得分 65.67" or "总分 88.50，第 21 名"


class PublicTask(msgspec.Struct, frozen=True, kw_only=True):
    """A row of the public rectification tracker: never evidence notes, review reasons or who acted."""

    department: str
    source_label: str
    reason: str
    deadline: str
    state: str
    state_label: str
    overdue: bool
    accepted_summary: str


class PublicTracker(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/rectification`: every rectification task, newest deadline first."""

    tasks: list[PublicTask]


class MonthFigureRow(msgspec.Struct, frozen=True, kw_only=True):
    """Per department and month: counted 差评, answered, on time, accepted (counts and shares), overdue now."""

    department_code: str
    department_name: str
    month: str
    bad: int
    answered: int
    on_time: int
    accepted: int
    overdue: int
    answered_share: str
    on_time_share: str
    accepted_share: str
