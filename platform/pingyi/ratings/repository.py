"""Infrastructure layer: queries of the ratings context; rows become plain dicts/schemas here (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pingyi import clock
from pingyi.core.trends import BUCKET_SECONDS
from pingyi_terminal import protocol

from .channels import TERMINAL
from .schemas import ChannelCount, DepartmentRatingMonth, QuarantineOverflowCount
from .tables import Quarantine, QuarantineOverflow, Rating, ServedCount, Terminal


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
        "flags, channel, COUNT(*) AS n FROM rating WHERE occurred_at >= {} "
        'GROUP BY "window", kind, 3, 4, flags, channel', since)
    per: dict[int, dict[str, Any]] = {}
    for c in counts:
        p = per.setdefault(c["window_id"], _today())
        n = int(c["n"])
        c["flagged"] = bool(c["flags"])
        for flag in c["flags"].split(",") if c["flags"] else ():
            p["by_flag"][flag] = p["by_flag"].get(flag, 0) + n
        if c["kind"] == "arm":
            p["arms"] += 0 if c["flagged"] else n  # a flagged arm (its time out of bounds) serves no one
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
    return {"presses": 0, "counted": 0, "bad": 0, "arms": 0, "flagged": 0, "by_channel": {}, "by_flag": {}}


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


async def quarantine_overflow() -> list[QuarantineOverflowCount]:
    rows = await QuarantineOverflow.select().order_by(QuarantineOverflow.terminal_id)
    return [QuarantineOverflowCount(terminal_id=r["terminal_id"], dropped=int(r["dropped"]),
                                    dropped_bytes=int(r["dropped_bytes"]), last_at=r["last_at"]) for r in rows]


async def quarantine(limit: int = 200) -> list[dict[str, Any]]:
    return await Quarantine.select(Quarantine.id, Quarantine.received_at, Quarantine.topic, Quarantine.reason,
                                   Quarantine.terminal_id, Quarantine.raw_text, Quarantine.raw_length).order_by(
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


async def terminal_quarter_hours(start: datetime, end: datetime) -> list[tuple[int | None, int, int]]:
    """Counted terminal ratings with `occurred_at` (the corrected event time) in [start, end), per hall of their
    window (None: a window in no hall) and quarter-hour bucket since the epoch (UTC, core.trends.BUCKET_SECONDS):
    (hall id, bucket, count). One GROUP BY; the caller places the buckets in the office's time zone."""
    if Rating._meta.db.engine_type == "sqlite":
        bucket = f"CAST(strftime('%s', r.occurred_at) AS INTEGER) / {BUCKET_SECONDS}"
    else:
        bucket = f"FLOOR(EXTRACT(EPOCH FROM r.occurred_at) / {BUCKET_SECONDS})::bigint"
    rows = await Rating.raw(
        f'SELECT w.hall AS hall, {bucket} AS bucket, COUNT(*) AS n FROM rating r '
        'JOIN service_window w ON w.id = r."window" '
        "WHERE r.occurred_at >= {} AND r.occurred_at < {} AND r.channel = {} AND " + counted_sql("r") + " "
        f"GROUP BY w.hall, {bucket}", start, end, TERMINAL)
    return [(r["hall"], int(r["bucket"]), int(r["n"])) for r in rows]


async def month_rating_facts(start: datetime, end: datetime, month: str) -> list[DepartmentRatingMonth]:
    """Per department: counted ratings and counted 差评 per channel, clean arm events, the counted 差评's keys, and
    the imported 办件量 of `month`, for ratings with `occurred_at` in [start, end) (the caller gives the month's
    bounds in the office's time zone). Flagged presses and dismissed 差评 are not counted (counted_sql); an arm
    event with a flag (e.g. a clock outside the bounds) is not a served transaction.

    One GROUP BY over the month's rows for the counts; the counted 差评's keys from a second query that the index
    on (bad, dismissed, occurred_at) serves: the stored `bad` column narrows the rows, `bad_sql()` and
    `counted_sql()` still decide. If the stored column ever disagrees with the rule (a rule changed after rows were
    stored), the key count would differ from the 差评 count; then the keys are read again without the narrowing."""
    groups = await Rating.raw(
        "SELECT department, channel, kind, " + counted_sql() + " AS counts, " + bad_sql() + " AS is_bad, "
        "flags = '' AS clean, COUNT(*) AS n FROM rating WHERE occurred_at >= {} AND occurred_at < {} "
        "GROUP BY department, channel, kind, 4, 5, 6", start, end)
    keys_sql = ("SELECT department, event_key FROM rating WHERE occurred_at >= {} AND occurred_at < {} AND "
                + bad_sql() + " AND " + counted_sql())
    refs = await Rating.raw(keys_sql + " AND bad = {} AND dismissed = {}", start, end, True, False)
    bad_total = sum(int(g["n"]) for g in groups if g["kind"] == "press" and g["counts"] and g["is_bad"])
    if len(refs) != bad_total:
        refs = await Rating.raw(keys_sql, start, end)
    served = await ServedCount.raw(
        'SELECT w.department AS department, w.code AS window_code, s.count AS n FROM served_count s '
        'JOIN service_window w ON w.id = s."window" WHERE s.month = {}', month)
    codes = {r["id"]: r["code"] for r in await Rating.raw("SELECT id, code FROM department")}
    per: dict[int, dict[str, Any]] = {}

    def slot(dept: int) -> dict[str, Any]:
        return per.setdefault(dept, {"arms": 0, "channels": {}, "refs": [], "served": None, "served_refs": []})

    for g in groups:
        p, n = slot(g["department"]), int(g["n"])
        if g["kind"] == "arm":
            p["arms"] += n if g["clean"] else 0
            continue
        if g["counts"]:
            c = p["channels"].setdefault(g["channel"], [0, 0])
            c[0] += n
            c[1] += n if g["is_bad"] else 0
    for r in refs:
        slot(r["department"])["refs"].append(r["event_key"])
    for s in served:
        p = slot(s["department"])
        p["served"] = (p["served"] or 0) + int(s["n"])
        p["served_refs"].append(f"{s['window_code']}={int(s['n'])}")
    return [DepartmentRatingMonth(
        department_code=codes[dept], arm_events=p["arms"],
        by_channel=tuple(ChannelCount(channel=ch, counted=v[0], bad=v[1]) for ch, v in sorted(p["channels"].items())),
        bad_refs=tuple(sorted(p["refs"])), served=p["served"], served_refs=tuple(sorted(p["served_refs"])))
        for dept, p in sorted(per.items(), key=lambda kv: codes[kv[0]])]
