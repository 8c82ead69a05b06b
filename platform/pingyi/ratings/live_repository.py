"""Infrastructure layer: queries of the live dashboard and its alerts; rows become records here (SPEC §4 "Alerts").

What counts and what is a 差评 comes from `repository.counted_sql()` / `bad_sql()` (the one definition in
pingyi_terminal.protocol); nothing here restates the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .live_schemas import AlertRecord
from .repository import bad_sql, counted_sql
from .tables import Alert, Rating, Terminal


def _dt(value: Any) -> datetime:
    """A timestamp as an aware UTC datetime, from either driver (SQLite raw rows give ISO text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _marks(values: Iterable[Any]) -> tuple[str, list[Any]]:
    items = list(values)
    return ", ".join(["{}"] * len(items)), items


async def recent_counted(window_ids: list[int], since: datetime) -> list[tuple[int, datetime, bool]]:
    """(window id, occurred at, is 差评) of the counted ratings of these windows that occurred at or after `since`."""
    if not window_ids:
        return []
    marks, ids = _marks(window_ids)
    rows = await Rating.raw(
        f'SELECT "window" AS window_id, occurred_at, {bad_sql()} AS is_bad FROM rating '
        f'WHERE "window" IN ({marks}) AND occurred_at >= {{}} AND {counted_sql()}', *ids, since)
    return [(int(r["window_id"]), _dt(r["occurred_at"]), bool(r["is_bad"])) for r in rows]


async def alert_state(window_ids: list[int]) -> dict[int, tuple[bool, datetime | None]]:
    """Window id → (has an open alert, when its latest alert was acknowledged), for windows with any alert."""
    if not window_ids:
        return {}
    marks, ids = _marks(window_ids)
    rows = await Alert.raw(f'SELECT "window" AS window_id, '
                           f'MAX(CASE WHEN open_key IS NULL THEN 0 ELSE 1 END) AS is_open, '
                           f'MAX(acknowledged_at) AS acked FROM rating_alert WHERE "window" IN ({marks}) '
                           f'GROUP BY "window"', *ids)
    return {int(r["window_id"]): (bool(r["is_open"]), _dt(r["acked"]) if r["acked"] is not None else None)
            for r in rows}


async def window_departments(window_ids: list[int]) -> dict[int, int]:
    if not window_ids:
        return {}
    marks, ids = _marks(window_ids)
    rows = await Rating.raw(f"SELECT id, department FROM service_window WHERE id IN ({marks})", *ids)
    return {int(r["id"]): int(r["department"]) for r in rows}


async def insert_alert(window_id: int, department_id: int, raised_at: datetime, first_at: datetime,
                       last_at: datetime, ratings: int, bad: int, min_ratings: int, window_minutes: int,
                       bad_percent: int) -> int | None:
    """Insert an open alert unless the window has one (the unique open_key decides, whichever worker is first)."""
    rows = await Alert.raw(
        "INSERT INTO rating_alert (\"window\", department, open_key, raised_at, first_rating_at, last_rating_at, "
        "ratings, bad, min_ratings, window_minutes, bad_percent, acknowledged_at, acknowledged_by, note) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, '', '') "
        "ON CONFLICT (open_key) DO NOTHING RETURNING id",
        window_id, department_id, str(window_id), raised_at, first_at, last_at, ratings, bad, min_ratings,
        window_minutes, bad_percent)
    return int(rows[0]["id"]) if rows else None


ALERT_SELECT = (
    'SELECT a.id, a.raised_at, a.first_rating_at, a.last_rating_at, a.ratings, a.bad, a.min_ratings, '
    'a.window_minutes, a.bad_percent, a.acknowledged_at, a.acknowledged_by, a.note, w.code AS window_code, '
    'w.name AS window_name, d.name AS department_name, h.code AS hall_code, h.name AS hall_name '
    'FROM rating_alert a JOIN service_window w ON w.id = a."window" JOIN department d ON d.id = a.department '
    'LEFT JOIN hall h ON h.id = w.hall ')


def _alert(r: dict[str, Any]) -> AlertRecord:
    return AlertRecord(
        id=int(r["id"]), window_code=r["window_code"], window_name=r["window_name"],
        department_name=r["department_name"], hall_code=r["hall_code"], hall_name=r["hall_name"],
        raised_at=_dt(r["raised_at"]), first_rating_at=_dt(r["first_rating_at"]),
        last_rating_at=_dt(r["last_rating_at"]), ratings=int(r["ratings"]), bad=int(r["bad"]),
        min_ratings=int(r["min_ratings"]), window_minutes=int(r["window_minutes"]),
        bad_percent=int(r["bad_percent"]),
        acknowledged_at=_dt(r["acknowledged_at"]) if r["acknowledged_at"] is not None else None,
        acknowledged_by=r["acknowledged_by"] or "", note=r["note"] or "")


async def alert(alert_id: int) -> AlertRecord | None:
    rows = await Alert.raw(ALERT_SELECT + "WHERE a.id = {}", alert_id)
    return _alert(rows[0]) if rows else None


async def open_alerts() -> list[AlertRecord]:
    rows = await Alert.raw(ALERT_SELECT + "WHERE a.open_key IS NOT NULL")
    return sorted((_alert(r) for r in rows), key=lambda a: (a.raised_at, a.id), reverse=True)


async def alerts_between(start: datetime, end: datetime) -> list[AlertRecord]:
    """Alerts raised in [start, end), newest first."""
    rows = await Alert.raw(ALERT_SELECT + "WHERE a.raised_at >= {} AND a.raised_at < {}", start, end)
    return sorted((_alert(r) for r in rows), key=lambda a: (a.raised_at, a.id), reverse=True)


async def acknowledge(alert_id: int, by: str, at: datetime, note: str) -> int:
    """Conditional update: only an open alert is acknowledged (once); returns rows changed."""
    rows = await Alert.raw(
        "UPDATE rating_alert SET open_key = NULL, acknowledged_at = {}, acknowledged_by = {}, note = {} "
        "WHERE id = {} AND acknowledged_at IS NULL RETURNING id", at, by, note, alert_id)
    return len(rows)


async def day_counts(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per window and channel, ratings that occurred in [start, end): arm events, counted, counted 差评, flagged."""
    rows = await Rating.raw(
        'SELECT "window" AS window_id, channel, '
        "SUM(CASE WHEN kind = 'arm' AND flags = '' THEN 1 ELSE 0 END) AS served, "  # as month_rating_facts
        f"SUM(CASE WHEN {counted_sql()} THEN 1 ELSE 0 END) AS ratings, "
        f"SUM(CASE WHEN {counted_sql()} AND {bad_sql()} THEN 1 ELSE 0 END) AS bad, "
        "SUM(CASE WHEN kind = 'press' AND flags <> '' THEN 1 ELSE 0 END) AS flagged "
        'FROM rating WHERE occurred_at >= {} AND occurred_at < {} GROUP BY "window", channel', start, end)
    return [{"window_id": int(r["window_id"]), "channel": r["channel"], "served": int(r["served"] or 0),
             "ratings": int(r["ratings"] or 0), "bad": int(r["bad"] or 0), "flagged": int(r["flagged"] or 0)}
            for r in rows]


async def live_terminals() -> list[tuple[int, str, bool, datetime | None]]:
    """(window id, terminal id, online, last seen) of every terminal not revoked."""
    rows = await Terminal.raw('SELECT "window" AS window_id, terminal_id, online, last_seen FROM terminal '
                              'WHERE revoked = {} ORDER BY terminal_id', False)
    return [(int(r["window_id"]), r["terminal_id"], bool(r["online"]),
             _dt(r["last_seen"]) if r["last_seen"] is not None else None) for r in rows]
