"""Web layer: request schemas of the windows office pages (SPEC §4)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct


class DismissForm(Struct):
    reason: str = ""


class ChannelCount(Struct, frozen=True, kw_only=True):
    """Counted ratings and counted undismissed 差评 of one department in one channel (terminal | web)."""

    channel: str
    counted: int
    bad: int


class QuarantineOverflowCount(Struct, frozen=True, kw_only=True):
    """Messages of one terminal id refused by the ingest and not stored: over the quarantine bounds (acknowledged)."""

    terminal_id: str
    dropped: int
    dropped_bytes: int
    last_at: datetime | None


class DepartmentRatingMonth(Struct, frozen=True, kw_only=True):
    """A department's rating facts for one month (SPEC §4), as the monthly assessment reads them.

    `served`: the imported 办件量 summed over its windows, None when no window has an import row for the month;
    `served_refs`: "<window code>=<count>" per imported window; `bad_refs`: event keys of the counted 差评."""

    department_code: str
    arm_events: int
    by_channel: tuple[ChannelCount, ...]
    bad_refs: tuple[str, ...]
    served: int | None
    served_refs: tuple[str, ...]


class WebWindow(Struct, frozen=True, kw_only=True):
    """A window as the web channel sees it: department, and the terminal whose scale and arms it shares."""

    window_id: int
    window_code: str
    window_name: str
    window_active: bool
    department_id: int
    department_name: str
    terminal_pk: int | None
    terminal_id: str | None
    scale: str
    armed_mode: bool
    hall_name: str | None = None  # None: the window is in no hall (the poster prints poster.HALL_TITLE)


class PosterRecord(Struct, frozen=True, kw_only=True):
    """The secret token of a window's QR poster (the URL printed on it is PUBLIC_BASE_URL/r/<token>)."""

    window_id: int
    token: str
    version: int
    issued_at: datetime
    issued_by: str


class WebDetail(Struct, frozen=True, kw_only=True):
    """What a citizen added to a web rating: reason tags, text, call-back contact (office 差评 review only)."""

    rating_id: int
    tags: tuple[str, ...]
    text: str
    contact: str

