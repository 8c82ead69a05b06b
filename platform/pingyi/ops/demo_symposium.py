"""Operations: the demo's symposium (座谈会) of last year's campaign — attendance with two main leaders missing, a
few opinions per department — and complaints against the demo liaison's department in several states, so the
liaison portal (/liaison) has something to show (docs/portal.md). Called by ops/demo.py before the campaign closes."""

from __future__ import annotations

from datetime import date

from pingyi.complaints import service as complaints
from pingyi.core import symposium as rules
from pingyi.core.survey import Department
from pingyi.evaluation import symposium

from .demo_complaints import on_day

NOTES = ("希望窗口延长午间服务时间，方便企业错峰办理。", "部分事项仍要求企业重复提交营业执照复印件，建议共享调取。",
         "工作人员业务熟练，答复及时，点赞。", "建议在大厅公示办理时限和投诉电话。")


async def load_symposium(year: int, departments: list[Department]) -> str:
    """The symposium held on 15 December of `year`: every department's attendance (the fourth and the last
    sent a deputy / nobody) and notes for the first department and a few others."""
    sid = await symposium.record_symposium(year, date(year, 12, 15), "县政务服务中心三楼会议室", actor="admin")
    missing = {departments[3].code: (rules.DEPUTY, "刘某 副局长", "主要领导外出学习"),
               departments[-1].code: (rules.ABSENT, "", "未说明原因")} if len(departments) > 4 else {}
    for i, d in enumerate(departments):
        status, who, note = missing.get(d.code, (rules.LEADER, f"{'张王李赵陈'[i % 5]}某 主要负责人", ""))
        await symposium.set_attendance(year, sid, d.code, status, who, note, actor="admin")
    for i, d in enumerate(departments[:4]):
        for text in NOTES[i:i + 2]:
            await symposium.add_note(year, sid, d.code, text, actor="admin")
    return f"{year} 年度座谈会：{len(departments)} 个部门出席情况（{len(missing)} 个部门主要领导未出席）与意见已登记"


async def load_liaison_complaints(year: int, department: Department) -> str:
    """Complaints against the demo liaison's department, filed in `year`: one decided not substantiated with a
    public reply, one still under investigation long past its due date, one just received (today)."""
    with on_day(date(year, 3, 2)):
        c1 = await complaints.file_complaint(department.code, "窗口告知的材料清单与网上公布的不一致，白跑一趟。",
                                             channel="web", contact="139****1234", actor="investigator")
    with on_day(date(year, 3, 3)):
        await complaints.act(c1, "investigate", actor="investigator")
    with on_day(date(year, 3, 16)):
        await complaints.act(c1, "unsubstantiate", actor="investigator",
                             reason="经核查，网上清单已于 3 月 1 日更新，窗口告知无误；已请窗口同步更新纸质清单。",
                             public_reply="经核查，窗口告知的材料清单为最新版本；纸质清单已同步更新，给您带来不便深表歉意。")
    with on_day(date(year, 11, 20)):
        c2 = await complaints.file_complaint(department.code, "电话咨询多次无人接听。", channel="phone",
                                             contact="137****5678", actor="investigator")
    with on_day(date(year, 11, 21)):
        await complaints.act(c2, "investigate", actor="investigator")
    await complaints.file_complaint(department.code, "取号后等候超过一小时。", channel="visit", actor="investigator")
    return f"{department.name}：投诉 3 件（1 件不属实并已公开答复，1 件调查中已超期，1 件今日受理）"
