"""Infrastructure layer: 差评 answers and rectification tasks with their measures (SPEC §2, §4; issue 10)."""

from piccolo.columns import Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from pingyi.hall.tables import Department
from pingyi.ratings.tables import Rating


class BadRatingAnswer(Table, tablename="bad_rating_answer"):
    """The department's answer to one counted 差评 (created when the liaison first answers; core/followup.py).

    state: submitted | accepted | returned (a 差评 without a row is pending). `due_on` is the current deadline
    (first: the rating's local date + N working days; after a return: the return date + N); `first_due_on` and
    `first_answered_on` make the "answered on time" figure. The call-back (回访) is recorded by the office."""

    rating = ForeignKey(references=Rating, on_delete=OnDelete.restrict, unique=True)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict, index=True)
    state = Varchar(length=16)
    finding = Text(default="")
    cause = Text(default="")
    outcome = Varchar(length=16, default="")
    measure = Text(default="")
    fix_due = Date(null=True, default=None)
    first_due_on = Date()
    due_on = Date()
    first_answered_on = Date()
    answered_by = Varchar(length=64, default="")
    answered_at = Timestamptz(default=TimestamptzNow())
    reviewed_by = Varchar(length=64, default="")
    reviewed_at = Timestamptz(null=True, default=None)
    review_reason = Text(default="")
    callback_outcome = Varchar(length=24, default="")
    callback_note = Text(default="")
    callback_by = Varchar(length=64, default="")
    callback_at = Timestamptz(null=True, default=None)


class RectificationTask(Table, tablename="rectification_task"):
    """A rectification (整改) task of one department. `source_key` ("annual:2025:D05", "monthly:2025-11:D03",
    "manual:<random>") is unique, so an automatic sync never makes a task twice. state: open | submitted |
    accepted | returned. `reason` is public; `accepted_summary` is the accepted measures' public summary."""

    source_key = Varchar(length=80, unique=True)
    source = Varchar(length=12)
    period = Varchar(length=16, default="")
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict, index=True)
    reason = Text()
    deadline = Date()
    state = Varchar(length=16, default="open")
    accepted_summary = Text(default="")
    review_reason = Text(default="")
    created_by = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class RectificationMeasure(Table, tablename="rectification_measure"):
    """One submission of measures for a task: a public summary and internal evidence notes, and its review."""

    task = ForeignKey(references=RectificationTask, on_delete=OnDelete.restrict, index=True)
    summary = Text()
    evidence = Text(default="")
    state = Varchar(length=16, default="submitted")
    submitted_by = Varchar(length=64)
    submitted_at = Timestamptz(default=TimestamptzNow())
    reviewed_by = Varchar(length=64, default="")
    reviewed_at = Timestamptz(null=True, default=None)
    review_reason = Text(default="")
