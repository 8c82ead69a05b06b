"""Integration: what the office sees of the ingest's bounds — the quarantine overflow per terminal, the stored prefix,
the clock flag named in Chinese on the fleet page, `pingyi terminals list` (SQLite and PostgreSQL; issue 9).

The batches go through the ingest's own sort and store (`sort_batch`, the worker's `QuarantineBudget`,
`BatchStore.write`), with the SQLite path of the store (the worker's tests run PostgreSQL)."""

from __future__ import annotations

import time

from pingyi import db
from pingyi.__main__ import main
from pingyi.accounts import service as accounts
from pingyi.catalog import load_catalog
from pingyi.hall.service import add_missing_departments
from pingyi.ratings import service
from pingyi.ratings.ingest.budget import QuarantineBudget
from pingyi.ratings.ingest.store import BatchStore
from pingyi.ratings.ingest.validate import QUARANTINE_RAW_BYTES, RawMessage, sort_batch
from pingyi.ratings.service import seed_demo_windows
from pingyi.ratings.tables import Rating
from pingyi_terminal import protocol

from .helpers import run
from .webclient import client_for, login

DAY = 86_400_000


def _press(tid: str, seq: int, wall: int, now: int) -> RawMessage:
    ev = protocol.Event(terminal=tid, epoch="e1", seq=seq, kind="press", level=1, scale="five", flags=(),
                        boot="b1", mono_ms=1000 + seq, wall_ms=wall, synced=True)
    return RawMessage(topic=protocol.event_topic(tid), payload=protocol.encode_event(ev), received_ms=now)


def _seed(s):
    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        await seed_demo_windows(["D01"], count=1, prefix="bnd")
        store = BatchStore(db.current_engine())
        known = await store.load_terminals()
        now = int(time.time() * 1000)
        junk = [RawMessage(topic=protocol.event_topic("bnd-0001"), payload=b"<" * 97_000, received_ms=now)] * 5
        batch = sort_batch([_press("bnd-0001", 1, now - 1000, now), _press("bnd-0001", 2, now - 400 * DAY, now),
                            *junk], known.get)
        batch.quarantine, batch.overflow = QuarantineBudget(per_terminal_hour=2, total_hour=100).admit(
            batch.quarantine)
        await store.write(batch)
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        return await service.quarantine_overflow()

    return run(s, work)


def test_quarantine_overflow_and_clock_flag_are_shown(any_settings, capsys, monkeypatch):
    s = any_settings
    over = _seed(s)
    assert [(o.terminal_id, o.dropped, o.dropped_bytes) for o in over] == [("bnd-0001", 3, 3 * 97_000)]
    stored = run(s, lambda: Rating.select(Rating.seq, Rating.flags, Rating.counted).order_by(Rating.seq))
    assert [(r["seq"], r["flags"], r["counted"]) for r in stored] == [(1, "", True), (2, "clock", False)]
    with client_for(s) as client:
        login(client, "boss", "password-1")
        page = client.get("/office/quarantine")
        assert page.status_code == 200
        assert "超出上限未保存的消息" in page.text and "<td>3</td>" in page.text and str(3 * 97_000) in page.text
        assert f"共 97000 字节，仅保存前 {QUARANTINE_RAW_BYTES} 字节" in page.text
        fleet = client.get("/office/terminals")
        assert fleet.status_code == 200 and "时间超出范围 1" in fleet.text and "45 天" in fleet.text

    monkeypatch.setenv("PINGYI_DATABASE_URL", s.database.url)
    monkeypatch.setenv("PINGYI_DATA_DIR", str(s.data_dir))
    assert main(["terminals", "list"]) == 0
    out = capsys.readouterr().out
    assert "quarantine_dropped" in out and out.strip().splitlines()[1].endswith("\t3")


def _unsynced(tid: str, seq: int, mono: int, received: int) -> RawMessage:
    ev = protocol.Event(terminal=tid, epoch="e1", seq=seq, kind="press", level=1, scale="five", flags=(),
                        boot="b9", mono_ms=mono, wall_ms=0, synced=False)
    return RawMessage(topic=protocol.event_topic(tid), payload=protocol.encode_event(ev), received_ms=received)


def _hb(tid: str, mono: int, wall: int, synced: bool, received: int) -> RawMessage:
    hb = protocol.Heartbeat(terminal=tid, boot="b9", mono_ms=mono, wall_ms=wall, synced=synced, queue=0,
                            uptime_s=mono // 1000, version="1", scale="five")
    return RawMessage(topic=protocol.heartbeat_topic(tid), payload=protocol.encode_heartbeat(hb), received_ms=received)


def test_retime_stays_within_the_bounds(any_settings):
    """The store's re-timing on both engines: a genuine synchronised sample re-dates the boot's stored events a few
    minutes back; a forged one (ten years of uptime) moves nothing out of the window."""
    s = any_settings

    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        await seed_demo_windows(["D01"], count=1, prefix="rt")
        store = BatchStore(db.current_engine())
        known = (await store.load_terminals()).get
        now = int(time.time() * 1000)
        boot_wall = now - 600_000  # booted ten minutes ago; presses at mono 60 s and 120 s, received late
        await store.write(sort_batch([_unsynced("rt-0001", 1, 60_000, now), _unsynced("rt-0001", 2, 120_000, now)],
                                     known))
        first = {r["seq"]: r["occurred_at"] for r in await Rating.select(Rating.seq, Rating.occurred_at)}
        await store.write(sort_batch([_hb("rt-0001", 300_000, boot_wall + 300_000, True, now + 1000)], known))
        fixed = {r["seq"]: (r["occurred_at"], r["time_source"])
                 for r in await Rating.select(Rating.seq, Rating.occurred_at, Rating.time_source)}
        await store.write(sort_batch([_hb("rt-0001", 3650 * DAY, 0, False, now + 2000)], known))
        forged = {r["seq"]: r["occurred_at"] for r in await Rating.select(Rating.seq, Rating.occurred_at)}
        return now, boot_wall, first, fixed, forged

    now, boot_wall, first, fixed, forged = run(s, work)
    # the batch's own messages bound the offset: received − mono of the later press
    assert [round(first[q].timestamp() * 1000) for q in (1, 2)] == [now - 60_000, now]
    assert [(round(fixed[q][0].timestamp() * 1000), fixed[q][1]) for q in (1, 2)] == [
        (boot_wall + 60_000, "corrected"), (boot_wall + 120_000, "corrected")]
    assert forged == {q: fixed[q][0] for q in (1, 2)}
