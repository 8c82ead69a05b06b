"""Infrastructure layer: queries of the web channel (window posters, web ratings, arm claims); SPEC §4, issue 9.

The ratings context's second repository module (the web channel's own noun): rows become records here
(`schemas.PosterRecord`, `schemas.WebWindow`, `core.webarm.Arm`) and never leave this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from pingyi import db
from pingyi.core import webarm
from pingyi_terminal import protocol

from .channels import WEB
from .schemas import PosterRecord, WebDetail, WebWindow
from .tables import ArmClaim, Rating, WebRating, WindowPoster

# Namespace of the PostgreSQL advisory locks that order a web rating and an ingest batch on one terminal.
ARM_LOCK_NAMESPACE = 0x70790901


def _pg() -> bool:
    return isinstance(db.current_engine(), PostgresEngine)


async def web_window(window_id: int) -> WebWindow | None:
    """The window with its department and its rating terminal (the latest provisioned one not revoked)."""
    rows = await Rating.raw(
        'SELECT w.id AS window_id, w.code AS window_code, w.name AS window_name, w.active AS window_active, '
        'd.id AS department_id, d.name AS department_name, t.id AS terminal_pk, t.terminal_id, t.scale, '
        't.armed_mode, h.name AS hall_name FROM service_window w JOIN department d ON d.id = w.department '
        'LEFT JOIN hall h ON h.id = w.hall LEFT JOIN terminal t ON t."window" = w.id AND t.revoked = {} '
        'WHERE w.id = {} ORDER BY t.created_at DESC, t.id DESC LIMIT 1', False, window_id)
    if not rows:
        return None
    r = rows[0]
    return WebWindow(window_id=r["window_id"], window_code=r["window_code"], window_name=r["window_name"],
                     window_active=bool(r["window_active"]), department_id=r["department_id"],
                     department_name=r["department_name"], terminal_pk=r["terminal_pk"],
                     terminal_id=r["terminal_id"], scale=r["scale"] or "five", armed_mode=bool(r["armed_mode"]),
                     hall_name=r["hall_name"])


def _poster(row: dict[str, Any]) -> PosterRecord:
    return PosterRecord(window_id=row["window"], token=row["token"], version=row["version"],
                        issued_at=row["issued_at"], issued_by=row["issued_by"])


async def poster_for_window(window_id: int) -> PosterRecord | None:
    row = await WindowPoster.select().where(WindowPoster.window == window_id).first()
    return _poster(row) if row else None


async def poster_by_token(token: str) -> PosterRecord | None:
    row = await WindowPoster.select().where(WindowPoster.token == token).first()
    return _poster(row) if row else None


async def posters() -> dict[int, PosterRecord]:
    return {r["window"]: _poster(r) for r in await WindowPoster.select()}


async def insert_poster(window_id: int, token: str, by: str, at: datetime) -> None:
    await WindowPoster.insert(WindowPoster(window=window_id, token=token, issued_at=at, issued_by=by, version=1))


async def rotate_poster(window_id: int, token: str, by: str, at: datetime) -> int:
    """New token in place (the old one stops working at once); returns the new version."""
    rows = await WindowPoster.raw(
        "UPDATE window_poster SET token = {}, issued_at = {}, issued_by = {}, version = version + 1 "
        'WHERE "window" = {} RETURNING version', token, at, by, window_id)
    return int(rows[0]["version"]) if rows else 0


async def lock_terminals(terminal_pks: Iterable[int]) -> None:
    """PostgreSQL: transaction-scoped advisory locks on these terminals, in order (no deadlock between takers).

    A web rating takes its terminal's lock before it reads the arm state; the ingest takes the lock of every
    terminal in its batch after inserting and before it looks for claims. So one always sees the other's commit
    (read committed: each statement sees what was committed before it began). SQLite: writers are serialised
    already (BEGIN IMMEDIATE), nothing to do.
    """
    pks = sorted(set(terminal_pks))
    if pks and _pg():
        await Rating.raw("SELECT pg_advisory_xact_lock({}, s.t) FROM (SELECT DISTINCT t FROM unnest({}::int[]) AS t "
                         "ORDER BY t) AS s", ARM_LOCK_NAMESPACE, pks)


async def arms(terminal_pk: int, window_id: int, since: datetime) -> list[webarm.Arm]:
    """The terminal's arms since `since`, each with whether an event at seq + 1 is stored and whether it is
    claimed. Uses the (window, occurred_at) index; the seq + 1 lookup goes through the unique event_key."""
    next_key = ("t.terminal_id || ':' || a.epoch || ':' || CAST(a.seq + 1 AS VARCHAR)" if _pg()
                else "t.terminal_id || ':' || a.epoch || ':' || CAST(a.seq + 1 AS TEXT)")
    rows = await Rating.raw(
        "SELECT t.terminal_id, a.epoch, a.seq, a.occurred_at, "
        f"EXISTS (SELECT 1 FROM rating n WHERE n.event_key = {next_key}) AS used, "
        "EXISTS (SELECT 1 FROM arm_claim c WHERE c.arm_key = a.event_key) AS claimed "
        'FROM rating a JOIN terminal t ON t.id = a.terminal '
        'WHERE a."window" = {} AND a.occurred_at >= {} AND a.terminal = {} AND a.kind = {} AND a.channel = {}',
        window_id, since, terminal_pk, "arm", "terminal")
    return [webarm.Arm(terminal_id=r["terminal_id"], epoch=r["epoch"], seq=int(r["seq"]),
                       occurred_at=_aware(r["occurred_at"]), next_event_stored=bool(r["used"]),
                       claimed_by_web=bool(r["claimed"])) for r in rows]


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def web_times(*, device: str, address: str, window_id: int, since: datetime
                    ) -> tuple[list[datetime], list[datetime], list[datetime]]:
    """Times of stored web ratings since `since`: from this device (any window), from this device for this
    window, from this client address."""
    rows = await WebRating.raw(
        'SELECT device, address, "window" AS window_id, created_at FROM web_rating '
        "WHERE created_at >= {} AND (device = {} OR address = {})", since, device, address)
    by_device = [_aware(r["created_at"]) for r in rows if r["device"] == device]
    by_window = [_aware(r["created_at"]) for r in rows if r["device"] == device and r["window_id"] == window_id]
    by_address = [_aware(r["created_at"]) for r in rows if r["address"] == address]
    return by_device, by_window, by_address


async def insert_web_rating(*, event_key: str, window: WebWindow, level: int, flags: tuple[str, ...], at: datetime,
                            tags: tuple[str, ...], text: str, contact: str, device: str, address: str) -> int:
    """The rating row (channel "web", same columns and rules as a press) and its detail row; returns the id."""
    assert window.terminal_pk is not None
    flag_text = ",".join(sorted(flags))
    row = Rating(event_key=event_key, terminal=window.terminal_pk, window=window.window_id,
                 department=window.department_id, epoch=WEB, seq=0, kind="press", level=level, scale=window.scale,
                 bad=protocol.is_bad(level, window.scale), flags=flag_text, counted=protocol.counted("press", flags),
                 boot=WEB, mono_ms=0, wall_at=at, synced=True, occurred_at=at, time_source="platform", channel=WEB,
                 received_at=at, dismissed=False, dismiss_reason="", dismissed_by="")
    await row.save()
    await WebRating.insert(WebRating(rating=row.id, window=window.window_id, tags=",".join(tags), text=text,
                                     contact=contact, device=device, address=address, created_at=at))
    return int(row.id)


async def insert_claim(arm: webarm.Arm, rating_id: int, at: datetime) -> None:
    await ArmClaim.insert(ArmClaim(arm_key=arm.key, press_key=arm.press_key, rating=rating_id, claimed_at=at))


async def spend_claimed_presses(event_keys: list[str]) -> int:
    """Flag "unarmed" (and uncount) the stored terminal presses among `event_keys` whose arm the web claimed
    first; returns how many.

    Two steps on purpose: first the claims of this batch (the small claim table, by its unique press_key index),
    then, only when there are some (rarely), the update by key. One combined statement
    (`… WHERE event_key IN (SELECT press_key …)`) was fine for five runs, then PostgreSQL's generic plan for the
    prepared statement scanned the whole rating table: 4–6 s per batch (bench/web_channel.py)."""
    if not event_keys:
        return 0
    if _pg():
        found = await ArmClaim.raw("SELECT c.press_key FROM unnest({}::varchar[]) AS k(key) "
                                   "JOIN arm_claim c ON c.press_key = k.key", event_keys)
    else:
        found = []
        for i in range(0, len(event_keys), 500):
            chunk = event_keys[i:i + 500]
            found += await ArmClaim.raw("SELECT press_key FROM arm_claim WHERE press_key IN ("
                                        + ", ".join(["{}"] * len(chunk)) + ")", *chunk)
    spent = [r["press_key"] for r in found]
    if not spent:
        return 0
    flag = protocol.FLAG_UNARMED
    flagged = 0
    for key in spent:  # one row each, by the unique event_key index
        rows = await Rating.raw(
            # Flags are comma-joined; no reader depends on their order (counted_sql: flags = ''), and "unarmed"
            # sorts after the other flag names, so the terminal's sorted order is kept anyway.
            "UPDATE rating SET flags = CASE WHEN flags = '' THEN {} ELSE flags || ',' || {} END, counted = false "
            "WHERE event_key = {} AND kind = 'press' AND channel = 'terminal' AND flags NOT LIKE {} RETURNING id",
            flag, flag, key, f"%{flag}%")
        flagged += len(rows)
    return flagged


async def details(rating_ids: list[int]) -> dict[int, WebDetail]:
    """The web details of these ratings (tags, text, contact) — for the office's 差评 review only."""
    if not rating_ids:
        return {}
    rows = await WebRating.select(WebRating.rating, WebRating.tags, WebRating.text, WebRating.contact).where(
        WebRating.rating.is_in(rating_ids))
    return {r["rating"]: WebDetail(rating_id=r["rating"], tags=tuple(t for t in r["tags"].split(",") if t),
                                   text=r["text"], contact=r["contact"]) for r in rows}
