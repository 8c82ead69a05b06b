"""Integration: guards on every office route, login, the publication flow over HTTP (SPEC §6–7)."""

from __future__ import annotations

from pingyi.accounts import service as accounts
from pingyi.app import create_app
from pingyi.evaluation import cardjobs
from pingyi.web.guards import PUBLIC_ROUTES

from .helpers import full_section, open_campaign, run
from .webclient import client_for, login, post_form


def test_every_non_public_route_is_guarded(sqlite_settings):
    app = create_app(sqlite_settings)
    unguarded = []
    for route in app.routes:
        if route.path.startswith("/static") or route.path.startswith("/schema"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                continue  # Litestar's automatic CORS-preflight handler
            if route.path not in PUBLIC_ROUTES and not handler.resolve_guards():
                unguarded.append(route.path)
    assert unguarded == []
    assert len([r for r in app.routes if r.path.startswith("/office")]) > 10


def test_office_requires_login_and_role(sqlite_settings):
    s = sqlite_settings
    run(s, lambda: accounts.create_user("inv", "password-1", "investigator", actor="test"))
    with client_for(s) as client:
        assert client.get("/office", follow_redirects=False).status_code == 302
        assert client.get("/api/v1/results/2099").status_code == 404
        login(client, "inv", "password-1")
        assert client.get("/office").status_code == 200
        assert client.get("/office/campaigns").status_code == 403
        assert client.get("/office/complaints").status_code == 200
    with client_for(s) as client:
        bad = post_form(client, "/login", "/login", {"username": "inv", "password": "wrong-pass"})
        assert bad.status_code == 400 and "用户名或密码错误" in bad.text


def test_compute_publish_and_public_results(any_settings):
    s = any_settings

    async def setup():
        from pingyi.evaluation import service as evaluation

        tokens = await open_campaign(s, year=2025, cards=3)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D02": full_section(s, "unsatisfied")}, {})
        await evaluation.submit_ballot(tokens[1], {"D01": full_section(s, "basically_satisfied")}, {})
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(s, setup)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        assert client.get("/results/2025").status_code == 404
        early = post_form(client, "/office/results/2025", "/office/results/2025/publish/1", {})
        assert early.status_code in (404, 409)
        post_form(client, "/office/campaigns", "/office/campaigns/2025/close", {})
        computed = post_form(client, "/office/results/2025", "/office/results/2025/compute", {})
        assert computed.status_code == 303
        again = post_form(client, "/office/results/2025", "/office/results/2025/compute", {})
        assert again.status_code == 400 and "更正理由" in again.text
        published = post_form(client, "/office/results/2025", "/office/results/2025/publish/1", {})
        assert published.status_code == 303
        data = client.get("/api/v1/results/2025").json()
        by_code = {r["code"]: r for r in data["results"]}
        assert by_code["D01"]["published"] == "80.00" and by_code["D01"]["grade_label"] == "基本满意"
        assert by_code["D02"]["published"] == "0.00" and by_code["D02"]["rank"] == 2
        assert by_code["D03"]["status"] == "not_rated" and by_code["D03"]["rank"] is None
        assert data["turnout"] == {"cards_issued": 3, "cards_used": 2, "ballots": 2}
        page = client.get("/results/2025")
        assert page.status_code == 200 and "县招商局" in page.text and "80.00" in page.text
        bulletin = client.get("/api/v1/bulletin/2025").json()
        assert len(bulletin["receipts"]) == 2
        audit = client.get("/office/audit")
        assert "审计链完整" in audit.text and "results.publish" in audit.text


def test_office_mints_cards_as_a_pdf_and_the_cards_work(sqlite_settings):
    s = sqlite_settings
    from pingyi.evaluation.tables import Card

    async def setup():
        await open_campaign(s, year=2027, cards=1)
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(s, setup)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        resp = post_form(client, "/office/campaigns", "/office/campaigns/2027/cards", {"count": "3"})
        assert resp.status_code == 303 and resp.headers["location"].startswith("/office/campaigns/2027/cards/")
        job = resp.headers["location"].rsplit("/", 1)[1]
        cardjobs.wait(job, 60)
        pdf = client.get(f"/office/campaigns/2027/cards/{job}/cards.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and pdf.headers["cache-control"] == "no-store"
        bad = post_form(client, "/office/campaigns", "/office/campaigns/2027/cards", {"count": "0"})
        assert bad.status_code == 400 and "1–5000" in bad.text
    assert run(s, lambda: Card.count()) == 4


def test_liaison_reads_only_its_own_department_feedback_and_small_cells_are_withheld(sqlite_settings):
    s = sqlite_settings

    async def setup():
        from pingyi.evaluation import service as evaluation
        from pingyi.publication import service as publication

        tokens = await open_campaign(s, year=2025, cards=6, k=3)
        for i, t in enumerate(tokens[:3]):  # D01: 3 sections (= k), D02: 1 section (< k)
            answers = {"D01": full_section(s, "satisfied" if i else "unsatisfied")}
            if i == 0:
                answers["D02"] = full_section(s)
            await evaluation.submit_ballot(t, answers, {"D01": f"意见{i}", **({"D02": "秘密意见"} if i == 0 else {})})
        await evaluation.change_state(2025, "close", actor="test")
        await publication.publish(2025, (await publication.compute_snapshot(2025, actor="test"))["version"],
                                  actor="test")
        await accounts.create_user("l01", "password-1", "liaison", department_code="D01", actor="test")
        await accounts.create_user("l02", "password-1", "liaison", department_code="D02", actor="test")

    run(s, setup)
    with client_for(s) as client:
        login(client, "l01", "password-1")
        foreign = client.get("/office/feedback?department=D02")  # a foreign department is refused, not swapped
        assert foreign.status_code == 403 and "本部门" in foreign.text and "县发改委" not in foreign.text
        page = client.get("/office/feedback?department=D01")
        assert page.status_code == 200 and "县招商局" in page.text and "县发改委 ·" not in page.text
        assert "意见0" in page.text and "意见2" in page.text and "秘密意见" not in page.text
        assert "A1." in page.text and "66.7%" in page.text  # A1: 0 + 5 + 5 of 15 points
        assert client.get("/office/campaigns").status_code == 403
    with client_for(s) as client:
        login(client, "l02", "password-1")
        page = client.get("/office/feedback")
        assert "县发改委" in page.text and "不提供分项明细" in page.text and "秘密意见" not in page.text
