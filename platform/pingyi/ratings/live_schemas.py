"""Web and repository layer: records and JSON documents of the live dashboard and its alerts (SPEC §4 "Alerts").

Times in these documents are UTC ISO 8601 (`…Z`-less, with +00:00); pages show them in the office's time zone.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class AlertRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One live alert of a window: the span that passed the threshold, and its acknowledgement (if any)."""

    id: int
    window_code: str
    window_name: str
    department_name: str
    hall_code: str | None
    hall_name: str | None
    raised_at: datetime
    first_rating_at: datetime
    last_rating_at: datetime
    ratings: int
    bad: int
    min_ratings: int
    window_minutes: int
    bad_percent: int
    acknowledged_at: datetime | None
    acknowledged_by: str
    note: str

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None


class ChannelFigures(msgspec.Struct, frozen=True, kw_only=True):
    """Counted ratings and counted 差评 of one channel (`pingyi.ratings.channels`)."""

    channel: str
    label: str
    ratings: int
    bad: int


class LiveFigures(msgspec.Struct, frozen=True, kw_only=True):
    """Today's figures of a window, a hall or the whole county.

    ratings: counted ratings; bad: counted 差评; flagged: presses kept but not counted (unarmed, repeat, clock);
    served: arm events (服务开始) today; participation: ratings ÷ served as a percentage rounded half-up to 1
    decimal (`core.scoring.percent`), None when nothing was served (no arm event today)."""

    ratings: int
    bad: int
    flagged: int
    served: int
    participation: str | None
    channels: list[ChannelFigures]


class LiveTerminal(msgspec.Struct, frozen=True, kw_only=True):
    terminal_id: str
    online: bool
    last_seen: datetime | None


class LiveWindow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    department_name: str
    figures: LiveFigures
    terminals: list[LiveTerminal]
    open_alert_id: int | None


class LiveHall(msgspec.Struct, frozen=True, kw_only=True):
    """A hall with its windows; code None is 未分配大厅 (windows without a hall)."""

    code: str | None
    name: str
    threshold: str
    figures: LiveFigures
    windows: list[LiveWindow]


class LiveDocument(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /office/live.json`: today (office time zone) per hall and window, and the open alerts."""

    day: str
    day_starts_at: datetime
    generated_at: datetime
    figures: LiveFigures
    halls: list[LiveHall]
    open_alerts: list[AlertRecord]


class AcknowledgeForm(msgspec.Struct, kw_only=True):
    note: str = ""
