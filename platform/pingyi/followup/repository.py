"""Infrastructure layer: queries of the followup context; rows become BadItem, TaskRecord, MeasureRecord here.

The 差评 queue is the counted 差评 of the ratings context (its predicates `bad_sql` and `counted_sql`, built from
pingyi_terminal.protocol — never a copy of the rule) left-joined with the answer rows of this context."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from pingyi.db import current_engine
from pingyi.ratings.repository import bad_sql, counted_sql

from .schemas import BadItem, MeasureRecord, TaskRecord
from .tables import BadRatingAnswer, RectificationMeasure, RectificationTask

_ANSWER_COLUMNS = ("state", "finding", "cause", "outcome", "measure", "fix_due", "first_due_on", "due_on",
                   "first_answered_on", "answered_by", "reviewed_by", "review_reason", "callback_outcome",
                   "callback_note", "callback_by")
_DATES = {"fix_due", "first_due_on", "due_on", "first_answered_on"}

_ITEMS_SQL = (
    "SELECT r.id AS rating_id, r.level, r.scale, r.channel, r.occurred_at, w.code AS window_code, "
    "w.name AS window_name, d.id AS department_id, d.code AS department_code, d.name AS department_name, "
    "a.id AS answer_id, " + ", ".join(f"a.{c} AS a_{c}" for c in _ANSWER_COLUMNS) + " "
    'FROM rating r JOIN service_window w ON w.id = r."window" JOIN department d ON d.id = r.department '
    "LEFT JOIN bad_rating_answer a ON a.rating = r.id "
    "WHERE " + bad_sql("r") + " AND " + counted_sql("r"))


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _item(r: dict[str, Any]) -> BadItem:
    answer: dict[str, Any] = {}
    if r["answer_id"] is not None:
        for c in _ANSWER_COLUMNS:
            v = r[f"a_{c}"]
            answer[c] = _date(v) if c in _DATES else (v or "")
    else:
        answer["state"] = "pending"
    return BadItem(rating_id=int(r["rating_id"]), level=int(r["level"]), scale=r["scale"], channel=r["channel"],
                   occurred_at=_instant(r["occurred_at"]), window_code=r["window_code"],
                   window_name=r["window_name"], department_id=int(r["department_id"]),
                   department_code=r["department_code"], department_name=r["department_name"], **answer)


async def items(*, start: datetime, end: datetime, department_id: int | None = None) -> list[BadItem]:
    """Counted 差评 with `occurred_at` in [start, end), of one department or all, oldest first."""
    sql, args = _ITEMS_SQL + " AND r.occurred_at >= {} AND r.occurred_at < {}", [start, end]
    if department_id is not None:
        sql += " AND r.department = {}"
        args.append(department_id)
    rows = await BadRatingAnswer.raw(sql + " ORDER BY r.occurred_at, r.id", *args)
    return [_item(r) for r in rows]


async def item(rating_id: int) -> BadItem | None:
    """One counted 差评 (None when the rating does not exist, is no 差评, is flagged or was dismissed)."""
    rows = await BadRatingAnswer.raw(_ITEMS_SQL + " AND r.id = {}", rating_id)
    return _item(rows[0]) if rows else None


async def insert_answer(*, rating_id: int, department_id: int, values: dict[str, Any]) -> None:
    await BadRatingAnswer.insert(BadRatingAnswer(rating=rating_id, department=department_id, **values))


async def update_answer(rating_id: int, values: dict[str, Any]) -> int:
    """Returns the rows changed (0 when the answer row does not exist)."""
    rows = await BadRatingAnswer.update({getattr(BadRatingAnswer, k): v for k, v in values.items()}).where(
        BadRatingAnswer.rating == rating_id).returning(BadRatingAnswer.id)
    return len(rows)


# ------------------------------------------------------------------------------------------------- tasks

_TASK_COLUMNS = (RectificationTask.id, RectificationTask.source_key, RectificationTask.source,
                 RectificationTask.period, RectificationTask.department.id, RectificationTask.department.code,
                 RectificationTask.department.name, RectificationTask.reason, RectificationTask.deadline,
                 RectificationTask.state, RectificationTask.accepted_summary, RectificationTask.review_reason,
                 RectificationTask.created_by, RectificationTask.created_at)


def _task(r: dict[str, Any]) -> TaskRecord:
    return TaskRecord(id=r["id"], source_key=r["source_key"], source=r["source"], period=r["period"],
                      department_id=r["department.id"], department_code=r["department.code"],
                      department_name=r["department.name"], reason=r["reason"], deadline=_date(r["deadline"]),
                      state=r["state"], accepted_summary=r["accepted_summary"], review_reason=r["review_reason"],
                      created_by=r["created_by"], created_at=_instant(r["created_at"]))


async def tasks(department_id: int | None = None) -> list[TaskRecord]:
    query = RectificationTask.select(*_TASK_COLUMNS)
    if department_id is not None:
        query = query.where(RectificationTask.department == department_id)
    rows = await query.order_by(RectificationTask.deadline, ascending=False).order_by(RectificationTask.id)
    return [_task(r) for r in rows]


async def task(task_id: int) -> TaskRecord | None:
    row = await RectificationTask.select(*_TASK_COLUMNS).where(RectificationTask.id == task_id).first()
    return _task(row) if row else None


SYNC_LOCK = 0x5E1F0110  # pg_advisory_xact_lock key of the task sync (released at commit)


async def lock_sync() -> None:
    """Serialise task syncs: on SQLite the write transaction (BEGIN IMMEDIATE) already does; on PostgreSQL two
    syncs could both find a key missing, so the second waits here until the first committed."""
    if isinstance(current_engine(), PostgresEngine):
        await RectificationTask.raw("SELECT pg_advisory_xact_lock({})", SYNC_LOCK)


async def existing_keys(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    rows = await RectificationTask.select(RectificationTask.source_key).where(
        RectificationTask.source_key.is_in(keys))
    return {r["source_key"] for r in rows}


async def insert_task(*, source_key: str, source: str, period: str, department_id: int, reason: str,
                      deadline: date, created_by: str) -> int:
    row = RectificationTask(source_key=source_key, source=source, period=period, department=department_id,
                            reason=reason, deadline=deadline, state="open", created_by=created_by)
    await row.save()
    return int(row.id)


async def update_task(task_id: int, values: dict[str, Any]) -> None:
    await RectificationTask.update({getattr(RectificationTask, k): v for k, v in values.items()}).where(
        RectificationTask.id == task_id)


async def measures(task_id: int) -> list[MeasureRecord]:
    rows = await RectificationMeasure.select().where(RectificationMeasure.task == task_id).order_by(
        RectificationMeasure.id)
    return [MeasureRecord(id=r["id"], task_id=r["task"], summary=r["summary"], evidence=r["evidence"],
                          state=r["state"], submitted_by=r["submitted_by"], submitted_at=_instant(r["submitted_at"]),
                          reviewed_by=r["reviewed_by"],
                          reviewed_at=_instant(r["reviewed_at"]) if r["reviewed_at"] else None,
                          review_reason=r["review_reason"]) for r in rows]


async def insert_measure(*, task_id: int, summary: str, evidence: str, submitted_by: str, at: datetime) -> int:
    row = RectificationMeasure(task=task_id, summary=summary, evidence=evidence, submitted_by=submitted_by,
                               submitted_at=at)
    await row.save()
    return int(row.id)


async def review_measure(measure_id: int, *, state: str, by: str, at: datetime, reason: str) -> None:
    await RectificationMeasure.update({RectificationMeasure.state: state, RectificationMeasure.reviewed_by: by,
                                       RectificationMeasure.reviewed_at: at,
                                       RectificationMeasure.review_reason: reason}).where(
        RectificationMeasure.id == measure_id)
