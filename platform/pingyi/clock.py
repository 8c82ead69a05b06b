"""Infrastructure layer: the one injected clock — "now" in UTC and "today" in the office's time zone (SPEC §8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


def today(clock: Clock, tz: str) -> date:
    """Today's date in the time zone `tz` (PINGYI_TIMEZONE), whatever the server's own zone is."""
    return clock.now().astimezone(ZoneInfo(tz)).date()


class SystemClock:
    """The real clock. The only place business code reads the system time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)
