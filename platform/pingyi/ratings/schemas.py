"""Web layer: request schemas of the windows office pages (SPEC §4)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct


class DismissForm(Struct):
    reason: str = ""


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

