"""Core layer: the live alert rule of a window (SPEC §4 "Alerts"). Pure: stdlib only, no clock reads.

A window is in alert when, inside one span of `window_minutes` (both ends included: two ratings exactly 15 minutes
apart are in one span, 15 minutes and 1 second apart are not), it has at least `min_ratings` counted ratings and at
least `bad_percent` % of them are 差评 (counted bad). SPEC §4 default: at least 4 ratings in 15 minutes, half of
them 差评. A hall may set its own threshold; DEFAULT_THRESHOLD is the one place the default lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final


@dataclass(frozen=True)
class Threshold:
    """When a window's recent ratings make an alert."""

    min_ratings: int
    window_minutes: int
    bad_percent: int

    def problems(self) -> list[str]:
        """What is wrong with this threshold (Chinese, for the office); empty when it is usable."""
        found = []
        if not 1 <= self.min_ratings <= 1000:
            found.append("最少评价数应为 1–1000 的整数")
        if not 1 <= self.window_minutes <= 1440:
            found.append("时间窗应为 1–1440 分钟")
        if not 1 <= self.bad_percent <= 100:
            found.append("差评占比应为 1–100 的整数（%）")
        return found

    @property
    def span(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    def describe(self) -> str:
        return f"{self.window_minutes} 分钟内至少 {self.min_ratings} 条有效评价且差评占比 ≥ {self.bad_percent}%"


MIN_RATINGS: Final = 4
WINDOW_MINUTES: Final = 15
BAD_PERCENT: Final = 50
DEFAULT_THRESHOLD: Final = Threshold(MIN_RATINGS, WINDOW_MINUTES, BAD_PERCENT)


@dataclass(frozen=True)
class RecentRating:
    """A counted rating of one window: when it occurred and whether it is a 差评."""

    at: datetime
    bad: bool


@dataclass(frozen=True)
class Breach:
    """The span that passed the threshold: its first and last rating, how many ratings and 差评 it holds."""

    first_at: datetime
    last_at: datetime
    ratings: int
    bad: int


def meets(ratings: int, bad: int, threshold: Threshold) -> bool:
    """Exact integer comparison: bad / ratings ≥ bad_percent / 100, with at least min_ratings ratings."""
    return ratings >= threshold.min_ratings and bad * 100 >= threshold.bad_percent * ratings


def breach(recent: Iterable[RecentRating], threshold: Threshold = DEFAULT_THRESHOLD) -> Breach | None:
    """The earliest span of `threshold.window_minutes` (ends included) whose ratings pass the threshold, or None.

    Every span that could pass starts at a rating and ends at a later rating at most window_minutes after it; for
    each start the longest such span and each shorter prefix is tried (a burst of 差评 followed by good ratings in
    the same span still alerts: the 差评 happened). Quadratic in the number of ratings of one window's recent
    minutes, which is small (a window serves a few people in 15 minutes)."""
    items = sorted(recent, key=lambda r: r.at)
    span = threshold.span
    for i, start in enumerate(items):
        bad = 0
        for j in range(i, len(items)):
            if items[j].at - start.at > span:
                break
            bad += items[j].bad
            count = j - i + 1
            if meets(count, bad, threshold):
                return Breach(start.at, items[j].at, count, bad)
    return None
