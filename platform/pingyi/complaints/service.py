"""Service layer: complaints — intake, decisions, public status (SPEC §5; the full workflow grows here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pingyi.accounts import audit
from pingyi.core import cardcodes
from pingyi.core.accounts import mask_contact as masked
from pingyi.core import complaints as rules
from pingyi.core.errors import InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.windows.tables import Department

from .tables import Complaint, ComplaintEvent

CHANNELS = {"web": "网上", "phone": "电话", "letter": "来信", "visit": "来访"}
MAX_SUMMARY = 4000


async def departments() -> list[dict[str, Any]]:
    """The departments a complaint can name (active ones, in display order)."""
    return await Department.select(Department.code, Department.name).where(Department.active == True)\
        .order_by(Department.sort_order)  # noqa: E712


async def file_complaint(department_code: str, summary: str, *, channel: str = "web", contact: str = "",
                         received_on: date, actor: str = "public") -> str:
    """Take a complaint from the web form or from office entry; return its tracking code."""
    summary = summary.strip()
    if not summary:
        raise InvalidInput("请填写投诉内容。")
    if len(summary) > MAX_SUMMARY:
        raise InvalidInput(f"投诉内容不超过 {MAX_SUMMARY} 字。")
    if len(contact) > 200:
        raise InvalidInput("联系方式不超过 200 字。")
    if channel not in CHANNELS:
        raise InvalidInput(f"受理渠道必须是 {', '.join(CHANNELS)} 之一。")
    dept = await Department.select(Department.id).where(Department.code == department_code).first()
    if dept is None:
        raise InvalidInput("请选择被投诉的部门。")
    code = cardcodes.mint_tracking_code()
    async with write_transaction():
        row = Complaint(tracking_code=code, department=dept["id"], channel=channel, summary=summary,
                        contact=contact.strip(), state=rules.RECEIVED, received_on=received_on)
        await row.save()
        await ComplaintEvent(complaint=row.id, actor=actor, action="file", from_state="", to_state=rules.RECEIVED).save()
        if actor != "public":
            await audit.append(actor, "complaint.file", f"complaint:{code}", {"channel": channel,
                                                                              "department": department_code})
    return code


async def act(tracking_code: str, action: str, *, actor: str, reason: str | None = None,
              severity: str | None = None, decided_on: date, public_reply: str | None = None) -> str:
    """Apply one state-machine action (investigate, substantiate, unsubstantiate, withdraw, reopen); audited."""
    code = cardcodes.normalize_tracking_code(tracking_code)
    async with write_transaction():
        row = await Complaint.select().where(Complaint.tracking_code == code).first()
        if row is None:
            raise NotFound("投诉编号不存在。")
        new_state = rules.transition(row["state"], action, actor=actor, reason=reason, severity=severity)
        values: dict[Any, Any] = {Complaint.state: new_state}
        if new_state in rules.DECIDED_STATES:
            values.update({Complaint.decision_date: decided_on, Complaint.decision_reason: reason or "",
                           Complaint.investigator: actor,
                           Complaint.severity: severity if new_state == rules.SUBSTANTIATED else None})
        elif action == rules.REOPEN:
            values.update({Complaint.decision_date: None, Complaint.severity: None})
        if public_reply is not None:
            values[Complaint.public_reply] = public_reply.strip()
        await Complaint.update(values).where(Complaint.id == row["id"])
        await ComplaintEvent(complaint=row["id"], actor=actor, action=action, from_state=row["state"],
                             to_state=new_state, reason=reason or "").save()
        await audit.append(actor, f"complaint.{action}", f"complaint:{code}",
                           {"from": row["state"], "to": new_state, "severity": severity, "reason": reason or ""},
                           in_transaction=True)
    return new_state


async def public_status(tracking_code: str) -> dict[str, Any]:
    """What the public sees: state and public reply only (never contact details or internal reasons)."""
    code = cardcodes.normalize_tracking_code(tracking_code)
    row = await Complaint.select(Complaint.tracking_code, Complaint.state, Complaint.public_reply,
                                 Complaint.received_on, Complaint.department.name) \
        .where(Complaint.tracking_code == code).first()
    if row is None:
        raise NotFound("未找到该投诉编号，请核对后重试。")
    return {"tracking_code": row["tracking_code"], "state": row["state"],
            "state_label": rules.STATE_LABELS[row["state"]], "department": row["department.name"],
            "received_on": row["received_on"].isoformat(), "public_reply": row["public_reply"]}


async def office_list(*, include_contact: bool, today: date, mask_contact: bool = False) -> list[dict[str, Any]]:
    """The office's list. Contact details: in full for investigators, masked for the admin (SPEC §5)."""
    cols = [Complaint.tracking_code, Complaint.state, Complaint.severity, Complaint.channel, Complaint.summary,
            Complaint.received_on, Complaint.decision_date, Complaint.decision_reason, Complaint.investigator,
            Complaint.department.code, Complaint.department.name]
    if include_contact:
        cols.append(Complaint.contact)
    rows = await Complaint.select(*cols).order_by(Complaint.received_on, ascending=False)
    for r in rows:
        if include_contact and mask_contact:
            r["contact"] = masked(r["contact"])
        r["overdue"] = rules.is_overdue(r["received_on"], today, r["state"])
        r["actions"] = rules.allowed_actions(r["state"])
    return rows
