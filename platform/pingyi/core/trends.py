"""Core layer: the comprehensive report's monthly trends and hour × weekday cells (issue 11; docs/report.md). Pure.

- The monthly assessment per month of the campaign year, from that month's published snapshot: the county mean,
  the highest and the lowest published total (21 lines, one per department, would be unreadable). The totals are
  the snapshot's strings; the mean is exact and rounded half-up to 2 places like every published figure.
- 好差评 per month, from the same published snapshot's inputs (one source with item 1.6): participation = counted
  ratings ÷ served transactions, served per department as item 1.6 takes it (the imported 办件量 when there is
  one, else the arm events; `RatingFacts.served`), summed over the county; 差评 share = counted 差评 ÷ counted.
  Percentages via `scoring.percent` (half-up, 1 place); None when the divisor is 0.
- A month without a published version is a gap (None), never a zero.
- Hour × weekday: counts per quarter-hour bucket since the epoch (UTC) placed in the office's time zone. Every
  zone's offset is a whole number of quarter hours, so each bucket lies within one local hour: exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .assessment import RatingFacts
from .scoring import percent, round_half_up

BUCKET_SECONDS = 900  # a quarter hour: a divisor of every time zone's UTC offset
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
HOURS = 24
PLACES = 1  # of the percentages


def year_months(year: int) -> list[str]:
    """"YYYY-01" … "YYYY-12"."""
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


@dataclass(frozen=True)
class AssessmentPoint:
    """One published month of the monthly assessment: county mean, highest and lowest published total."""

    month: str
    departments: int
    mean: Decimal | None
    highest: Decimal | None
    lowest: Decimal | None


@dataclass(frozen=True)
class RatingPoint:
    """One published month of 好差评 over the county (all channels, as item 1.6 counts them)."""

    month: str
    counted: int
    served: int
    bad: int
    participation: str | None  # counted ÷ served, percent, half-up; None: nothing served
    bad_share: str | None  # counted 差评 ÷ counted, percent, half-up; None: nothing counted


def assessment_point(month: str, totals: Sequence[str | Decimal]) -> AssessmentPoint:
    """The month's published totals (the snapshot's strings) → mean (exact, half-up 2 places), highest, lowest."""
    values = [Decimal(str(t)) for t in totals]
    if not values:
        return AssessmentPoint(month, 0, None, None, None)
    mean = round_half_up(sum((Fraction(v) for v in values), Fraction(0)) / len(values), 2)
    return AssessmentPoint(month, len(values), mean, max(values), min(values))


def rating_facts(plain: Mapping[str, Any]) -> RatingFacts:
    """A snapshot's stored `ratings` of one department (to_plain of RatingFacts) back as RatingFacts."""
    served_import = plain.get("served_import")
    return RatingFacts(counted=int(plain.get("counted", 0)), bad=int(plain.get("bad", 0)),
                       arm_events=int(plain.get("arm_events", 0)),
                       served_import=int(served_import) if served_import is not None else None)


def rating_point(month: str, facts: Iterable[RatingFacts]) -> RatingPoint:
    """The county's month: Σ counted ÷ Σ served (each department's served as item 1.6), Σ 差评 ÷ Σ counted."""
    counted = served = bad = 0
    for f in facts:
        counted += f.counted
        served += f.served
        bad += f.bad
    return RatingPoint(month, counted, served, bad,
                       percent(counted, served, PLACES) if served > 0 else None,
                       percent(bad, counted, PLACES) if counted > 0 else None)


def months_from_snapshots(year: int, payloads: Mapping[str, Mapping[str, Any]]
                          ) -> tuple[list[AssessmentPoint | None], list[RatingPoint | None]]:
    """Per month of `year` (12 entries), from its published snapshot payload (`{"inputs", "result"}`) if any."""
    assessment: list[AssessmentPoint | None] = []
    ratings: list[RatingPoint | None] = []
    for month in year_months(year):
        payload = payloads.get(month)
        if payload is None:
            assessment.append(None)
            ratings.append(None)
            continue
        assessment.append(assessment_point(month, [r["published_total"] for r in payload["result"]["rows"]]))
        ratings.append(rating_point(month, [rating_facts(d.get("ratings") or {})
                                            for d in payload["inputs"]["departments"]]))
    return assessment, ratings


def hour_weekday_cells(buckets: Iterable[tuple[int, int]], zone: tzinfo,
                       bucket_seconds: int = BUCKET_SECONDS) -> list[list[int]]:
    """7 × 24 counts (Monday first, hour 0 first) in `zone` from (bucket number since the epoch, count) pairs."""
    grid = [[0] * HOURS for _ in WEEKDAYS]
    for bucket, n in buckets:
        local = datetime.fromtimestamp(int(bucket) * bucket_seconds, UTC).astimezone(zone)
        grid[local.weekday()][local.hour] += int(n)
    return grid


def bucket_of(at: datetime, bucket_seconds: int = BUCKET_SECONDS) -> int:
    """The bucket number of an aware instant (what the database query computes)."""
    if at.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return int(at.timestamp()) // bucket_seconds
