"""Inputs that take every branch of the annual and monthly explanations (issue 11 "explanations as data").

`tests/fixtures/explain/lines-before-steps.json` holds the lines the code wrote before explanations became data
(captured from these scenarios with the prose-building core); test_core_explain.py checks that rendering today's
steps gives exactly those lines.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pingyi.catalog import load_rubric
from pingyi.core import assessment as a
from pingyi.core import scoring as s

RUBRIC = load_rubric(Path(__file__).resolve().parents[3] / "surveys" / "monthly_rubric.toml")
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "explain" / "lines-before-steps.json"
CHANNELS = {"terminal": "评价器", "web": "扫码评价"}


def annual_campaigns() -> dict[str, list[s.DepartmentResult]]:
    t = s.DepartmentTally
    return {
        "mixed": s.score_campaign([
            t("A", "甲", 3, 257, 0),                                    # 85.666667, small cell
            t("B", "乙", 6, 540, 1, (("C-BBBB", "2025-06-20"),)),        # penalty, above 0
            t("C", "丙", 5, 50, 1),                                      # floored, no codes
            t("D", "丁", 0, 0, 0),                                       # not rated, no complaints
            t("E", "戊", 0, 0, 2, (("C-EEE2", "2025-02-02"), ("C-EEE1", "2025-01-01"))),  # not rated, complaints
            t("F", "己", 5, 450, 0), t("G", "庚", 5, 450, 0),            # tied
            t("H", "辛", 0, 0, 1),                                       # not rated, complaint without code
        ], k=5),
        "worked": s.score_campaign([t("X", "某局", 7, 600, 2, (("C-AAAA", "2025-03-01"), ("C-ZZZZ", "2025-06-20")))]),
    }


def _entries() -> tuple[a.Entry, ...]:
    return (a.Entry("1.1", Decimal("3.50"), "窗口无人", ref="entry:17 v2"),
            a.Entry("1.1", Decimal("2"), "着装不规范"),
            a.Entry("1.2", Decimal("6"), "严重违纪", ref="entry:3 v1"),
            a.Entry("1.2", Decimal("6"), "再次违纪"))


def monthly_months() -> dict[str, a.MonthAssessment]:
    bonus = [i for c in RUBRIC.categories for i in c.items if i.scoring == "bonus"]
    extra = (a.Entry(bonus[0].id, Decimal("1.25"), "获上级表扬", ref="entry:9 v1"),
             a.Entry(bonus[0].id, Decimal(bonus[0].max_points), "获省级表彰")) if bonus else ()
    d = a.DepartmentMonth
    rich = d("D01", "单位一", entries=_entries() + extra,
             ratings=a.RatingFacts(counted=90, bad=3, arm_events=100, by_channel=(("terminal", 80, 2), ("web", 10, 1)),
                                   bad_refs=("rating:1", "rating:2", "rating:3")),
             complaints=(a.ComplaintFact("C-1111", serious=True, decided_on="2026-11-03"),
                         a.ComplaintFact("C-2222", decided_on="2026-11-04"), a.ComplaintFact("C-3333")),
             online=a.OnlineFacts(online=150, processed=200, red_cards=2, refs=("online:5",)))
    imported = d("D02", "单位二", ratings=a.RatingFacts(counted=40, arm_events=7, served_import=100,
                                                         import_refs=("served:1", "served:2")),
                 online=a.OnlineFacts(online=0, processed=0, red_cards=9))
    low = d("D03", "单位三", ratings=a.RatingFacts(counted=60, bad=30, arm_events=100))
    plain = [d(f"D{n:02d}", f"单位{n}") for n in range(4, 9)]
    vetoed = d("D09", "单位九", veto_reason="压号不叫。",
               online=a.OnlineFacts(online=200, processed=200, refs=("online:9",)))
    months = {
        "rich": a.assess_month(RUBRIC, "2026-11", [rich, imported, low, *plain, vetoed],
                               previous_runs={"D03": 2}, channel_labels=CHANNELS),
        # Nobody online: the highest share is 0.
        "no-online": a.assess_month(RUBRIC, "2026-10", [d("D01", "一"), d("D02", "二", ratings=a.RatingFacts(
            counted=5, arm_events=0))], channel_labels=CHANNELS),
    }
    # A vetoed department in the top three with the third place tied: no substitute needed; everybody equal, so the
    # lowest total reaches the cutoff (no 较差).
    tied = [d(f"T{n}", f"并列{n}") for n in range(1, 6)]
    tied[0] = d("T1", "并列1", veto_reason="消极怠工")
    months["tied"] = a.assess_month(RUBRIC, "2026-09", tied, previous_runs={"T5": 5})
    # A 较差 department on its 4th month in a row.
    months["ladder"] = a.assess_month(RUBRIC, "2026-08", [d("L1", "一"), d("L2", "二"), d("L3", "三"), d("L4", "四"),
                                                          d("L5", "五", entries=(a.Entry("1.1", Decimal(1), "迟到"),))],
                                      previous_runs={"L5": 3})
    # Two vetoed departments among the top three: the next two 依次递补.
    def minus(code: str, points: int, veto: str | None = None) -> a.DepartmentMonth:
        entries = (a.Entry("1.1", Decimal(points), "迟到"),) if points else ()
        return d(code, f"递补{code}", entries=entries, veto_reason=veto)
    months["substitute"] = a.assess_month(RUBRIC, "2026-07", [
        minus("S1", 0, "压号不叫"), minus("S2", 1, "消极怠工"), minus("S3", 2), minus("S4", 3), minus("S5", 4),
        minus("S6", 5)])
    return months


def lines_of(annual: dict[str, list[s.DepartmentResult]], monthly: dict[str, a.MonthAssessment]) -> dict[str, Any]:
    """Every rendered line, keyed by scenario: what the fixture holds."""
    return {
        "annual": {name: {r.code: list(r.explanation) for r in results} for name, results in annual.items()},
        "monthly": {name: {"notes": list(m.notes),
                           "rows": {r.code: {"notes": list(r.notes),
                                             "items": {i.item_id: list(i.explanation) for i in r.items}}
                                    for r in m.rows}}
                    for name, m in monthly.items()},
    }
