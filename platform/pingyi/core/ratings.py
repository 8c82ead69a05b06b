"""Core layer: counting rules for window ratings — counted, 差评, served transactions, participation (SPEC §4). Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

FIVE_LEVELS = (5, 4, 3, 2, 1)
THREE_LEVELS = (5, 3, 1)
LEVELS = {"five": FIVE_LEVELS, "three": THREE_LEVELS}
BAD_MAX_LEVEL = 2  # 不满意 (2) and 非常不满意 (1); the three-level scale's 不满意 is 1


@dataclass(frozen=True, slots=True)
class RatingFacts:
    """What counting needs to know about one stored event."""

    kind: str  # "press" | "arm"
    level: int | None
    scale: str
    flags: tuple[str, ...] = ()
    dismissed: bool = False


def is_bad(level: int | None, scale: str) -> bool:
    """差评: 不满意 or 非常不满意 on either scale. ValueError for a level that is not on the scale."""
    if level is None:
        return False
    if scale not in LEVELS or level not in LEVELS[scale]:
        raise ValueError(f"level {level!r} is not on the {scale!r} scale")
    return level <= BAD_MAX_LEVEL


def counted_at_ingest(kind: str, flags: Iterable[str]) -> bool:
    """A press without flags (not unarmed, not a repeat) is counted when stored."""
    return kind == "press" and not tuple(flags)


def counts(r: RatingFacts) -> bool:
    """A rating counts when it is a press, not flagged and not dismissed by the office."""
    return counted_at_ingest(r.kind, r.flags) and not r.dismissed


def counts_as_bad(r: RatingFacts) -> bool:
    """An undismissed, counted 差评 (it enters the monthly 1.6 deduction)."""
    return counts(r) and is_bad(r.level, r.scale)


def in_review_queue(r: RatingFacts) -> bool:
    """Every counted 差评 not yet dismissed waits in the office review queue."""
    return counts_as_bad(r)


def served(arm_events: int, imported: int | None) -> int:
    """Served transactions of a window-month: the imported 办件量 when given, else the number of arm events."""
    return imported if imported is not None else arm_events


@dataclass(frozen=True, slots=True)
class Participation:
    counted: int
    served: int

    @property
    def rate(self) -> Decimal | None:
        """counted / served, unrounded; None when nothing was served (the SPEC scores that month 0)."""
        if self.served <= 0:
            return None
        return Decimal(self.counted) / Decimal(self.served)


def participation(counted_by_window: Mapping[str, int], arms_by_window: Mapping[str, int],
                  imported_by_window: Mapping[str, int], department_of: Mapping[str, str]) -> dict[str, Participation]:
    """Participation per department for one month, from per-window figures (window codes as keys).

    For each window the served figure is the imported 办件量 if any, else its arm events.
    """
    counted: dict[str, int] = defaultdict(int)
    served_total: dict[str, int] = defaultdict(int)
    windows = set(counted_by_window) | set(arms_by_window) | set(imported_by_window)
    for w in windows:
        dept = department_of.get(w)
        if dept is None:
            continue
        counted[dept] += counted_by_window.get(w, 0)
        served_total[dept] += served(arms_by_window.get(w, 0), imported_by_window.get(w))
    return {d: Participation(counted[d], served_total[d]) for d in sorted(set(counted) | set(served_total))}
