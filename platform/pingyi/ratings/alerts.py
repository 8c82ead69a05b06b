"""Service layer: live alerts of a window (SPEC §4 "Alerts"; docs/rating-rules.md "Alerts").

`check(window_ids, now)` runs after every committed ingest batch (ratings/ingest/store.py) and after a web rating:
for each window without an open alert it reads the counted ratings of the last two threshold spans and asks the
pure rule (`core.alerts.breach`) whether some span passes the window's hall threshold; if so it raises one alert.

Episodes: a window has at most one open alert (a unique index on `open_key`, so two workers cannot both raise).
While it is open nothing more is raised for that window. Once a person acknowledges it (with a note, audited),
only ratings that occurred after the acknowledgement can raise the next one: the ratings the person saw are spent.
Raising is done by the platform, not by a person, so it is not an audit entry; acknowledging is.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import alerts as rule
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.db import current_engine, write_transaction
from pingyi.hall import service as hall

from . import live_repository as repo
from .live_schemas import AlertRecord

log = logging.getLogger("pingyi.alerts")

LOOKBACK_SPANS = 2  # a check reads the counted ratings of the last 2 × window_minutes
# Windows seen with an open alert are not asked about again for this long (a cache: the database stays the truth;
# acknowledging in this process clears it at once, in another process within this many seconds, and the ratings
# that arrive meanwhile are read by the next check anyway). It keeps the ingest's per-batch cost to nothing while
# alerts are open (bench/ingest.py).
OPEN_CACHE_S = 2.0
_known_open: dict[int, float] = {}  # window id → monotonic time until which it is taken as open
_known_for: list[object] = []  # the engine the cache is about (a process binds one; tests bind many)
MAX_ROWS_PER_WINDOW = 5000  # a bound on one window's rows per check (a window never serves this many)
NOTE_MIN, NOTE_MAX = 2, 500
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


async def check(window_ids: Iterable[int], now: datetime) -> list[int]:
    """Raise the alerts that these windows' recent ratings call for; returns the new alerts' ids.

    Never raises: it runs after the ingest batch committed, and a failure here must not make the worker store the
    batch again (the failure is logged; the next batch of the window checks again)."""
    try:
        return await _check(sorted(set(window_ids)), now)
    except Exception:
        log.exception("alerts: checking windows failed")
        return []


async def _check(ids: list[int], now: datetime) -> list[int]:
    due = time.monotonic()
    engine = current_engine()
    if not _known_for or _known_for[0] is not engine:
        _known_open.clear()
        _known_for[:] = [engine]
    ids = [w for w in ids if _known_open.get(w, 0.0) <= due]
    if not ids:
        return []
    state = await repo.alert_state(ids)
    for w, (is_open, _) in state.items():
        if is_open:
            _known_open[w] = due + OPEN_CACHE_S
    candidates = [w for w in ids if not state.get(w, (False, None))[0]]
    if not candidates:
        return []
    thresholds = await hall.thresholds_for_windows(candidates)
    since_of: dict[int, datetime] = {}
    for w in candidates:
        since = now - thresholds.get(w, rule.DEFAULT_THRESHOLD).span * LOOKBACK_SPANS
        acked = state.get(w, (False, None))[1]
        since_of[w] = max(since, acked + timedelta(microseconds=1)) if acked is not None else since
    per: dict[int, list[rule.RecentRating]] = {w: [] for w in candidates}
    for w, at, bad in await repo.recent_counted(candidates, min(since_of.values())):
        if at >= since_of[w] and len(per[w]) < MAX_ROWS_PER_WINDOW:
            per[w].append(rule.RecentRating(at, bad))
    found = {w: rule.breach(per[w], thresholds.get(w, rule.DEFAULT_THRESHOLD)) for w in candidates}
    due_windows = [w for w, b in found.items() if b is not None]
    if not due_windows:
        return []
    departments = await repo.window_departments(due_windows)
    raised: list[int] = []
    for w in due_windows:
        threshold, b = thresholds.get(w, rule.DEFAULT_THRESHOLD), found[w]
        assert b is not None
        async with write_transaction():
            new_id = await repo.insert_alert(w, departments[w], now, b.first_at, b.last_at, b.ratings, b.bad,
                                             threshold.min_ratings, threshold.window_minutes, threshold.bad_percent)
        _known_open[w] = due + OPEN_CACHE_S  # raised here or by another worker just now: open either way
        if new_id is not None:
            log.warning("alerts: window %d raised alert %d (%d ratings, %d 差评)", w, new_id, b.ratings, b.bad)
            raised.append(new_id)
    return raised


async def acknowledge(alert_id: int, note: str, actor: str) -> AlertRecord:
    """A person acknowledges an open alert with a note (required); who and when are kept; audited."""
    note = (note or "").strip()
    if len(note) < NOTE_MIN:
        raise InvalidInput("请填写处理说明（至少 2 个字），例如：已到窗口核实、已安排值班长处理。")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"处理说明不能超过 {NOTE_MAX} 字。")
    async with write_transaction():
        found = await repo.alert(alert_id)
        if found is None:
            raise NotFound("该告警不存在。")
        if not found.open:
            raise Conflict(f"该告警已由 {found.acknowledged_by} 确认。")
        if await repo.acknowledge(alert_id, actor, clock.now(), note) != 1:
            raise Conflict("该告警已被确认。")
        _known_open.clear()  # this process checks again at once (the window id is not in the record)
        await audit.append(actor, "alert.acknowledge", f"alert:{alert_id}",
                           {"window": found.window_code, "note": note, "ratings": found.ratings, "bad": found.bad},
                           in_transaction=True)
    done = await repo.alert(alert_id)
    assert done is not None
    return done


async def open_alerts() -> list[AlertRecord]:
    return await repo.open_alerts()


def parse_month(month: str | None) -> tuple[int, int]:
    """"YYYY-MM" → (year, month); blank → this month in the office's time zone."""
    if not month:
        today = clock.today()
        return today.year, today.month
    m = MONTH_RE.fullmatch(month.strip())
    if not m:
        raise InvalidInput(f"月份 {month!r} 应为 YYYY-MM，例如 2026-12。")
    return int(m.group(1)), int(m.group(2))


async def alerts_for_month(year: int, month: int) -> list[AlertRecord]:
    """The alerts raised in a calendar month of the office's time zone, newest first."""
    start = clock.start_of_local_day(date(year, month, 1))
    end = clock.start_of_local_day(date(year + month // 12, month % 12 + 1, 1))
    return await repo.alerts_between(start, end)


def month_of(at: datetime) -> str:
    """The office-time-zone calendar month ("YYYY-MM") of an instant."""
    local = at.astimezone(clock.current().zone)
    return f"{local.year:04d}-{local.month:02d}"
