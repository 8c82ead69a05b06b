"""One clock (SPEC §8): no business date or time is read anywhere but pingyi/clock.py.

Walks the platform's source with ast and fails on a call of date.today(), datetime.now(), datetime.utcnow(),
datetime.today(), time.time() or time.time_ns() outside the clock module (time.monotonic() and perf_counter() for
durations are fine). The clock itself is tested here too: "today" is the office's date, not the server's.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pingyi import clock

PACKAGE = Path(__file__).resolve().parents[2] / "platform" / "pingyi"
FORBIDDEN = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
             ("time", "time"), ("time", "time_ns")}


def clock_reads(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in FORBIDDEN:
                lines.append(node.lineno)
    return lines


def test_no_clock_read_outside_the_clock_module():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "clock.py" and path.parent == PACKAGE or "piccolo_migrations" in path.parts:
            continue
        found += [f"{path.relative_to(PACKAGE)}:{n}" for n in clock_reads(path.read_text("utf-8"))]
    assert found == [], f"read pingyi.clock instead: {found}"


@pytest.mark.parametrize("snippet, hits", [
    ("from datetime import date\nx = date.today()", 1),
    ("import datetime\nx = datetime.datetime.now()", 1),
    ("from datetime import datetime\nx = datetime.now(tz)", 1),
    ("import time\nx = time.time()", 1),
    ("import time\nx = time.monotonic()", 0),
    ("from pingyi import clock\nx = clock.today()", 0),
])
def test_the_walker_sees_each_kind_of_read(snippet, hits):
    assert len(clock_reads(snippet)) == hits


def test_today_is_the_office_date_not_the_servers():
    """07:30 on 1 January in Beijing is 23:30 on 31 December in UTC: the office's today is the new year."""
    fixed = clock.FixedClock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Asia/Shanghai")
    previous = clock.current()
    clock.use_clock(fixed)
    try:
        assert clock.today().isoformat() == "2027-01-01"
        assert clock.start_of_local_day(clock.today()) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
        fixed.advance(timedelta(hours=-8))  # 15:30 UTC = 23:30 Beijing on 31 December
        assert clock.today().isoformat() == "2026-12-31"
    finally:
        clock.use_clock(previous)


def test_a_fixed_clock_needs_an_aware_time():
    with pytest.raises(ValueError):
        clock.FixedClock(datetime(2026, 1, 1))
