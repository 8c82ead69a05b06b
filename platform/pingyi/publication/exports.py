"""Service layer: the tables an office downloads as XLSX / CSV (SPEC §6 "CSV export", issue 11 "Exports").

Each export is built from the same source as its page or JSON API — annual results from the published snapshot
(`/api/v1/results/{year}`), monthly results from the published month (`/api/v1/monthly/{month}`), complaints from
the office list (contact details only for an investigator), ratings per window per day from the rating table with the
ingest's counting rule — and written by render.spreadsheet. Figures shown rounded are rounded once, by
core.scoring.round_half_up (percentages by core.scoring.percent), and stored as numbers. docs/exports.md lists every
column.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pingyi import clock
from pingyi.assessment import monthclose
from pingyi.assessment import service as assessment
from pingyi.complaints import service as complaints
from pingyi.core import complaints as complaint_rules
from pingyi.core import followup as followup_rules
from pingyi.core import scoring
from pingyi.core.assessment import month_first_days
from pingyi.core.errors import InvalidInput
from pingyi.followup import service as followup
from pingyi.hall import service as hall
from pingyi.ratings import live_repository as ratings
from pingyi.ratings.channels import CHANNEL_LABELS
from pingyi.render.spreadsheet import Column, Sheet
from pingyi.workcalendar import WorkCalendar

from . import service

KINDS = ("annual", "monthly", "complaints", "ratings", "rectification")
FORMATS = ("xlsx", "csv")


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _exact(text: str | None) -> Decimal | None:
    """An exact fraction of the snapshot ("257/3") as the published 2-decimal figure (the one rounding)."""
    return None if text is None else scoring.round_half_up(Fraction(text), 2)


def _pct(part: int, whole: int) -> Decimal | None:
    return Decimal(scoring.percent(part, whole, 2)) if whole else None


# --------------------------------------------------------------------------------------------- annual results

ANNUAL_COLUMNS = (Column("名次", "int"), Column("部门代码"), Column("部门"), Column("有效评议表数", "int"),
                  Column("平均得分", "dec2"), Column("属实投诉（件）", "int"), Column("投诉扣分", "int"),
                  Column("扣分后得分（未保底）", "dec2"), Column("最终得分", "dec2"), Column("公布得分", "dec2"),
                  Column("等次"), Column("样本不足 k（不公开分项）", "bool"), Column("处理结果"),
                  Column("计分说明", width=60))


async def annual(year: int) -> list[Sheet]:
    """The published results of a campaign: ranking, per-aspect shares, and the publication's facts."""
    doc = await service.published_results(year)
    rows = [[r["rank"], r["code"], r["name"], r["section_count"], _exact(r["raw_exact"]), r["substantiated"],
             r["penalty"], _exact(r["unfloored_exact"]), _exact(r["final_exact"]), _dec(r["published"]),
             r["status_label"], r["small_cell"], "；".join(r["consequence_labels"]), "；".join(r["explanation"])]
            for r in doc["results"]]
    aspect_names: list[str] = []
    for r in doc["results"]:
        for a in r.get("aspects") or []:
            if a["name"] not in aspect_names:
                aspect_names.append(a["name"])
    aspect_rows = []
    for r in doc["results"]:
        if not r.get("aspects"):
            continue
        shares = {a["name"]: Decimal(a["percent"]) for a in r["aspects"]}
        aspect_rows.append([r["code"], r["name"], r["section_count"], *(shares.get(n) for n in aspect_names)])
    campaign, turnout = doc["campaign"], doc["turnout"]
    facts = [["年度", str(campaign["year"])], ["名称", campaign["title"]], ["公布版本", str(doc["version"])],
             ["公布时间", _local(doc["published_at"])], ["计算时间", _local(doc["computed_at"])],
             ["版本说明", doc.get("reason") or ""], ["输入摘要（digest）", doc["digest"]],
             ["审计链头（计算时）", doc.get("audit_head") or ""],
             ["审计链头（公布时）", doc.get("publication_audit_head") or ""],
             ["发放评议卡", str(turnout["cards_issued"])], ["已使用评议卡", str(turnout["cards_used"])],
             ["有效评议表", str(turnout["ballots"])], ["小样本门槛 k", str(campaign["k"])],
             *([f"等次：{label}", str(n)] for label, n in doc["grade_counts"].items())]
    return [Sheet("评议结果", ANNUAL_COLUMNS, rows),
            Sheet("分项满意率", (Column("部门代码"), Column("部门"), Column("有效评议表数", "int"),
                            *(Column(f"{n}（%）", "dec2") for n in aspect_names)), aspect_rows),
            Sheet("概况", (Column("项目"), Column("内容")), facts)]


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    at = datetime.fromisoformat(iso)
    return at.astimezone(clock.local_now().tzinfo).strftime("%Y-%m-%d %H:%M:%S") if at.tzinfo else iso


# --------------------------------------------------------------------------------------------- monthly results


async def monthly(month: str) -> list[Sheet]:
    """The published month: the ranking with categories and marks, and every item of every department."""
    doc = await monthclose.monthly_document(month)
    categories: list[tuple[str, str, int]] = []
    for row in doc.rows:
        for c in row.categories:
            if c.key not in [k for k, _, _ in categories]:
                categories.append((c.key, c.name, c.max_points))
    ranking = []
    items = []
    for row in doc.rows:
        points = {c.key: Decimal(c.points) for c in row.categories}
        ranking.append([row.rank, row.code, row.name, *(points.get(k) for k, _, _ in categories), Decimal(row.total),
                        row.award_label, row.vetoed, row.veto_reason or "", row.ladder_label,
                        row.ladder_run or None, "；".join(row.notes)])
        items.extend([row.code, row.name, i.item_id, i.name, i.max_points, Decimal(i.points),
                      "；".join(i.explanation)] for i in row.items)
    ranking_columns = (Column("名次", "int"), Column("部门代码"), Column("部门"),
                       *(Column(f"{name}（满分 {top}）", "dec2") for _, name, top in categories),
                       Column("总分", "dec2"), Column("评定"), Column("一票否决", "bool"), Column("否决原因"),
                       Column("连续较差处理"), Column("连续较差月数", "int"), Column("说明"))
    facts = [["月份", doc.month], ["公布版本", str(doc.version)], ["公布时间", _local(doc.published_at)],
             ["版本说明", doc.reason], ["输入摘要（digest）", doc.digest], ["审计链头", doc.audit_head],
             ["优秀分数线", doc.excellent_cutoff or "—"], ["优秀窗口单位奖励（元）", str(doc.excellent_bonus_yuan)],
             *(["说明", n] for n in doc.notes)]
    return [Sheet("月度考核排名", ranking_columns, ranking),
            Sheet("考核细项", (Column("部门代码"), Column("部门"), Column("项目编号"), Column("项目"),
                           Column("满分", "int"), Column("得分", "dec2"), Column("依据", width=50)), items),
            Sheet("概况", (Column("项目"), Column("内容")), facts)]


# --------------------------------------------------------------------------------------------- complaints


async def complaint_list(*, include_contact: bool, calendar: WorkCalendar,
                         received_from: date | None = None, received_to: date | None = None) -> list[Sheet]:
    """Every complaint (optionally received in [from, to]); the contact column only for an investigator."""
    if received_from and received_to and received_from > received_to:
        raise InvalidInput("导出时间范围有误：开始日期晚于结束日期。")
    listed = await complaints.office_list(include_contact=include_contact, today=clock.today(), calendar=calendar)
    columns = [Column("投诉编号"), Column("部门代码"), Column("部门"), Column("受理渠道"), Column("受理日期", "date"),
               Column("状态"), Column("严重程度"), Column("办结日期", "date"), Column("调查人员"),
               Column("处理理由", width=40), Column("投诉内容", width=50), Column("调查期限", "date"),
               Column("已超期", "bool")]
    if include_contact:
        columns.append(Column("联系方式"))
    rows = []
    for c in listed:
        if received_from and c.received_on < received_from or received_to and c.received_on > received_to:
            continue
        row: list[Any] = [c.tracking_code, c.department_code, c.department_name,
                          complaints.CHANNELS.get(c.channel, c.channel), c.received_on,
                          complaint_rules.STATE_LABELS.get(c.state, c.state),
                          complaint_rules.SEVERITY_LABELS.get(c.severity or "", ""), c.decision_date, c.investigator,
                          c.decision_reason, c.summary, c.due_on, c.overdue]
        if include_contact:
            row.append(c.contact or "")
        rows.append(row)
    rows.sort(key=lambda r: (r[4], r[0]))
    return [Sheet("投诉", tuple(columns), rows)]


# --------------------------------------------------------------------------------------------- ratings per day

RATING_COLUMNS = (Column("日期", "date"), Column("部门代码"), Column("部门"), Column("窗口代码"), Column("窗口"),
                  Column("大厅"), Column("渠道"), Column("服务开始（叫号）次数", "int"), Column("有效评价", "int"),
                  Column("差评", "int"), Column("差评占比（%）", "dec2"), Column("无效按键（未叫号/重复）", "int"))


async def ratings_per_day(month: str, department_code: str | None = None) -> list[Sheet]:
    """Per office day, window and channel: arm events, counted ratings, counted 差评 and their share, flagged
    presses (the counting rule of the ingest, ratings.repository). A liaison's export is its department's only."""
    month = assessment.month_arg(month)
    first, nxt = month_first_days(month)
    places = {w.id: w for w in await hall.window_places()}
    rows: list[list[Any]] = []
    day = first
    while day < nxt:
        start = clock.start_of_local_day(day)
        end = clock.start_of_local_day(day + timedelta(days=1))
        for r in await ratings.day_counts(start, end):
            place = places.get(r["window_id"])
            if place is None or department_code is not None and place.department_code != department_code:
                continue
            if not (r["served"] or r["ratings"] or r["flagged"]):
                continue
            rows.append([day, place.department_code, place.department_name, place.code, place.name,
                         place.hall_name or "未分配大厅", CHANNEL_LABELS.get(r["channel"], r["channel"]), r["served"],
                         r["ratings"], r["bad"], _pct(r["bad"], r["ratings"]), r["flagged"]])
        day += timedelta(days=1)
    rows.sort(key=lambda r: (r[0], r[1], r[3], r[6]))
    return [Sheet(f"{month} 每日窗口评价", RATING_COLUMNS, rows)]


# --------------------------------------------------------------------------------------------- rectification

TASK_COLUMNS = (Column("任务编号", "int"), Column("来源"), Column("期间"), Column("部门代码"), Column("部门"),
                Column("整改原因", width=40), Column("整改期限", "date"), Column("状态"), Column("已超期", "bool"),
                Column("验收通过的整改措施", width=50), Column("退回理由", width=30), Column("创建人"),
                Column("创建时间", "datetime"))


async def rectification_tasks(user: dict[str, Any], policy: followup.Policy) -> list[Sheet]:
    """The rectification (整改) tasks the user sees on /office/rectification (a liaison: its department's), brought
    up to date with the published results first, as that page does for the office."""
    if user.get("role") != "liaison":
        await followup.sync(policy, actor="system")
    zone = clock.local_now().tzinfo
    rows = [[t.id, followup_rules.SOURCE_LABELS.get(t.source, t.source), t.period, t.department_code,
             t.department_name, t.reason, t.deadline, followup_rules.TASK_STATE_LABELS.get(t.state, t.state), overdue,
             t.accepted_summary, t.review_reason, t.created_by,
             t.created_at.astimezone(zone).replace(tzinfo=None, microsecond=0)]
            for t, overdue in await followup.tasks(user)]
    rows.sort(key=lambda r: (r[6], r[0]))
    return [Sheet("整改任务", TASK_COLUMNS, rows)]
