"""Core layer: the monthly window assessment (SPEC §4, seed 篇1) — items, ranking, 优秀/较差, the escalation ladder.

Pure: the assessment context gathers the facts of one calendar month (inspector entries, vetoes, counted ratings,
served transactions, substantiated complaints, online-processing imports) and this module turns them into scores.
Arithmetic is exact (`Fraction`); every published figure is `round_half_up(…, 2)`; the ranking uses the published
total. The rules, in the order SPEC §4 states them:

- Items: deduct items start at their maximum and lose the inspectors' deductions; bonus items start at 0 and gain
  the bonus points; entries on one item add up; every item is kept between 0 and its maximum, every category between
  0 and its maximum; the total is the sum of the categories. Entries are never made on computed items.
- 1.6 好差评 (rule "rating_satisfaction"): participation part from counted ratings ÷ served transactions (the
  imported 办件量 when there is one, else arm events): > 80 % → +5, 50 %–80 % → 0, < 50 % → −5, no served
  transaction → 0; satisfaction part 10 − 5 per counted 差评 or substantiated complaint, −10 instead of −5 for a
  complaint marked 造成较坏影响; the item is the sum, kept between 0 and its maximum.
- 2.5 网上办件 (rule "online_processing"): online part = share ÷ highest share × 5 (the highest gets 5; a highest of 0
  gives everyone 0); monitoring part = 5 − 5 per overtime red card, floored at 0; the item is the sum.
- Ranking by published total, ties share a rank (1, 2, 2, 4) and are listed by code. 优秀窗口单位: every eligible
  (not vetoed) department at or above the third eligible total (all eligible when fewer than three). 较差窗口单位:
  every department sharing the last rank, unless the lowest total reaches the 优秀 cut-off. The ladder: the run of
  consecutive 较差 months (the previous month's run is given), the step is the run capped at 3.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from pingyi.core.errors import InvalidInput
from pingyi.core.rubric import BONUS, DEDUCT, RULE_ONLINE_PROCESSING, RULE_RATING_SATISFACTION, Rubric, RubricItem
from pingyi.core.scoring import percent, round_half_up

# ---------------------------------------------------------------------------------------------- the month's rules

PARTICIPATION_HIGH: Final = Fraction(4, 5)  # strictly above → +5 (80 % itself is not above 80 %)
PARTICIPATION_LOW: Final = Fraction(1, 2)  # strictly below → −5; 50 %–80 % inclusive → 0
PARTICIPATION_BONUS: Final = 5
PARTICIPATION_PENALTY: Final = 5
SATISFACTION_BASE: Final = 10
PER_BAD_OR_COMPLAINT: Final = 5  # per counted 差评 or substantiated complaint
PER_SERIOUS_COMPLAINT: Final = 10  # instead of 5, for a complaint marked 造成较坏影响
ONLINE_PART_MAX: Final = 5
MONITORING_BASE: Final = 5
PER_RED_CARD: Final = 5

TOP_PLACES: Final = 3
EXCELLENT: Final = "excellent"
POOR: Final = "poor"
AWARD_LABELS: Final[dict[str, str]] = {EXCELLENT: "优秀窗口单位", POOR: "较差窗口单位"}
EXCELLENT_BONUS_YUAN: Final = 500  # to the window's leader
LADDER_LABELS: Final[dict[int, str]] = {
    1: "通报批评",
    2: "扣除窗口负责人月绩效 200 元",
    3: "约谈（纪检部门、政务服务管理部门）",
}
LADDER_MAX_STEP: Final = 3

POINTS_PLACES: Final = 2  # inspector entries: at most 2 decimals
PUBLISH_PLACES: Final = 2
MAX_ENTRY_POINTS: Final = 100
VETO_REASONS: Final = ("压号不叫", "消极怠工")

# ---------------------------------------------------------------------------------------------- months

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> str:
    """"2026-11" → "2026-11"; anything else → InvalidInput naming the expected form."""
    value = (text or "").strip()
    m = _MONTH_RE.match(value)
    if m is None or not 2000 <= int(m.group(1)) <= 2999:
        raise InvalidInput(f"月份 {text!r} 无效：应为 YYYY-MM，例如 2026-11。")
    return value


def month_of(day: _dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_first_days(month: str) -> tuple[_dt.date, _dt.date]:
    """The month's first day and the first day of the next month (the month is [first, next))."""
    year, mon = (int(p) for p in parse_month(month).split("-"))
    first = _dt.date(year, mon, 1)
    nxt = _dt.date(year + 1, 1, 1) if mon == 12 else _dt.date(year, mon + 1, 1)
    return first, nxt


def previous_month(month: str) -> str:
    first, _ = month_first_days(month)
    return month_of(first - _dt.timedelta(days=1))


def next_month(month: str) -> str:
    _, nxt = month_first_days(month)
    return month_of(nxt)


# ---------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Entry:
    """One inspector entry: positive points with at most 2 decimals and a reason (a deduction or a bonus)."""

    item_id: str
    points: Decimal
    reason: str
    evidence: str = ""
    ref: str = ""  # e.g. "entry:17 v2", carried into the explanation


@dataclass(frozen=True)
class RatingFacts:
    """A department's ratings of the month over all its windows (dismissed 差评 and flagged presses not counted)."""

    counted: int = 0
    bad: int = 0  # counted, undismissed 差评
    arm_events: int = 0  # served transactions recorded by the terminals' arm button
    served_import: int | None = None  # imported 办件量 summed over its windows; None: no import for the month
    by_channel: tuple[tuple[str, int, int], ...] = ()  # (channel, counted, bad)
    bad_refs: tuple[str, ...] = ()  # which 差评 (rating references)
    import_refs: tuple[str, ...] = ()  # which 办件量 import rows

    @property
    def served(self) -> int:
        """Served transactions: an imported 办件量 takes precedence over arm events."""
        return self.served_import if self.served_import is not None else self.arm_events


@dataclass(frozen=True)
class ComplaintFact:
    """A substantiated complaint of the month against the department."""

    ref: str
    serious: bool = False  # 造成较坏影响
    decided_on: str = ""  # the decision date (ISO), shown in the explanation


@dataclass(frozen=True)
class OnlineFacts:
    """The month's online-processing import for a department: items online, items processed, red cards."""

    online: int = 0
    processed: int = 0
    red_cards: int = 0
    refs: tuple[str, ...] = ()

    @property
    def share(self) -> Fraction:
        """Online share = online ÷ processed; 0 of 0 is 0."""
        return Fraction(self.online, self.processed) if self.processed > 0 else Fraction(0)


@dataclass(frozen=True)
class DepartmentMonth:
    code: str
    name: str
    entries: tuple[Entry, ...] = ()
    veto_reason: str | None = None  # 一票否决 (压号不叫 / 消极怠工): no award eligibility this month
    ratings: RatingFacts = RatingFacts()
    complaints: tuple[ComplaintFact, ...] = ()
    online: OnlineFacts | None = None  # None: no figure (share 0, no red cards)


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ItemScore:
    item_id: str
    name: str
    max_points: int
    points: Fraction
    published: Decimal
    explanation: tuple[str, ...]


@dataclass(frozen=True)
class CategoryScore:
    key: str
    name: str
    max_points: int
    points: Fraction
    published: Decimal


@dataclass(frozen=True)
class DepartmentAssessment:
    code: str
    name: str
    items: tuple[ItemScore, ...]
    categories: tuple[CategoryScore, ...]
    total: Fraction
    published_total: Decimal
    rank: int
    vetoed: bool
    veto_reason: str | None
    award: str | None  # EXCELLENT | POOR | None
    ladder_run: int  # consecutive 较差 months ending this month (0 when not 较差)
    ladder_step: int  # 0..3
    ladder_label: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class MonthAssessment:
    month: str
    rows: tuple[DepartmentAssessment, ...]  # ranking order: published total descending, then code
    excellent_cutoff: Decimal | None  # the third eligible total (None: nobody eligible)
    highest_online_share: Fraction
    notes: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- entries


def check_entry(rubric: Rubric, item_id: str, points_text: str | Decimal, reason: str) -> Decimal:
    """Validate one inspector entry; return its points. InvalidInput names the problem in Chinese."""
    item = rubric.item(str(item_id))
    if item is None:
        raise InvalidInput(f"考核项 {item_id!r} 不存在。")
    if item.computed:
        raise InvalidInput(f"{item.id} {item.name} 由系统计算，不能录入扣分或加分。")
    try:
        points = Decimal(str(points_text).strip())
    except InvalidOperation:
        raise InvalidInput(f"分值 {points_text!r} 不是数字。") from None
    if not points.is_finite() or points <= 0:
        raise InvalidInput("分值必须是大于 0 的数（扣分和加分都录正数）。")
    exponent = points.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -POINTS_PLACES:
        raise InvalidInput(f"分值 {points_text} 最多两位小数。")
    if points > item.max_points:
        raise InvalidInput(f"分值 {points} 超过 {item.id} {item.name} 的满分 {item.max_points} 分。")
    if not (reason or "").strip():
        kind = "扣分" if item.scoring == DEDUCT else "加分"
        raise InvalidInput(f"{kind}必须写明理由。")
    return points.quantize(Decimal(1).scaleb(-POINTS_PLACES))


# ---------------------------------------------------------------------------------------------- items


def _clamp(value: Fraction, low: int, high: int) -> Fraction:
    return max(Fraction(low), min(Fraction(high), value))


def _fig(value: Fraction | int) -> str:
    return str(round_half_up(Fraction(value), PUBLISH_PLACES))


def _entry_item(rubric: Rubric, item: RubricItem, entries: Sequence[Entry]) -> tuple[Fraction, tuple[str, ...]]:
    mine = [e for e in entries if e.item_id == item.id]
    total = sum((Fraction(e.points) for e in mine), Fraction(0))
    if item.scoring == DEDUCT:
        raw = item.max_points - total
        head = f"满分 {item.max_points} 分"
        lines = [f"扣 {_fig(Fraction(e.points))} 分：{e.reason}" + (f"（{e.ref}）" if e.ref else "") for e in mine]
        if not mine:
            lines = ["无扣分记录"]
    else:
        raw = total
        head = f"从 0 分起，最高 {item.max_points} 分"
        lines = [f"加 {_fig(Fraction(e.points))} 分：{e.reason}" + (f"（{e.ref}）" if e.ref else "") for e in mine]
        if not mine:
            lines = ["无加分记录"]
    points = _clamp(raw, 0, item.max_points)
    clamped = "" if points == raw else f"（按 0–{item.max_points} 分取值，未取值前 {_fig(raw)}）"
    tail = f"得分 {_fig(points)}{clamped}"
    return points, (head, *lines, tail)


def participation_part(counted: int, served: int) -> int:
    """+5 above 80 %, 0 from 50 % to 80 %, −5 below 50 %; 0 with no served transaction (compared exactly)."""
    if served <= 0:
        return 0
    rate = Fraction(counted, served)
    if rate > PARTICIPATION_HIGH:
        return PARTICIPATION_BONUS
    if rate >= PARTICIPATION_LOW:
        return 0
    return -PARTICIPATION_PENALTY


def _rating_item(item: RubricItem, dm: DepartmentMonth,
                 channel_labels: Mapping[str, str]) -> tuple[Fraction, tuple[str, ...]]:
    r = dm.ratings
    served = r.served
    part = participation_part(r.counted, served)
    source = "办件量导入" if r.served_import is not None else "评价器叫号（服务开始）次数"
    lines: list[str] = []
    if served <= 0:
        lines.append(f"参评率：当月无服务人次（{source}为 0），参评部分 0 分")
    else:
        band = "高于 80%" if part > 0 else ("低于 50%" if part < 0 else "在 50%–80% 之间")
        signed = f"{part:+d}" if part else "0"
        lines.append(f"参评率：计入评价 {r.counted} ÷ 服务人次 {served}（{source}）= {percent(r.counted, served, 2)}%，"
                     f"{band}，参评部分 {signed} 分")
    if r.by_channel:
        parts = [f"{channel_labels.get(ch, ch)} {n} 次（差评 {b}）" for ch, n, b in r.by_channel]
        lines.append("其中 " + "、".join(parts))
    general = sum(1 for c in dm.complaints if not c.serious)
    serious = sum(1 for c in dm.complaints if c.serious)
    satisfaction = SATISFACTION_BASE - PER_BAD_OR_COMPLAINT * (r.bad + general) - PER_SERIOUS_COMPLAINT * serious
    lines.append(f"满意度：{SATISFACTION_BASE} − {PER_BAD_OR_COMPLAINT} × 差评 {r.bad} − "
                 f"{PER_BAD_OR_COMPLAINT} × 属实投诉 {general} − "
                 f"{PER_SERIOUS_COMPLAINT} × 造成较坏影响的属实投诉 {serious} = {satisfaction} 分")
    if r.bad_refs:
        lines.append("计入的差评：" + "、".join(r.bad_refs))
    if dm.complaints:
        refs = (f"{c.ref}（" + (f"认定日期 {c.decided_on}，" if c.decided_on else "")
                + (f"造成较坏影响，−{PER_SERIOUS_COMPLAINT}" if c.serious else f"−{PER_BAD_OR_COMPLAINT}") + "）"
                for c in dm.complaints)
        lines.append("计入的投诉：" + "、".join(refs))
    if r.import_refs:
        lines.append("使用的办件量导入行：" + "、".join(r.import_refs))
    raw = Fraction(part + satisfaction)
    points = _clamp(raw, 0, item.max_points)
    lines.append(f"合计 {part + satisfaction} 分" + ("" if points == raw else f"，按 0–{item.max_points} 分取值")
                 + f"，得分 {_fig(points)}")
    return points, tuple(lines)


def _online_item(item: RubricItem, dm: DepartmentMonth, highest: Fraction) -> tuple[Fraction, tuple[str, ...]]:
    facts = dm.online or OnlineFacts()
    share = facts.share
    lines: list[str] = []
    if dm.online is None:
        lines.append("当月无网上办件数据：网办率按 0 计，无超时红牌")
    else:
        rate = percent(share, 1, 2) if facts.processed > 0 else "0"
        lines.append(f"网办率：网上办件 {facts.online} ÷ 办件总数 {facts.processed} = {rate}%")
    if highest == 0:
        online_part = Fraction(0)
        lines.append("当月各单位最高网办率为 0，网办部分均为 0 分")
    else:
        online_part = share / highest * ONLINE_PART_MAX
        lines.append(f"网办部分：本单位网办率 ÷ 最高网办率 {percent(highest, 1, 2)}% × {ONLINE_PART_MAX} = "
                     f"{_fig(online_part)} 分")
    monitoring = max(0, MONITORING_BASE - PER_RED_CARD * facts.red_cards)
    lines.append(f"监测部分：{MONITORING_BASE} − {PER_RED_CARD} × 超时红牌 {facts.red_cards}，不低于 0 = "
                 f"{monitoring} 分")
    if facts.refs:
        lines.append("使用的导入行：" + "、".join(facts.refs))
    raw = online_part + monitoring
    points = _clamp(raw, 0, item.max_points)
    lines.append(f"得分 {_fig(points)}")
    return points, tuple(lines)


def _check_inputs(rubric: Rubric, month: str, departments: Sequence[DepartmentMonth]) -> None:
    parse_month(month)
    seen: set[str] = set()
    for dm in departments:
        if dm.code in seen:
            raise InvalidInput(f"单位 {dm.code} 在 {month} 的考核中出现两次。")
        seen.add(dm.code)
        for e in dm.entries:
            check_entry(rubric, e.item_id, e.points, e.reason)
        for name, value in (("计入评价", dm.ratings.counted), ("差评", dm.ratings.bad),
                            ("叫号次数", dm.ratings.arm_events), ("办件量", dm.ratings.served_import or 0)):
            if value < 0:
                raise InvalidInput(f"单位 {dm.code}：{name}不能为负数。")
        if dm.ratings.bad > dm.ratings.counted:
            raise InvalidInput(f"单位 {dm.code}：差评数大于计入评价数。")
        if dm.online is not None:
            o = dm.online
            if min(o.online, o.processed, o.red_cards) < 0 or o.online > o.processed:
                raise InvalidInput(f"单位 {dm.code}：网上办件数须在 0 与办件总数之间，红牌数不能为负。")


def score_department(rubric: Rubric, dm: DepartmentMonth, highest_online_share: Fraction,
                     channel_labels: Mapping[str, str] | None = None
                     ) -> tuple[tuple[ItemScore, ...], tuple[CategoryScore, ...], Fraction]:
    """Items, categories and the exact total of one department for the month."""
    labels = channel_labels or {}
    items: list[ItemScore] = []
    categories: list[CategoryScore] = []
    total = Fraction(0)
    for cat in rubric.categories:
        cat_sum = Fraction(0)
        for item in cat.items:
            if item.rule == RULE_RATING_SATISFACTION:
                points, lines = _rating_item(item, dm, labels)
            elif item.rule == RULE_ONLINE_PROCESSING:
                points, lines = _online_item(item, dm, highest_online_share)
            elif item.scoring in (DEDUCT, BONUS):
                points, lines = _entry_item(rubric, item, dm.entries)
            else:  # a computed item with a rule this code does not know: the rubric loader refuses it
                raise InvalidInput(f"考核项 {item.id} 的计算规则 {item.rule!r} 未知。")
            items.append(ItemScore(item.id, item.name, item.max_points, points,
                                   round_half_up(points, PUBLISH_PLACES), lines))
            cat_sum += points
        cat_points = _clamp(cat_sum, 0, cat.max_points)
        categories.append(CategoryScore(cat.key, cat.name, cat.max_points, cat_points,
                                        round_half_up(cat_points, PUBLISH_PLACES)))
        total += cat_points
    return tuple(items), tuple(categories), total


# ---------------------------------------------------------------------------------------------- the month


def ladder_step(run: int) -> int:
    """The step of a run of consecutive 较差 months: the run capped at 3 (a 4th month in a row stays 约谈)."""
    return min(max(run, 0), LADDER_MAX_STEP)


def excellent_cutoff(totals_of_eligible: Sequence[Decimal]) -> Decimal | None:
    """The third eligible total (all eligible when fewer than three); None when nobody is eligible."""
    ordered = sorted(totals_of_eligible, reverse=True)
    if not ordered:
        return None
    return ordered[min(TOP_PLACES, len(ordered)) - 1]


def assess_month(rubric: Rubric, month: str, departments: Sequence[DepartmentMonth],
                 previous_runs: Mapping[str, int] | None = None,
                 channel_labels: Mapping[str, str] | None = None) -> MonthAssessment:
    """Score, rank and award one month. `previous_runs[code]`: the 较差 run ending at the previous month."""
    _check_inputs(rubric, month, departments)
    runs = previous_runs or {}
    highest = max((dm.online.share for dm in departments if dm.online is not None), default=Fraction(0))
    scored = []
    for dm in departments:
        items, cats, total = score_department(rubric, dm, highest, channel_labels)
        scored.append((dm, items, cats, total, round_half_up(total, PUBLISH_PLACES)))
    scored.sort(key=lambda s: (-s[4], s[0].code))
    published = [s[4] for s in scored]

    eligible_totals = [s[4] for s in scored if s[0].veto_reason is None]
    cutoff = excellent_cutoff(eligible_totals)
    excellent = {s[0].code for s in scored if s[0].veto_reason is None and cutoff is not None and s[4] >= cutoff}
    lowest = min(published, default=None)
    poor: set[str] = set()
    if lowest is not None and (cutoff is None or lowest < cutoff):
        poor = {s[0].code for s in scored if s[4] == lowest}

    # Who would have been 优秀 without any veto: a vetoed department among them is passed over, and says so.
    cutoff_all = excellent_cutoff(published)
    would_be = {s[0].code for s in scored if cutoff_all is not None and s[4] >= cutoff_all}
    passed_over = [s[0] for s in scored if s[0].veto_reason is not None and s[0].code in would_be]
    substitutes = [s[0] for s in scored if s[0].code in excellent and s[0].code not in would_be]
    month_notes: list[str] = []
    # No substitute happens exactly when the third place was tied: enough 优秀 remain without the vetoed one.
    sub_text = ("由 " + "、".join(f"{d.name}（{d.code}）" for d in substitutes) + " 依次递补" if substitutes
                else "并列第三名的单位已足三名，无需递补")
    for d in passed_over:
        reason = (d.veto_reason or "").rstrip("。")
        month_notes.append(f"{d.name}（{d.code}）本月被一票否决（{reason}），不能评为优秀窗口单位；{sub_text}。")
    if lowest is not None and not poor:
        month_notes.append("本月最低总分已达到优秀窗口单位的分数线，不评较差窗口单位。")

    rows: list[DepartmentAssessment] = []
    for dm, items, cats, total, pub in scored:
        rank = 1 + sum(1 for p in published if p > pub)
        award = EXCELLENT if dm.code in excellent else (POOR if dm.code in poor else None)
        notes: list[str] = []
        if dm.veto_reason is not None:
            notes.append(f"一票否决：{dm.veto_reason}（取消当月评先评优资格，名次与分数不变）")
        if award == EXCELLENT:
            notes.append(f"{AWARD_LABELS[EXCELLENT]}：窗口负责人奖励 {EXCELLENT_BONUS_YUAN} 元")
        run = runs.get(dm.code, 0) + 1 if award == POOR else 0
        step = ladder_step(run)
        label = LADDER_LABELS.get(step, "")
        if award == POOR:
            notes.append(f"{AWARD_LABELS[POOR]}：连续第 {run} 个月，{label}")
        rows.append(DepartmentAssessment(dm.code, dm.name, items, cats, total, pub, rank, dm.veto_reason is not None,
                                         dm.veto_reason, award, run, step, label, tuple(notes)))
    return MonthAssessment(month, tuple(rows), cutoff, highest, tuple(month_notes))
