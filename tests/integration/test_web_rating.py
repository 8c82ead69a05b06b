"""Integration: the web rating behind a window's QR poster (SPEC §4, issue 9), on SQLite and PostgreSQL.

One rating per arm across both channels, stale or missing arm flagged "unarmed", repeats flagged, the hourly
limit refusing with 429 and storing nothing, bad input refused naming the field, the poster PDF whose QR code
decodes to the rating URL, token rotation (audited), and the details kept off public pages and the access log.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from pathlib import Path

import pytest

from pingyi import db
from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.hall import repository as hall
from pingyi.hall.service import add_missing_departments
from pingyi.ratings import repository, web_rating
from pingyi.ratings.ingest.store import BatchStore
from pingyi.ratings.ingest.validate import RawMessage, sort_batch
from pingyi.ratings.tables import ArmClaim, Rating, WebRating
from pingyi_terminal import protocol

from .helpers import run
from .webclient import client_for, csrf_from, login, post_form

ARMED, FREE = "qr-armed", "qr-free"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _msg(tid: str, seq: int, kind: str, level: int | None = None, *, at_ms: int | None = None,
         scale: str = "five", flags: tuple[str, ...] = ()) -> RawMessage:
    at = at_ms if at_ms is not None else _now_ms()
    ev = protocol.Event(terminal=tid, epoch="e1", seq=seq, kind=kind, level=level, scale=scale, flags=flags,
                        boot="b1", mono_ms=1000 + seq, wall_ms=at, synced=True)
    return RawMessage(topic=protocol.event_topic(tid), payload=protocol.encode_event(ev), received_ms=_now_ms())


async def _ingest(*messages: RawMessage) -> None:
    store = BatchStore(db.current_engine())
    known = await store.load_terminals()
    await store.write(sort_batch(list(messages), known.get))


def _seed(s) -> dict[str, str]:
    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        d1, d2 = await hall.department_by_code("D01"), await hall.department_by_code("D02")
        wa = await hall.insert_window("W-QA", "综合窗口一", d1.id)
        wb = await hall.insert_window("W-QB", "综合窗口二", d2.id)
        await repository.insert_terminal(ARMED, wa, "five", True)
        await repository.insert_terminal(FREE, wb, "three", False)
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        await accounts.create_user("insp", "password-1", "inspector", actor="test")
        _, pa = await web_rating.poster("W-QA", "test")
        _, pb = await web_rating.poster("W-QB", "test")
        return {"armed": pa.token, "free": pb.token}

    return run(s, work)


def _rate(client, token: str, level: str, **extra):
    return post_form(client, f"/r/{token}", f"/r/{token}", {"level": level, **extra})


def _web_rows(s) -> list[dict]:
    return run(s, lambda: Rating.select(Rating.id, Rating.level, Rating.flags, Rating.counted, Rating.bad,
                                        Rating.channel, Rating.scale, Rating.kind).where(
        Rating.channel == "web").order_by(Rating.id))


def _row(s, key: str) -> dict:
    return run(s, lambda: Rating.select(Rating.flags, Rating.counted).where(Rating.event_key == key).first())


def test_armed_window_one_rating_per_arm_across_channels(any_settings):
    """Arm 1 → the web rating counts and claims it; the button press of arm 1 arriving afterwards is flagged
    unarmed; a second phone finds no open arm (flagged). Arm 3 → press 4 counts; a web rating after it is
    flagged. An arm older than PINGYI_WEB_ARM_MINUTES is not open."""
    s = any_settings
    tokens = _seed(s)
    run(s, lambda: _ingest(_msg(ARMED, 1, "arm")))
    with client_for(s) as phone:
        page = phone.get(f"/r/{tokens['armed']}")
        assert page.status_code == 200 and "非常满意" in page.text and "非常不满意" in page.text and "态度" in page.text
        assert _rate(phone, tokens["armed"], "2", tags=["attitude", "efficiency"], text="等了很久",
                     contact="138 0013 8000").status_code == 303
    [web] = _web_rows(s)
    assert (web["flags"], web["counted"], web["bad"], web["kind"], web["scale"]) == ("", True, True, "press", "five")
    claim = run(s, lambda: ArmClaim.select(ArmClaim.arm_key, ArmClaim.press_key, ArmClaim.rating).first())
    assert claim == {"arm_key": f"{ARMED}:e1:1", "press_key": f"{ARMED}:e1:2", "rating": web["id"]}
    detail = run(s, lambda: WebRating.select(WebRating.tags, WebRating.text, WebRating.contact).first())
    assert detail == {"tags": "attitude,efficiency", "text": "等了很久", "contact": "13800138000"}

    run(s, lambda: _ingest(_msg(ARMED, 2, "press", 5)))  # the button press of the same arm, after the web rating
    assert _row(s, f"{ARMED}:e1:2") == {"flags": "unarmed", "counted": False}
    run(s, lambda: _ingest(_msg(ARMED, 2, "press", 5)))  # replayed: still one flag, still not counted
    assert _row(s, f"{ARMED}:e1:2") == {"flags": "unarmed", "counted": False}

    with client_for(s) as other:  # another phone, same arm: already used
        assert _rate(other, tokens["armed"], "5").status_code == 303
    run(s, lambda: _ingest(_msg(ARMED, 3, "arm"), _msg(ARMED, 4, "press", 4)))  # the buttons take arm 3
    with client_for(s) as third:
        assert _rate(third, tokens["armed"], "5").status_code == 303
    run(s, lambda: _ingest(_msg(ARMED, 5, "arm", at_ms=_now_ms() - 31 * 60_000)))  # stale arm
    with client_for(s) as fourth:
        assert _rate(fourth, tokens["armed"], "3").status_code == 303
    rows = _web_rows(s)
    assert [(r["flags"], r["counted"]) for r in rows] == [("", True), ("unarmed", False), ("unarmed", False),
                                                          ("unarmed", False)]
    assert _row(s, f"{ARMED}:e1:4") == {"flags": "", "counted": True}
    assert run(s, lambda: ArmClaim.count()) == 1


def test_unarmed_mode_repeat_flag_and_hourly_limit(any_settings):
    """A terminal not in armed mode: the web rating counts; the same phone again within the repeat interval is
    flagged "repeat"; beyond the hourly limit the rating is refused with 429 and nothing is stored."""
    s = dataclasses.replace(any_settings, web_rating=dataclasses.replace(any_settings.web_rating,
                                                                         device_hourly_limit=3))
    tokens = _seed(s)
    with client_for(s) as phone:
        page = phone.get(f"/r/{tokens['free']}")
        assert "满意" in page.text and "非常满意" not in page.text  # the three-level scale of the terminal
        assert _rate(phone, tokens["free"], "5").status_code == 303
        assert _rate(phone, tokens["free"], "1").status_code == 303
        assert _rate(phone, tokens["armed"], "4").status_code == 303  # another window: no repeat; arm missing
        refused = _rate(phone, tokens["free"], "3")
        assert refused.status_code == 429 and "一小时内最多评价 3 次" in refused.text
    rows = _web_rows(s)
    assert [(r["level"], r["flags"], r["counted"]) for r in rows] == [(5, "", True), (1, "repeat", False),
                                                                      (4, "unarmed", False)]
    assert run(s, lambda: WebRating.count()) == 3
    with client_for(s) as fresh:  # a new phone is not limited by the first one
        assert _rate(fresh, tokens["free"], "3").status_code == 303
    assert len(_web_rows(s)) == 4


@pytest.mark.parametrize("fields, field_name", [
    ({"level": "9"}, "评价等级"),
    ({"level": "4"}, "评价等级"),  # 满意 exists on the five scale only; W-QB's terminal has three levels
    ({"level": ""}, "评价等级"),
    ({"level": "5 OR 1=1"}, "评价等级"),
    ({"level": "5", "tags": ["attitude", "<script>"]}, "原因标签"),
    ({"level": "5", "text": "长" * 501}, "意见建议"),
    ({"level": "5", "contact": "12345"}, "联系电话"),
    ({"level": "5", "contact": "13800138000; DROP TABLE rating"}, "联系电话"),
])
def test_bad_input_refused_naming_the_field(any_settings, fields, field_name):
    s = any_settings
    tokens = _seed(s)
    with client_for(s) as phone:
        response = post_form(phone, f"/r/{tokens['free']}", f"/r/{tokens['free']}", fields)
        assert response.status_code == 400 and field_name in response.text, response.text
        assert 'name="level"' in response.text  # the form is shown again
    assert _web_rows(s) == [] and run(s, lambda: WebRating.count()) == 0


def test_forged_requests_unknown_token_and_csrf(any_settings):
    s = any_settings
    tokens = _seed(s)
    with client_for(s) as phone:
        assert phone.get("/r/not-a-poster-token").status_code == 404
        assert phone.get("/r/" + "x" * 80).status_code == 404
        phone.get(f"/r/{tokens['free']}")
        no_csrf = phone.post(f"/r/{tokens['free']}", data={"level": "5"}, follow_redirects=False)
        assert no_csrf.status_code == 403
        page = phone.get(f"/r/{tokens['free']}")
        wrong = phone.post("/r/not-a-poster-token", data={"level": "5", "_csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
        assert wrong.status_code == 404
    assert _web_rows(s) == []


def test_bad_web_rating_in_review_queue_details_office_only_and_never_logged(any_settings):
    s = any_settings
    tokens = _seed(s)
    with client_for(s) as phone:
        assert _rate(phone, tokens["free"], "1", tags=["conduct"], text="态度生硬，材料被退回三次",
                     contact="13912345678").status_code == 303
        thanks = phone.get(f"/r/{tokens['free']}/done")
        assert thanks.status_code == 200 and "感谢您的评价" in thanks.text and "13912345678" not in thanks.text
        for public in ("/", "/results"):
            assert "13912345678" not in phone.get(public).text
    with client_for(s) as office:
        anonymous = office.get("/office/bad-ratings", follow_redirects=False)
        assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
        login(office, "insp", "password-1")
        queue = office.get("/office/bad-ratings")
        assert queue.status_code == 200
        assert "扫码评价" in queue.text and "规范" in queue.text and "态度生硬" in queue.text
        assert "13912345678" in queue.text
        fleet = office.get("/office/terminals")
        assert fleet.status_code == 200 and "扫码评价：有效 0 · 差评 0" in fleet.text  # the armed window: none
        assert "扫码评价：有效 1 · 差评 1" in fleet.text and "评价器：有效 0" in fleet.text
        assert "/office/windows/W-QB/poster.pdf?size=A5" in fleet.text
    log = Path(s.http.access_log).read_text()
    assert "/r/[redacted]" in log
    assert tokens["free"] not in log and "13912345678" not in log and "态度生硬" not in log


def _decode_qr(pdf: bytes, tmp: Path) -> tuple[str, str]:
    (tmp / "poster.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp / "poster.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp / "poster.pdf"), str(tmp / "poster")],
                   check=True)
    qr = subprocess.run(["zbarimg", "--raw", "-q", str(tmp / "poster.png")], capture_output=True, text=True,
                        check=True).stdout.strip()
    return text, qr


def test_poster_pdf_decodes_to_the_rating_url_and_rotation_is_audited(any_settings, tmp_path):
    s = any_settings
    tokens = _seed(s)
    with client_for(s) as office:
        login(office, "insp", "password-1")
        for size in ("A4", "A5"):
            pdf = office.get("/office/windows/W-QA/poster.pdf", params={"size": size})
            assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
            text, qr = _decode_qr(pdf.content, tmp_path)
            assert qr == f"{s.http.public_base_url}/r/{tokens['armed']}"
            for words in ("扫码评价", "县招商局", "W-QA 综合窗口一", "非常满意", "非常不满意", "政务服务中心"):
                assert words in text, (words, text)
        # a window in a hall prints the hall's name instead of the default title
        from pingyi.hall import service as hall_service

        async def put_in_hall() -> None:
            await hall_service.add_hall("H9", "城东分中心", "test")
            await hall_service.assign_window("W-QA", "H9", "test")

        run(s, put_in_hall)
        text, _ = _decode_qr(office.get("/office/windows/W-QA/poster.pdf").content, tmp_path)
        assert "城东分中心" in text and "政务服务中心" not in text
        assert office.get("/office/windows/W-QA/poster.pdf", params={"size": "A3"}).status_code == 400
        assert office.get("/office/windows/NOPE/poster.pdf").status_code == 404
        forbidden = post_form(office, "/office/terminals", "/office/windows/W-QA/poster/rotate", {})
        assert forbidden.status_code == 403
    with client_for(s) as admin:
        login(admin, "boss", "password-1")
        assert post_form(admin, "/office/terminals", "/office/windows/W-QA/poster/rotate", {}).status_code == 303
        text, qr = _decode_qr(admin.get("/office/windows/W-QA/poster.pdf").content, tmp_path)
        assert qr.startswith(f"{s.http.public_base_url}/r/") and not qr.endswith(tokens["armed"])
        assert admin.get("/r/" + qr.rsplit("/", 1)[1]).status_code == 200
        assert admin.get(f"/r/{tokens['armed']}").status_code == 404  # the old poster stops working
    audited = run(s, lambda: AuditEntry.select(AuditEntry.action).where(
        AuditEntry.action.is_in(["poster.issue", "poster.rotate"])))
    assert sorted(a["action"] for a in audited) == ["poster.issue", "poster.issue", "poster.rotate"]


def test_web_rating_and_press_of_one_arm_race_one_counts(any_settings):
    """The web rating and the button press of the same arm arrive at once (separate transactions, concurrently):
    for every arm exactly one of the two counts (PostgreSQL: advisory lock per terminal; SQLite: one writer)."""
    s = any_settings
    tokens = _seed(s)
    arms = 12

    async def work():
        import asyncio

        outcomes = []
        for i in range(arms):
            arm_seq = 2 * i + 1
            await _ingest(_msg(ARMED, arm_seq, "arm"))
            web, _ = await asyncio.gather(
                web_rating.submit(tokens["armed"], None, raw={"level": "1"}, device=f"dev-{i}", address="a",
                                  settings=s.web_rating),
                _ingest(_msg(ARMED, arm_seq + 1, "press", 5)))
            press = await Rating.select(Rating.counted).where(Rating.event_key == f"{ARMED}:e1:{arm_seq + 1}").first()
            outcomes.append((web.counted, press["counted"]))
        return outcomes

    outcomes = run(s, work)
    assert all(web != press for web, press in outcomes), outcomes


def test_cli_poster_and_rotation(sqlite_settings, tmp_path):
    """`pingyi terminals poster --window W --out F` writes the poster whose QR is the window's rating URL;
    `--rotate` issues a new token; an unknown window exits 2 with one line, writing nothing."""
    import os
    import sys

    s = sqlite_settings
    tokens = _seed(s)
    env = {**os.environ, "PINGYI_DATA_DIR": str(s.data_dir), "PINGYI_DATABASE_URL": s.database.url,
           "PINGYI_SECRET_KEY": "0" * 64, "PINGYI_PUBLIC_BASE_URL": "https://pingyi.example.gov.cn"}

    def pingyi(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pingyi", "terminals", "poster", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    done = pingyi("--window", "W-QB", "--size", "A5", "--out", str(tmp_path / "b.pdf"))
    assert done.returncode == 0, done.stderr
    _, qr = _decode_qr((tmp_path / "b.pdf").read_bytes(), tmp_path)
    assert qr == f"https://pingyi.example.gov.cn/r/{tokens['free']}"
    rotated = pingyi("--window", "W-QB", "--rotate", "--out", str(tmp_path / "b2.pdf"))
    assert rotated.returncode == 0, rotated.stderr
    _, qr2 = _decode_qr((tmp_path / "b2.pdf").read_bytes(), tmp_path)
    assert qr2.startswith("https://pingyi.example.gov.cn/r/") and qr2 != qr
    bad = pingyi("--window", "NOPE", "--out", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "NOPE" in bad.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_two_phones_on_one_arm_at_once_one_counts(any_settings):
    """Two web ratings for the same arm, concurrently: one claims it, the other is flagged unarmed."""
    s = any_settings
    tokens = _seed(s)

    async def work():
        import asyncio

        results = []
        for i in range(6):
            await _ingest(_msg(ARMED, i + 1, "arm"))  # each arm supersedes the previous one
            pair = await asyncio.gather(*[
                web_rating.submit(tokens["armed"], None, raw={"level": "5"}, device=f"d{i}-{n}", address="a",
                                  settings=s.web_rating) for n in range(2)])
            results.append(sorted(o.counted for o in pair))
        return results, await ArmClaim.count()

    results, claims = run(s, work)
    assert results == [[False, True]] * 6 and claims == 6
