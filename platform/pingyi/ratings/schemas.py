"""Web layer: request schemas of the windows office pages (SPEC §4)."""

from __future__ import annotations

from msgspec import Struct


class DismissForm(Struct):
    reason: str = ""


class ChannelCount(Struct, frozen=True, kw_only=True):
    """Counted ratings and counted undismissed 差评 of one department in one channel (terminal | web)."""

    channel: str
    counted: int
    bad: int


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
