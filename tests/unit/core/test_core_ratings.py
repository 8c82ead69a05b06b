"""Unit tests: which ratings count, 差评, served transactions, participation (SPEC §4)."""

from decimal import Decimal

import pytest

from pingyi.core import ratings
from pingyi.core.ratings import RatingFacts


@pytest.mark.parametrize("scale,level,bad", [
    ("five", 5, False), ("five", 4, False), ("five", 3, False), ("five", 2, True), ("five", 1, True),
    ("three", 5, False), ("three", 3, False), ("three", 1, True)])
def test_bad_levels(scale, level, bad):
    assert ratings.is_bad(level, scale) is bad


def test_bad_agrees_with_protocol():
    from pingyi_terminal import protocol

    for scale, levels in ratings.LEVELS.items():
        for lv in levels:
            assert ratings.is_bad(lv, scale) == protocol.is_bad(lv, scale)
    with pytest.raises(ValueError):
        ratings.is_bad(4, "three")


@pytest.mark.parametrize("facts,counts,bad", [
    (RatingFacts("press", 5, "five"), True, False),
    (RatingFacts("press", 1, "five"), True, True),
    (RatingFacts("press", 1, "five", flags=("repeat",)), False, False),
    (RatingFacts("press", 2, "five", flags=("unarmed",)), False, False),
    (RatingFacts("press", 1, "five", dismissed=True), False, False),
    (RatingFacts("arm", None, "five"), False, False),
])
def test_counting(facts, counts, bad):
    assert ratings.counts(facts) is counts
    assert ratings.counts_as_bad(facts) is bad


def test_served_prefers_import():
    assert ratings.served(arm_events=40, imported=None) == 40
    assert ratings.served(arm_events=40, imported=55) == 55
    assert ratings.served(arm_events=40, imported=0) == 0


def test_participation_per_department():
    """D1: W1 counted 45 of 50 arms, W2 counted 40 of an imported 100 → 85/150. D2: nothing served → rate None."""
    p = ratings.participation({"W1": 45, "W2": 40, "W3": 3}, {"W1": 50, "W2": 70}, {"W2": 100},
                              {"W1": "D1", "W2": "D1", "W3": "D2"})
    assert p["D1"].counted == 85 and p["D1"].served == 150
    assert p["D1"].rate == Decimal(85) / Decimal(150)
    assert p["D2"].rate is None
