"""Infrastructure layer: queries of the ratings context; rows become plain dicts/schemas here (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pingyi import clock
from pingyi_terminal import protocol

from .tables import Quarantine, Rating, ServedCount, Terminal


def bad_sql(alias: str = "") -> str:
    """SQL predicate "this row is a 差评", built from protocol.BAD_LEVELS (the one definition; no literal here)."""
    a = f"{alias}." if alias else ""
    parts = [f"({a}scale = '{scale}' AND {a}level IN ({', '.join(str(v) for v in sorted(levels))}))"
             for scale, levels in protocol.BAD_LEVELS.items() if levels]
    return f"({a}kind = 'press' AND ({' OR '.join(parts) or 'false'}))"


def counted_sql(alias: str = "") -> str:
    """SQL predicate "this row counts": protocol.counted (a press without flags) and not dismissed by the office."""
    a = f"{alias}." if alias else ""
    return f"({a}kind = 'press' AND {a}flags = '' AND {a}dismissed = false)"


async def terminal_by_id(terminal_id: str) -> dict[str, Any] | None:
    return await Terminal.select().where(Terminal.terminal_id == terminal_id).first()


async def insert_terminal(terminal_id: str, window_id: int, scale: str, armed: bool) -> int:
    row = Terminal(terminal_id=terminal_id, window=window_id, scale=scale, armed_mode=armed)
    await row.save()
    return row.id


async def mark_revoked(terminal_id: str, at: datetime) -> None:
    await Terminal.update({Terminal.revoked: True, Terminal.revoked_at: at, Terminal.online: False}).where(
        Terminal.terminal_id == terminal_id)


async def active_terminal_ids() -> list[str]:
    rows = await Terminal.select(Terminal.terminal_id).where(Terminal.revoked == False)  # noqa: E712
    return [r["terminal_id"] for r in rows]


async def fleet(since: datetime) -> list[dict[str, Any]]:
    """Terminals with window and department, plus today's counted ratings and 差评 per window."""
    rows = await Terminal.raw(
        'SELECT t.terminal_id, t.online, t.last_seen, t.outbox_depth, t.clock_synced, t.version, t.revoked, '
        't.scale, t.armed_mode, w.id AS window_id, w.code AS window_code, w.name AS window_name, '
        'd.name AS department_name FROM terminal t JOIN service_window w ON w.id = t."window" '
        'JOIN department d ON d.id = w.department ORDER BY d.sort_order, d.code, w.code, t.terminal_id')
    counts = await Rating.raw(
        'SELECT "window" AS window_id, kind, ' + counted_sql() + ' AS counts, ' + bad_sql() + ' AS is_bad, '
        "flags <> '' AS flagged, channel, COUNT(*) AS n FROM rating WHERE occurred_at >= {} "
        'GROUP BY "window", kind, 3, 4, 5, channel', since)
    per: dict[int, dict[str, Any]] = {}
    for c in counts:
        p = per.setdefault(c["window_id"], _today())
        n = int(c["n"])
        if c["kind"] == "arm":
            p["arms"] += n
            continue
        ch = p["by_channel"].setdefault(c["channel"], {"presses": 0, "counted": 0, "bad": 0, "flagged": 0})
        for target in (p, ch):
            target["presses"] += n
            if c["counts"]:
                target["counted"] += n
                if c["is_bad"]:
                    target["bad"] += n
            elif c["flagged"]:
                target["flagged"] += n
    for r in rows:
        r["today"] = per.get(r["window_id"], _today())
    return rows


def _today() -> dict[str, Any]:
    """Today's figures of one window; `by_channel` tells them apart per rating channel (channels.CHANNELS)."""
    return {"presses": 0, "counted": 0, "bad": 0, "arms": 0, "flagged": 0, "by_channel": {}}


async def bad_queue(limit: int = 200) -> list[dict[str, Any]]:
    return await Rating.raw(
        'SELECT r.id, r.event_key, r.level, r.scale, r.occurred_at, r.time_source, r.received_at, r.channel, '
        'w.code AS window_code, w.name AS window_name, d.name AS department_name '
        'FROM rating r JOIN service_window w ON w.id = r."window" JOIN department d ON d.id = r.department '
        'WHERE ' + bad_sql("r") + ' AND ' + counted_sql("r") + ' ORDER BY r.occurred_at DESC LIMIT {}',
        limit)


async def recently_dismissed(limit: int = 50) -> list[dict[str, Any]]:
    return await Rating.raw(
        'SELECT r.id, r.level, r.scale, r.occurred_at, r.dismiss_reason, r.dismissed_by, r.dismissed_at, '
        'r.channel, w.name AS window_name FROM rating r JOIN service_window w ON w.id = r."window" '
        'WHERE r.dismissed = {} ORDER BY r.dismissed_at DESC LIMIT {}', True, limit)


async def rating(rating_id: int) -> dict[str, Any] | None:
    return await Rating.select().where(Rating.id == rating_id).first()


async def dismiss(rating_id: int, reason: str, by: str, at: datetime) -> int:
    """Conditional update: only a counted, undismissed 差评 can be dismissed; returns rows changed."""
    rows = await Rating.raw(
        "UPDATE rating SET dismissed = true, dismiss_reason = {}, dismissed_by = {}, dismissed_at = {} "
        "WHERE id = {} AND " + bad_sql() + " AND " + counted_sql() + " RETURNING id", reason, by, at, rating_id)
    return len(rows)


async def quarantine(limit: int = 200) -> list[dict[str, Any]]:
    return await Quarantine.select(Quarantine.id, Quarantine.received_at, Quarantine.topic, Quarantine.reason,
                                   Quarantine.terminal_id, Quarantine.raw_text).order_by(
        Quarantine.id, ascending=False).limit(limit)


async def upsert_served(window_id: int, month: str, count: int) -> None:
    key = f"{window_id}:{month}"
    now = clock.now()
    existing = await ServedCount.select(ServedCount.id).where(ServedCount.served_key == key).first()
    if existing:
        await ServedCount.update({ServedCount.count: count, ServedCount.imported_at: now}).where(
            ServedCount.id == existing["id"])
    else:
        await ServedCount.insert(ServedCount(served_key=key, window=window_id, month=month, count=count,
                                             imported_at=now))
