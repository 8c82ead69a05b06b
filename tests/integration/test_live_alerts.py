"""Integration (SQLite and PostgreSQL): halls, live alerts and the live dashboard (SPEC §4 "Alerts", issue 9).

Ratings go in through the ingest's own store (`BatchStore.write` on `sort_batch`), so the real path raises the
alerts: `write` calls `alerts.check` after each committed batch. The office is in Asia/Shanghai, the server's
clock in UTC (FixedClock).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingyi import db
from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.cli import run_db
from pingyi.clock import FixedClock
from pingyi.core.alerts import Threshold
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.hall import service as hall
from pingyi.hall.service import add_missing_departments
from pingyi.ratings import alerts, live
from pingyi.ratings.ingest.store import BatchStore
from pingyi.ratings.ingest.validate import RawMessage, sort_batch
from pingyi.ratings.service import seed_demo_windows
from pingyi.ratings.tables import Alert, Rating, Terminal
from pingyi_terminal import protocol

from .webclient import client_for, login, post_form

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
SEQ: dict[str, int] = {}


def _msg(tid: str, at: datetime, level: int | None, *, kind: str = "press", flags: tuple[str, ...] = ()) -> RawMessage:
    SEQ[tid] = SEQ.get(tid, 0) + 1
    ms = int(at.timestamp() * 1000)
    ev = protocol.Event(terminal=tid, epoch="e1", seq=SEQ[tid], kind=kind, level=level, scale="five", flags=flags,
                        boot="b1", mono_ms=1000 + SEQ[tid], wall_ms=ms, synced=True)
    return RawMessage(topic=protocol.event_topic(tid), payload=protocol.encode_event(ev), received_ms=ms)


async def _store(messages: list[RawMessage]) -> int:
    store = BatchStore(db.current_engine())
    known = await store.load_terminals()
    return await store.write(sort_batch(messages, known.get))


async def _seed(settings) -> None:
    SEQ.clear()
    await add_missing_departments(load_catalog(settings.surveys_dir).departments)
    await seed_demo_windows(["D01", "D02", "D03"], count=3, prefix="live")  # live-0001 → W-D01, …
    await hall.add_hall("HQ", "县政务服务中心", "test")
    await hall.add_hall("EAST", "城东分中心", "test", Threshold(6, 15, 50))
    await hall.assign_window("W-D01", "HQ", "test")
    await hall.assign_window("W-D02", "EAST", "test")  # W-D03 stays 未分配大厅 (the default threshold)


def run_at(settings, clock: FixedClock, work):
    return run_db(settings, work, clock=clock)


BAD, GOOD = 1, 5  # 非常不满意 (差评), 非常满意


async def _alerts() -> list[dict]:
    return await Alert.select().order_by(Alert.id)


def test_alert_raised_once_per_episode_acknowledged_and_listed(any_settings):
    s = any_settings
    clock = FixedClock(T0)

    async def scenario():
        await _seed(s)
        t = "live-0001"
        # 3 差评 within 2 minutes: fewer than 4 ratings → nothing yet.
        await _store([_msg(t, T0 + timedelta(minutes=m), BAD) for m in range(3)])
        assert await _alerts() == []
        clock.advance(minutes=3)
        await _store([_msg(t, clock.now(), GOOD)])  # 4 ratings, 3 差评 → one alert, at once
        first = await _alerts()
        assert len(first) == 1 and first[0]["ratings"] == 4 and first[0]["bad"] == 3
        assert first[0]["acknowledged_at"] is None and first[0]["open_key"] is not None
        clock.advance(minutes=1)
        await _store([_msg(t, clock.now(), BAD), _msg(t, clock.now() + timedelta(seconds=5), BAD)])
        assert len(await _alerts()) == 1  # still one open alert: not raised again for every rating
        assert await alerts.check([first[0]["window"]], clock.now()) == []  # a direct re-check raises nothing either

        with pytest.raises(InvalidInput):
            await alerts.acknowledge(first[0]["id"], "  ", "insp")
        with pytest.raises(NotFound):
            await alerts.acknowledge(999_999, "已处理", "insp")
        clock.advance(minutes=1)
        ack_at = clock.now()
        done = await alerts.acknowledge(first[0]["id"], "已到窗口核实，群众对排队时间不满，已加开窗口", "insp")
        assert done.acknowledged_by == "insp" and done.acknowledged_at == ack_at and not done.open
        with pytest.raises(Conflict):
            await alerts.acknowledge(first[0]["id"], "再次确认", "boss")
        audited = await AuditEntry.select().where(AuditEntry.action == "alert.acknowledge")
        assert len(audited) == 1 and audited[0]["actor"] == "insp"

        # After the acknowledgement the ratings the person saw are spent: one more 差评 is not a new episode …
        clock.advance(minutes=1)
        await _store([_msg(t, clock.now(), BAD)])
        assert len(await _alerts()) == 1
        # … 4 ratings after it, 2 of them 差评, are.
        await _store([_msg(t, clock.now() + timedelta(seconds=i), lv) for i, lv in ((10, GOOD), (20, BAD), (30, GOOD))])
        rows = await _alerts()
        assert len(rows) == 2 and rows[1]["ratings"] == 4 and rows[1]["bad"] == 2
        assert _as_utc(rows[1]["first_rating_at"]) > ack_at

        december = await alerts.alerts_for_month(2026, 12)
        november = await alerts.alerts_for_month(2026, 11)
        return december, november

    december, november = run_at(s, clock, scenario)
    assert [a.ratings for a in december] == [4, 4] and [a.open for a in december] == [True, False]
    assert december[1].note.startswith("已到窗口核实") and november == []


def _as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_per_hall_threshold_and_unassigned_default(any_settings):
    """HQ and 未分配大厅 use the default (4 in 15 min, half 差评); EAST asks for 6 ratings: 5 差评 there raise nothing,
    the sixth rating does."""
    s = any_settings
    clock = FixedClock(T0)

    async def scenario():
        await _seed(s)
        four_bad = [(0, BAD), (60, BAD), (120, BAD), (180, BAD)]
        batch = [_msg(tid, T0 + timedelta(seconds=sec), lv) for tid in ("live-0001", "live-0002", "live-0003")
                 for sec, lv in four_bad]
        clock.advance(minutes=3)
        await _store(batch)
        windows = {r["window"] for r in await _alerts()}
        ids = await hall.thresholds_for_windows(sorted(windows))
        assert all(t == Threshold(4, 15, 50) for t in ids.values())
        by_code = {w.code: w.id for w in await hall.window_places()}
        assert windows == {by_code["W-D01"], by_code["W-D03"]}
        await _store([_msg("live-0002", T0 + timedelta(seconds=200), BAD)])
        assert len(await _alerts()) == 2  # 5 of 6 needed at EAST
        await _store([_msg("live-0002", T0 + timedelta(seconds=210), GOOD)])
        rows = await _alerts()
        east = [r for r in rows if r["window"] == by_code["W-D02"]]
        assert len(east) == 1 and east[0]["ratings"] == 6 and east[0]["min_ratings"] == 6
        # The threshold is checked and audited; bad input is refused with a message.
        with pytest.raises(InvalidInput):
            await hall.set_hall_threshold("EAST", Threshold(0, 15, 50), "test")
        with pytest.raises(InvalidInput):
            hall.parse_threshold("4", "15 分钟", "50")
        await hall.set_hall_threshold("EAST", hall.parse_threshold("3", "", "100", base=Threshold(6, 15, 50)), "test")
        assert (await hall.hall_by_code("EAST")).threshold == Threshold(3, 15, 100)
        actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
        assert actions.count("hall.add") == 2 and actions.count("window.assign") == 2
        assert actions.count("hall.threshold") == 1

    run_at(s, clock, scenario)


def test_two_concurrent_checks_raise_one_alert(any_settings):
    """Two workers checking the same window at once: the unique open_key lets one alert in."""
    import asyncio

    s = any_settings
    clock = FixedClock(T0 + timedelta(minutes=5))

    async def scenario():
        await _seed(s)
        await _store([_msg("live-0001", T0 + timedelta(seconds=i), BAD) for i in range(3)])
        # insert a fourth directly, as another worker's batch would, then check twice concurrently
        await _store([_msg("live-0001", T0 + timedelta(seconds=3), BAD)])
        await Alert.delete(force=True)
        alerts._known_open.clear()  # as two fresh workers: neither has seen the (deleted) open alert
        wid = (await hall.window_places())[0].id
        results = await asyncio.gather(alerts.check([wid], clock.now()), alerts.check([wid], clock.now()))
        return results, await _alerts()

    results, rows = run_at(s, clock, scenario)
    assert sum(len(r) for r in results) == 1 and len(rows) == 1


LOCAL_MIDNIGHT = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # 2026-12-03 00:00 in Asia/Shanghai


def test_dashboard_json_exact_for_a_seeded_day(any_settings):
    """Office day 2026-12-03 (Asia/Shanghai) = [2026-12-02 16:00, 2026-12-03 16:00) UTC; the server reads UTC.

    W-D01 (HQ): 6 arm events; terminal presses 非常满意 at 00:00:00 local (counts: the day includes its start),
    满意, 非常不满意; one repeat-flagged press (kept, not counted); one web rating 满意 → 4 ratings (terminal 3, web
    1), 1 差评, flagged 1, served 6, participation 4 / 6 = 66.666… % → "66.7". A 差评 at 23:59 yesterday local
    (15:59 UTC) does not count today. W-D02 (EAST): 1 press, no arm event → participation None ("—").
    W-D03 (未分配大厅): nothing. County: 5 ratings, 1 差评, served 6, 5 / 6 = 83.33… % → "83.3"."""
    s = any_settings
    clock = FixedClock(datetime(2026, 12, 3, 4, 0, tzinfo=UTC))  # 12:00 local, 04:00 at the server

    async def scenario():
        await _seed(s)
        t1 = "live-0001"
        at = LOCAL_MIDNIGHT
        msgs = [_msg(t1, at - timedelta(minutes=1), BAD)]  # 23:59 yesterday local
        msgs += [_msg(t1, at + timedelta(minutes=10 + i), None, kind="arm") for i in range(6)]
        msgs += [_msg(t1, at, GOOD), _msg(t1, at + timedelta(hours=2), 4), _msg(t1, at + timedelta(hours=3), BAD),
                 _msg(t1, at + timedelta(hours=3, seconds=2), BAD, flags=(protocol.FLAG_REPEAT,))]
        msgs += [_msg("live-0002", at + timedelta(hours=1), GOOD)]
        await _store(msgs)
        # A web rating (the QR channel): stored in the same table with channel "web".
        w = {p.code: p for p in await hall.window_places()}
        dept = (await Rating.select(Rating.department).where(Rating.window == w["W-D01"].id).first())["department"]
        term = (await Terminal.select(Terminal.id).where(Terminal.terminal_id == t1).first())["id"]
        web_at = at + timedelta(hours=4)
        await Rating.insert(Rating(event_key="web:test:1", terminal=term, window=w["W-D01"].id, department=dept,
                                   epoch="web", seq=1, kind="press", level=4, scale="five", bad=False, flags="",
                                   counted=True, boot="web", mono_ms=0, wall_at=web_at, synced=True,
                                   occurred_at=web_at, time_source="terminal", channel="web", received_at=web_at))
        await Terminal.update({Terminal.online: True, Terminal.last_seen: clock.now()}).where(
            Terminal.terminal_id == t1)
        return await live.today()

    doc = run_at(s, clock, scenario)
    assert doc.day == "2026-12-03" and doc.day_starts_at == LOCAL_MIDNIGHT
    halls = {h.name: h for h in doc.halls}
    assert list(halls) == ["县政务服务中心", "城东分中心", "未分配大厅"]
    (w1,) = halls["县政务服务中心"].windows
    f = w1.figures
    assert (f.ratings, f.bad, f.flagged, f.served, f.participation) == (4, 1, 1, 6, "66.7")
    assert {c.channel: (c.ratings, c.bad) for c in f.channels} == {"terminal": (3, 1), "web": (1, 0)}
    assert [c.label for c in f.channels] == ["评价器", "扫码评价"]
    assert [(t.terminal_id, t.online) for t in w1.terminals] == [("live-0001", True)]
    (w2,) = halls["城东分中心"].windows
    assert (w2.figures.ratings, w2.figures.bad, w2.figures.served, w2.figures.participation) == (1, 0, 0, None)
    (w3,) = halls["未分配大厅"].windows
    assert w3.code == "W-D03" and w3.figures.ratings == 0 and w3.terminals[0].online is False
    c = doc.figures
    assert (c.ratings, c.bad, c.flagged, c.served, c.participation) == (5, 1, 1, 6, "83.3")
    assert halls["未分配大厅"].threshold == Threshold(4, 15, 50).describe()
    assert halls["城东分中心"].threshold == Threshold(6, 15, 50).describe()


def test_office_pages_roles_and_acknowledgement(any_settings):
    """The dashboard, its JSON and the alerts page are for inspectors and investigators (and admin); a liaison is
    refused; acknowledging needs a note and is audited."""
    s = any_settings
    clock = FixedClock(T0 + timedelta(minutes=5))

    async def seed():
        await _seed(s)
        await _store([_msg("live-0001", T0 + timedelta(seconds=i), BAD) for i in range(4)])
        await accounts.create_user("insp", "password-1", "inspector", actor="test")
        await accounts.create_user("inv", "password-1", "investigator", actor="test")
        await accounts.create_user("liaison", "password-1", "liaison", department_code="D01", actor="test")
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        return (await _alerts())[0]["id"]

    alert_id = run_at(s, clock, seed)
    with client_for(s, clock=clock) as client:
        for path in ("/office/live", "/office/live.json", "/office/live/panel", "/office/alerts"):
            assert client.get(path, follow_redirects=False).status_code in (302, 303, 401), path
        login(client, "liaison", "password-1")
        for path in ("/office/live", "/office/live.json", "/office/alerts", "/office/halls"):
            assert client.get(path).status_code == 403, path
        refused = post_form(client, "/office", f"/office/alerts/{alert_id}/acknowledge", {"note": "联络员想确认"})
        assert refused.status_code == 403
    with client_for(s, clock=clock) as client:
        login(client, "inv", "password-1")
        page = client.get("/office/live")
        assert page.status_code == 200 and "实时告警" in page.text and "W-D01" in page.text
        assert 'src="/static/live.js"' in page.text and "未分配大厅" in page.text
        data = client.get("/office/live.json").json()
        assert [a["id"] for a in data["open_alerts"]] == [alert_id]
        assert client.get("/office/halls").status_code == 403  # halls are managed by the admin
        listing = client.get("/office/alerts?month=2026-12")
        assert listing.status_code == 200 and f'id="alert-{alert_id}"' in listing.text
        assert client.get("/office/alerts?month=2026-13").status_code == 400
        assert client.get("/office/alerts?month=<script>").status_code == 400
        empty = post_form(client, "/office/alerts", f"/office/alerts/{alert_id}/acknowledge", {"note": " "})
        assert empty.status_code == 400 and "处理说明" in empty.text
        long = post_form(client, "/office/alerts", f"/office/alerts/{alert_id}/acknowledge", {"note": "字" * 501})
        assert long.status_code == 400
        no_csrf = client.post(f"/office/alerts/{alert_id}/acknowledge", data={"note": "已处理"})
        assert no_csrf.status_code == 403
        done = post_form(client, "/office/alerts", f"/office/alerts/{alert_id}/acknowledge", {"note": "已到场处理"})
        assert done.status_code == 303 and "month=2026-12" in done.headers["location"]
        again = post_form(client, "/office/alerts", f"/office/alerts/{alert_id}/acknowledge", {"note": "重复确认"})
        assert again.status_code == 409
        shown = client.get("/office/alerts?month=2026-12").text
        assert "已确认：inv" in shown and "已到场处理" in shown
        assert client.get("/office/live.json").json()["open_alerts"] == []

    async def audited():
        return await AuditEntry.select(AuditEntry.actor, AuditEntry.action).where(
            AuditEntry.action == "alert.acknowledge")

    assert run_at(s, clock, audited) == [{"actor": "inv", "action": "alert.acknowledge"}]


def test_halls_office_page_and_cli(any_settings, monkeypatch, capsys):
    """The admin adds a hall and assigns a window on /office/halls (audited); the CLI does the same; bad input is a
    4xx with a Chinese message or exit 2 with one line."""
    from pingyi.__main__ import main

    s = any_settings
    clock = FixedClock(T0)

    async def seed():
        await _seed(s)
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        await accounts.create_user("insp", "password-1", "inspector", actor="test")

    run_at(s, clock, seed)
    with client_for(s, clock=clock) as client:
        login(client, "insp", "password-1")
        assert client.get("/office/halls").status_code == 403
        assert post_form(client, "/office", "/office/halls", {"code": "X", "name": "某大厅"}).status_code == 403
    with client_for(s, clock=clock) as client:
        login(client, "boss", "password-1")
        page = client.get("/office/halls")
        assert page.status_code == 200 and "县政务服务中心" in page.text and "W-D03" in page.text
        made = post_form(client, "/office/halls", "/office/halls", {"code": "WEST", "name": "城西分中心",
                                                                    "min_ratings": "5", "bad_percent": "60"})
        assert made.status_code == 303
        dup = post_form(client, "/office/halls", "/office/halls", {"code": "WEST", "name": "又一个"})
        assert dup.status_code == 409
        bad = post_form(client, "/office/halls", "/office/halls", {"code": "a b", "name": "x"})
        assert bad.status_code == 400 and "大厅编号" in bad.text
        bad = post_form(client, "/office/halls", "/office/halls", {"code": "N1", "name": "x", "window_minutes": "-3"})
        assert bad.status_code == 400 and "时间窗" in bad.text
        moved = post_form(client, "/office/halls", "/office/windows/assign", {"window": "W-D03", "hall": "WEST"})
        assert moved.status_code == 303
        ghost = post_form(client, "/office/halls", "/office/windows/assign", {"window": "W-D03", "hall": "NOPE"})
        assert ghost.status_code == 404
        changed = post_form(client, "/office/halls", "/office/halls/WEST/threshold", {"window_minutes": "20"})
        assert changed.status_code == 303
        page = client.get("/office/halls").text
        assert "20 分钟内至少 5 条有效评价且差评占比 ≥ 60%" in page
        for hostile in ({"window_minutes": "１５"}, {"bad_percent": "1e2"}, {"min_ratings": "9999999"},
                        {"bad_percent": "101"}):
            refused = post_form(client, "/office/halls", "/office/halls/WEST/threshold", hostile)
            assert refused.status_code == 400, hostile
        assert post_form(client, "/office/halls", "/office/halls/NOPE/threshold", {}).status_code == 404
        xss = post_form(client, "/office/halls", "/office/halls", {"code": "X1", "name": "<script>alert(1)</script>"})
        assert xss.status_code == 303
        assert post_form(client, "/office/halls", "/office/windows/assign", {"window": "W-D02", "hall": "X1"}
                         ).status_code == 303
        for path in ("/office/halls", "/office/live"):
            text = client.get(path).text
            assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text

    env = {"PINGYI_DATA_DIR": str(s.data_dir), "PINGYI_DATABASE_URL": s.database.url, "PINGYI_SECRET_KEY": "0" * 64}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["halls", "add", "--code", "NORTH", "--name", "城北分中心", "--min-ratings", "5"]) == 0
    assert main(["windows", "add", "--code", "W-N1", "--name", "城北综合窗口", "--department", "D04",
                 "--hall", "NORTH"]) == 0
    assert main(["windows", "assign", "--window", "W-D01", "--none"]) == 0
    assert main(["halls", "add", "--code", "NORTH", "--name", "重复"]) == 2
    assert main(["windows", "add", "--code", "W-N2", "--name", "x", "--department", "D04", "--hall", "NOPE"]) == 2
    assert main(["halls", "threshold", "--code", "NORTH", "--bad-percent", "abc"]) == 2
    capsys.readouterr()
    assert main(["halls", "list"]) == 0 and main(["windows", "list"]) == 0
    out = capsys.readouterr().out
    assert "NORTH\t城北分中心\t在用\t15 分钟内至少 5 条有效评价且差评占比 ≥ 50%" in out
    assert "W-N1\t城北综合窗口\tD04\tNORTH" in out and "W-D01\t" in out
    assert [line for line in out.splitlines() if line.startswith("W-D01\t")][0].split("\t")[3] == "未分配大厅"

    async def audited():
        return [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]

    actions = run_at(s, clock, audited)
    assert actions.count("hall.add") == 5 and actions.count("window.assign") == 5
    assert actions.count("hall.threshold") == 1 and actions.count("window.add") == 1


def test_web_ratings_raise_the_alert_too(any_settings):
    """Four web ratings (the QR channel, not armed mode: counted unless repeated) from four phones, two of them 差评,
    at W-D03 (未分配大厅, default threshold) → one alert, raised by web_rating.submit itself; the rows are channel
    web."""
    from pingyi.ratings import web_rating

    s = any_settings
    clock = FixedClock(T0)

    async def scenario():
        await _seed(s)
        _, poster = await web_rating.poster("W-D03", "test")
        for i, level in enumerate(("1", "5", "2", "4")):
            clock.advance(seconds=30)
            await web_rating.submit(poster.token, None, raw={"level": level}, device=f"phone-{i}", address=f"a{i}",
                                    settings=s.web_rating)
            if i < 3:
                assert await _alerts() == []
        rows = await _alerts()
        channels = {r["channel"] for r in await Rating.select(Rating.channel)}
        return rows, channels

    rows, channels = run_at(s, clock, scenario)
    assert len(rows) == 1 and (rows[0]["ratings"], rows[0]["bad"]) == (4, 2)
    assert channels == {"web"}
