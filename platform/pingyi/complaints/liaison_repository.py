"""Infrastructure layer: a department's complaints for its liaison; the contact column is never selected
(SPEC §5 "Complainant contact details are visible to investigators only")."""

from __future__ import annotations

from typing import Any

import msgspec

from .liaison_schemas import DepartmentComplaint, DepartmentComplaintEvent
from .tables import Complaint, ComplaintEvent

_COLUMNS = (Complaint.tracking_code, Complaint.department.code, Complaint.channel, Complaint.summary, Complaint.state,
            Complaint.severity, Complaint.received_on, Complaint.decision_date, Complaint.decision_reason,
            Complaint.public_reply)


def _record(r: dict[str, Any]) -> DepartmentComplaint:
    return DepartmentComplaint(
        tracking_code=r["tracking_code"], department_code=r["department.code"], channel=r["channel"],
        summary=r["summary"], state=r["state"], severity=r["severity"], received_on=r["received_on"],
        decision_date=r["decision_date"], decision_reason=r["decision_reason"], public_reply=r["public_reply"])


async def of_department(department_code: str) -> list[DepartmentComplaint]:
    """Newest first (by received date, then tracking code for a stable order)."""
    rows = await Complaint.select(*_COLUMNS).where(Complaint.department.code == department_code) \
        .order_by(Complaint.received_on, ascending=False).order_by(Complaint.tracking_code)
    return [_record(r) for r in rows]


async def one_of_department(department_code: str, tracking_code: str) -> DepartmentComplaint | None:
    """The complaint, only if it is against this department (a foreign code finds nothing)."""
    row = await Complaint.select(*_COLUMNS).where(
        (Complaint.department.code == department_code) & (Complaint.tracking_code == tracking_code)).first()
    if row is None:
        return None
    events = await ComplaintEvent.select(ComplaintEvent.at, ComplaintEvent.action, ComplaintEvent.from_state,
                                         ComplaintEvent.to_state, ComplaintEvent.reason) \
        .where(ComplaintEvent.complaint.tracking_code == tracking_code).order_by(ComplaintEvent.id)
    history = tuple(DepartmentComplaintEvent(at=e["at"], action=e["action"], from_state=e["from_state"],
                                             to_state=e["to_state"], reason=e["reason"]) for e in events)
    return msgspec.structs.replace(_record(row), history=history)

