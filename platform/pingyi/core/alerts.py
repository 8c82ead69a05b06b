"""Core layer: the live alert rule of a window (SPEC §4 "Alerts"). Pure: stdlib only, no clock reads.

A window is in alert when its sliding time window — the counted ratings of the `window_minutes` ending at a
rating, both ends included (two ratings exactly 15 minutes apart are in one window, 15 minutes and 1 second apart
are not) — holds at least `min_ratings` ratings of which at least `bad_percent` % are 差评 (counted bad).
SPEC §4 default: at least 4 ratings in 15 minutes, half of them 差评. A hall may set its own threshold;
DEFAULT_THRESHOLD is the one place the default lives.
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
    """The first moment the window's sliding time window passed the threshold, or None.

    The sliding window is what a live monitor sees when a rating arrives: the ratings of the `window_minutes`
    ending at that rating (both ends included). It is evaluated at every rating, in time order; the first one
    whose window passes gives the breach (its first and last rating, counts). A burst of 差评 followed later by
    good ratings still alerts (it passed when the 差评 arrived); good ratings before the 差评 inside the window dilute
    them, as they would have on the monitor. Linear: two pointers over the sorted ratings."""
    items = sorted(recent, key=lambda r: r.at)
    span = threshold.span
    start = 0
    bad = 0
    for end, rating in enumerate(items):
        bad += rating.bad
        while rating.at - items[start].at > span:
            bad -= items[start].bad
            start += 1
        count = end - start + 1
        if meets(count, bad, threshold):
            return Breach(items[start].at, rating.at, count, bad)
    return None
