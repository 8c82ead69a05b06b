"""Integration: the office's terminal pages over HTTP — fleet, 差评 review with audited dismissal, quarantine."""

from __future__ import annotations

import time

from pingyi import db
from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.hall.service import add_missing_departments
from pingyi.ratings.ingest.store import BatchStore
from pingyi.ratings.ingest.validate import RawMessage, sort_batch
from pingyi.ratings.service import seed_demo_windows
from pingyi.ratings.tables import Rating
from pingyi_terminal import protocol

from .helpers import run
from .webclient import client_for, login, post_form


def _event(tid: str, seq: int, level: int) -> RawMessage:
    now = int(time.time() * 1000)
    ev = protocol.Event(terminal=tid, epoch="e1", seq=seq, kind="press", level=level, scale="five", flags=(),
                        boot="b1", mono_ms=1000 + seq, wall_ms=now, synced=True)
    return RawMessage(topic=protocol.event_topic(tid), payload=protocol.encode_event(ev), received_ms=now)


def _seed(s):
    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        pairs = await seed_demo_windows(["D01", "D02"], count=2, prefix="web")
        store = BatchStore(db.current_engine())
        known = await store.load_terminals()
        messages = [_event("web-0001", 1, 5), _event("web-0001", 2, 1), _event("web-0002", 1, 2),
                    RawMessage(topic="pingyi/v1/t/ghost-01/event", payload=b"{not json", received_ms=1)]
        await store.write(sort_batch(messages, known.get))
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        await accounts.create_user("insp", "password-1", "inspector", actor="test")
        await accounts.create_user("liaison", "password-1", "liaison", department_code="D02", actor="test")
        return pairs

    return run(s, work)


def test_fleet_review_dismiss_and_quarantine(any_settings):
    s = any_settings
    pairs = _seed(s)
    assert [t for t, _ in pairs] == ["web-0001", "web-0002"]
    with client_for(s) as client:  # a liaison sees its own department only (SPEC §7): not the fleet or queue
        login(client, "liaison", "password-1")
        assert client.get("/office/terminals").status_code == 403
        assert client.get("/office/bad-ratings").status_code == 403
    with client_for(s) as client:
        login(client, "insp", "password-1")
        fleet = client.get("/office/terminals")
        assert fleet.status_code == 200 and "web-0001" in fleet.text and "县招商局" in fleet.text
        queue = client.get("/office/bad-ratings")
        assert queue.status_code == 200 and "非常不满意" in queue.text and "不满意" in queue.text
        rating_id = run(s, lambda: Rating.select(Rating.id).where(Rating.event_key == "web-0001:e1:2").first())["id"]
        forbidden = post_form(client, "/office/bad-ratings", f"/office/bad-ratings/{rating_id}/dismiss",
                              {"reason": "误操作"})
        assert forbidden.status_code == 403
    with client_for(s) as client:
        login(client, "boss", "password-1")
        empty = post_form(client, "/office/bad-ratings", f"/office/bad-ratings/{rating_id}/dismiss", {"reason": " "})
        assert empty.status_code == 400 and "作废理由" in empty.text
        done = post_form(client, "/office/bad-ratings", f"/office/bad-ratings/{rating_id}/dismiss",
                         {"reason": "群众误按，现场已确认"})
        assert done.status_code == 303
        again = post_form(client, "/office/bad-ratings", f"/office/bad-ratings/{rating_id}/dismiss",
                          {"reason": "重复操作"})
        assert again.status_code == 409
        quarantine = client.get("/office/quarantine")
        assert quarantine.status_code == 200 and "ghost-01" in quarantine.text

    async def check():
        row = await Rating.select(Rating.dismissed, Rating.dismiss_reason).where(Rating.id == rating_id).first()
        audited = await AuditEntry.count().where(AuditEntry.action == "rating.dismiss")
        return row, audited

    row, audited = run(s, check)
    assert row["dismissed"] and row["dismiss_reason"] == "群众误按，现场已确认"
    assert audited == 1
