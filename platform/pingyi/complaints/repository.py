"""Infrastructure layer: queries of the complaints context; rows become ComplaintRecord and friends here (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .schemas import ComplaintEventRecord, ComplaintRecord, SubstantiatedComplaint
from .tables import Complaint, ComplaintEvent

_COLUMNS = (Complaint.id, Complaint.tracking_code, Complaint.state, Complaint.severity, Complaint.channel,
            Complaint.summary, Complaint.contact, Complaint.received_on, Complaint.decision_date,
            Complaint.decision_reason, Complaint.investigator, Complaint.public_reply, Complaint.department.code,
            Complaint.department.name, Complaint.similar_to)


def _record(r: dict[str, Any]) -> ComplaintRecord:
    return ComplaintRecord(
        id=r["id"], tracking_code=r["tracking_code"], state=r["state"], severity=r["severity"], channel=r["channel"],
        summary=r["summary"], contact=r["contact"], received_on=r["received_on"], decision_date=r["decision_date"],
        decision_reason=r["decision_reason"], investigator=r["investigator"], public_reply=r["public_reply"],
        department_code=r["department.code"], department_name=r["department.name"],
        similar_to=tuple(r["similar_to"].split()))


@dataclass(frozen=True)
class Search:
    """What the office list asks the database for (the service builds it from core.complaints.ListFilter)."""

    states: frozenset[str] | None = None
    department: str = ""
    channel: str = ""
    received_from: date | None = None
    received_to: date | None = None
    received_until: date | None = None  # the overdue filter: received on or before this day (and open)
    text: str = ""
    code: str = ""  # an exact tracking code (the text looked like one)


def _like(text: str) -> str:
    """A LIKE pattern for `text`; %, _ and the escape character \\ typed by the user become the one-character
    wildcard (a superset of what was meant; PostgreSQL refuses a pattern ending in a lone backslash)."""
    return "%" + text.replace("%", "_").replace("\\", "_") + "%"


def _where(search: Search) -> list[Any]:
    conditions: list[Any] = []
    if search.states is not None:
        conditions.append(Complaint.state.is_in(sorted(search.states)))
    if search.department:
        conditions.append(Complaint.department.code == search.department)
    if search.channel:
        conditions.append(Complaint.channel == search.channel)
    if search.received_from:
        conditions.append(Complaint.received_on >= search.received_from)
    if search.received_to:
        conditions.append(Complaint.received_on <= search.received_to)
    if search.received_until:
        conditions.append(Complaint.received_on <= search.received_until)
    if search.code:
        conditions.append(Complaint.tracking_code == search.code)
    elif search.text:
        pattern = _like(search.text)
        # SQLite's LIKE ignores ASCII case already (Piccolo warns on every ilike there); PostgreSQL needs ILIKE
        sqlite = Complaint._meta.db.engine_type == "sqlite"
        summary = Complaint.summary.like(pattern) if sqlite else Complaint.summary.ilike(pattern)
        reply = Complaint.public_reply.like(pattern) if sqlite else Complaint.public_reply.ilike(pattern)
        conditions.append(summary | Complaint.tracking_code.like(pattern.upper()) | reply)
    return conditions


def _apply(query: Any, conditions: Iterable[Any]) -> Any:
    for condition in conditions:
        query = query.where(condition)
    return query


async def count(search: Search) -> int:
    return int(await _apply(Complaint.count(), _where(search)))


async def page(search: Search, *, oldest_first: bool, limit: int, offset: int) -> list[ComplaintRecord]:
    """Rows of `search` ordered by receipt (oldest first: the earliest due date first), then by id."""
    query = _apply(Complaint.select(*_COLUMNS), _where(search))
    query = query.order_by(Complaint.received_on, ascending=oldest_first).order_by(Complaint.id,
                                                                                 ascending=oldest_first)
    return [_record(r) for r in await query.limit(limit).offset(offset)]


async def by_code(tracking_code: str) -> ComplaintRecord | None:
    row = await Complaint.select(*_COLUMNS).where(Complaint.tracking_code == tracking_code).first()
    return _record(row) if row else None


async def newest_first() -> list[ComplaintRecord]:
    rows = await Complaint.select(*_COLUMNS).order_by(Complaint.received_on, ascending=False)
    return [_record(r) for r in rows]


async def recent_texts(department_id: int, since: date, until: date) -> list[tuple[str, str]]:
    """(tracking code, summary) of the department's complaints received in [since, until] (duplicate check)."""
    rows = await Complaint.select(Complaint.tracking_code, Complaint.summary).where(
        (Complaint.department == department_id) & (Complaint.received_on >= since)
        & (Complaint.received_on <= until))
    return [(r["tracking_code"], r["summary"]) for r in rows]


async def flagged_as_similar_to(tracking_code: str) -> list[str]:
    """Codes of later complaints whose intake flagged `tracking_code` as a likely duplicate."""
    rows = await Complaint.select(Complaint.tracking_code, Complaint.similar_to).where(
        Complaint.similar_to.like(f"%{tracking_code}%")).order_by(Complaint.received_on)
    return [r["tracking_code"] for r in rows if tracking_code in r["similar_to"].split()]


async def reopened_among(complaint_ids: list[int]) -> set[int]:
    """Which of these complaints were ever reopened."""
    if not complaint_ids:
        return set()
    rows = await ComplaintEvent.select(ComplaintEvent.complaint).where(
        (ComplaintEvent.action == "reopen") & ComplaintEvent.complaint.is_in(complaint_ids))
    return {int(r["complaint"]) for r in rows}


async def events(complaint_id: int) -> list[ComplaintEventRecord]:
    """The complaint's whole history, oldest first."""
    rows = await ComplaintEvent.select().where(ComplaintEvent.complaint == complaint_id).order_by(
        ComplaintEvent.at).order_by(ComplaintEvent.id)
    return [ComplaintEventRecord(at=r["at"], actor=r["actor"], action=r["action"], from_state=r["from_state"],
                                 to_state=r["to_state"], reason=r["reason"], public_reply=r["public_reply"],
                                 decision_date=r["decision_date"]) for r in rows]


async def insert(*, tracking_code: str, department_id: int, channel: str, summary: str, contact: str, state: str,
                 received_on: date, actor: str, at: datetime, similar_to: Iterable[str] = ()) -> int:
    """The complaint and its first event (call inside a write transaction)."""
    row = Complaint(tracking_code=tracking_code, department=department_id, channel=channel, summary=summary,
                    contact=contact, state=state, received_on=received_on, similar_to=" ".join(similar_to),
                    created_at=at)
    await row.save()
    await ComplaintEvent(complaint=row.id, actor=actor, action="file", from_state="", to_state=state, at=at).save()
    return int(row.id)


async def update_state(complaint_id: int, values: dict[str, Any]) -> None:
    """`values`: column name → new value (state, decision_date, decision_reason, investigator, severity,
    public_reply)."""
    await Complaint.update({getattr(Complaint, k): v for k, v in values.items()}).where(Complaint.id == complaint_id)


async def add_event(complaint_id: int, *, actor: str, action: str, from_state: str, to_state: str, reason: str,
                    at: datetime, public_reply: str = "", decision_date: date | None = None) -> None:
    await ComplaintEvent(complaint=complaint_id, actor=actor, action=action, from_state=from_state, to_state=to_state,
                         reason=reason, public_reply=public_reply, decision_date=decision_date, at=at).save()


async def substantiated_between(window_from: date | None, window_to: date | None) -> list[SubstantiatedComplaint]:
    """Substantiated complaints decided inside [window_from, window_to] (either end open when None)."""
    query = Complaint.select(Complaint.tracking_code, Complaint.department.code, Complaint.decision_date,
                             Complaint.severity).where(Complaint.state == "substantiated")
    if window_from:
        query = query.where(Complaint.decision_date >= window_from)
    if window_to:
        query = query.where(Complaint.decision_date <= window_to)
    return [SubstantiatedComplaint(tracking_code=r["tracking_code"], department_code=r["department.code"],
                                   decision_date=r["decision_date"], severity=r["severity"]) for r in await query]
