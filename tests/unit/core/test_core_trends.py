"""Unit tests for pingyi.core.trends: the report's monthly trends (gaps, not zeros; one rounding; item 1.6's served
rule) and the hour × weekday cells in the office's time zone (issue 11; docs/report.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pingyi.core import trends
from pingyi.core.assessment import RatingFacts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def snapshot(totals: list[str], ratings: list[dict]) -> dict:
    """The parts of a published monthly snapshot payload the trends read."""
    return {"result": {"rows": [{"published_total": t} for t in totals]},
            "inputs": {"departments": [{"code": f"D{i}", "ratings": r} for i, r in enumerate(ratings)]}}


def test_months_without_a_published_version_are_gaps_not_zeros() -> None:
    nothing = {"counted": 0, "bad": 0, "arm_events": 0, "served_import": None}
    payloads = {"2025-03": snapshot(["90.00", "80.00"], [nothing, nothing]),
                "2025-05": snapshot(["70.50"], [{"counted": 3, "bad": 1, "arm_events": 4, "served_import": None}])}
    assessment, ratings = trends.months_from_snapshots(2025, payloads)
    assert len(assessment) == len(ratings) == 12
    assert [i for i, p in enumerate(assessment) if p is not None] == [2, 4]  # March and May only
    assert assessment[3] is None and ratings[3] is None  # April: not published → a gap
    march = ratings[2]
    assert march is not None and (march.counted, march.served) == (0, 0)
    assert march.participation is None and march.bad_share is None  # published, but nothing to divide: no "0"
    may = ratings[4]
    assert may is not None and (may.participation, may.bad_share) == ("75.0", "33.3")
    assert assessment[2] == trends.AssessmentPoint("2025-03", 2, Decimal("85.00"), Decimal("90.00"),
                                                   Decimal("80.00"))


def test_assessment_mean_is_exact_and_rounded_half_up() -> None:
    point = trends.assessment_point("2025-01", ["85.00", "85.01"])  # mean 85.005 exactly
    assert str(point.mean) == "85.01"  # half-up (banker's rounding or a float would give 85.00)
    assert (str(point.highest), str(point.lowest)) == ("85.01", "85.00")  # the published strings as they are
    assert trends.assessment_point("2025-01", []).mean is None


def test_participation_uses_item_1_6_served_rule_and_half_up_percent() -> None:
    # D1: an imported 办件量 (16) takes precedence over its arm events (100); D2: no import, its arm events (16).
    facts = [RatingFacts(counted=1, bad=0, arm_events=100, served_import=16),
             RatingFacts(counted=1, bad=1, arm_events=16, served_import=None)]
    point = trends.rating_point("2025-02", facts)
    assert (point.counted, point.served, point.bad) == (2, 32, 1)
    assert point.participation == "6.3"  # 2 / 32 = 6.25 % → half-up 6.3 (not 6.2)
    assert point.bad_share == "50.0"
    plain = trends.rating_facts({"counted": 5, "bad": 2, "arm_events": 9, "served_import": 0, "bad_refs": ["x"]})
    assert plain == RatingFacts(counted=5, bad=2, arm_events=9, served_import=0) and plain.served == 0


def test_hour_weekday_cells_in_the_office_time_zone() -> None:
    late = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # Wednesday 23:30 UTC = Thursday 2026-01-01 07:30 Shanghai
    sunday = datetime(2025, 6, 1, 16, 0, tzinfo=UTC)  # Sunday 16:00 UTC = Monday 00:00 Shanghai
    before = sunday - timedelta(seconds=1)  # Sunday 23:59:59 Shanghai
    later = late + timedelta(minutes=20)
    grid = trends.hour_weekday_cells([(trends.bucket_of(late), 2), (trends.bucket_of(sunday), 1),
                                      (trends.bucket_of(before), 4), (trends.bucket_of(later), 3)], SHANGHAI)
    assert len(grid) == 7 and all(len(row) == 24 for row in grid)
    assert grid[3][7] == 2 + 3  # Thursday 07:00–08:00 (07:30 and 07:50), not Wednesday 23:00
    assert grid[2][23] == 0
    assert grid[0][0] == 1 and grid[6][23] == 4  # Monday 00:00, Sunday 23:00
    assert sum(map(sum, grid)) == 10


def test_quarter_hour_buckets_are_exact_for_a_half_hour_zone() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30: an hour bucket in UTC would straddle two local hours
    at = datetime(2025, 3, 3, 0, 40, tzinfo=UTC)  # Monday 06:10 local
    grid = trends.hour_weekday_cells([(trends.bucket_of(at), 1), (trends.bucket_of(at - timedelta(minutes=15)), 1)],
                                     kolkata)  # 00:25 UTC = 05:55 local
    assert grid[0][6] == 1 and grid[0][5] == 1
