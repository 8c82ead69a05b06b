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
from pingyi.core.explain import Step, lines, step
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
    explanation_steps: tuple[Step, ...]

    @property
    def explanation(self) -> tuple[str, ...]:
        """The steps rendered (core/explain.py)."""
        return tuple(lines(self.explanation_steps))


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
    note_steps: tuple[Step, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(lines(self.note_steps))


@dataclass(frozen=True)
class MonthAssessment:
    month: str
    rows: tuple[DepartmentAssessment, ...]  # ranking order: published total descending, then code
    excellent_cutoff: Decimal | None  # the third eligible total (None: nobody eligible)
    highest_online_share: Fraction
    note_steps: tuple[Step, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(lines(self.note_steps))


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


def _entry_item(rubric: Rubric, item: RubricItem, entries: Sequence[Entry]) -> tuple[Fraction, tuple[Step, ...]]:
    mine = [e for e in entries if e.item_id == item.id]
    total = sum((Fraction(e.points) for e in mine), Fraction(0))
    kind = "monthly.deduct" if item.scoring == DEDUCT else "monthly.bonus"
    raw = item.max_points - total if item.scoring == DEDUCT else total
    head = step(f"{kind}.head", max_points=item.max_points)
    steps = [step(f"{kind}.entry", points=_fig(Fraction(e.points)), reason=e.reason, ref=e.ref) for e in mine]
    if not mine:
        steps = [step(f"{kind}.none")]
    points = _clamp(raw, 0, item.max_points)
    tail = (step("monthly.entry.score", points=_fig(points)) if points == raw else
            step("monthly.entry.score_clamped", points=_fig(points), max_points=item.max_points, raw=_fig(raw)))
    return points, (head, *steps, tail)


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
                 channel_labels: Mapping[str, str]) -> tuple[Fraction, tuple[Step, ...]]:
    r = dm.ratings
    served = r.served
    part = participation_part(r.counted, served)
    source = "import" if r.served_import is not None else "arm"
    steps: list[Step] = []
    if served <= 0:
        steps.append(step("monthly.rating.no_served", source=source))
    else:
        steps.append(step("monthly.rating.participation", counted=r.counted, served=served, source=source,
                          rate=percent(r.counted, served, 2), part=part))
    if r.by_channel:
        steps.append(step("monthly.rating.channels", channels=tuple(
            {"channel": ch, "label": channel_labels.get(ch, ch), "counted": n, "bad": b} for ch, n, b in r.by_channel)))
    general = sum(1 for c in dm.complaints if not c.serious)
    serious = sum(1 for c in dm.complaints if c.serious)
    satisfaction = SATISFACTION_BASE - PER_BAD_OR_COMPLAINT * (r.bad + general) - PER_SERIOUS_COMPLAINT * serious
    steps.append(step("monthly.rating.satisfaction", base=SATISFACTION_BASE, per=PER_BAD_OR_COMPLAINT, bad=r.bad,
                      general=general, per_serious=PER_SERIOUS_COMPLAINT, serious=serious, satisfaction=satisfaction))
    if r.bad_refs:
        steps.append(step("monthly.rating.bad_refs", refs=tuple({"ref": ref} for ref in r.bad_refs)))
    if dm.complaints:
        steps.append(step("monthly.rating.complaints", complaints=tuple(
            {"ref": c.ref, "decided_on": c.decided_on, "serious": int(c.serious),
             "points": PER_SERIOUS_COMPLAINT if c.serious else PER_BAD_OR_COMPLAINT} for c in dm.complaints)))
    if r.import_refs:
        steps.append(step("monthly.rating.import_refs", refs=tuple({"ref": ref} for ref in r.import_refs)))
    raw = Fraction(part + satisfaction)
    points = _clamp(raw, 0, item.max_points)
    steps.append(step("monthly.rating.total", total=part + satisfaction, points=_fig(points)) if points == raw else
                 step("monthly.rating.total_clamped", total=part + satisfaction, max_points=item.max_points,
                      points=_fig(points)))
    return points, tuple(steps)


def _online_item(item: RubricItem, dm: DepartmentMonth, highest: Fraction) -> tuple[Fraction, tuple[Step, ...]]:
    facts = dm.online or OnlineFacts()
    share = facts.share
    steps: list[Step] = []
    if dm.online is None:
        steps.append(step("monthly.online.none"))
    else:
        rate = percent(share, 1, 2) if facts.processed > 0 else "0"
        steps.append(step("monthly.online.share", online=facts.online, processed=facts.processed, rate=rate))
    if highest == 0:
        online_part = Fraction(0)
        steps.append(step("monthly.online.highest_zero"))
    else:
        online_part = share / highest * ONLINE_PART_MAX
        steps.append(step("monthly.online.part", highest=percent(highest, 1, 2), max_part=ONLINE_PART_MAX,
                          part=_fig(online_part)))
    monitoring = max(0, MONITORING_BASE - PER_RED_CARD * facts.red_cards)
    steps.append(step("monthly.online.monitoring", base=MONITORING_BASE, per=PER_RED_CARD, red_cards=facts.red_cards,
                      monitoring=monitoring))
    if facts.refs:
        steps.append(step("monthly.online.refs", refs=tuple({"ref": ref} for ref in facts.refs)))
    raw = online_part + monitoring
    points = _clamp(raw, 0, item.max_points)
    steps.append(step("monthly.online.score", points=_fig(points)))
    return points, tuple(steps)


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
                points, steps = _rating_item(item, dm, labels)
            elif item.rule == RULE_ONLINE_PROCESSING:
                points, steps = _online_item(item, dm, highest_online_share)
            elif item.scoring in (DEDUCT, BONUS):
                points, steps = _entry_item(rubric, item, dm.entries)
            else:  # a computed item with a rule this code does not know: the rubric loader refuses it
                raise InvalidInput(f"考核项 {item.id} 的计算规则 {item.rule!r} 未知。")
            items.append(ItemScore(item.id, item.name, item.max_points, points,
                                   round_half_up(points, PUBLISH_PLACES), steps))
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
    month_notes: list[Step] = []
    # No substitute happens exactly when the third place was tied: enough 优秀 remain without the vetoed one
    # (the step's `substitutes` is then empty).
    subs = tuple({"name": d.name, "code": d.code} for d in substitutes)
    for d in passed_over:
        month_notes.append(step("monthly.veto_passed_over", name=d.name, code=d.code,
                                reason=(d.veto_reason or "").rstrip("。"), substitutes=subs))
    if lowest is not None and not poor:
        month_notes.append(step("monthly.no_poor"))

    rows: list[DepartmentAssessment] = []
    for dm, items, cats, total, pub in scored:
        rank = 1 + sum(1 for p in published if p > pub)
        award = EXCELLENT if dm.code in excellent else (POOR if dm.code in poor else None)
        notes: list[Step] = []
        if dm.veto_reason is not None:
            notes.append(step("monthly.veto", reason=dm.veto_reason))
        if award == EXCELLENT:
            notes.append(step("monthly.excellent", award=EXCELLENT, award_label=AWARD_LABELS[EXCELLENT],
                              bonus_yuan=EXCELLENT_BONUS_YUAN))
        run = runs.get(dm.code, 0) + 1 if award == POOR else 0
        rung = ladder_step(run)
        label = LADDER_LABELS.get(rung, "")
        if award == POOR:
            notes.append(step("monthly.poor", award=POOR, award_label=AWARD_LABELS[POOR], run=run, ladder_step=rung,
                              ladder_label=label))
        rows.append(DepartmentAssessment(dm.code, dm.name, items, cats, total, pub, rank, dm.veto_reason is not None,
                                         dm.veto_reason, award, run, rung, label, tuple(notes)))
    return MonthAssessment(month, tuple(rows), cutoff, highest, tuple(month_notes))
