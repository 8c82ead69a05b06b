"""Service layer: 差评 answered by departments (SPEC §4) and rectification tasks (SPEC §2, §4); issue 10.

Who acts: a department liaison answers its own department's 差评 and submits its own tasks' measures; the office
(admin, inspector) accepts or returns, records the call-back (回访) and creates tasks by hand. A liaison asking for
another department's item gets the same 404 as for an item that does not exist. Every action is audited in its
transaction. Rules are pure, in core/followup.py; deadlines count working days on pingyi/workcalendar.py.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pingyi import clock
from pingyi.assessment import monthclose
from pingyi.audit import service as audit
from pingyi.core import assessment as month_rules
from pingyi.core import followup as rules
from pingyi.core.errors import Forbidden, InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi.ratings import web_repository
from pingyi.settings import FollowupSettings, Settings
from pingyi.workcalendar import WorkCalendar, for_surveys

from . import repository
from .schemas import BadItem, MeasureRecord, MonthFigureRow, Outcome, PublicTask, PublicTracker, QueueItem, TaskRecord

OFFICE_ROLES = frozenset({"admin", "inspector"})  # who reviews answers and tasks and sees call-back contacts
MONTHS_SHOWN = 6


@dataclass(frozen=True)
class Policy:
    """The deadlines in force: the working-day calendar and the settings' numbers of working days."""

    calendar: WorkCalendar
    days: FollowupSettings

    def due(self, start: date, working_days: int) -> date:
        return rules.due_date(start, working_days, self.calendar.holidays, self.calendar.workdays)


def policy_for(settings: Settings) -> Policy:
    return Policy(for_surveys(settings.surveys_dir), settings.followup)


# ------------------------------------------------------------------------------------------------- viewers

def _side(user: dict[str, Any]) -> str:
    """"liaison" or "office" (admin, inspector); anyone else may not touch the loop."""
    if user.get("role") == "liaison":
        return "liaison"
    if user.get("role") in OFFICE_ROLES:
        return "office"
    raise Forbidden("您没有权限查看差评答复与整改任务。")


def _own_department(user: dict[str, Any]) -> int | None:
    """The department a liaison is limited to; None for the office (every department)."""
    if _side(user) == "office":
        return None
    if user.get("department_id") is None:
        raise Forbidden("该联络员账号未关联部门，请联系办公室。")
    return int(user["department_id"])


def _visible(user: dict[str, Any], department_id: int, what: str) -> None:
    own = _own_department(user)
    if own is not None and own != department_id:
        raise NotFound(f"{what}不存在。")  # the same answer as for an id that does not exist


def _actor(user: dict[str, Any]) -> str:
    return str(user.get("username") or "?")


# -------------------------------------------------------------------------------------------- the queue

def local_date(at: datetime) -> date:
    return at.astimezone(clock.current().zone).date()


def _first_due(item: BadItem, policy: Policy) -> date:
    return item.first_due_on or policy.due(local_date(item.occurred_at), policy.days.answer_working_days)


def _queue_item(item: BadItem, policy: Policy, today: date, details: dict[int, Any], *, office: bool) -> QueueItem:
    due = item.due_on or _first_due(item, policy)
    d = details.get(item.rating_id)
    return QueueItem(item=item, local_date=local_date(item.occurred_at), due_on=due,
                     overdue=rules.answer_overdue(item.state, due, today),
                     tags=d.tags if d else (), text=d.text if d else "", has_contact=bool(d and d.contact),
                     contact=(d.contact or None) if (d and office) else None)


async def _department_id(code: str | None) -> int | None:
    if not code:
        return None
    dept = await hall.department_by_code(code)
    if dept is None:
        raise NotFound(f"部门 {code} 不存在。")
    return dept.id


def _month(month: str | None) -> str:
    if not month:
        return month_rules.month_of(clock.today())
    try:
        month_rules.month_first_days(month)
    except (ValueError, InvalidInput):
        raise InvalidInput("月份格式应为 YYYY-MM（例如 2026-11）。") from None
    return month


async def queue(user: dict[str, Any], policy: Policy, *, month: str | None = None,
                department_code: str | None = None) -> dict[str, Any]:
    """One month's counted 差评 of the viewer's department (a liaison) or of any or one department (the office),
    owed answers first by due date, and the figures of the last months."""
    month = _month(month)
    own = _own_department(user)
    office = own is None
    dept_id = own if not office else await _department_id(department_code)
    start, end = monthclose.bounds(month)
    found = await repository.items(start=start, end=end, department_id=dept_id)
    details = await web_repository.details([i.rating_id for i in found if i.channel == "web"])
    today = clock.today()
    rows = [_queue_item(i, policy, today, details, office=office) for i in found]
    owed = {rules.PENDING: 0, rules.RETURNED: 0, rules.SUBMITTED: 1, rules.ACCEPTED: 2}
    rows.sort(key=lambda q: (owed[q.item.state], q.due_on, q.item.rating_id))
    months = [month]
    while len(months) < MONTHS_SHOWN:
        months.append(month_rules.previous_month(months[-1]))
    return {"month": month, "items": rows, "figures": await figures(months, policy, department_id=dept_id),
            "department_code": department_code if office else None, "office": office, "today": today}


async def item(user: dict[str, Any], rating_id: int, policy: Policy) -> QueueItem:
    found = await repository.item(rating_id)
    if found is None:
        raise NotFound("该差评不存在，或已被作废、不计入考核。")
    _visible(user, found.department_id, "该差评")
    details = await web_repository.details([rating_id]) if found.channel == "web" else {}
    return _queue_item(found, policy, clock.today(), details, office=_side(user) == "office")


async def answer(user: dict[str, Any], rating_id: int, policy: Policy, *, finding: str, cause: str, outcome: str,
                 measure: str, fix_due: str | date | None = None) -> str:
    """The department answers (or, after a return, answers again) a counted 差评 of its own. Audited."""
    if _side(user) != "liaison":
        rules.answer_transition(rules.PENDING, rules.ANSWER, by="office")  # raises: the department answers
    today = clock.today()
    given = rules.answer_input(finding=finding, cause=cause, outcome=outcome, measure=measure, fix_due=fix_due,
                               today=today)
    async with write_transaction():
        found = await repository.item(rating_id)
        if found is None:
            raise NotFound("该差评不存在，或已被作废、不计入考核。")
        _visible(user, found.department_id, "该差评")
        new_state = rules.answer_transition(found.state, rules.ANSWER, by="liaison")
        values: dict[str, Any] = {"state": new_state, "finding": given.finding, "cause": given.cause,
                                  "outcome": given.outcome, "measure": given.measure, "fix_due": given.fix_due,
                                  "answered_by": _actor(user), "answered_at": clock.now()}
        if found.state == rules.PENDING:
            first_due = _first_due(found, policy)
            await repository.insert_answer(rating_id=rating_id, department_id=found.department_id, values={
                **values, "first_due_on": first_due, "due_on": first_due, "first_answered_on": today})
        else:
            await repository.update_answer(rating_id, values)
        await audit.append(_actor(user), "badrating.answer", f"rating:{rating_id}",
                           {"from": found.state, "to": new_state, "outcome": given.outcome,
                            "fix_due": given.fix_due.isoformat() if given.fix_due else None}, in_transaction=True)
    return new_state


async def review(user: dict[str, Any], rating_id: int, action: str, policy: Policy, *, reason: str = "") -> str:
    """The office accepts or returns (with a reason) a department's answer. A return gives the department a new
    deadline of N working days from today. Audited."""
    by = _side(user)
    reason = rules.review_reason(reason)
    async with write_transaction():
        found = await repository.item(rating_id)
        if found is None:
            raise NotFound("该差评不存在，或已被作废、不计入考核。")
        _visible(user, found.department_id, "该差评")
        new_state = rules.answer_transition(found.state, action, by=by, reason=reason)
        values: dict[str, Any] = {"state": new_state, "reviewed_by": _actor(user), "reviewed_at": clock.now(),
                                  "review_reason": reason}
        if new_state == rules.RETURNED:
            values["due_on"] = policy.due(clock.today(), policy.days.answer_working_days)
        await repository.update_answer(rating_id, values)
        await audit.append(_actor(user), f"badrating.{action}", f"rating:{rating_id}",
                           {"from": found.state, "to": new_state, "reason": reason}, in_transaction=True)
    return new_state


async def record_callback(user: dict[str, Any], rating_id: int, *, outcome: str, note: str) -> None:
    """The office records the call-back (回访) of a web 差评 whose citizen left a contact, once answered. Audited;
    the contact itself is in no audit entry."""
    if _side(user) != "office":
        raise Forbidden("回访由办公室（督查人员）进行并记录，部门联络员看不到群众联系方式。")
    outcome, note = rules.callback_input(outcome, note)
    async with write_transaction():
        found = await repository.item(rating_id)
        if found is None:
            raise NotFound("该差评不存在，或已被作废、不计入考核。")
        details = await web_repository.details([rating_id]) if found.channel == "web" else {}
        if not (rating_id in details and details[rating_id].contact):
            raise InvalidInput("该差评没有留下联系方式，无法记录回访。")
        if found.state == rules.PENDING:
            raise InvalidInput("部门答复后才能回访（回访核实整改结果）。")
        await repository.update_answer(rating_id, {"callback_outcome": outcome, "callback_note": note,
                                                   "callback_by": _actor(user), "callback_at": clock.now()})
        await audit.append(_actor(user), "badrating.callback", f"rating:{rating_id}",
                           {"outcome": outcome, "note": note}, in_transaction=True)


async def figures(months: list[str], policy: Policy, *, department_id: int | None = None) -> list[MonthFigureRow]:
    """Per department and month (newest month first): counted 差评, answered, on time, accepted, overdue now."""
    facts: list[rules.AnswerFact] = []
    names: dict[str, str] = {}
    for month in months:
        start, end = monthclose.bounds(month)
        for i in await repository.items(start=start, end=end, department_id=department_id):
            names[i.department_code] = i.department_name
            facts.append(rules.AnswerFact(i.department_code, month, i.state, i.first_answered_on,
                                          _first_due(i, policy)))
    order = {m: n for n, m in enumerate(months)}
    rows = sorted(rules.month_figures(facts, clock.today()), key=lambda f: (order[f.month], f.department_code))
    out = []
    for f in rows:
        shares = f.shares()
        out.append(MonthFigureRow(department_code=f.department_code, department_name=names[f.department_code],
                                  month=f.month, bad=f.bad, answered=f.answered, on_time=f.on_time,
                                  accepted=f.accepted, overdue=f.overdue, answered_share=shares["answered"],
                                  on_time_share=shares["on_time"], accepted_share=shares["accepted"]))
    return out


async def month_panel(month: str, policy: Policy) -> dict[str, Any]:
    """The public monthly page's section: every department's 差评 answers of `month` (counts and shares only)."""
    return {"month": month, "figures": await figures([month], policy)}


async def department_summary(department_id: int, policy: Policy, *, months: int = 3) -> dict[str, int]:
    """What a department owes, for its portal page (publication/ may read it): 差评 of the last `months` months
    still to answer (pending or returned) and how many of those are overdue; rectification tasks still owing
    measures and how many of those are overdue."""
    today = clock.today()
    month = month_rules.month_of(today)
    start = monthclose.bounds(month)[0]
    for _ in range(months - 1):
        month = month_rules.previous_month(month)
        start = monthclose.bounds(month)[0]
    end = monthclose.bounds(month_rules.month_of(today))[1]
    owed = [_queue_item(i, policy, today, {}, office=False)
            for i in await repository.items(start=start, end=end, department_id=department_id)
            if i.state in (rules.PENDING, rules.RETURNED)]
    tasks_owed = [t for t in await repository.tasks(department_id) if t.state in (rules.OPEN, rules.RETURNED)]
    return {"answers_owed": len(owed), "answers_overdue": sum(q.overdue for q in owed),
            "tasks_owed": len(tasks_owed),
            "tasks_overdue": sum(rules.task_overdue(t.state, t.deadline, today) for t in tasks_owed)}


# ------------------------------------------------------------------------------------ rectification tasks

OutcomeSource = Callable[[], Awaitable[list[Outcome]]]
_SOURCES: list[OutcomeSource] | None = None  # None until bound: a sync without them would miss the annual tasks


def use_outcome_sources(*sources: OutcomeSource) -> None:
    """Bind the published results that call for tasks beyond the monthly ones this context reads itself (the
    annual results live in publication/, which this context may not import): create_app() and the `pingyi`
    command bind them, like the clock and the engine."""
    global _SOURCES
    _SOURCES = list(sources)


async def monthly_outcomes() -> list[Outcome]:
    """Every last place (较差窗口单位) of every published month, from the published snapshot."""
    found: list[Outcome] = []
    for month in await monthclose.published_months():
        payload = await monthclose.published_payload(month)
        if payload is None:
            continue
        published_on = local_date(datetime.fromisoformat(payload["published_at"]))
        for r in payload["result"]["rows"]:
            if r.get("award") == "poor":
                parts = [f"总分 {r['published_total']}", f"第 {r['rank']} 名", str(r.get("ladder_label") or "")]
                found.append(Outcome(source=rules.MONTHLY, period=month, department_code=r["code"],
                                     published_on=published_on, detail="，".join(p for p in parts if p)))
    return found


def _reason(o: Outcome) -> str:
    if o.source == rules.ANNUAL:
        return f"{o.period} 年度外来投资企业民主评议结果为“不满意”（{o.detail}），责成限期整改。"
    return f"{o.period} 月度窗口单位考核为较差窗口单位（{o.detail}），责成限期整改。"


async def sync_tasks(outcomes: list[Outcome], policy: Policy, *, actor: str = "system") -> list[str]:
    """Create the missing task of each outcome (idempotent: the unique source key; the check is repeated inside
    the write transaction); returns the keys created. Audited, one entry per task."""
    keys = {rules.source_key(o.source, o.period, o.department_code): o for o in outcomes}
    missing = sorted(set(keys) - await repository.existing_keys(sorted(keys)))
    if not missing:
        return []
    created: list[str] = []
    async with write_transaction():
        await repository.lock_sync()
        for key in sorted(set(missing) - await repository.existing_keys(missing)):
            o = keys[key]
            dept = await hall.department_by_code(o.department_code)
            if dept is None:
                continue
            days = policy.days.annual_working_days if o.source == rules.ANNUAL else policy.days.monthly_working_days
            deadline = policy.due(o.published_on, days)
            task_id = await repository.insert_task(source_key=key, source=o.source, period=o.period,
                                                   department_id=dept.id, reason=_reason(o), deadline=deadline,
                                                   created_by=actor)
            await audit.append(actor, "rectification.create", f"rectification:{task_id}",
                               {"source": o.source, "period": o.period, "department": o.department_code,
                                "deadline": deadline.isoformat()}, in_transaction=True)
            created.append(key)
    return created


async def sync(policy: Policy, *, actor: str = "system") -> list[str]:
    """Create the tasks every published result calls for (the bound sources and the published months)."""
    if _SOURCES is None:
        raise RuntimeError("the outcome sources are not bound: call pingyi.wiring.bind() first")
    outcomes = await monthly_outcomes()
    for source in _SOURCES:
        outcomes.extend(await source())
    return await sync_tasks(outcomes, policy, actor=actor)


CONCENTRATED_MIN = 3  # counted web 差评 of one department with one reason tag in a month: worth a task


async def concentrated(month: str | None = None) -> list[dict[str, Any]]:
    """Hints for tasks by hand: departments whose counted web 差评 of the month share a reason tag at least
    CONCENTRATED_MIN times, most first. `tag` is the web channel's code (web_rating.TAGS)."""
    start, end = monthclose.bounds(_month(month))
    found = await repository.items(start=start, end=end)
    details = await web_repository.details([i.rating_id for i in found if i.channel == "web"])
    counts: dict[tuple[str, str, str], int] = {}
    for i in found:
        for tag in details[i.rating_id].tags if i.rating_id in details else ():
            key = (i.department_code, i.department_name, tag)
            counts[key] = counts.get(key, 0) + 1
    return [{"department_code": code, "department_name": name, "tag": tag, "count": n}
            for (code, name, tag), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if n >= CONCENTRATED_MIN]


async def create_task(user: dict[str, Any], policy: Policy, *, department_code: str, reason: str,
                      deadline: str | date | None = None) -> int:
    """The office opens a task by hand for a concentrated problem (e.g. many 差评 with the same reason tag)."""
    if _side(user) != "office":
        raise Forbidden("整改任务由办公室下达。")
    reason = rules.text_field(reason, "整改事由", limit=rules.REASON_MAX)
    dept = await hall.department_by_code((department_code or "").strip())
    if dept is None or not dept.active:
        raise InvalidInput("请选择责任部门。")
    today = clock.today()
    due = rules.deadline(deadline, "整改期限", today) or policy.due(today, rules.DEFAULT_MANUAL_WORKING_DAYS)
    key = rules.source_key(rules.MANUAL, today.isoformat(), f"{dept.code}:{_secrets.token_hex(6)}")
    async with write_transaction():
        task_id = await repository.insert_task(source_key=key, source=rules.MANUAL, period=today.isoformat(),
                                               department_id=dept.id, reason=reason, deadline=due,
                                               created_by=_actor(user))
        await audit.append(_actor(user), "rectification.create", f"rectification:{task_id}",
                           {"source": rules.MANUAL, "department": dept.code, "deadline": due.isoformat(),
                            "reason": reason}, in_transaction=True)
    return task_id


async def tasks(user: dict[str, Any]) -> list[tuple[TaskRecord, bool]]:
    """The viewer's tasks (a liaison: its department's) with their overdue flag."""
    today = clock.today()
    return [(t, rules.task_overdue(t.state, t.deadline, today))
            for t in await repository.tasks(_own_department(user))]


async def task(user: dict[str, Any], task_id: int) -> tuple[TaskRecord, bool, list[MeasureRecord]]:
    found = await repository.task(task_id)
    if found is None:
        raise NotFound("该整改任务不存在。")
    _visible(user, found.department_id, "该整改任务")
    return found, rules.task_overdue(found.state, found.deadline, clock.today()), await repository.measures(task_id)


async def submit_measures(user: dict[str, Any], task_id: int, *, summary: str, evidence: str) -> str:
    """The department submits its measures (a public summary and internal evidence notes). Audited."""
    by = _side(user)
    summary, evidence = rules.measure_input(summary, evidence)
    async with write_transaction():
        found = await repository.task(task_id)
        if found is None:
            raise NotFound("该整改任务不存在。")
        _visible(user, found.department_id, "该整改任务")
        new_state = rules.task_transition(found.state, rules.SUBMIT, by=by)
        measure_id = await repository.insert_measure(task_id=task_id, summary=summary, evidence=evidence,
                                                     submitted_by=_actor(user), at=clock.now())
        await repository.update_task(task_id, {"state": new_state})
        await audit.append(_actor(user), "rectification.submit", f"rectification:{task_id}",
                           {"from": found.state, "to": new_state, "measure": measure_id}, in_transaction=True)
    return new_state


async def review_task(user: dict[str, Any], task_id: int, action: str, *, reason: str = "") -> str:
    """The office accepts (the latest measures become the public summary) or returns them with a reason."""
    by = _side(user)
    reason = rules.review_reason(reason)
    async with write_transaction():
        found = await repository.task(task_id)
        if found is None:
            raise NotFound("该整改任务不存在。")
        _visible(user, found.department_id, "该整改任务")
        new_state = rules.task_transition(found.state, action, by=by, reason=reason)
        latest = (await repository.measures(task_id))[-1]
        await repository.review_measure(latest.id, state=new_state, by=_actor(user), at=clock.now(), reason=reason)
        values: dict[str, Any] = {"state": new_state, "review_reason": reason}
        if new_state == rules.ACCEPTED:
            values["accepted_summary"] = latest.summary
        await repository.update_task(task_id, values)
        await audit.append(_actor(user), f"rectification.{action}", f"rectification:{task_id}",
                           {"from": found.state, "to": new_state, "measure": latest.id, "reason": reason},
                           in_transaction=True)
    return new_state


async def public_tracker() -> PublicTracker:
    """The public rectification tracker: department, why, deadline, state, the accepted measures' summary."""
    today = clock.today()
    return PublicTracker(tasks=[PublicTask(
        department=t.department_name, source_label=rules.SOURCE_LABELS.get(t.source, t.source), reason=t.reason,
        deadline=t.deadline.isoformat(), state=t.state, state_label=rules.TASK_STATE_LABELS[t.state],
        overdue=rules.task_overdue(t.state, t.deadline, today),
        accepted_summary=t.accepted_summary if t.state == rules.ACCEPTED else "")
        for t in await repository.tasks()])
