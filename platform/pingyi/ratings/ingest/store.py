"""Infrastructure layer: one ingest batch in one transaction, set-based (SPEC §4; PITFALLS: Piccolo per-row is slow).

Ratings go in with one `INSERT … ON CONFLICT (event_key) DO NOTHING` per batch (PostgreSQL: `SELECT unnest(…)`;
SQLite: a multi-row VALUES), so a duplicate is a no-op enforced by the database, whichever worker sees it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.engine.postgres import PostgresEngine

from pingyi import clock
from pingyi.core import clockfix
from pingyi.core.clockfix import BootOffset
from pingyi.db import write_transaction

from .. import alerts, web_rating
from ..tables import Quarantine, QuarantineOverflow, Rating, Terminal
from .validate import CLOCK_SHAPES, MAX_WALL_MS, SHAPES, KnownTerminal, SortedBatch

RATING_COLUMNS = ("event_key", "terminal", '"window"', "department", "epoch", "seq", "kind", "level", "scale", "bad",
                  "flags", "counted", "boot", "mono_ms", "wall_at", "synced", "occurred_at", "time_source",
                  "received_at", "dismissed", "dismiss_reason", "dismissed_by")
# PostgreSQL hot path: one statement per batch, run with asyncpg on the transaction's own connection (prepared and
# cached by asyncpg; Piccolo's raw() adds per-call overhead). The batch travels as ONE json parameter — an array of
# 19-element arrays encoded by msgspec in C — and PostgreSQL takes it apart (json_array_elements). Profiled: with 19
# typed array parameters, asyncpg's per-element encoding (an ABC isinstance check per element) was the largest cost
# left in the worker's asyncio thread. Times travel as epoch milliseconds and become timestamptz in SQL (exact:
# 'epoch' + n ms), so no datetime objects are built per row.
_MS = "'epoch'::timestamptz + (j->>{})::bigint * interval '1 millisecond'"
_COLS = ("(j->>0)", "(j->>1)::int", "(j->>2)::int", "(j->>3)::int", "(j->>4)", "(j->>5)::bigint", "(j->>6)",
         "(j->>7)::int", "(j->>8)", "(j->>9)::bool", "(j->>10)", "(j->>11)::bool", "(j->>12)", "(j->>13)::bigint",
         _MS.format(14), "(j->>15)::bool", _MS.format(16), "(j->>17)", _MS.format(18))
PG_INSERT_RATINGS = (
    "INSERT INTO rating (event_key, terminal, \"window\", department, epoch, seq, kind, level, scale, bad, flags, "
    "counted, boot, mono_ms, wall_at, synced, occurred_at, time_source, received_at, dismissed, dismiss_reason, "
    "dismissed_by) "
    f"SELECT {', '.join(_COLS)}, false, '', '' FROM json_array_elements($1::json) AS j "
    "ON CONFLICT (event_key) DO NOTHING")
_encode_json = msgspec.json.Encoder().encode
SQLITE_CHUNK = 500
LAST_SEEN_EVERY_S = 5.0


def ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(max(0, min(ms, MAX_WALL_MS)) / 1000, tz=UTC)


class BatchStore:
    """Stores sorted batches. Keeps a cache of boot offsets (an optimisation; the database row stays the truth)."""

    def __init__(self, engine: Any, bounds: clockfix.TimeBounds = clockfix.DEFAULT_BOUNDS) -> None:
        self.pg = isinstance(engine, PostgresEngine)
        self.bounds = bounds
        self._boots: dict[tuple[int, str], BootOffset] = {}
        self._pending: dict[tuple[int, str], BootOffset] = {}  # applied to _boots only after COMMIT
        self._last_seen_written: dict[int, float] = {}

    # ------------------------------------------------------------------------------------------ terminals
    async def load_terminals(self) -> dict[str, KnownTerminal]:
        rows = await Terminal.raw(
            'SELECT t.id, t.terminal_id, t."window" AS window_pk, w.department AS department_pk, t.scale, t.revoked '
            'FROM terminal t JOIN service_window w ON w.id = t."window"')
        return {r["terminal_id"]: KnownTerminal(r["id"], r["terminal_id"], r["window_pk"], r["department_pk"],
                                                r["scale"], bool(r["revoked"])) for r in rows}

    # ------------------------------------------------------------------------------------------ batch
    async def write(self, batch: SortedBatch) -> int:
        """Commit the batch; return the number of ratings newly inserted (the rest were already stored)."""
        inserted = 0
        self._pending = {}
        async with write_transaction() as tx:
            if batch.quarantine:
                await Quarantine.insert(*[
                    Quarantine(received_at=ms_to_dt(q.received_ms), topic=q.topic, reason=q.reason,
                               terminal_id=q.terminal_id, raw=q.raw, raw_text=q.raw.decode("utf-8", "replace"),
                               raw_length=q.raw_length)
                    for q in batch.quarantine])
            for tid, over in batch.overflow.items():  # a few terminals at most: one upsert each
                await QuarantineOverflow.raw(
                    "INSERT INTO quarantine_overflow (terminal_id, dropped, dropped_bytes, last_at) "
                    "VALUES ({}, {}, {}, {}) ON CONFLICT (terminal_id) DO UPDATE SET "
                    "dropped = quarantine_overflow.dropped + excluded.dropped, "
                    "dropped_bytes = quarantine_overflow.dropped_bytes + excluded.dropped_bytes, "
                    "last_at = excluded.last_at", tid, over.messages, over.bytes, ms_to_dt(over.last_ms))
            retime = await self._merge_boots(batch)
            if batch.events and self.pg:
                status = await tx.connection.execute(PG_INSERT_RATINGS,
                                                     _encode_json(self._rating_columns(batch)).decode())
                inserted = int(status.rsplit(" ", 1)[1])  # "INSERT 0 <n>": rows new (the rest were stored)
            elif batch.events:
                inserted = await self._insert_ratings_sqlite(batch)
            if batch.events:
                await web_rating.after_ingest(batch)  # presses of an arm the web used first: flagged (web channel)
            for (pk, boot), offset in retime:
                await self._retime(pk, boot, offset)
            await self._update_terminals(batch)
        self._boots.update(self._pending)
        self._pending = {}
        await alerts.check({se.terminal.window_pk for se in batch.events.values()}, clock.now())  # SPEC §4 alerts
        return inserted

    def _boot(self, key: tuple[int, str]) -> BootOffset | None:
        return self._pending.get(key) or self._boots.get(key)

    async def _merge_boots(self, batch: SortedBatch) -> list[tuple[tuple[int, str], BootOffset]]:
        if not batch.samples:
            return []
        unknown = [k for k in batch.samples if k not in self._boots]
        if unknown:
            await self._load_boots(unknown)
        changed: list[tuple[tuple[int, str], BootOffset]] = []
        retime: list[tuple[tuple[int, str], BootOffset]] = []
        for key, samples in batch.samples.items():
            old = self._boot(key)
            new = clockfix.merge(old, samples)
            if new is not None and new != old:
                self._pending[key] = new
                changed.append((key, new))
                if clockfix.needs_retime(old, new):
                    retime.append((key, new))
        if changed:
            now = clock.now()
            rows = [(f"{pk}:{boot}", pk, boot, off.offset_ms, off.exact, now) for (pk, boot), off in changed]
            if self.pg:
                await Terminal.raw(
                    "INSERT INTO terminal_boot (boot_key, terminal, boot, offset_ms, exact, updated_at) "
                    "SELECT * FROM unnest({}::varchar[], {}::int[], {}::varchar[], {}::bigint[], {}::bool[], "
                    "{}::timestamptz[]) ON CONFLICT (boot_key) DO UPDATE SET "
                    "offset_ms = LEAST(terminal_boot.offset_ms, EXCLUDED.offset_ms), "
                    "exact = terminal_boot.exact OR EXCLUDED.exact, updated_at = EXCLUDED.updated_at",
                    *[list(c) for c in zip(*rows, strict=False)])
            else:
                values = ", ".join(["({}, {}, {}, {}, {}, {})"] * len(rows))
                await Terminal.raw(
                    "INSERT INTO terminal_boot (boot_key, terminal, boot, offset_ms, exact, updated_at) "
                    f"VALUES {values} "
                    "ON CONFLICT (boot_key) DO UPDATE SET offset_ms = MIN(offset_ms, excluded.offset_ms), "
                    "exact = (exact OR excluded.exact), updated_at = excluded.updated_at",
                    *[v for row in rows for v in row])
        return retime

    async def _load_boots(self, keys: list[tuple[int, str]]) -> None:
        names = [f"{pk}:{boot}" for pk, boot in keys]
        if self.pg:
            rows = await Terminal.raw("SELECT terminal, boot, offset_ms, exact FROM terminal_boot "
                                      "WHERE boot_key = ANY({}::varchar[])", names)
        else:
            marks = ", ".join(["{}"] * len(names))
            rows = await Terminal.raw(f"SELECT terminal, boot, offset_ms, exact FROM terminal_boot "
                                      f"WHERE boot_key IN ({marks})", *names)
        for r in rows:
            self._boots[(r["terminal"], r["boot"])] = BootOffset(int(r["offset_ms"]), bool(r["exact"]))

    def _rating_columns(self, batch: SortedBatch) -> list[tuple[Any, ...]]:
        """The batch as rows of the 19 values PG_INSERT_RATINGS reads (times as epoch ms)."""
        rows: list[tuple[Any, ...]] = []
        add = rows.append
        boots = self._boots
        pending = self._pending
        occurred_ms = clockfix.occurred_ms
        max_age, skew = self.bounds.max_age_ms, self.bounds.skew_ms
        for key, se in batch.events.items():
            ev, kt = se.event, se.terminal
            shape = (ev.kind, ev.level, ev.scale, tuple(ev.flags))
            flags, counted, bad = SHAPES[shape]
            wall = ev.wall_ms
            wall = 0 if wall < 0 else MAX_WALL_MS if wall > MAX_WALL_MS else wall
            rec = se.received_ms
            if ev.synced:
                occ, source = wall, clockfix.SOURCE_TERMINAL
            else:
                bk = (kt.pk, ev.boot)
                occ, source = occurred_ms(ev.mono_ms, wall, False, pending.get(bk) or boots.get(bk), rec)
            if not rec - max_age <= occ <= rec + skew:  # clockfix.TimeBounds.within, inlined on the hot path
                flags, counted, bad = CLOCK_SHAPES[shape]
                occ, source = rec, clockfix.SOURCE_RECEIVED
            add((key, kt.pk, kt.window_pk, kt.department_pk, ev.epoch, ev.seq, ev.kind, ev.level, ev.scale, bad,
                 flags, counted, ev.boot, ev.mono_ms, wall, ev.synced, occ, source, rec))
        return rows

    def _rating_rows(self, batch: SortedBatch) -> list[tuple[Any, ...]]:
        rows = []
        for key, se in batch.events.items():
            ev, kt = se.event, se.terminal
            wall = max(0, min(ev.wall_ms, MAX_WALL_MS))
            occurred, source = clockfix.occurred_ms(ev.mono_ms, wall, ev.synced, self._boot((kt.pk, ev.boot)),
                                                    se.received_ms)
            shape = (ev.kind, ev.level, ev.scale, tuple(ev.flags))
            flags, counted, bad = SHAPES[shape]
            if not self.bounds.within(occurred, se.received_ms):
                flags, counted, bad = CLOCK_SHAPES[shape]
                occurred, source = se.received_ms, clockfix.SOURCE_RECEIVED
            rows.append((key, kt.pk, kt.window_pk, kt.department_pk, ev.epoch, ev.seq, ev.kind, ev.level, ev.scale,
                         bad, flags, counted, ev.boot, ev.mono_ms, ms_to_dt(wall), ev.synced,
                         ms_to_dt(occurred), source, ms_to_dt(se.received_ms), False, "", ""))
        return rows

    async def _insert_ratings_sqlite(self, batch: SortedBatch) -> int:
        rows = self._rating_rows(batch)
        cols = ", ".join(RATING_COLUMNS)
        inserted = 0
        one = "(" + ", ".join(["{}"] * len(RATING_COLUMNS)) + ")"
        for i in range(0, len(rows), SQLITE_CHUNK):
            chunk = rows[i:i + SQLITE_CHUNK]
            result = await Rating.raw(f"INSERT INTO rating ({cols}) VALUES {', '.join([one] * len(chunk))} "
                                      "ON CONFLICT (event_key) DO NOTHING RETURNING id", *[v for r in chunk for v in r])
            inserted += len(result)
        return inserted

    async def _retime(self, pk: int, boot: str, off: BootOffset) -> None:
        """Re-date the boot's unsynchronised events with the new offset — only those it keeps within the bounds
        (never earlier than received − max offline; never later than received, as before): a forged clock sample
        cannot move stored ratings out of the window. The others keep the time they had."""
        source = clockfix.SOURCE_CORRECTED if off.exact else clockfix.SOURCE_RECEIVED
        if self.pg:
            expr = "LEAST(received_at, to_timestamp(GREATEST(0, mono_ms + {}) / 1000.0))"
            received_ms = "(EXTRACT(EPOCH FROM received_at) * 1000)::bigint"
        else:
            expr = ("MIN(received_at, strftime('%Y-%m-%d %H:%M:%f', MAX(0, mono_ms + {}) / 1000.0, 'unixepoch') "
                    "|| '+00:00')")
            received_ms = "CAST(ROUND((julianday(received_at) - 2440587.5) * 86400000.0) AS INTEGER)"
        await Rating.raw(f"UPDATE rating SET occurred_at = {expr}, time_source = {{}} "
                         "WHERE terminal = {} AND boot = {} AND synced = false "
                         f"AND mono_ms + {{}} >= {received_ms} - {{}}",
                         off.offset_ms, source, pk, boot, off.offset_ms, self.bounds.max_age_ms)

    async def _update_terminals(self, batch: SortedBatch) -> None:
        for pk, up in batch.updates.items():
            values: dict[Any, Any] = {Terminal.last_seen: ms_to_dt(up.last_seen_ms)}
            for col, val in ((Terminal.online, up.online), (Terminal.boot, up.boot), (Terminal.version, up.version),
                             (Terminal.outbox_depth, up.queue), (Terminal.clock_synced, up.synced),
                             (Terminal.uptime_s, up.uptime_s)):
                if val is not None:
                    values[col] = val
            await Terminal.update(values).where(Terminal.id == pk)
            self._last_seen_written[pk] = time.monotonic()
        now = time.monotonic()
        due = [(pk, ms) for pk, ms in batch.last_seen.items()
               if pk not in batch.updates and now - self._last_seen_written.get(pk, 0.0) > LAST_SEEN_EVERY_S]
        for pk, _ in due:
            self._last_seen_written[pk] = now
        if not due:
            return
        if self.pg:
            await Terminal.raw("UPDATE terminal SET last_seen = v.ts FROM unnest({}::int[], {}::timestamptz[]) "
                               "AS v(id, ts) WHERE terminal.id = v.id "
                               "AND (terminal.last_seen IS NULL OR terminal.last_seen < v.ts)",
                               [pk for pk, _ in due], [ms_to_dt(ms) for _, ms in due])
        else:
            for pk, ms in due:
                await Terminal.update({Terminal.last_seen: ms_to_dt(ms)}).where(Terminal.id == pk)
