"""Service layer: complaints — intake (limits, likely duplicates), decisions with public replies, the public status
and its steps, the office list (filters, search, pages) and a complaint's history (SPEC §5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import cardcodes
from pingyi.core import complaints as rules
from pingyi.core.errors import InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi.hall.schemas import DepartmentRecord
from pingyi.workcalendar import WorkCalendar

from . import repository
from .schemas import (
    ComplaintRecord,
    ComplaintStatus,
    OfficeComplaint,
    OfficeDetail,
    OfficePage,
    PublicStep,
    SubstantiatedComplaint,
)

CHANNELS = {"web": "网上", "phone": "电话", "letter": "来信", "visit": "来访"}
MAX_SUMMARY = 4000
MAX_CONTACT = 200


async def departments() -> list[DepartmentRecord]:
    """The departments a complaint can name (active ones, in display order)."""
    return await hall.departments(active_only=True)


async def file_complaint(department_code: str, summary: str, *, channel: str = "web", contact: str = "",
                         received_on: date | str | None = None, actor: str = "public",
                         duplicate_days: int = rules.DUPLICATE_DAYS) -> str:
    """Take a complaint from the web form or from office entry; return its tracking code.

    `received_on`: the day it came in (phone, letter, visit may be earlier than today); empty → today in the
    office's time zone; a future day is refused. Complaints against the same department received in the
    `duplicate_days` before (and on) that day with a similar text are recorded as likely duplicates."""
    received_on = rules.entered_date(received_on, clock.today(), "受理日期")
    summary = summary.strip()
    if not summary:
        raise InvalidInput("请填写投诉内容。")
    if len(summary) > MAX_SUMMARY:
        raise InvalidInput(f"投诉内容不超过 {MAX_SUMMARY} 字（现为 {len(summary)} 字），请精简后重新提交。")
    if len(contact) > MAX_CONTACT:
        raise InvalidInput(f"联系方式不超过 {MAX_CONTACT} 字。")
    if channel not in CHANNELS:
        raise InvalidInput(f"受理渠道必须是 {', '.join(CHANNELS)} 之一。")
    dept = await hall.department_by_code(department_code)
    if dept is None or not dept.active:
        raise InvalidInput("请选择被投诉的部门。")
    code = cardcodes.mint_tracking_code()
    async with write_transaction():
        earlier = await repository.recent_texts(dept.id, received_on - timedelta(days=duplicate_days), received_on)
        similar = rules.likely_duplicates(summary, earlier)
        await repository.insert(tracking_code=code, department_id=dept.id, channel=channel, summary=summary,
                                contact=contact.strip(), state=rules.RECEIVED, received_on=received_on, actor=actor,
                                at=clock.now(), similar_to=similar)
        if actor != "public":
            await audit.append(actor, "complaint.file", f"complaint:{code}",
                               {"channel": channel, "department": department_code,
                                "received_on": received_on.isoformat(), "similar_to": similar})
    return code


def default_reply(action: str, department_name: str) -> str:
    """The public reply the form offers for `action` ("" when the action has none)."""
    return rules.DEFAULT_PUBLIC_REPLIES.get(action, "").format(department=department_name)


async def act(tracking_code: str, action: str, *, actor: str, reason: str | None = None,
              severity: str | None = None, decided_on: date | str | None = None,
              public_reply: str | None = None) -> str:
    """Apply one state-machine action (investigate, substantiate, unsubstantiate, withdraw, reopen); audited.

    `decided_on`: the decision date the investigator entered (a decision reached on paper may be entered later);
    empty → today in the office's time zone; a future day is refused. `public_reply`: what the public tracking page
    shows with this step; None on a decision or a withdrawal takes the default reply (default_reply), blank on a
    decision is refused. A reopening clears the current reply (the earlier decision's stays in the steps)."""
    decided_on = rules.entered_date(decided_on, clock.today(), "认定日期")
    code = cardcodes.normalize_tracking_code(tracking_code)
    async with write_transaction():
        row = await repository.by_code(code)
        if row is None:
            raise NotFound("投诉编号不存在。")
        new_state = rules.transition(row.state, action, actor=actor, reason=reason, severity=severity,
                                     public_reply=public_reply)
        reply = (public_reply if public_reply is not None else default_reply(action, row.department_name)).strip()
        decided = new_state in rules.DECIDED_STATES
        values: dict[str, Any] = {"state": new_state}
        if decided:
            values.update({"decision_date": decided_on, "decision_reason": reason or "", "investigator": actor,
                           "severity": severity if new_state == rules.SUBSTANTIATED else None})
        elif action == rules.REOPEN:
            values.update({"decision_date": None, "severity": None})
        if decided or action in (rules.WITHDRAW, rules.REOPEN) or public_reply is not None:
            values["public_reply"] = reply
        await repository.update_state(row.id, values)
        await repository.add_event(row.id, actor=actor, action=action, from_state=row.state, to_state=new_state,
                                   reason=reason or "", at=clock.now(), public_reply=reply,
                                   decision_date=decided_on if decided else None)
        await audit.append(actor, f"complaint.{action}", f"complaint:{code}",
                           {"from": row.state, "to": new_state, "severity": severity, "reason": reason or "",
                            "decision_date": decided_on.isoformat() if decided else None, "public_reply": reply},
                           in_transaction=True)
    return new_state


def _local_day(at: datetime) -> date:
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(clock.current().zone).date()


async def public_status(tracking_code: str) -> ComplaintStatus:
    """What the public sees: state, public reply and the public steps (never contact details, the complaint's
    text, who handled it, or internal reasons)."""
    row = await repository.by_code(cardcodes.normalize_tracking_code(tracking_code))
    if row is None:
        raise NotFound("未找到该投诉编号，请核对后重试。")
    steps = []
    for e in await repository.events(row.id):
        on = row.received_on if e.action == "file" else (e.decision_date or _local_day(e.at))
        steps.append(PublicStep(on=on.isoformat(), action=e.action,
                                label=rules.PUBLIC_EVENT_LABELS.get(e.action, e.action), public_reply=e.public_reply))
    return ComplaintStatus(tracking_code=row.tracking_code, state=row.state, state_label=rules.STATE_LABELS[row.state],
                           department=row.department_name, received_on=row.received_on.isoformat(),
                           public_reply=row.public_reply,
                           decision_date=row.decision_date.isoformat() if row.decision_date else None,
                           reopened=any(s.action == rules.REOPEN for s in steps), steps=steps)


def _office_row(r: ComplaintRecord, *, show_contact: bool, today: date, calendar: WorkCalendar,
                working_days: int, reopened: bool = False) -> OfficeComplaint:
    return OfficeComplaint(
        tracking_code=r.tracking_code, state=r.state, severity=r.severity, channel=r.channel, summary=r.summary,
        contact=r.contact if show_contact else None, received_on=r.received_on, decision_date=r.decision_date,
        decision_reason=r.decision_reason, investigator=r.investigator, department_code=r.department_code,
        department_name=r.department_name,
        due_on=calendar.due_date(r.received_on, working_days) if r.state in rules.OPEN_STATES else None,
        overdue=calendar.is_overdue(r.received_on, today, r.state, working_days),
        actions=tuple(rules.allowed_actions(r.state)), public_reply=r.public_reply, similar_to=r.similar_to,
        reopened=reopened)


def _search(f: rules.ListFilter, today: date, calendar: WorkCalendar, working_days: int) -> repository.Search:
    code = ""
    if f.q:
        try:
            code = cardcodes.normalize_tracking_code(f.q)
        except InvalidInput:
            code = ""
    states = f.states()
    until = None
    if f.overdue:
        states = (states or rules.OPEN_STATES) & rules.OPEN_STATES
        until = calendar.overdue_cutoff(today, working_days)
    return repository.Search(states=states, department=f.department, channel=f.channel,
                             received_from=f.received_from, received_to=f.received_to, received_until=until,
                             text=f.q, code=code)


async def office_page(f: rules.ListFilter, *, show_contact: bool, today: date, calendar: WorkCalendar,
                      working_days: int = rules.DEFAULT_WORKING_DAYS,
                      page_size: int = rules.PAGE_SIZE) -> OfficePage:
    """One page of the office list for filter `f`.

    Sort "due" (the investigator's queue): open complaints first, earliest due date first (a due date never moves
    earlier for a later receipt, so this is receipt order), then the closed ones newest first. Sort "newest":
    everything newest first. Contact details only with `show_contact` (investigators, SPEC §5)."""
    search = _search(f, today, calendar, working_days)
    total = await repository.count(search)
    pages = max(1, -(-total // page_size))
    offset = (min(f.page, pages) - 1) * page_size
    rows: list[ComplaintRecord] = []
    if f.sort == "newest":
        rows = await repository.page(search, oldest_first=False, limit=page_size, offset=offset)
    else:
        open_states = (search.states or frozenset(rules.STATE_LABELS)) & rules.OPEN_STATES
        closed_states = (search.states or frozenset(rules.STATE_LABELS)) - rules.OPEN_STATES
        open_search = replace(search, states=open_states)
        open_total = await repository.count(open_search) if open_states else 0
        if offset < open_total:
            rows = await repository.page(open_search, oldest_first=True, limit=page_size, offset=offset)
        if len(rows) < page_size and closed_states:
            closed_search = replace(search, states=closed_states)
            rows += await repository.page(closed_search, oldest_first=False, limit=page_size - len(rows),
                                          offset=max(0, offset - open_total))
    reopened = await repository.reopened_among([r.id for r in rows])
    items = [_office_row(r, show_contact=show_contact, today=today, calendar=calendar, working_days=working_days,
                         reopened=r.id in reopened) for r in rows]
    return OfficePage(items=items, total=total, page=min(f.page, pages), pages=pages)


async def office_list(*, include_contact: bool, today: date, calendar: WorkCalendar,
                      working_days: int = rules.DEFAULT_WORKING_DAYS) -> list[OfficeComplaint]:
    """Every complaint, newest first (the command line's list)."""
    return [_office_row(r, show_contact=include_contact, today=today, calendar=calendar, working_days=working_days)
            for r in await repository.newest_first()]


async def office_detail(tracking_code: str, *, show_contact: bool, today: date, calendar: WorkCalendar,
                        working_days: int = rules.DEFAULT_WORKING_DAYS) -> OfficeDetail:
    """A complaint's own page: the row and its whole history (who did what when, and why)."""
    row = await repository.by_code(cardcodes.normalize_tracking_code(tracking_code))
    if row is None:
        raise NotFound("投诉编号不存在。")
    events = await repository.events(row.id)
    return OfficeDetail(
        complaint=_office_row(row, show_contact=show_contact, today=today, calendar=calendar,
                              working_days=working_days, reopened=any(e.action == rules.REOPEN for e in events)),
        events=events,
        similar_later=tuple(await repository.flagged_as_similar_to(row.tracking_code)))


async def substantiated_between(window_from: date | None, window_to: date | None) -> list[SubstantiatedComplaint]:
    """Scoring input for the annual evaluation and the monthly assessment (SPEC §2, §4)."""
    return await repository.substantiated_between(window_from, window_to)
