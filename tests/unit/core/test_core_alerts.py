"""Unit: the live alert rule of a window (SPEC §4 "Alerts": at least 4 counted ratings in 15 minutes, half of them
差评; a hall may set its own threshold). Table-driven at the boundaries; each row states its arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingyi.core.alerts import DEFAULT_THRESHOLD, Breach, RecentRating, Threshold, breach, meets

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def seq(*spec: tuple[float, bool]) -> list[RecentRating]:
    """(seconds after T0, is 差评) → ratings."""
    return [RecentRating(T0 + timedelta(seconds=s), bad) for s, bad in spec]


B, G = True, False  # 差评, good

CASES = [
    # (name, ratings, threshold, alert?)
    ("3 ratings, all 差评: fewer than 4 → none", seq((0, B), (60, B), (120, B)), DEFAULT_THRESHOLD, False),
    ("4 ratings with 2 差评: 2 × 100 ≥ 50 × 4 → alert", seq((0, B), (60, G), (120, B), (180, G)), DEFAULT_THRESHOLD,
     True),
    ("4 ratings with 1 差评: 100 < 200 → none", seq((0, B), (60, G), (120, G), (180, G)), DEFAULT_THRESHOLD, False),
    ("4 ratings, first and last exactly 15 min apart (ends included) → alert",
     seq((0, B), (300, B), (600, G), (900, G)), DEFAULT_THRESHOLD, True),
    ("4 ratings, first and last 15 min + 1 s apart: no span holds 4 → none",
     seq((0, B), (300, B), (600, G), (901, G)), DEFAULT_THRESHOLD, False),
    ("4 差评 spread over 45 min (one per 15 min + 1 s) → none",
     seq((0, B), (901, B), (1802, B), (2703, B)), DEFAULT_THRESHOLD, False),
    ("5 ratings, the 2 差评 last: at the 4th 1 of 4, at the 5th 2 × 100 < 50 × 5 → none",
     seq((0, G), (1, G), (2, G), (3, B), (4, B)), DEFAULT_THRESHOLD, False),
    ("5 ratings, 2 差评 first: when the 4th arrives its window holds 2 of 4 → alert (the 5th changes nothing)",
     seq((0, B), (1, G), (2, B), (3, G), (4, G)), DEFAULT_THRESHOLD, True),
    ("good ratings 16 min earlier left the window: G at 0, then B B G G from 961 s → alert",
     seq((0, G), (961, B), (962, B), (963, G), (964, G)), DEFAULT_THRESHOLD, True),
    ("good ratings inside the window dilute: G G G at 0–2 s, then B B at 600 s → 2 of 5 → none",
     seq((0, G), (1, G), (2, G), (600, B), (601, B)), DEFAULT_THRESHOLD, False),
    ("no ratings → none", [], DEFAULT_THRESHOLD, False),
    ("order does not matter: unsorted input of the 4-with-2 case → alert",
     seq((180, G), (0, B), (120, B), (60, G)), DEFAULT_THRESHOLD, True),
    ("hall threshold 3 in 10 min, 100 %: 3 差评 in 9 min → alert", seq((0, B), (270, B), (540, B)),
     Threshold(3, 10, 100), True),
    ("hall threshold 3 in 10 min, 100 %: 3 ratings, one good → none", seq((0, B), (270, G), (540, B)),
     Threshold(3, 10, 100), False),
    ("hall threshold 6 ratings: the default's 4 bad in a row do not alert → none",
     seq((0, B), (60, B), (120, B), (180, B)), Threshold(6, 15, 50), False),
]


@pytest.mark.parametrize(("name", "ratings", "threshold", "expected"), CASES, ids=[c[0] for c in CASES])
def test_alert_rule_table(name: str, ratings: list[RecentRating], threshold: Threshold, expected: bool) -> None:
    assert (breach(ratings, threshold) is not None) is expected, name


def test_breach_reports_the_earliest_passing_span() -> None:
    """4 ratings 0,60,120,180 s with 差评 at 0 and 120: the span 0–180 s holds 4 ratings, 2 差评."""
    found = breach(seq((0, B), (60, G), (120, B), (180, G), (240, B)))
    assert found == Breach(T0, T0 + timedelta(seconds=180), 4, 2)


def test_default_is_the_spec_default() -> None:
    """SPEC §4: at least 4 ratings in 15 minutes, half of them 差评."""
    assert Threshold(min_ratings=4, window_minutes=15, bad_percent=50) == DEFAULT_THRESHOLD
    assert DEFAULT_THRESHOLD.span == timedelta(minutes=15)


@pytest.mark.parametrize(("ratings", "bad", "expected"), [
    (4, 2, True),    # 200 ≥ 200
    (4, 1, False),   # 100 < 200
    (3, 3, False),   # too few
    (7, 4, True),    # 400 ≥ 350
    (7, 3, False),   # 300 < 350: exact, no float
])
def test_meets_is_exact(ratings: int, bad: int, expected: bool) -> None:
    assert meets(ratings, bad, DEFAULT_THRESHOLD) is expected


@pytest.mark.parametrize(("threshold", "problems"), [
    (Threshold(4, 15, 50), 0),
    (Threshold(0, 15, 50), 1),
    (Threshold(4, 0, 50), 1),
    (Threshold(4, 15, 0), 1),
    (Threshold(4, 15, 101), 1),
    (Threshold(-1, 99999, 500), 3),
])
def test_threshold_problems(threshold: Threshold, problems: int) -> None:
    assert len(threshold.problems()) == problems
