"""Operations: the demo's complaints of this year — one in every state, with public replies, an overdue one, a
reopened one and a likely duplicate (SPEC §5, issue 10). Idempotent through its audit mark."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.clock import FixedClock
from pingyi.complaints import service as complaints
from pingyi.core.survey import Department

MARK = "demo.complaints"


def _back(today: date, days: int, floor: date) -> date:
    """`days` before today, but never before `floor` (the demo's dates stay in order on any day of the year)."""
    return max(today - timedelta(days=days), floor)


@contextlib.contextmanager
def on_day(day: date) -> Iterator[None]:
    """Act as if it were 10:00 on `day` in the office (the demo's history then reads like an office's)."""
    before = clock.current()
    if day >= clock.today():  # today: the real time (10:00 may still be ahead)
        yield
        return
    clock.use_clock(FixedClock(datetime.combine(day, time(10), tzinfo=before.zone), before.zone.key))
    try:
        yield
    finally:
        clock.use_clock(before)


async def load_complaints(departments: list[Department], weak: list[Department]) -> list[str]:
    """File and handle the demo's complaints of this year once; returns the summary lines for `pingyi demo`."""
    if await audit.has_action(MARK) or not departments:
        return []
    today = clock.today()
    floor = today - timedelta(days=60)
    first, worst = departments[0], weak[0]
    other = departments[min(4, len(departments) - 1)]
    inv = "investigator"

    def ago(days: int) -> date:
        return _back(today, days, floor)

    async def file(dept: Department, text: str, days: int, channel: str = "phone", contact: str = "") -> str:
        with on_day(ago(days)):
            return await complaints.file_complaint(dept.code, text, channel=channel, contact=contact,
                                                   actor="public" if channel == "web" else inv)

    async def act(days: int, code: str, action: str, **kw: str) -> None:
        with on_day(ago(days)):
            await complaints.act(code, action, actor=inv, **kw)

    # a visit two days ago, then today's web complaint with a similar text: flagged as a likely duplicate, not merged
    await file(worst, "窗口工作人员没有一次性告知需要补哪些材料，我已经跑了三趟。", 2, channel="visit")
    fresh = await file(worst, "窗口工作人员没有一次性告知要补哪些材料，我已经跑了三趟了！", 0, channel="web",
                       contact="13900001111")
    # investigating, within its 15 working days
    phone = await file(other, "电话咨询无人接听，连续两天都打不通。", 6)
    await act(5, phone, "investigate")
    # investigating and overdue (received about 30 days ago)
    late = await file(first, "来信反映：窗口要求提供法律未规定的证明材料。", 30, channel="letter")
    await act(28, late, "investigate")
    # substantiated, 一般
    sub = await file(worst, "窗口人员办事时玩手机，让群众久等。", 25)
    await act(24, sub, "investigate")
    await act(4, sub, "substantiate", reason="调取大厅录像，情况属实。", severity="general",
              public_reply=f"经调取大厅录像核实，您反映的情况属实。已责成{worst.name}对当事人批评教育，"
                           "并在窗口公开整改措施。感谢您的监督。")
    # substantiated, 造成较坏影响
    bad = await file(worst, "窗口人员与群众争吵并推搡，影响很坏，多人围观。", 20, channel="visit")
    await act(19, bad, "investigate")
    await act(2, bad, "substantiate", reason="多名证人证言及录像一致。", severity="serious",
              public_reply=f"经核实情况属实，造成较坏影响。已责成{worst.name}调离当事人窗口岗位并通报批评。")
    # unsubstantiated
    no = await file(other, "窗口收费不开发票。", 18)
    await act(17, no, "investigate")
    await act(3, no, "unsubstantiate", reason="收费记录与发票存根一一对应。",
              public_reply="经核对当日收费记录和发票存根，每笔收费均已开具发票，未发现您反映的问题。"
                           "如发票遗失，可凭身份证到窗口补打。")
    # withdrawn by the complainant
    gone = await file(first, "办理进度查询不到。", 12)
    await act(10, gone, "withdraw", reason="投诉人来电说明已办结，申请撤回。",
              public_reply="投诉人已申请撤回：事项已办结。")
    # decided, then reopened on new evidence: investigating again, shown publicly as reopened
    again = await file(other, "预约了上午九点，到场后被告知系统没有预约记录。", 35, channel="web")
    await act(34, again, "investigate")
    await act(15, again, "unsubstantiate", reason="系统日志无该预约。",
              public_reply="经查预约系统记录，未发现该时段的预约。")
    await act(1, again, "reopen", reason="投诉人提供了预约成功短信截图，需重新核查。")
    await audit.append("demo", MARK, "demo", {"complaints": 9})
    return [f"{today.year} 年投诉：9 件（已受理、调查中含超期、属实含造成较坏影响、不属实、撤回、重新调查、"
            f"疑似重复各有），投诉查询示例：{fresh}、{sub}、{again}"]
