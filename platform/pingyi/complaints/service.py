"""Service layer: complaints — intake, decisions, public status (SPEC §5; the full workflow grows here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import cardcodes
from pingyi.core import complaints as rules
from pingyi.core.accounts import mask_contact as masked
from pingyi.core.errors import InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi.hall.schemas import DepartmentRecord
from pingyi.workcalendar import WorkCalendar

from . import repository
from .schemas import ComplaintStatus, OfficeComplaint, SubstantiatedComplaint

CHANNELS = {"web": "网上", "phone": "电话", "letter": "来信", "visit": "来访"}
MAX_SUMMARY = 4000


async def departments() -> list[DepartmentRecord]:
    """The departments a complaint can name (active ones, in display order)."""
    return await hall.departments(active_only=True)


async def file_complaint(department_code: str, summary: str, *, channel: str = "web", contact: str = "",
                         received_on: date | str | None = None, actor: str = "public") -> str:
    """Take a complaint from the web form or from office entry; return its tracking code.

    `received_on`: the day it came in (phone, letter, visit may be earlier than today); empty → today in the
    office's time zone; a future day is refused."""
    received_on = rules.entered_date(received_on, clock.today(), "受理日期")
    summary = summary.strip()
    if not summary:
        raise InvalidInput("请填写投诉内容。")
    if len(summary) > MAX_SUMMARY:
        raise InvalidInput(f"投诉内容不超过 {MAX_SUMMARY} 字。")
    if len(contact) > 200:
        raise InvalidInput("联系方式不超过 200 字。")
    if channel not in CHANNELS:
        raise InvalidInput(f"受理渠道必须是 {', '.join(CHANNELS)} 之一。")
    dept = await hall.department_by_code(department_code)
    if dept is None or not dept.active:
        raise InvalidInput("请选择被投诉的部门。")
    code = cardcodes.mint_tracking_code()
    async with write_transaction():
        await repository.insert(tracking_code=code, department_id=dept.id, channel=channel, summary=summary,
                                contact=contact.strip(), state=rules.RECEIVED, received_on=received_on, actor=actor)
        if actor != "public":
            await audit.append(actor, "complaint.file", f"complaint:{code}",
                               {"channel": channel, "department": department_code,
                                "received_on": received_on.isoformat()})
    return code


async def act(tracking_code: str, action: str, *, actor: str, reason: str | None = None,
              severity: str | None = None, decided_on: date | str | None = None,
              public_reply: str | None = None) -> str:
    """Apply one state-machine action (investigate, substantiate, unsubstantiate, withdraw, reopen); audited.

    `decided_on`: the decision date the investigator entered (a decision reached on paper may be entered later);
    empty → today in the office's time zone; a future day is refused."""
    decided_on = rules.entered_date(decided_on, clock.today(), "认定日期")
    code = cardcodes.normalize_tracking_code(tracking_code)
    async with write_transaction():
        row = await repository.by_code(code)
        if row is None:
            raise NotFound("投诉编号不存在。")
        new_state = rules.transition(row.state, action, actor=actor, reason=reason, severity=severity)
        values: dict[str, Any] = {"state": new_state}
        if new_state in rules.DECIDED_STATES:
            values.update({"decision_date": decided_on, "decision_reason": reason or "", "investigator": actor,
                           "severity": severity if new_state == rules.SUBSTANTIATED else None})
        elif action == rules.REOPEN:
            values.update({"decision_date": None, "severity": None})
        if public_reply is not None:
            values["public_reply"] = public_reply.strip()
        await repository.update_state(row.id, values)
        await repository.add_event(row.id, actor=actor, action=action, from_state=row.state, to_state=new_state,
                                   reason=reason or "")
        await audit.append(actor, f"complaint.{action}", f"complaint:{code}",
                           {"from": row.state, "to": new_state, "severity": severity, "reason": reason or "",
                            "decision_date": decided_on.isoformat() if new_state in rules.DECIDED_STATES else None},
                           in_transaction=True)
    return new_state


async def public_status(tracking_code: str) -> ComplaintStatus:
    """What the public sees: state and public reply only (never contact details or internal reasons)."""
    row = await repository.by_code(cardcodes.normalize_tracking_code(tracking_code))
    if row is None:
        raise NotFound("未找到该投诉编号，请核对后重试。")
    return ComplaintStatus(tracking_code=row.tracking_code, state=row.state, state_label=rules.STATE_LABELS[row.state],
                           department=row.department_name, received_on=row.received_on.isoformat(),
                           public_reply=row.public_reply)


async def office_list(*, include_contact: bool, today: date, calendar: WorkCalendar,
                      mask_contact: bool = False) -> list[OfficeComplaint]:
    """Every complaint, newest first, with its due date and overdue flag on the working-day calendar.

    Contact details: in full for investigators, masked for the admin, absent otherwise (SPEC §5)."""
    return [OfficeComplaint(
        tracking_code=r.tracking_code, state=r.state, severity=r.severity, channel=r.channel, summary=r.summary,
        contact=(masked(r.contact) if mask_contact else r.contact) if include_contact else None,
        received_on=r.received_on, decision_date=r.decision_date,
        decision_reason=r.decision_reason, investigator=r.investigator, department_code=r.department_code,
        department_name=r.department_name,
        due_on=calendar.due_date(r.received_on) if r.state in rules.OPEN_STATES else None,
        overdue=calendar.is_overdue(r.received_on, today, r.state),
        actions=tuple(rules.allowed_actions(r.state))) for r in await repository.newest_first()]


async def substantiated_between(window_from: date | None, window_to: date | None) -> list[SubstantiatedComplaint]:
    """Scoring input for the annual evaluation and the monthly assessment (SPEC §2, §4)."""
    return await repository.substantiated_between(window_from, window_to)
