"""Test helpers for the monthly assessment: departments, windows, ratings written straight into the table, a clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pingyi.accounts import service as accounts
from pingyi.catalog import load_catalog
from pingyi.cli import run_db
from pingyi.clock import FixedClock
from pingyi.hall.service import add_missing_departments
from pingyi.ratings.service import seed_demo_windows
from pingyi.ratings.tables import Rating, Terminal
from pingyi.settings import Settings
from pingyi_terminal import protocol

T = TypeVar("T")
OFFICE = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> datetime:
    """An office-local wall time as a UTC instant."""
    return datetime(*parts, tzinfo=OFFICE).astimezone(UTC)  # type: ignore[misc]


def clock_at(*parts: int) -> FixedClock:
    return FixedClock(local(*parts), "Asia/Shanghai")


def run_at(settings: Settings, clock: FixedClock, work: Callable[[], Awaitable[T]]) -> T:
    return run_db(settings, work, clock=clock)


async def seed(settings: Settings, windows: int = 4) -> dict[str, Any]:
    """21 departments, one window and terminal for each of the first `windows`, an admin and an inspector."""
    await add_missing_departments(load_catalog(settings.surveys_dir).departments)
    pairs = await seed_demo_windows(["D01", "D02", "D03", "D04"][:windows], count=windows, prefix="mon")
    await accounts.create_user("boss", "password-1", "admin", actor="test")
    await accounts.create_user("insp", "password-1", "inspector", actor="test")
    await accounts.create_user("liaison", "password-1", "liaison", department_code="D01", actor="test")
    terminals = {}
    for tid, wcode in pairs:
        row = await Terminal.select(Terminal.id, Terminal.window, Terminal.window.department).where(
            Terminal.terminal_id == tid).first()
        terminals[wcode[2:]] = (row["id"], row["window"], row["window.department"])
    return terminals


_SEQ = {"n": 0}


async def rate(terminal: tuple[int, int, int], at: datetime, level: int | None = 5, *, kind: str = "press",
               flags: str = "", dismissed: bool = False, channel: str = "terminal",
               stored_bad: bool | None = None) -> str:
    """One rating row (as the ingest stores it) at the UTC instant `at`; returns its event key.

    `stored_bad` overrides the stored `bad` column (as if the row had been stored under another rule)."""
    _SEQ["n"] += 1
    seq = _SEQ["n"]
    key = f"mon-{terminal[0]}:e1:{seq}"
    bad = kind == "press" and level is not None and protocol.is_bad(level, "five")
    bad = bad if stored_bad is None else stored_bad  # a row stored under another rule than today's
    await Rating.insert(Rating(
        event_key=key, terminal=terminal[0], window=terminal[1], department=terminal[2], epoch="e1", seq=seq,
        kind=kind, level=level if kind == "press" else None, scale="five", bad=bad, flags=flags,
        counted=kind == "press" and not flags, boot="b1", mono_ms=seq, wall_at=at, synced=True, occurred_at=at,
        time_source="terminal", channel=channel, received_at=at, dismissed=dismissed,
        dismiss_reason="误操作" if dismissed else ""))
    return key
