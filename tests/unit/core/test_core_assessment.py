"""Table-driven tests of the monthly window assessment (SPEC §4): every boundary of 1.6 and 2.5, entries, ranking,
优秀 / 较差 with ties and vetoes, the escalation ladder across a year boundary, a department joining mid-year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from pingyi.catalog import load_rubric
from pingyi.core import assessment as a
from pingyi.core.errors import InvalidInput

RUBRIC = load_rubric(Path(__file__).resolve().parents[3] / "surveys" / "monthly_rubric.toml")
MONTH = "2026-11"
# A department with no data at all: deduct items full (45 + 50), 1.6 = 0 + 10, 2.5 = 0 + 5, bonus 0.
BASELINE = Decimal("110.00")


def dm(code: str, **kw: object) -> a.DepartmentMonth:
    return a.DepartmentMonth(code=code, name=f"单位{code}", **kw)  # type: ignore[arg-type]


def item(result: a.DepartmentAssessment, item_id: str) -> a.ItemScore:
    return next(i for i in result.items if i.item_id == item_id)


def one(d: a.DepartmentMonth, **kw: object) -> a.DepartmentAssessment:
    return a.assess_month(RUBRIC, MONTH, [d], **kw).rows[0]  # type: ignore[arg-type]


def test_baseline_without_any_data() -> None:
    row = one(dm("D01"))
    assert row.published_total == BASELINE
    assert item(row, "1.6").points == 10
    assert item(row, "2.5").points == 5
    assert [c.published for c in row.categories] == [Decimal("55.00"), Decimal("55.00"), Decimal("0.00")]


# ------------------------------------------------------------------ 1.6 participation boundaries (exact)
@pytest.mark.parametrize(("counted", "served", "part"), [
    (81, 100, 5),       # 81 % > 80 %
    (80, 100, 0),       # 80 % is not above 80 %
    (4001, 5000, 5),    # 80.02 % is above 80 %
    (3999, 5000, 0),    # 79.98 %
    (50, 100, 0),       # 50 % belongs to 50 %–80 %
    (49, 100, -5),      # below 50 %
    (4999, 10000, -5),  # 49.99 %
    (120, 100, 5),      # above 100 % counts as above 80 %
    (0, 100, -5),       # served but nobody rated
    (0, 0, 0),          # no served transaction → 0
    (7, 0, 0),          # ratings without served transactions → 0
])
def test_participation_part(counted: int, served: int, part: int) -> None:
    assert a.participation_part(counted, served) == part
    row = one(dm("D01", ratings=a.RatingFacts(counted=counted, arm_events=served)))
    assert item(row, "1.6").points == max(0, min(15, 10 + part))


def test_imported_served_count_takes_precedence_over_arm_events() -> None:
    # arm events say 100 % participation, the import says 10 of 100: the import wins → −5
    facts = a.RatingFacts(counted=10, arm_events=10, served_import=100)
    assert item(one(dm("D01", ratings=facts)), "1.6").points == 5
    # an import of 0 means no served transaction, even when arm events exist
    facts = a.RatingFacts(counted=1, arm_events=50, served_import=0)
    assert item(one(dm("D01", ratings=facts)), "1.6").points == 10


# ------------------------------------------------------------------ 1.6 satisfaction part, floor and cap
@pytest.mark.parametrize(("counted", "served", "bad", "complaints", "points"), [
    (90, 100, 0, (), 15),                                   # +5 + 10 = 15 (the cap)
    (90, 100, 1, (), 10),                                   # +5 + 5
    (90, 100, 2, (False,), 0),                              # +5 + (10 − 15) = 0
    (90, 100, 0, (True,), 5),                               # serious complaint −10: +5 + 0
    (90, 100, 0, (True, False), 0),                         # +5 + (10 − 15) = 0
    (40, 100, 1, (), 0),                                    # −5 + 5 = 0
    (40, 100, 0, (), 5),                                    # −5 + 10
    (40, 100, 3, (True,), 0),                               # far below: floored at 0
    (60, 100, 1, (), 5),                                    # 0 + 5
])
def test_rating_item(counted: int, served: int, bad: int, complaints: tuple[bool, ...], points: int) -> None:
    facts = a.RatingFacts(counted=counted, bad=bad, arm_events=served)
    cs = tuple(a.ComplaintFact(f"TS{i}", serious=s) for i, s in enumerate(complaints))
    assert item(one(dm("D01", ratings=facts, complaints=cs)), "1.6").points == points


def test_rating_item_explains_its_figures() -> None:
    facts = a.RatingFacts(counted=4001, bad=1, arm_events=5000, by_channel=(("terminal", 4000, 1), ("web", 1, 0)),
                          bad_refs=("T01:1:7",))
    row = one(dm("D01", ratings=facts, complaints=(a.ComplaintFact("TS-2026-0001", serious=True),)),
              channel_labels={"terminal": "评价器", "web": "扫码评价"})
    text = "\n".join(item(row, "1.6").explanation)
    assert "80.02%" in text and "高于 80%" in text
    assert "评价器 4000 次（差评 1）" in text and "扫码评价 1 次（差评 0）" in text
    assert "T01:1:7" in text and "TS-2026-0001（造成较坏影响，−10）" in text


def test_each_counted_complaint_is_listed_with_its_decision_date_and_deduction() -> None:
    """Issue 10 "effects visible": the monthly explanation names each substantiated complaint by tracking code,
    with its decision date and its −5 (一般) or −10 (造成较坏影响): 10 − 5 − 10 = −5 → floored at 0."""
    cs = (a.ComplaintFact("C-AAAA-AAAA-AAAA-AAAA", decided_on="2026-11-03"),
          a.ComplaintFact("C-BBBB-BBBB-BBBB-BBBB", serious=True, decided_on="2026-11-30"))
    row = one(dm("D01", ratings=a.RatingFacts(counted=0, bad=0, arm_events=0), complaints=cs))
    text = "\n".join(item(row, "1.6").explanation)
    assert ("计入的投诉：C-AAAA-AAAA-AAAA-AAAA（认定日期 2026-11-03，−5）、"
            "C-BBBB-BBBB-BBBB-BBBB（认定日期 2026-11-30，造成较坏影响，−10）") in text


# ------------------------------------------------------------------ 2.5 online processing
@pytest.mark.parametrize(("shares", "red_cards", "expected"), [
    # (online, processed) per department A, B, C; red cards of A; expected 2.5 points of A, B, C
    (((80, 100), (40, 100), (0, 0)), 0, (10, Fraction(15, 2), 5)),      # highest 5, half → 2.5, 0 of 0 → 0
    (((80, 100), (80, 100), (20, 100)), 1, (5, 10, Fraction(25, 4))),   # tie at highest both 5; red card −5
    (((0, 100), (0, 50), (0, 0)), 0, (5, 5, 5)),                        # highest 0 → online part 0 for all
    (((1, 3), (2, 3), (1, 1)), 2, (Fraction(5, 3), Fraction(25, 3), 10)),  # exact thirds; 2 red cards floor at 0
])
def test_online_item(shares: tuple[tuple[int, int], ...], red_cards: int,
                     expected: tuple[Fraction | int, ...]) -> None:
    deps = [dm(code, online=a.OnlineFacts(online=o, processed=p, red_cards=red_cards if code == "A" else 0))
            for code, (o, p) in zip("ABC", shares, strict=True)]
    result = a.assess_month(RUBRIC, MONTH, deps)
    got = {r.code: item(r, "2.5").points for r in result.rows}
    assert (got["A"], got["B"], got["C"]) == tuple(Fraction(e) for e in expected)


def test_no_online_figure_means_share_zero_and_no_red_cards() -> None:
    result = a.assess_month(RUBRIC, MONTH, [dm("A", online=a.OnlineFacts(50, 100)), dm("B")])
    got = {r.code: item(r, "2.5").points for r in result.rows}
    assert got == {"A": 10, "B": 5}


def test_published_figures_round_half_up() -> None:
    # B's online part = (1/3)/(2/3)... use shares 1/8 vs 1 → 0.625 → published 0.63 (float formatting gives 0.62)
    deps = [dm("A", online=a.OnlineFacts(1, 1)), dm("B", online=a.OnlineFacts(1, 8, red_cards=1))]
    rows = {r.code: r for r in a.assess_month(RUBRIC, MONTH, deps).rows}
    assert item(rows["B"], "2.5").points == Fraction(5, 8)
    assert item(rows["B"], "2.5").published == Decimal("0.63")
    assert rows["B"].published_total == Decimal("105.63")


# ------------------------------------------------------------------ inspector entries
def test_entries_add_up_and_are_kept_between_zero_and_the_maximum() -> None:
    entries = (a.Entry("1.1", Decimal("5"), "空岗"), a.Entry("1.1", Decimal("7.5"), "玩手机"),  # 10 − 12.5 → 0
               a.Entry("1.3", Decimal("1.25"), "台面不整洁"),                                   # 5 − 1.25
               a.Entry("3.1", Decimal("20"), "锦旗"), a.Entry("3.1", Decimal("15"), "表扬信"))   # 35 → 30
    row = one(dm("D01", entries=entries))
    assert item(row, "1.1").points == 0
    assert "未取值前 -2.50" in item(row, "1.1").explanation[-1]
    assert item(row, "1.3").points == Fraction(15, 4)
    assert item(row, "3.1").points == 30
    assert row.published_total == BASELINE - 10 - Decimal("1.25") + 30


@pytest.mark.parametrize(("item_id", "points", "reason", "problem"), [
    ("1.6", "1", "差评", "由系统计算"),
    ("2.5", "1", "红牌", "由系统计算"),
    ("9.9", "1", "x", "不存在"),
    ("1.1", "0", "x", "大于 0"),
    ("1.1", "-1", "x", "大于 0"),
    ("1.1", "1.005", "x", "两位小数"),
    ("1.1", "abc", "x", "不是数字"),
    ("1.1", "NaN", "x", "大于 0"),
    ("1.1", "11", "x", "超过"),
    ("1.1", "1", "  ", "理由"),
])
def test_bad_entries_are_refused(item_id: str, points: str, reason: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as err:
        a.check_entry(RUBRIC, item_id, points, reason)
    assert problem in err.value.message


def test_check_entry_normalises_to_two_places() -> None:
    assert a.check_entry(RUBRIC, "1.1", "2.5", "迟到") == Decimal("2.50")


def test_an_entry_on_a_computed_item_is_refused_by_the_month_too() -> None:
    with pytest.raises(InvalidInput):
        a.assess_month(RUBRIC, MONTH, [dm("D01", entries=(a.Entry("1.6", Decimal(1), "x"),))])


# ------------------------------------------------------------------ ranking, 优秀, 较差
def with_total(code: str, minus: str, veto: str | None = None) -> a.DepartmentMonth:
    """A department whose total is BASELINE − minus (a deduction on 2.1, max 15)."""
    entries = (a.Entry("2.1", Decimal(minus), "任务未完成"),) if Decimal(minus) > 0 else ()
    return dm(code, entries=entries, veto_reason=veto)


def awards(result: a.MonthAssessment) -> dict[str, str | None]:
    return {r.code: r.award for r in result.rows}


@pytest.mark.parametrize(("deps", "ranks", "excellent", "poor"), [
    # five distinct totals: top 3 优秀, last 较差
    ([("A", "0"), ("B", "1"), ("C", "2"), ("D", "3"), ("E", "4")], [1, 2, 3, 4, 5], "ABC", "E"),
    # ties share a rank and are listed by code: 1, 2, 2, 4
    ([("D", "1"), ("A", "0"), ("C", "1"), ("B", "5")], [1, 2, 2, 4], "ADC", "B"),
    # a tie for third gives four 优秀
    ([("A", "0"), ("B", "1"), ("C", "2"), ("D", "2"), ("E", "9")], [1, 2, 3, 3, 5], "ABCD", "E"),
    # a tie at the last place: both 较差
    ([("A", "0"), ("B", "1"), ("C", "2"), ("D", "5"), ("E", "5")], [1, 2, 3, 4, 4], "ABC", "DE"),
    # everyone tied: all 优秀, nobody 较差
    ([("A", "0"), ("B", "0"), ("C", "0"), ("D", "0")], [1, 1, 1, 1], "ABCD", ""),
    # lowest reaches the cut-off (third and last tied): no 较差
    ([("A", "0"), ("B", "1"), ("C", "2"), ("D", "2")], [1, 2, 3, 3], "ABCD", ""),
    # fewer than three departments: all eligible are 优秀, no 较差
    ([("A", "0"), ("B", "3")], [1, 2], "AB", ""),
])
def test_ranking_and_awards(deps: list[tuple[str, str]], ranks: list[int], excellent: str, poor: str) -> None:
    result = a.assess_month(RUBRIC, MONTH, [with_total(c, m) for c, m in deps])
    assert [r.rank for r in result.rows] == ranks
    order = sorted(result.rows, key=lambda r: (-r.published_total, r.code))
    assert [r.code for r in result.rows] == [r.code for r in order]
    assert {c for c, aw in awards(result).items() if aw == a.EXCELLENT} == set(excellent)
    assert {c for c, aw in awards(result).items() if aw == a.POOR} == set(poor)


def test_vetoed_top_department_is_passed_over_and_the_results_say_why() -> None:
    deps = [with_total("A", "0", veto="压号不叫"), with_total("B", "1"), with_total("C", "2"), with_total("D", "3"),
            with_total("E", "4")]
    result = a.assess_month(RUBRIC, MONTH, deps)
    rows = {r.code: r for r in result.rows}
    assert rows["A"].rank == 1 and rows["A"].published_total == BASELINE  # score and rank unchanged
    assert rows["A"].award is None and rows["A"].vetoed
    assert {c for c, aw in awards(result).items() if aw == a.EXCELLENT} == {"B", "C", "D"}
    assert result.excellent_cutoff == BASELINE - 3
    assert any("单位A（A）" in n and "压号不叫" in n and "单位D（D）" in n for n in result.notes)
    assert any("一票否决" in n for n in rows["A"].notes)


def test_vetoed_department_can_be_poor() -> None:
    deps = [with_total("A", "0"), with_total("B", "1"), with_total("C", "2"), with_total("D", "9", veto="消极怠工")]
    result = a.assess_month(RUBRIC, MONTH, deps)
    assert awards(result) == {"A": a.EXCELLENT, "B": a.EXCELLENT, "C": a.EXCELLENT, "D": a.POOR}


def test_nobody_eligible_means_no_excellent_but_a_poor() -> None:
    deps = [with_total("A", "0", veto="压号不叫"), with_total("B", "2", veto="消极怠工")]
    result = a.assess_month(RUBRIC, MONTH, deps)
    assert awards(result) == {"A": None, "B": a.POOR}
    assert result.excellent_cutoff is None


def test_ranking_uses_the_published_total() -> None:
    # A: 2.5 online part 5 × (1/3)/(2/3)… build totals differing only below the second decimal
    deps = [dm("A", online=a.OnlineFacts(1000, 1000)), dm("B", online=a.OnlineFacts(99999, 100000)),
            dm("C", online=a.OnlineFacts(99998, 100000))]
    rows = {r.code: r for r in a.assess_month(RUBRIC, MONTH, deps).rows}
    # exact totals differ (B 4.99995 → 5.00 published, C 4.9999 → 5.00): ranked equal on the published total
    assert rows["B"].total != rows["C"].total
    assert rows["A"].published_total == rows["B"].published_total == rows["C"].published_total
    assert [rows[c].rank for c in "ABC"] == [1, 1, 1]


# ------------------------------------------------------------------ the ladder
@pytest.mark.parametrize(("previous", "run", "step", "label"), [
    (0, 1, 1, "通报批评"),
    (1, 2, 2, "扣除窗口负责人月绩效 200 元"),
    (2, 3, 3, "约谈（纪检部门、政务服务管理部门）"),
    (3, 4, 3, "约谈（纪检部门、政务服务管理部门）"),  # a 4th month in a row stays 约谈, the run is shown
    (7, 8, 3, "约谈（纪检部门、政务服务管理部门）"),
])
def test_ladder_steps(previous: int, run: int, step: int, label: str) -> None:
    deps = [with_total("A", "0"), with_total("B", "1"), with_total("C", "2"), with_total("Z", "9")]
    rows = {r.code: r for r in a.assess_month(RUBRIC, MONTH, deps, {"Z": previous, "A": 5}).rows}
    assert (rows["Z"].ladder_run, rows["Z"].ladder_step, rows["Z"].ladder_label) == (run, step, label)
    assert (rows["A"].ladder_run, rows["A"].ladder_step, rows["A"].ladder_label) == (0, 0, "")  # not last: broken


def test_ladder_across_the_year_boundary_and_a_department_joining_mid_year() -> None:
    """Runs chain month by month (the context passes each month's run on); Z is last in 2026-11, 2026-12, 2027-01.
    N joins in 2026-12 (not assessed in 2026-11: no run to continue) and is last with Z in 2027-01."""
    runs: dict[str, int] = {}
    history = []
    months = [("2026-11", ["A", "B", "C", "Z"]), ("2026-12", ["A", "B", "C", "N", "Z"]),
              ("2027-01", ["A", "B", "C", "N", "Z"])]
    for month, codes in months:
        minus = {"A": "0", "B": "1", "C": "2", "N": "3" if month == "2026-12" else "9", "Z": "9"}
        result = a.assess_month(RUBRIC, month, [with_total(c, minus[c]) for c in codes], runs)
        runs = {r.code: r.ladder_run for r in result.rows if r.award == a.POOR}
        history.append({r.code: r.ladder_step for r in result.rows if r.award == a.POOR})
    assert history == [{"Z": 1}, {"Z": 2}, {"Z": 3, "N": 1}]
    assert a.previous_month("2027-01") == "2026-12"


# ------------------------------------------------------------------ months and bad input
def test_month_helpers() -> None:
    assert a.month_first_days("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert a.month_first_days("2028-02") == (dt.date(2028, 2, 1), dt.date(2028, 3, 1))
    assert a.next_month("2026-12") == "2027-01" and a.previous_month("2026-03") == "2026-02"
    assert a.month_of(dt.date(2026, 11, 30)) == "2026-11"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "2026/11", "", "2026-1", "1999-12", " 2026-11x"])
def test_bad_month_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        a.parse_month(text)
    assert "YYYY-MM" in err.value.message


@pytest.mark.parametrize("bad", [
    [dm("A"), dm("A")],
    [dm("A", ratings=a.RatingFacts(counted=1, bad=2))],
    [dm("A", ratings=a.RatingFacts(counted=-1))],
    [dm("A", online=a.OnlineFacts(online=5, processed=4))],
    [dm("A", online=a.OnlineFacts(online=1, processed=4, red_cards=-1))],
])
def test_inconsistent_facts_are_refused(bad: list[a.DepartmentMonth]) -> None:
    with pytest.raises(InvalidInput):
        a.assess_month(RUBRIC, MONTH, bad)


def test_no_poor_when_the_lowest_total_reaches_the_cutoff_even_if_vetoed() -> None:
    # D is vetoed and tied with the third eligible total: the lowest reaches the cut-off, so no 较差 this month
    deps = [with_total("A", "0"), with_total("B", "1"), with_total("C", "2"), with_total("D", "2", veto="压号不叫")]
    result = a.assess_month(RUBRIC, MONTH, deps)
    assert awards(result) == {"A": a.EXCELLENT, "B": a.EXCELLENT, "C": a.EXCELLENT, "D": None}
    assert any("不评较差" in n for n in result.notes)


def test_a_tie_for_third_means_no_substitute_and_the_note_says_so() -> None:
    deps = [with_total("A", "0", veto="压号不叫：录像核实。"), with_total("B", "1"), with_total("C", "2"),
            with_total("D", "2"), with_total("E", "9")]
    result = a.assess_month(RUBRIC, MONTH, deps)
    assert {c for c, aw in awards(result).items() if aw == a.EXCELLENT} == {"B", "C", "D"}
    assert result.notes == ("单位A（A）本月被一票否决（压号不叫：录像核实），不能评为优秀窗口单位；"
                            "并列第三名的单位已足三名，无需递补。",)


def test_participation_explanation_reads_zero_without_sign() -> None:
    row = one(dm("D01", ratings=a.RatingFacts(counted=60, arm_events=100)))
    assert "在 50%–80% 之间，参评部分 0 分" in item(row, "1.6").explanation[0]
    row = one(dm("D01", ratings=a.RatingFacts(counted=90, arm_events=100)))
    assert item(row, "1.6").explanation[0].startswith("参评率：计入评价 90 ÷ 服务人次 100")
    assert "参评部分 +5 分" in item(row, "1.6").explanation[0]
