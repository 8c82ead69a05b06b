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
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import alerts as rule
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.db import write_transaction
from pingyi.hall import service as hall

from . import live_repository as repo
from .live_schemas import AlertRecord

log = logging.getLogger("pingyi.alerts")

LOOKBACK_SPANS = 2  # a check reads the counted ratings of the last 2 × window_minutes
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
    if not ids:
        return []
    candidates = [w for w in ids if w not in await repo.open_alert_windows(ids)]
    if not candidates:
        return []
    thresholds = await hall.thresholds_for_windows(candidates)
    acknowledged = await repo.last_acknowledged(candidates)
    since_of: dict[int, datetime] = {}
    for w in candidates:
        threshold = thresholds.get(w, rule.DEFAULT_THRESHOLD)
        since = now - threshold.span * LOOKBACK_SPANS
        ack = acknowledged.get(w)
        since_of[w] = max(since, ack + timedelta(microseconds=1)) if ack is not None else since
    earliest = min(since_of.values())
    totals = await repo.recent_totals(candidates, earliest)
    likely = [w for w in candidates if _may_breach(totals.get(w, (0, 0)), thresholds.get(w, rule.DEFAULT_THRESHOLD))]
    if not likely:
        return []
    per: dict[int, list[rule.RecentRating]] = {w: [] for w in likely}
    for w, at, bad in await repo.recent_counted(likely, min(since_of[w] for w in likely)):
        if at >= since_of[w] and len(per[w]) < MAX_ROWS_PER_WINDOW:
            per[w].append(rule.RecentRating(at, bad))
    departments = await repo.window_departments(likely)
    raised: list[int] = []
    for w in likely:
        threshold = thresholds.get(w, rule.DEFAULT_THRESHOLD)
        found = rule.breach(per[w], threshold)
        if found is None:
            continue
        async with write_transaction():
            new_id = await repo.insert_alert(w, departments[w], now, found.first_at, found.last_at, found.ratings,
                                             found.bad, threshold.min_ratings, threshold.window_minutes,
                                             threshold.bad_percent)
        if new_id is not None:
            log.warning("alerts: window %d raised alert %d (%d ratings, %d 差评)", w, new_id, found.ratings,
                        found.bad)
            raised.append(new_id)
    return raised


def _may_breach(totals: tuple[int, int], threshold: rule.Threshold) -> bool:
    """Necessary for any span to pass: enough ratings, and enough 差评 for the smallest passing span."""
    count, bad = totals
    return count >= threshold.min_ratings and bad * 100 >= threshold.bad_percent * threshold.min_ratings


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
