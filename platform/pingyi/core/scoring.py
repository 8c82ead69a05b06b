"""Core layer: annual evaluation scoring, grades, ranking and consequences (SPEC §2, §6 explanation).

Arithmetic is exact: means are `fractions.Fraction`; the only rounding that decides anything is
`round_half_up_2`, applied once to the final score to get the published figure. The 6-place Decimals in a
result (`raw`, `unfloored`, `final`) are display copies; the exact fractions travel beside them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypedDict

from pingyi.core.errors import InvalidInput
from pingyi.core.explain import Step, lines, step

DEFAULT_K = 5
PENALTY_PER_SUBSTANTIATED = 20
DISPLAY_PLACES = 6

SATISFIED_MIN = Decimal("85.00")
BASICALLY_SATISFIED_MIN = Decimal("70.00")

SATISFIED = "satisfied"
BASICALLY_SATISFIED = "basically_satisfied"
UNSATISFIED = "unsatisfied"
NOT_RATED = "not_rated"

GRADE_LABELS: dict[str, str] = {
    SATISFIED: "满意",
    BASICALLY_SATISFIED: "基本满意",
    UNSATISFIED: "不满意",
}
STATUS_LABELS: dict[str, str] = {**GRADE_LABELS, NOT_RATED: "未获评议"}

COMMENDATION = "commendation"
PUBLIC_CRITICISM = "public_criticism"
RECTIFICATION = "rectification"
AWARD_DISQUALIFIED = "award_disqualified"

CONSEQUENCES_BY_GRADE: dict[str, tuple[str, ...]] = {
    SATISFIED: (COMMENDATION,),
    BASICALLY_SATISFIED: (),
    UNSATISFIED: (PUBLIC_CRITICISM, RECTIFICATION, AWARD_DISQUALIFIED),
}
CONSEQUENCE_LABELS: dict[str, str] = {
    COMMENDATION: "列入表扬名单",
    PUBLIC_CRITICISM: "通报批评",
    RECTIFICATION: "限期整改",
    AWARD_DISQUALIFIED: "取消单位及其领导评先评优资格",
}


@dataclass(frozen=True)
class DepartmentTally:
    """What the database aggregates per department for one campaign.

    `section_sum` is the integer sum of the totals of the department's complete sections;
    `substantiated` counts complaints decided 属实 inside the campaign's complaint window; `complaints` names them
    (tracking code, decision date) for the explanation, when the caller has them.
    """

    code: str
    name: str
    section_count: int
    section_sum: int
    substantiated: int
    complaints: tuple[tuple[str, str], ...] = ()


def tally_from_totals(code: str, name: str, totals: Sequence[int], substantiated: int = 0) -> DepartmentTally:
    """Build a tally from individual section totals (tests, bulletin recomputation)."""
    return DepartmentTally(code, name, len(totals), sum(totals), substantiated)


def _half_up(value: Fraction, places: int) -> Decimal:
    """Exact half-up (away from zero on a tie) rounding of a fraction to `places` decimals."""
    scale = 10**places
    scaled = value * scale
    magnitude, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        magnitude += 1
    signed = -magnitude if scaled < 0 else magnitude
    return Decimal(signed).scaleb(-places)


def round_half_up(value: Fraction | int | Decimal | str, places: int) -> Decimal:
    """The one rounding of every figure shown (SPEC §2, §6): exact half-up to `places` decimals."""
    return _half_up(Fraction(value), places)


def percent(part: int | Fraction, whole: int | Fraction, places: int) -> str:
    """`part / whole` as a percentage rounded half-up ("91.25" at 2 places, "91.3" at 1); "0" places allowed."""
    return str(round_half_up(Fraction(part) * 100 / Fraction(whole), places))


def round_half_up_2(value: Fraction) -> Decimal:
    """The publication rounding (SPEC §2): half-up to 2 decimals, exact. 84.995 → 85.00; 84.994999 → 84.99."""
    return _half_up(Fraction(value), 2)


def grade_for(published: Decimal) -> str:
    """Grade key from the published (2-decimal) figure: ≥ 85.00 满意, ≥ 70.00 基本满意, else 不满意."""
    if published >= SATISFIED_MIN:
        return SATISFIED
    if published >= BASICALLY_SATISFIED_MIN:
        return BASICALLY_SATISFIED
    return UNSATISFIED


def _figure(value: Decimal) -> str:
    """An explanation's figure: no needless trailing zeros ("90", "-10", "85.666667"); the renderer shows a real
    minus sign."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _exact_or_display(value: Fraction) -> str:
    """An exact figure when it has ≤ 6 decimals, otherwise the 6-place display copy (85.666667)."""
    return _figure(_half_up(value, DISPLAY_PLACES))


@dataclass(frozen=True)
class DepartmentResult:
    """One department's annual result. `published`, `grade`, `rank` are None when not rated."""

    code: str
    name: str
    section_count: int
    section_sum: int
    raw: Decimal | None
    raw_exact: Fraction | None
    substantiated: int
    penalty: int
    unfloored: Decimal | None
    unfloored_exact: Fraction | None
    final: Decimal | None
    final_exact: Fraction | None
    published: Decimal | None
    grade: str | None
    grade_label: str | None
    rank: int | None
    small_cell: bool
    consequences: tuple[str, ...]
    explanation_steps: tuple[Step, ...] = ()

    @property
    def explanation(self) -> list[str]:
        """The steps rendered (core/explain.py)."""
        return lines(self.explanation_steps)

    @property
    def rated(self) -> bool:
        return self.published is not None

    @property
    def status(self) -> str:
        """Grade key, or "not_rated"."""
        return self.grade if self.grade is not None else NOT_RATED

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def consequence_labels(self) -> tuple[str, ...]:
        return tuple(CONSEQUENCE_LABELS[c] for c in self.consequences)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view: Decimals as strings ("65.67"), exact fractions as "257/3"."""

        def dec(v: Decimal | None) -> str | None:
            return None if v is None else f"{v:f}"

        def frac(v: Fraction | None) -> str | None:
            return None if v is None else f"{v.numerator}/{v.denominator}"

        return {
            "code": self.code,
            "name": self.name,
            "section_count": self.section_count,
            "section_sum": self.section_sum,
            "raw": dec(self.raw),
            "raw_exact": frac(self.raw_exact),
            "substantiated": self.substantiated,
            "penalty": self.penalty,
            "unfloored": dec(self.unfloored),
            "unfloored_exact": frac(self.unfloored_exact),
            "final": dec(self.final),
            "final_exact": frac(self.final_exact),
            "published": dec(self.published),
            "grade": self.grade,
            "grade_label": self.grade_label,
            "status": self.status,
            "status_label": self.status_label,
            "rank": self.rank,
            "small_cell": self.small_cell,
            "consequences": list(self.consequences),
            "consequence_labels": list(self.consequence_labels),
            "explanation_steps": [s.to_plain() for s in self.explanation_steps],
        }


def _check_tallies(tallies: Sequence[DepartmentTally], k: int, penalty: int) -> None:
    problems: list[str] = []
    if not isinstance(k, int) or k < 1:
        problems.append(f"小样本阈值 k 必须是正整数（当前为 {k!r}）。")
    if not isinstance(penalty, int) or penalty < 0:
        problems.append(f"每件属实投诉的扣分必须是非负整数（当前为 {penalty!r}）。")
    seen: set[str] = set()
    for t in tallies:
        if t.code in seen:
            problems.append(f"部门代码 {t.code} 重复出现。")
        seen.add(t.code)
        if t.section_count < 0 or t.section_sum < 0 or t.substantiated < 0:
            problems.append(f"{t.name}（{t.code}）：评议份数、总分和属实投诉数不能为负。")
        elif t.section_count == 0 and t.section_sum != 0:
            problems.append(f"{t.name}（{t.code}）：没有完整评议却有总分 {t.section_sum}。")
    if problems:
        raise InvalidInput("".join(problems), {"problems": problems})


class _Scored(TypedDict):
    """The DepartmentResult fields `_score_one` computes from one tally alone."""

    raw: Decimal | None
    raw_exact: Fraction | None
    penalty: int
    unfloored: Decimal | None
    unfloored_exact: Fraction | None
    final: Decimal | None
    final_exact: Fraction | None
    published: Decimal | None
    grade: str | None
    grade_label: str | None
    small_cell: bool
    consequences: tuple[str, ...]
    explanation_steps: list[Step]


def _complaint_step(t: DepartmentTally) -> Step:
    """The substantiated complaints counted, in tracking-code order."""
    return step("annual.complaints", complaints=tuple({"code": code, "decided_on": on}
                                                      for code, on in sorted(t.complaints)))


def _score_one(t: DepartmentTally, k: int, penalty_per: int) -> _Scored:
    """Everything except the rank (which needs all departments)."""
    penalty = penalty_per * t.substantiated
    steps: list[Step] = []
    if t.section_count == 0:
        steps.append(step("annual.not_rated"))
        if t.substantiated:
            steps.append(step("annual.not_rated.complaints", count=t.substantiated))
            if t.complaints:
                steps.append(_complaint_step(t))
        else:
            steps.append(step("annual.not_rated.no_complaints"))
        return _Scored(raw=None, raw_exact=None, penalty=0, unfloored=None, unfloored_exact=None,
                       final=None, final_exact=None, published=None, grade=None, grade_label=None,
                       small_cell=True, consequences=(), explanation_steps=steps)

    raw = Fraction(t.section_sum, t.section_count)
    unfloored = raw - penalty
    final = max(Fraction(0), unfloored)
    published = round_half_up_2(final)
    grade = grade_for(published)
    small_cell = t.section_count < k

    steps.append(step("annual.sections", sections=t.section_count, sum=t.section_sum, mean=_exact_or_display(raw)))
    if t.substantiated:
        steps.append(step("annual.penalty", count=t.substantiated, per=penalty_per, penalty=penalty))
        if t.complaints:
            steps.append(_complaint_step(t))
        steps.append(step("annual.floored" if unfloored < 0 else "annual.after_penalty",
                          unfloored=_exact_or_display(unfloored)))
    else:
        steps.append(step("annual.no_penalty"))
    steps.append(step("annual.published", published=f"{published:f}", grade=grade, grade_label=GRADE_LABELS[grade]))
    if small_cell:
        steps.append(step("annual.small_cell", k=k))
    return _Scored(
        raw=_half_up(raw, DISPLAY_PLACES), raw_exact=raw, penalty=penalty,
        unfloored=_half_up(unfloored, DISPLAY_PLACES), unfloored_exact=unfloored,
        final=_half_up(final, DISPLAY_PLACES), final_exact=final,
        published=published, grade=grade, grade_label=GRADE_LABELS[grade],
        small_cell=small_cell, consequences=CONSEQUENCES_BY_GRADE[grade], explanation_steps=steps,
    )


def _frozen(s: _Scored) -> dict[str, Any]:
    return {**s, "explanation_steps": tuple(s["explanation_steps"])}


def score_campaign(
    tallies: Iterable[DepartmentTally], k: int = DEFAULT_K, penalty: int = PENALTY_PER_SUBSTANTIATED
) -> list[DepartmentResult]:
    """Score every department; return them in published order.

    Rated departments first, by published score descending, ties by code ascending, with competition
    ranks (1, 2, 2, 4); then the not-rated ones (未获评议) by code, with rank None.
    """
    tallies = list(tallies)
    _check_tallies(tallies, k, penalty)
    scored = [(t, _score_one(t, k, penalty)) for t in tallies]
    rated = sorted(((t, s, s["published"]) for t, s in scored if s["published"] is not None),
                   key=lambda r: (-r[2], r[0].code))
    unrated = sorted((p for p in scored if p[1]["published"] is None), key=lambda p: p[0].code)

    shared = Counter(published for _, _, published in rated)
    results: list[DepartmentResult] = []
    rank = 0
    previous: Decimal | None = None
    for position, (t, s, published) in enumerate(rated, start=1):
        if published != previous:
            rank, previous = position, published
        tied = shared[published] > 1
        s["explanation_steps"].append(step("annual.rank_tied" if tied else "annual.rank", rank=rank))
        results.append(DepartmentResult(t.code, t.name, t.section_count, t.section_sum,
                                        substantiated=t.substantiated, rank=rank, **_frozen(s)))
    for t, s in unrated:
        results.append(DepartmentResult(t.code, t.name, t.section_count, t.section_sum,
                                        substantiated=t.substantiated, rank=None, **_frozen(s)))
    return results
