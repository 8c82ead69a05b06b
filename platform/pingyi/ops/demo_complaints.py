"""Operations: the demo's complaints of this year — one in every state, with public replies, an overdue one, a
reopened one and a likely duplicate (SPEC §5, issue 10). Idempotent through its audit mark."""

from __future__ import annotations

from datetime import date, timedelta

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.complaints import service as complaints
from pingyi.core.survey import Department

MARK = "demo.complaints"


def _back(today: date, days: int, floor: date) -> date:
    """`days` before today, but never before `floor` (the demo's dates stay in order on any day of the year)."""
    return max(today - timedelta(days=days), floor)


async def load_complaints(departments: list[Department], weak: list[Department]) -> list[str]:
    """File and handle the demo's complaints of this year once; returns the summary lines for `pingyi demo`."""
    if await audit.has_action(MARK) or not departments:
        return []
    today = clock.today()
    floor = today - timedelta(days=60)
    first, worst = departments[0], weak[0]
    other = departments[min(4, len(departments) - 1)]
    inv = "investigator"

    async def file(dept: Department, text: str, days: int, channel: str = "phone", contact: str = "") -> str:
        return await complaints.file_complaint(dept.code, text, channel=channel, contact=contact,
                                               received_on=_back(today, days, floor), actor=inv)

    # a visit two days ago, then today's web complaint with a similar text: flagged as a likely duplicate, not merged
    await file(worst, "窗口工作人员没有一次性告知需要补哪些材料，我已经跑了三趟。", 2, channel="visit")
    fresh = await complaints.file_complaint(worst.code, "窗口工作人员没有一次性告知要补哪些材料，我已经跑了三趟了！",
                                            contact="13900001111")
    # investigating, within its 15 working days
    await complaints.act(await file(other, "电话咨询无人接听，连续两天都打不通。", 6), "investigate", actor=inv)
    # investigating and overdue (received about 30 days ago)
    late = await file(first, "来信反映：窗口要求提供法律未规定的证明材料。", 30, channel="letter")
    await complaints.act(late, "investigate", actor=inv)
    # substantiated, 一般
    sub = await file(worst, "窗口人员办事时玩手机，让群众久等。", 25)
    await complaints.act(sub, "investigate", actor=inv)
    await complaints.act(sub, "substantiate", actor=inv, reason="调取大厅录像，情况属实。", severity="general",
                         decided_on=_back(today, 4, floor),
                         public_reply=f"经调取大厅录像核实，您反映的情况属实。已责成{worst.name}对当事人批评教育，"
                                      "并在窗口公开整改措施。感谢您的监督。")
    # substantiated, 造成较坏影响
    bad = await file(worst, "窗口人员与群众争吵并推搡，影响很坏，多人围观。", 20, channel="visit")
    await complaints.act(bad, "investigate", actor=inv)
    await complaints.act(bad, "substantiate", actor=inv, reason="多名证人证言及录像一致。", severity="serious",
                         decided_on=_back(today, 2, floor),
                         public_reply=f"经核实情况属实，造成较坏影响。已责成{worst.name}调离当事人窗口岗位并通报批评。")
    # unsubstantiated
    no = await file(other, "窗口收费不开发票。", 18)
    await complaints.act(no, "investigate", actor=inv)
    await complaints.act(no, "unsubstantiate", actor=inv, reason="收费记录与发票存根一一对应。",
                         decided_on=_back(today, 3, floor),
                         public_reply="经核对当日收费记录和发票存根，每笔收费均已开具发票，未发现您反映的问题。"
                                      "如发票遗失，可凭身份证到窗口补打。")
    # withdrawn by the complainant
    gone = await file(first, "办理进度查询不到。", 12)
    await complaints.act(gone, "withdraw", actor=inv, reason="投诉人来电说明已办结，申请撤回。",
                         public_reply="投诉人已申请撤回：事项已办结。")
    # decided, then reopened on new evidence: investigating again, shown publicly as reopened
    again = await file(other, "预约了上午九点，到场后被告知系统没有预约记录。", 35, channel="web")
    await complaints.act(again, "investigate", actor=inv)
    await complaints.act(again, "unsubstantiate", actor=inv, reason="系统日志无该预约。",
                         decided_on=_back(today, 15, floor),
                         public_reply="经查预约系统记录，未发现该时段的预约。")
    await complaints.act(again, "reopen", actor=inv, reason="投诉人提供了预约成功短信截图，需重新核查。")
    await audit.append("demo", MARK, "demo", {"complaints": 9})
    return [f"{today.year} 年投诉：9 件（已受理、调查中含超期、属实含造成较坏影响、不属实、撤回、重新调查、"
            f"疑似重复各有），投诉查询示例：{fresh}、{sub}、{again}"]
