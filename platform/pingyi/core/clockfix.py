"""Core layer: clock correction for terminals without a real-time clock (SPEC §4, ARCHITECTURE ex. 11). Pure.

Every message a terminal sends carries its boot id and monotonic time (ms since that boot). For one boot,
``wall = mono + offset`` with a fixed offset. Each message bounds the offset from above:

* an unsynchronised message: ``received_ms − mono_ms`` (it was sent before it was received);
* a synchronised one: ``wall_ms − mono_ms`` (the terminal's NTP-disciplined clock: exact).

The tightest bound is the minimum over all messages of that boot. An event keeps its own wall time when it was
synchronised; otherwise its time is ``mono_ms + offset``: "corrected" once the boot has a synchronised sample,
"received" while the offset rests only on receive times (an estimate that tightens as messages arrive).

Time bounds (issue 9): a terminal's word on time is bounded by the platform's receive time. An event whose time
(its synchronised wall time, or mono + offset) is earlier than ``received − max_offline`` or later than
``received + skew`` is out of bounds: stored with the flag ``clock`` and not counted (the flag and the counting rule
are protocol.py's). A synchronised clock sample out of bounds is not exact (it tells no more than its receive time),
and re-timing never moves a stored event out of bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_TERMINAL = "terminal"
SOURCE_CORRECTED = "corrected"
SOURCE_RECEIVED = "received"

DAY_MS = 86_400_000
DEFAULT_MAX_OFFLINE_DAYS = 45  # a terminal's outbox replay after an outage: older events are not counted
DEFAULT_CLOCK_SKEW_S = 300  # a terminal's clock may run this far ahead of the platform's

# Re-time the stored events of a boot only when its offset moves by more than this (keeps the hot path cheap).
RETIME_TOLERANCE_MS = 1000


@dataclass(frozen=True, slots=True)
class BootOffset:
    """What is known about one boot: the tightest offset (ms) and whether a synchronised sample fixed it."""

    offset_ms: int
    exact: bool


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """An event's time must lie in [received − max_age_ms, received + skew_ms] (both ends included)."""

    max_age_ms: int = DEFAULT_MAX_OFFLINE_DAYS * DAY_MS
    skew_ms: int = DEFAULT_CLOCK_SKEW_S * 1000

    @classmethod
    def of(cls, max_offline_days: int, clock_skew_s: int) -> TimeBounds:
        if max_offline_days < 1 or clock_skew_s < 0:
            raise ValueError("max_offline_days must be ≥ 1 and clock_skew_s ≥ 0")
        return cls(max_offline_days * DAY_MS, clock_skew_s * 1000)

    def earliest(self, received_ms: int) -> int:
        return received_ms - self.max_age_ms

    def latest(self, received_ms: int) -> int:
        return received_ms + self.skew_ms

    def within(self, when_ms: int, received_ms: int) -> bool:
        return received_ms - self.max_age_ms <= when_ms <= received_ms + self.skew_ms


DEFAULT_BOUNDS = TimeBounds()


def candidate(received_ms: int, mono_ms: int, wall_ms: int, synced: bool,
              bounds: TimeBounds = DEFAULT_BOUNDS) -> tuple[int, bool]:
    """The upper bound on the boot offset one message gives, and whether it is exact. A synchronised wall time
    outside the bounds is not believed: the message then gives what an unsynchronised one gives."""
    if synced and bounds.within(wall_ms, received_ms):
        return wall_ms - mono_ms, True
    return received_ms - mono_ms, False


def merge(known: BootOffset | None, samples: list[tuple[int, bool]]) -> BootOffset | None:
    """Fold candidate samples into what is known: the minimum offset; exact once any synced sample was seen."""
    best = known
    for offset, exact in samples:
        if best is None:
            best = BootOffset(offset, exact)
        else:
            best = BootOffset(min(best.offset_ms, offset), best.exact or exact)
    return best


def occurred_ms(mono_ms: int, wall_ms: int, synced: bool, boot: BootOffset | None,
                received_ms: int) -> tuple[int, str]:
    """When an event happened (UTC epoch ms) and where that time came from."""
    if synced:
        return wall_ms, SOURCE_TERMINAL
    if boot is None:
        return received_ms, SOURCE_RECEIVED
    when = mono_ms + boot.offset_ms
    return min(when, received_ms), (SOURCE_CORRECTED if boot.exact else SOURCE_RECEIVED)


def needs_retime(old: BootOffset | None, new: BootOffset | None, tolerance_ms: int = RETIME_TOLERANCE_MS) -> bool:
    """Whether stored unsynchronised events of the boot must be re-timed after `old` became `new`."""
    if new is None or old is None:
        return False
    if new.exact and not old.exact:
        return True
    return old.offset_ms - new.offset_ms > tolerance_ms
