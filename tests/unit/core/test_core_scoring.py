"""Unit tests for pingyi.core.scoring (SPEC §2): table-driven, the SPEC's worked example first."""

from decimal import Decimal
from fractions import Fraction

import pytest

from pingyi.core.errors import InvalidInput
from pingyi.core.scoring import (
    BASICALLY_SATISFIED_MIN,
    SATISFIED_MIN,
    DepartmentTally,
    round_half_up_2,
    score_campaign,
    tally_from_totals,
)


def by_code(results):
    return {r.code: r for r in results}


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    "value, expected",
    [
        pytest.param(Fraction(16999, 200), "85.00", id="16999/200 = 84.995 → 85.00 (half up, not banker's)"),
        pytest.param(Fraction(16997, 200), "84.99", id="16997/200 = 84.985 → 84.99 (banker's would give 84.98)"),
        pytest.param(Fraction(13999, 200), "70.00", id="13999/200 = 69.995 → 70.00"),
        pytest.param(Fraction(84994999, 1000000), "84.99", id="84.994999 → 84.99"),
        pytest.param(Fraction(257, 3) - 20, "65.67", id="257/3 − 20 = 65.666… → 65.67"),
        pytest.param(Fraction(169, 2), "84.50", id="169/2 = 84.5 → 84.50 (two places kept)"),
        pytest.param(Fraction(0), "0.00", id="0 → 0.00"),
        pytest.param(Fraction(100), "100.00", id="100 → 100.00"),
        pytest.param(Fraction(1, 800), "0.00", id="0.00125 → 0.00"),
        pytest.param(Fraction(1, 200), "0.01", id="0.005 → 0.01"),
        pytest.param(Fraction(-1, 200), "-0.01", id="−0.005 → −0.01 (away from zero)"),
    ],
)
def test_round_half_up_2(value, expected):
    result = round_half_up_2(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


# ---------------------------------------------------------------- single department figures

CASES = [
    # (id / arithmetic, totals, substantiated, k, raw, unfloored, final, published, grade)
    ("SPEC A: (100+86+71)/3 = 85.666…; −20 → 65.666… → 65.67 不满意",
     [100, 86, 71], 1, 5, Fraction(257, 3), Fraction(197, 3), Fraction(197, 3), "65.67", "unsatisfied"),
    ("SPEC B: (90+79)/2 = 84.5 → 84.50 基本满意",
     [90, 79], 0, 5, Fraction(169, 2), Fraction(169, 2), Fraction(169, 2), "84.50", "basically_satisfied"),
    ("floor: raw 30 − 2×20 = −10 unfloored, final 0 → 0.00 不满意",
     [30], 2, 5, Fraction(30), Fraction(-10), Fraction(0), "0.00", "unsatisfied"),
    ("exactly 20 penalty to 0: 20 − 20 = 0, no flooring needed",
     [20], 1, 5, Fraction(20), Fraction(0), Fraction(0), "0.00", "unsatisfied"),
    ("84.995: 200 sections summing 16999 → 16999/200 = 84.995 → 85.00 满意",
     [85] * 199 + [84], 0, 5, Fraction(16999, 200), Fraction(16999, 200), Fraction(16999, 200), "85.00",
     "satisfied"),
    ("69.995: 200 sections summing 13999 → 69.995 → 70.00 基本满意",
     [70] * 199 + [69], 0, 5, Fraction(13999, 200), Fraction(13999, 200), Fraction(13999, 200), "70.00",
     "basically_satisfied"),
    ("84.985: 200 sections summing 16997 → 84.985 → 84.99 基本满意 (half-up, not half-even 84.98)",
     [85] * 197 + [84] * 3, 0, 5, Fraction(16997, 200), Fraction(16997, 200), Fraction(16997, 200), "84.99",
     "basically_satisfied"),
    ("boundary: mean exactly 85 → 85.00 满意",
     [85, 85], 0, 5, Fraction(85), Fraction(85), Fraction(85), "85.00", "satisfied"),
    ("boundary: mean exactly 70 → 70.00 基本满意",
     [70], 0, 5, Fraction(70), Fraction(70), Fraction(70), "70.00", "basically_satisfied"),
    ("just below: (85+84)/2 = 84.5 → 84.50 基本满意 (grade from published, not raw rounding up)",
     [85, 84], 0, 5, Fraction(169, 2), Fraction(169, 2), Fraction(169, 2), "84.50", "basically_satisfied"),
    ("just below 70: 13998/200 = 69.99 → 69.99 不满意",
     [70] * 198 + [69, 69], 0, 5, Fraction(6999, 100), Fraction(6999, 100), Fraction(6999, 100), "69.99",
     "unsatisfied"),
    ("penalty pushes 100 → 80 基本满意: 100 − 20 = 80",
     [100, 100, 100, 100, 100], 1, 5, Fraction(100), Fraction(80), Fraction(80), "80.00", "basically_satisfied"),
]


@pytest.mark.parametrize(
    "totals, substantiated, k, raw, unfloored, final, published, grade",
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_department_figures(totals, substantiated, k, raw, unfloored, final, published, grade):
    (r,) = score_campaign([tally_from_totals("D01", "部门", totals, substantiated)], k=k)
    assert r.raw_exact == raw
    assert r.unfloored_exact == unfloored
    assert r.final_exact == final
    assert r.published == Decimal(published) and str(r.published) == published
    assert r.grade == grade
    assert r.penalty == 20 * substantiated
    assert r.rank == 1


def test_spec_worked_example_explanation_and_display():
    """A: 257/3 = 85.666667 (6-place display), −20 → 65.666667, published 65.67 不满意; B first (84.50)."""
    results = score_campaign([
        tally_from_totals("A", "县招商局", [100, 86, 71], 1),
        tally_from_totals("B", "县发改委", [90, 79]),
    ])
    assert [r.code for r in results] == ["B", "A"]
    a = by_code(results)["A"]
    assert a.raw == Decimal("85.666667")
    assert a.unfloored == Decimal("65.666667") and a.final == Decimal("65.666667")
    assert (a.grade, a.grade_label) == ("unsatisfied", "不满意")
    assert a.consequences == ("public_criticism", "rectification", "award_disqualified")
    assert a.consequence_labels[0] == "通报批评"
    text = "\n".join(a.explanation)
    assert "3 份完整评议，合计 257 分，平均 85.666667 分" in text
    assert "属实投诉 1 件 × 20 = −20 分" in text
    assert "扣减后 65.666667 分" in text
    assert "公布分 65.67" in text and "不满意" in text
    b = by_code(results)["B"]
    assert (b.published, b.grade_label, b.rank, b.consequences) == (Decimal("84.50"), "基本满意", 1, ())


def test_floor_keeps_unfloored_in_result_and_explanation():
    """30 − 2×20 = −10: final 0, unfloored −10 visible."""
    (r,) = score_campaign([tally_from_totals("X", "部门", [30], 2)])
    assert r.unfloored == Decimal("-10.000000") and r.final == Decimal("0.000000")
    assert r.to_dict()["unfloored"] == "-10.000000"
    assert any("−10" in line and "不低于 0" in line for line in r.explanation)


# ---------------------------------------------------------------- ranking


def test_ties_share_rank_competition_style_listed_by_code():
    """90, 80, 80, 70 → ranks 1, 2, 2, 4; the two 80s listed C before D by code, whatever the input order."""
    tallies = [
        tally_from_totals("D", "丁", [80]),
        tally_from_totals("E", "戊", [70]),
        tally_from_totals("C", "丙", [80]),
        tally_from_totals("A", "甲", [90]),
    ]
    results = score_campaign(tallies)
    assert [(r.code, r.rank) for r in results] == [("A", 1), ("C", 2), ("D", 2), ("E", 4)]


def test_ties_are_on_the_published_figure():
    """160/2 = 80.00 and 80.001 round to 80.00 → same rank; 80.005 → 80.01 ranks above."""
    results = score_campaign([
        DepartmentTally("B", "乙", 1000, 80001, 0),   # 80.001 → 80.00
        DepartmentTally("A", "甲", 2, 160, 0),        # 80 → 80.00
        DepartmentTally("C", "丙", 200, 16001, 0),    # 80.005 → 80.01
    ])
    assert [(r.code, str(r.published), r.rank) for r in results] == [
        ("C", "80.01", 1), ("A", "80.00", 2), ("B", "80.00", 2)]


def test_not_rated_department_listed_last_by_code_without_score():
    """0 sections → 未获评议, no score/grade/rank, after ranked ones, complaints still shown."""
    results = score_campaign([
        DepartmentTally("Z", "无评议乙", 0, 0, 0),
        DepartmentTally("M", "无评议甲", 0, 0, 2),
        tally_from_totals("Q", "有评议", [10]),
    ])
    assert [r.code for r in results] == ["Q", "M", "Z"]
    m = results[1]
    assert (m.published, m.grade, m.grade_label, m.rank, m.raw) == (None, None, None, None, None)
    assert (m.status, m.status_label, m.substantiated, m.consequences) == ("not_rated", "未获评议", 2, ())
    assert any("属实投诉 2 件" in line for line in m.explanation)
    d = m.to_dict()
    assert d["published"] is None and d["status"] == "not_rated" and d["rank"] is None


@pytest.mark.parametrize(
    "count, k, small",
    [
        pytest.param(4, 5, True, id="4 sections < k=5 → small cell"),
        pytest.param(5, 5, False, id="5 sections = k=5 → not small"),
        pytest.param(2, 3, True, id="k−1 = 2 with k=3 → small"),
        pytest.param(3, 3, False, id="k = 3 with k=3 → not small"),
    ],
)
def test_small_cell_boundary(count, k, small):
    (r,) = score_campaign([tally_from_totals("X", "部门", [90] * count)], k=k)
    assert r.small_cell is small
    assert r.published == Decimal("90.00") and r.grade == "satisfied"  # scored and graded anyway


@pytest.mark.parametrize(
    "grade_total, expected",
    [
        pytest.param(85, ("commendation",), id="85.00 满意 → commendation"),
        pytest.param(84, (), id="84.00 基本满意 → none"),
        pytest.param(69, ("public_criticism", "rectification", "award_disqualified"), id="69.00 不满意 → three"),
    ],
)
def test_consequences(grade_total, expected):
    (r,) = score_campaign([tally_from_totals("X", "部门", [grade_total])])
    assert r.consequences == expected


def test_thresholds_are_decimal_constants():
    assert (Decimal("85.00"), Decimal("70.00")) == (SATISFIED_MIN, BASICALLY_SATISFIED_MIN)


def test_to_dict_is_json_safe():
    import json

    results = score_campaign([tally_from_totals("A", "县招商局", [100, 86, 71], 1)])
    d = results[0].to_dict()
    json.dumps(d, ensure_ascii=False)
    assert d["published"] == "65.67" and d["raw_exact"] == "257/3" and d["grade_label"] == "不满意"


@pytest.mark.parametrize(
    "tallies, kwargs",
    [
        pytest.param([DepartmentTally("A", "甲", 1, 1, 0), DepartmentTally("A", "乙", 1, 1, 0)], {},
                     id="duplicate code"),
        pytest.param([DepartmentTally("A", "甲", -1, 0, 0)], {}, id="negative count"),
        pytest.param([DepartmentTally("A", "甲", 0, 5, 0)], {}, id="sum without sections"),
        pytest.param([], {"k": 0}, id="k must be ≥ 1"),
    ],
)
def test_bad_inputs_refused(tallies, kwargs):
    with pytest.raises(InvalidInput):
        score_campaign(tallies, **kwargs)


@pytest.mark.parametrize("part, whole, places, shown", [
    (73, 80, 1, "91.3"),   # 91.25 % — float formatting would show 91.2
    (73, 80, 2, "91.25"),
    (1, 8, 0, "13"),       # 12.5 % rounds half-up to 13, not to the even 12
    (0, 5, 2, "0.00"),
])
def test_percent_rounds_half_up_once(part, whole, places, shown):
    """Every percentage shown goes through the one half-up function (SPEC §2 rounding)."""
    from pingyi.core.scoring import percent

    assert percent(part, whole, places) == shown


def test_the_explanation_lists_each_substantiated_complaint_by_code_and_decision_date():
    """Issue 10 "effects visible": 2 complaints × 20 = −40, each named with its decision date (code order); a
    department without sections lists its complaints too."""
    rated = DepartmentTally("A", "县招商局", 2, 180, 2, complaints=(("C-BBBB", "2025-06-20"), ("C-AAAA", "2025-03-01")))
    unrated = DepartmentTally("B", "县发改委", 0, 0, 1, complaints=(("C-CCCC", "2025-07-07"),))
    results = by_code(score_campaign([rated, unrated]))
    assert "属实投诉 2 件 × 20 = −40 分" in results["A"].explanation
    assert "计入的属实投诉：C-AAAA（认定日期 2025-03-01）、C-BBBB（认定日期 2025-06-20）" in results["A"].explanation
    assert "计入的属实投诉：C-CCCC（认定日期 2025-07-07）" in results["B"].explanation
