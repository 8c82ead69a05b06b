"""Infrastructure layer: the one clock (SPEC §8). "Now" in UTC and "today" in the office's time zone.

Every business date and time in pingyi comes from here: a complaint's received and decision dates, month
boundaries, deadlines, audit and snapshot stamps, the ingest's receive times. The process binds one clock at start
(create_app(), a command, the ingest worker; `SystemClock` from the settings' time zone); tests bind a
`FixedClock` they can move. `tests/unit/test_one_clock.py` fails on a clock read anywhere else in the source.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


class SystemClock:
    """The machine's clock, read in UTC; dates are taken in the office's time zone, whatever the server's is."""

    def __init__(self, timezone: str = DEFAULT_TIMEZONE) -> None:
        self.zone = ZoneInfo(timezone)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wall_ms(self) -> int:
        """Milliseconds since the epoch (the ingest's receive time)."""
        return time.time_ns() // 1_000_000


@dataclass
class FixedClock:
    """A clock for tests: stands still at `at` (UTC-aware) until moved."""

    at: datetime
    timezone: str = DEFAULT_TIMEZONE
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.zone = ZoneInfo(self.timezone)

    def now(self) -> datetime:
        return self.at.astimezone(UTC)

    def wall_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def advance(self, delta: timedelta | None = None, **parts: float) -> None:
        """Move forward by `delta` or by keyword parts (`advance(minutes=30)`)."""
        self.at = self.at + (delta or timedelta()) + timedelta(**parts)

    def set(self, at: datetime) -> None:
        self.at = at


Clock = SystemClock | FixedClock

_CLOCK: Clock = SystemClock()


def use_clock(clock: Clock) -> None:
    """Bind the process's clock (at start-up; tests bind a FixedClock)."""
    global _CLOCK
    _CLOCK = clock


def current() -> Clock:
    return _CLOCK


def now() -> datetime:
    """The current instant, UTC-aware."""
    return _CLOCK.now()


def local_now() -> datetime:
    """The current instant in the office's time zone."""
    return _CLOCK.now().astimezone(_CLOCK.zone)


def today() -> date:
    """Today's date in the office's time zone (PINGYI_TIMEZONE), not the server's."""
    return local_now().date()


def local_date(at: datetime) -> date:
    """The office-time-zone date of an instant (a stored UTC timestamp shown as the office's date)."""
    if at.tzinfo is None:
        raise ValueError("local_date needs an aware datetime")
    return at.astimezone(_CLOCK.zone).date()


def today_in(clock: Clock, timezone: str) -> date:
    """Today's date in `timezone` on `clock` (for code that holds a clock and a zone of its own)."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()


def wall_ms() -> int:
    return _CLOCK.wall_ms()


def start_of_local_day(day: date) -> datetime:
    """00:00 of `day` in the office's time zone, as a UTC-aware instant."""
    return datetime(day.year, day.month, day.day, tzinfo=_CLOCK.zone).astimezone(UTC)
