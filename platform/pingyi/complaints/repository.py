"""Infrastructure layer: queries of the complaints context; rows become ComplaintRecord and friends here (SPEC §5)."""

from __future__ import annotations

from datetime import date
from typing import Any

from .schemas import ComplaintRecord, SubstantiatedComplaint
from .tables import Complaint, ComplaintEvent

_COLUMNS = (Complaint.id, Complaint.tracking_code, Complaint.state, Complaint.severity, Complaint.channel,
            Complaint.summary, Complaint.contact, Complaint.received_on, Complaint.decision_date,
            Complaint.decision_reason, Complaint.investigator, Complaint.public_reply, Complaint.department.code,
            Complaint.department.name)


def _record(r: dict[str, Any]) -> ComplaintRecord:
    return ComplaintRecord(
        id=r["id"], tracking_code=r["tracking_code"], state=r["state"], severity=r["severity"], channel=r["channel"],
        summary=r["summary"], contact=r["contact"], received_on=r["received_on"], decision_date=r["decision_date"],
        decision_reason=r["decision_reason"], investigator=r["investigator"], public_reply=r["public_reply"],
        department_code=r["department.code"], department_name=r["department.name"])


async def by_code(tracking_code: str) -> ComplaintRecord | None:
    row = await Complaint.select(*_COLUMNS).where(Complaint.tracking_code == tracking_code).first()
    return _record(row) if row else None


async def newest_first() -> list[ComplaintRecord]:
    rows = await Complaint.select(*_COLUMNS).order_by(Complaint.received_on, ascending=False)
    return [_record(r) for r in rows]


async def insert(*, tracking_code: str, department_id: int, channel: str, summary: str, contact: str, state: str,
                 received_on: date, actor: str) -> int:
    """The complaint and its first event (call inside a write transaction)."""
    row = Complaint(tracking_code=tracking_code, department=department_id, channel=channel, summary=summary,
                    contact=contact, state=state, received_on=received_on)
    await row.save()
    await ComplaintEvent(complaint=row.id, actor=actor, action="file", from_state="", to_state=state).save()
    return int(row.id)


async def update_state(complaint_id: int, values: dict[str, Any]) -> None:
    """`values`: column name → new value (state, decision_date, decision_reason, investigator, severity,
    public_reply)."""
    await Complaint.update({getattr(Complaint, k): v for k, v in values.items()}).where(Complaint.id == complaint_id)


async def add_event(complaint_id: int, *, actor: str, action: str, from_state: str, to_state: str, reason: str) -> None:
    await ComplaintEvent(complaint=complaint_id, actor=actor, action=action, from_state=from_state, to_state=to_state,
                         reason=reason).save()


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
