"""Operations: the demo's loop (issue 10) — web 差评 answered by the departments, some on time, one late, some
overdue, one returned; call-backs; rectification tasks for last year's 不满意 departments with measures submitted.

Every step takes the real path: the 差评 are web ratings through `web_rating.submit` (the QR poster's path), the
answers, reviews and measures through the followup service as the demo's liaisons and inspector. Past events are
made by binding the one clock to a past instant for the step (as a terminal replaying its outbox carries past
times), then the system clock again. Idempotent: a database marked `demo.followup` is left as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pingyi import clock
from pingyi.accounts import repository as accounts_repository
from pingyi.accounts import service as accounts
from pingyi.audit import service as audit
from pingyi.clock import FixedClock, use_clock
from pingyi.core import followup as rules
from pingyi.followup import service as followup
from pingyi.hall import repository as hall
from pingyi.ratings import web_rating
from pingyi.ratings.service import seed_demo_windows
from pingyi.settings import Settings

MARK = "demo.followup"
DEMO_PASSWORD = "pingyi-demo"

# (days before today, level, tags, text, contact, what the department does: None | "on_time" | "late" | "returned")
BAD = (
    (24, 2, ("efficiency",), "排队一个多小时，只开了一个窗口。", "13800001111", "on_time"),
    (21, 1, ("attitude",), "工作人员态度生硬，不解释就让回去补材料。", "", "late"),
    (17, 2, ("efficiency",), "材料清单和网上公布的不一致，白跑一趟。", "13900002222", "returned"),
    (12, 1, ("conduct",), "中午十二点前就不收件了。", "", None),
    (9, 2, ("efficiency", "environment"), "取号机坏了没人管。", "", None),
    (1, 2, ("other",), "窗口电话一直打不通。", "13700003333", None),
)


def _at(days_back: int, hour: int = 10) -> datetime:
    local = clock.local_now().replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=days_back)
    return local


async def _as_of(at: datetime, work: Any) -> Any:
    """Run `work()` with the one clock standing at `at` (a past instant), then the previous clock again."""
    previous = clock.current()
    use_clock(FixedClock(at, previous.zone.key))
    try:
        return await work()
    finally:
        use_clock(previous)


async def _liaison(code: str, name: str) -> dict[str, Any]:
    username = f"liaison-{code.lower()}"
    if not await accounts_repository.username_taken(username):
        await accounts.create_user(username, DEMO_PASSWORD, "liaison", department_code=code,
                                   display_name=f"{name}联络员", actor="demo")
    dept = await hall.department_by_code(code)
    assert dept is not None
    return {"role": "liaison", "username": username, "department_id": dept.id}


INSPECTOR = {"role": "inspector", "username": "inspector"}


async def _answer(user: dict[str, Any], rating_id: int, policy: followup.Policy, outcome: str) -> None:
    await followup.answer(user, rating_id, policy, finding="经调阅窗口录像并询问当班人员，情况属实。",
                          cause="高峰时段窗口人员不足，首问负责落实不到位。", outcome=outcome,
                          measure="已调整高峰时段排班，增开一个综合窗口，并对当班人员进行提醒谈话。"
                          if outcome == rules.FIXED else "按窗口排班表逐月落实，在整改期限前完成人员补充。",
                          fix_due=(clock.today() + timedelta(days=20)).isoformat()
                          if outcome == rules.SCHEDULED else None)


async def load_followup_demo(settings: Settings) -> list[str]:
    if await audit.has_action(MARK):
        return []
    policy = followup.policy_for(settings)
    departments = await hall.departments(active_only=True)
    if not departments:
        return []
    first = departments[0]
    await seed_demo_windows([first.code], count=1, prefix="demo")  # the same window and terminal as `pingyi run`
    window_code = f"W-{first.code}"[:16]
    _, poster = await web_rating.poster(window_code, "demo")
    liaison = await _liaison(first.code, first.name)
    answered = late = overdue = 0
    for n, (days_back, level, tags, text, contact, fate) in enumerate(BAD):
        at = _at(days_back)
        raw = {"level": str(level), "tags": list(tags), "text": text, "contact": contact}
        outcome = await _as_of(at, lambda raw=raw, n=n: web_rating.submit(
            poster.token, None, raw=raw, device=f"{n:032x}", address=f"demo-{n}", settings=settings.web_rating))
        rid = outcome.rating_id
        if fate is None:
            due = policy.due(at.date(), policy.days.answer_working_days)
            overdue += int(rules.answer_overdue(rules.PENDING, due, clock.today()))
            continue
        answer_at = at + timedelta(days=2 if fate != "late" else 11)
        kind = rules.SCHEDULED if fate == "returned" else rules.FIXED
        await _as_of(answer_at, lambda rid=rid, kind=kind: _answer(liaison, rid, policy, kind))
        answered += 1
        late += fate == "late"
        review_at = answer_at + timedelta(days=1)
        if fate == "returned":
            await _as_of(review_at, lambda rid=rid: followup.review(
                INSPECTOR, rid, rules.RETURN, policy, reason="整改期限过长，请说明能否先行采取临时措施。"))
        else:
            await _as_of(review_at, lambda rid=rid: followup.review(INSPECTOR, rid, rules.ACCEPT, policy))
            if contact:
                await _as_of(review_at + timedelta(hours=2), lambda rid=rid: followup.record_callback(
                    INSPECTOR, rid, outcome=rules.REACHED_SATISFIED, note="群众表示已感受到排队时间缩短。"))
    lines = [f"差评答复：{first.name} {len(BAD)} 条网上差评，{answered} 条已答复（{late} 条超过期限才答复，"
             f"1 条被退回），{overdue} 条超期未答复；联络员 {liaison['username']}（密码 {DEMO_PASSWORD}）"]

    from pingyi import wiring

    wiring.bind()  # also when the demo is loaded in-process (tests), not through the `pingyi` command
    created = await followup.sync(policy, actor="demo")
    submitted = 0
    for task, _ in await followup.tasks(INSPECTOR):
        if task.source != rules.ANNUAL or task.state != rules.OPEN:
            continue
        user = await _liaison(task.department_code, task.department_name)
        await followup.submit_measures(
            user, task.id, summary="成立整改工作专班，梳理评议反映的推诿、超时问题 12 项，逐项明确责任人和完成时限；"
            "窗口实行首问负责和一次性告知，办结时限压缩三分之一。",
            evidence="《整改工作方案》（局党组会议纪要第 3 号）、问题清单及台账，存局办公室。")
        submitted += 1
        if submitted == 1:
            await followup.review_task(INSPECTOR, task.id, rules.ACCEPT)
    await followup.create_task(INSPECTOR, policy, department_code=first.code,
                               reason="本月多条网上差评集中反映排队时间长、窗口开放不足（原因：效率）。")
    lines.append(f"整改任务：新建 {len(created) + 1} 项（上年度“不满意”部门 {submitted} 项已提交整改措施，"
                 f"其中 1 项已验收；另有 1 项集中问题整改）；公示页 /rectification")
    await audit.append("demo", MARK, "demo", {"bad_ratings": len(BAD), "tasks": len(created) + 1})
    return lines
