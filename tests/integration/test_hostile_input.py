"""Integration: what an attacker sends gets a clear 4xx and changes nothing, on SQLite and PostgreSQL (SPEC §8).

The inputs are the ones that gave server errors before the input guard (platform/pingyi/web/inputguard.py): NUL
characters in free text, integers beyond the database's range in path, query and form, JSON nested 5,000 deep, and
crafted session cookies.
"""

from __future__ import annotations

import base64
import json
from datetime import date

from litestar.testing import TestClient

from pingyi.accounts import service as accounts
from pingyi.complaints import service as complaints
from pingyi.complaints.tables import Complaint
from pingyi.evaluation.tables import Ballot, Opinion, SpentToken

from .helpers import full_section, open_campaign, run
from .webclient import client_for, login, post_form

BIG = "99999999999999999999"
NUL_MESSAGE = "空字符"


def _setup(s):
    async def work():
        tokens = await open_campaign(s, year=2026, cards=3)
        await accounts.create_user("boss", "password-12", "admin", actor="test")
        await accounts.create_user("inv", "password-12", "investigator", actor="test")
        code = await complaints.file_complaint("D07", "窗口人员推诿", received_on=date(2026, 3, 2))
        return tokens, code

    return run(s, work)


def _counts(s):
    async def work():
        complaint = await Complaint.select(Complaint.state, Complaint.decision_reason).first()
        return {"complaints": await Complaint.count(), "ballots": await Ballot.count(),
                "spent": await SpentToken.count(),
                "opinions": await Opinion.count(), "complaint": complaint}

    return run(s, work)


def _plain_client(s) -> TestClient:
    """A client that shows server errors as responses (status 500), as a visitor would see them."""
    return TestClient(client_for(s).app, raise_server_exceptions=False)


def test_attack_inputs_answer_4xx_and_store_nothing(any_settings):
    s = any_settings
    tokens, code = _setup(s)
    before = _counts(s)
    answers = {"D07": full_section(s)}
    with _plain_client(s) as c:
        # NUL in an opinion: web form and JSON API; the card stays unspent
        form = [(f"a.D07.{item}", v) for item, v in answers["D07"].items()] + [("o.D07", "很好\x00")]
        r = post_form(c, f"/b/{tokens[0]}?d=D07", f"/b/{tokens[0]}", form)
        assert r.status_code == 400 and NUL_MESSAGE in r.text
        r = c.post("/api/v1/ballots", json={"token": tokens[0], "answers": answers, "opinions": {"D07": "x\x00y"}})
        assert r.status_code == 400 and NUL_MESSAGE in r.json()["message"]
        # NUL in a key of the JSON body, and a lone surrogate
        r = c.post("/api/v1/ballots", json={"token": tokens[0], "answers": {"D07\x00": answers["D07"]}})
        assert r.status_code == 400
        r = c.post("/api/v1/ballots", content=b'{"token": "%s", "answers": {}, "opinions": {"D07": "\\ud800"}}'
                   % tokens[0].encode(), headers={"content-type": "application/json"})
        assert r.status_code == 400
        # JSON nested 5,000 deep, at the top and inside a field
        for body in ("[" * 5000 + "]" * 5000,
                     json.dumps({"token": tokens[0], "opinions": {}})[:-1] + ', "answers": ' + "[" * 5000 + "]" * 5000
                     + "}"):
            r = c.post("/api/v1/ballots", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 400 and "嵌套" in r.json()["message"]
        # NUL in complaint text (public form)
        r = post_form(c, "/complaints/new", "/complaints/new", {"department": "D07", "summary": "推诿\x00扯皮"})
        assert r.status_code == 400 and NUL_MESSAGE in r.text
        # integers beyond range: query, path
        assert c.get(f"/receipt?year={BIG}&code=R-0000-0000-0000").status_code == 400
        assert c.get("/receipt?year=9999999999&code=R-0000-0000-0000").status_code == 400
        for path in (f"/results/{BIG}", "/results/9999999999", f"/api/v1/results/{BIG}", f"/bulletin/{BIG}",
                     f"/api/v1/bulletin/-{BIG}", f"/results/{BIG}/ranking.svg"):
            r = c.get(path)
            assert r.status_code == 400 and "超出范围" in r.text, (path, r.status_code)
        # NUL in the path and the query
        assert c.get("/complaints/track?code=C-%00").status_code == 400
        assert c.get("/b/abc%00def").status_code == 400

    with _plain_client(s) as c:
        login(c, "inv", "password-12")
        r = post_form(c, "/office/complaints", f"/office/complaints/{code}/substantiate",
                      {"reason": "调取录像\x00属实", "severity": "serious"})
        assert r.status_code == 400 and NUL_MESSAGE in r.text
        r = post_form(c, "/office/complaints", "/office/complaints",
                      {"department": "D07", "summary": "电话投诉\x00", "channel": "phone"})
        assert r.status_code == 400
    with _plain_client(s) as c:
        login(c, "boss", "password-12")
        r = post_form(c, "/office/campaigns", "/office/campaigns/2026/symposium/1/notes",
                      {"department": "D07", "text": "意见\x00"})
        assert r.status_code == 400 and NUL_MESSAGE in r.text
        for action, data in ((f"/office/campaigns/{BIG}/close", {}), ("/office/campaigns", {"year": BIG}),
                             ("/office/campaigns/2026/cards", {"count": BIG}),
                             (f"/office/results/2026/publish/{BIG}", {}), (f"/office/results/{BIG}/compute", {})):
            r = post_form(c, "/office/campaigns", action, data)
            assert 400 <= r.status_code < 500, (action, r.status_code)
        assert c.get(f"/office/feedback?year={BIG}").status_code == 400
        assert c.get(f"/office/results/{BIG}").status_code == 400

    assert _counts(s) == before


def test_crafted_session_cookies_are_no_session(sqlite_settings):
    s = sqlite_settings
    _setup(s)
    crafted = ["garbage", "AAAA" * 40, "x" * 5000, '"null"', "e30=.e30=", "null", "%00%0a", "a\\x00b"]
    # nonce + ciphertext + Litestar's AAD marker + forged "additional data" (expiry not a number, not an object, …)
    for forged in (b'{"expires_at": "x"}', b"[]", b"not json", b"{}", b'{"expires_at": 99999999999}'):
        crafted.append(base64.b64encode(b"0" * 12 + b"xx" + b"additional_authenticated_data=" + forged).decode())
    with _plain_client(s) as c:
        for value in crafted:
            c.cookies.clear()
            c.cookies.set("session", value)
            r = c.get("/office", follow_redirects=False)
            assert r.status_code in (302, 303, 401), (value, r.status_code)
            assert c.get("/").status_code == 200
        c.cookies.clear()
        for value in crafted:
            r = c.get("/office", headers={"cookie": f"session={value}; session-0={value}"}, follow_redirects=False)
            assert r.status_code in (302, 303, 401, 400), (value, r.status_code)
