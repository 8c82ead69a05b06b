"""Core layer: the web channel's share of a terminal's arm, and the flags of a web rating (SPEC §4, issue 9).

Pure: facts in, a decision out. The rules (docs/rating-rules.md, "Web channel"):

* An arm (staff "服务开始", a stored ``kind="arm"`` row of the window's terminal) admits exactly one counted
  rating, from the buttons or from the web. The terminal makes the press right after an arm (seq + 1 of the same
  epoch) the one it admits, so an arm is *used by the buttons* as soon as the platform holds an event at
  seq + 1 (a press, or a new arm that supersedes it), and *used by the web* once a web rating claimed it.
* The arm the web may use is the terminal's latest stored arm, if it is open: neither used, and not older than
  ``arm_max_age`` (a citizen rates on the phone within minutes of being served, not the next morning).
* In armed mode, a web rating without an open arm is flagged ``unarmed``, exactly like an unarmed press; a web
  rating from the same device for the same window within ``repeat_interval`` of the device's previous one is
  flagged ``repeat``. Only an unflagged web rating claims the arm (as only an unflagged press consumes one).
* A terminal not in armed mode has no arms to share: the web rating is judged by the repeat rule only.
* Beyond ``hourly_limit`` web ratings from one device (or ``address_limit`` from one client address) in the last
  hour, the rating is refused and nothing is stored.
* First to reach the platform wins the arm: a press of an arm the web already claimed is flagged ``unarmed`` when
  it is stored (``press_spent_by_web``); a web rating after the press finds the arm used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

FLAG_UNARMED = "unarmed"  # the same names as pingyi_terminal.protocol's flags (checked by a unit test)
FLAG_REPEAT = "repeat"


@dataclass(frozen=True)
class Arm:
    """One stored arm event of a terminal: its key parts and what the platform already holds after it."""

    terminal_id: str
    epoch: str
    seq: int
    occurred_at: datetime
    next_event_stored: bool = False  # an event at seq + 1 of the same epoch: the buttons used (or re-armed) it
    claimed_by_web: bool = False

    @property
    def key(self) -> str:
        return arm_key(self.terminal_id, self.epoch, self.seq)

    @property
    def press_key(self) -> str:
        """The event key of the press this arm admits (the terminal's next event)."""
        return press_key(self.terminal_id, self.epoch, self.seq)


@dataclass(frozen=True)
class Decision:
    """What happens to one web rating: refused (nothing stored), or stored with these flags, claiming an arm."""

    refused: str | None  # None, "device" or "address": which hourly limit was reached
    flags: tuple[str, ...]
    claim: Arm | None  # the arm this rating uses (only when unflagged in armed mode)

    @property
    def counted(self) -> bool:
        return self.refused is None and not self.flags


def arm_key(terminal_id: str, epoch: str, seq: int) -> str:
    return f"{terminal_id}:{epoch}:{seq}"


def press_key(terminal_id: str, epoch: str, arm_seq: int) -> str:
    return f"{terminal_id}:{epoch}:{arm_seq + 1}"


def latest_arm(arms: Iterable[Arm]) -> Arm | None:
    """The terminal's latest arm: by event time, then seq (a re-arm within one epoch has the higher seq)."""
    return max(arms, key=lambda a: (a.occurred_at, a.seq), default=None)


def open_arm(arms: Iterable[Arm], now: datetime, arm_max_age: timedelta) -> Arm | None:
    """The arm a web rating at `now` may use: the latest one, if unused and recent enough; else None."""
    arm = latest_arm(arms)
    if arm is None or arm.next_event_stored or arm.claimed_by_web:
        return None
    if arm.occurred_at > now or now - arm.occurred_at > arm_max_age:
        return None
    return arm


def decide(*, armed_mode: bool, arms: Iterable[Arm], now: datetime, arm_max_age: timedelta,
           device_times: Iterable[datetime], window_device_times: Iterable[datetime],
           address_times: Iterable[datetime], repeat_interval: timedelta, hourly_limit: int,
           address_limit: int) -> Decision:
    """The decision for one web rating at `now`.

    `device_times`: this device's stored web ratings (any window); `window_device_times`: its ratings of this
    window; `address_times`: web ratings from this client address. Times at or before `now`.
    """
    hour_ago = now - timedelta(hours=1)
    if sum(1 for t in device_times if t > hour_ago) >= hourly_limit:
        return Decision("device", (), None)
    if sum(1 for t in address_times if t > hour_ago) >= address_limit:
        return Decision("address", (), None)
    flags: list[str] = []
    if any(now - t < repeat_interval for t in window_device_times if t <= now):
        flags.append(FLAG_REPEAT)
    claim: Arm | None = None
    if armed_mode:
        arm = open_arm(arms, now, arm_max_age)
        if arm is None:
            flags.append(FLAG_UNARMED)
        elif not flags:
            claim = arm
    return Decision(None, tuple(sorted(flags)), claim)


def press_spent_by_web(press_event_key: str, press_flags: tuple[str, ...], claimed_press_keys: set[str]) -> bool:
    """True when a stored press used an arm the web had claimed first: it gets the ``unarmed`` flag."""
    return press_event_key in claimed_press_keys and FLAG_UNARMED not in press_flags


def add_flag(flags: str, flag: str) -> str:
    """Stored flags are sorted and comma-joined (as the ingest stores them); add one."""
    names = {f for f in flags.split(",") if f}
    names.add(flag)
    return ",".join(sorted(names))
