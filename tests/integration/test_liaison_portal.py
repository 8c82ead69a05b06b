"""Integration: the department liaison's portal shows its own department only — annual result, breakdown and
opinions, published months with explanations, complaints without any complainant identity, the symposium — and
nothing of another department by any URL: every portal route is walked with another department's codes, tracking
codes and query parameters (SPEC §1, §5, §7; docs/portal.md)."""

from __future__ import annotations

import re

import pytest

from pingyi.accounts import service as accounts
from pingyi.app import create_app
from pingyi.assessment import monthclose
from pingyi.assessment import service as assessment
from pingyi.complaints import service as complaints
from pingyi.evaluation import service as evaluation
from pingyi.evaluation import symposium
from pingyi.publication import service as publication

from .helpers import full_section, open_campaign
from .monthly_support import clock_at, run_at, seed
from .webclient import client_for, login

NOW = (2026, 12, 3, 10, 0)  # November 2026 has ended in the office's time zone
OWN = ("D01投诉内容：窗口推诿", "D01座谈意见", "D01评议意见")
FOREIGN = ("县发改委", "D02专属投诉内容", "D02认定理由", "D02公开答复", "D02秘密意见", "D02座谈意见", "D02专属扣分理由")
CONTACTS = ("13800001111", "13900002222")


@pytest.fixture
def county(any_settings):
    """Two departments with everything a portal shows: a published year (5 sections each, so nothing is withheld),
    a symposium, complaints with contacts, a published month with an inspector entry."""
    s, clock = any_settings, clock_at(*NOW)
    run_at(s, clock, lambda: seed(s))

    async def work():
        await accounts.create_user("l-D02", "password-1", "liaison", department_code="D02", actor="test")
        await accounts.create_user("inv", "password-1", "investigator", actor="test")
        tokens = await open_campaign(s, year=2025, cards=5)
        for i, t in enumerate(tokens):
            await evaluation.submit_ballot(t, {"D01": full_section(s), "D02": full_section(s, "basically_satisfied")},
                                           {"D01": f"D01评议意见{i}", "D02": f"D02秘密意见{i}"})
        sid = await symposium.record_symposium(2025, "2025-12-15", "会议室", actor="boss")
        await symposium.set_attendance(2025, sid, "D02", "deputy", "刘某 副局长", actor="boss")
        for code in ("D01", "D02"):
            await symposium.add_note(2025, sid, code, f"{code}座谈意见", actor="boss")
        await evaluation.change_state(2025, "close", actor="test")
        await publication.publish(2025, (await publication.compute_snapshot(2025, actor="test"))["version"],
                                  actor="test")
        own = await complaints.file_complaint("D01", "D01投诉内容：窗口推诿", contact="13800001111",
                                              received_on="2026-11-02", actor="inv")
        foreign = await complaints.file_complaint("D02", "D02专属投诉内容", contact="13900002222",
                                                  received_on="2026-11-02", actor="inv")
        await complaints.act(foreign, "investigate", actor="inv")
        await complaints.act(foreign, "substantiate", actor="inv", reason="D02认定理由", severity="general",
                             decided_on="2026-11-20", public_reply="D02公开答复")
        rubric = assessment.rubric_from(s.surveys_dir)
        await assessment.add_entry("2026-11", "D02", "1.1", "2", "D02专属扣分理由", actor="insp", rubric=rubric)
        await monthclose.close_month("2026-11", "boss", rubric=rubric)
        await monthclose.publish_month("2026-11", "boss")
        return own, foreign

    own, foreign = run_at(s, clock, work)
    return s, clock, own, foreign


def _clean(body: str, own_code: str, foreign_code: str) -> None:
    leaked = [m for m in (*FOREIGN, foreign_code, *CONTACTS) if m in body]
    assert leaked == [], f"foreign data or a contact on a liaison page: {leaked}"


def test_a_liaison_walks_every_portal_route_with_another_departments_ids(county):
    s, clock, own, foreign = county
    walk = {  # path → (status, route pattern it exercises)
        "/liaison": (200, "/liaison"),
        "/liaison?department=D02&department_id=2": (200, "/liaison"),
        "/liaison/monthly": (200, "/liaison/monthly"),
        "/liaison/monthly?department=D02": (200, "/liaison/monthly"),
        "/liaison/monthly/2026-11": (200, "/liaison/monthly/{month:str}"),
        "/liaison/monthly/2026-11?department=D02&code=D02": (200, "/liaison/monthly/{month:str}"),
        "/liaison/monthly/2026-10": (404, "/liaison/monthly/{month:str}"),  # not published
        "/liaison/monthly/D02": (400, "/liaison/monthly/{month:str}"),
        "/liaison/complaints": (200, "/liaison/complaints"),
        "/liaison/complaints?department=D02&state=substantiated": (200, "/liaison/complaints"),
        "/liaison/complaints?state=D02": (200, "/liaison/complaints"),
        f"/liaison/complaints/{own}": (200, "/liaison/complaints/{code:str}"),
        f"/liaison/complaints/{foreign}": (404, "/liaison/complaints/{code:str}"),
        f"/liaison/complaints/{foreign.lower().replace('-', '')}": (404, "/liaison/complaints/{code:str}"),
        "/liaison/complaints/C-0000-0000-0000-0000": (404, "/liaison/complaints/{code:str}"),
        "/liaison/complaints/not-a-code": (404, "/liaison/complaints/{code:str}"),
        "/office/feedback": (200, "/office/feedback"),
        "/office/feedback?year=2025&department=D01": (200, "/office/feedback"),
        "/office/feedback?year=2025&department=D02": (403, "/office/feedback"),
        "/office/feedback?department=D99": (403, "/office/feedback"),
    }
    portal_routes = {r.path for r in create_app(s).routes if r.path.startswith("/liaison")}
    assert portal_routes <= {pattern for _, pattern in walk.values()}, "a portal route the walk does not cover"
    bodies = {}
    with client_for(s, clock=clock) as client:
        login(client, "liaison", "password-1")
        for path, (status, _) in walk.items():
            response = client.get(path)
            assert response.status_code == status, (path, response.status_code, response.text[:300])
            _clean(response.text, own, foreign)
            bodies[path] = response.text
    assert "D01座谈意见" in bodies["/office/feedback"] and "D01评议意见0" in bodies["/office/feedback"]
    assert "工作作风" in bodies["/office/feedback"]  # the aspect breakdown at ≥ k sections
    assert "D01投诉内容：窗口推诿" in bodies["/liaison/complaints"] and own in bodies["/liaison/complaints"]
    assert "D01投诉内容：窗口推诿" in bodies[f"/liaison/complaints/{own}"]
    assert "已受理" in bodies[f"/liaison/complaints/{own}"]
    month = bodies["/liaison/monthly/2026-11"]
    assert "县招商局 · 2026-11 月度考核" in month and "1.6" in month and "第 " in month
    assert len(re.findall(r"<tr><td>\d\.\d+ ", month)) >= 5  # its own items, with their explanations
    assert "2026-11" in bodies["/liaison/monthly"] and "共 1 件" in bodies["/liaison"]
    assert "座谈会（2025-12-15）：未登记，会上对本部门提出意见 1 条" in re.sub(r"<[^>]+>", "", bodies["/liaison"])


def test_the_other_liaison_sees_its_own_and_not_the_first(county):
    s, clock, own, foreign = county
    with client_for(s, clock=clock) as client:
        login(client, "l-D02", "password-1")
        mine = client.get(f"/liaison/complaints/{foreign}")
        assert mine.status_code == 200 and "D02专属投诉内容" in mine.text and "D02公开答复" in mine.text
        assert "13900002222" not in mine.text and "属实" in mine.text
        assert client.get(f"/liaison/complaints/{own}").status_code == 404
        feedback = client.get("/office/feedback").text
        assert "D02座谈意见" in feedback and "委派他人出席" in feedback and "D01" not in feedback
        month = client.get("/liaison/monthly/2026-11").text
        assert "D02专属扣分理由" in month  # its own deduction is explained on its own page
        for page in (feedback, month, mine.text):
            assert not any(m in page for m in ("县招商局", *OWN, "13800001111"))


@pytest.mark.parametrize("who, status", [("boss", 403), ("inv", 403), ("insp", 403), (None, 302)])
def test_liaison_only_routes_refuse_the_admin_other_staff_and_the_public(county, who, status):
    """The admin has no department of its own (it reads any on the office pages); staff and the public none."""
    s, clock, own, foreign = county
    with client_for(s, clock=clock) as client:
        if who:
            login(client, who, "password-1")
        for path in ("/liaison", "/liaison/monthly", "/liaison/monthly/2026-11", "/liaison/complaints",
                     f"/liaison/complaints/{own}"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == status, (who, path)
            if status == 403:
                assert "只对联络员开放" in response.text
            _clean(response.text, own, foreign)
            assert own not in response.text or status == 302


def test_the_portal_counts_what_its_department_owes_in_followup(sqlite_settings):
    """The portal links the followup context's 差评 queue and rectification tasks and counts only its own
    department's open tasks (another department's task changes nothing on this portal)."""
    from pingyi.catalog import load_catalog
    from pingyi.followup import service as followup
    from pingyi.hall.service import add_missing_departments

    from .helpers import run

    s = sqlite_settings
    office = {"username": "admin", "role": "admin"}

    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        await accounts.create_user("l01", "password-1", "liaison", department_code="D01", actor="test")
        policy = followup.policy_for(s)
        await followup.create_task(office, policy, department_code="D01", reason="同一原因差评集中")
        await followup.create_task(office, policy, department_code="D02", reason="他部门的任务")
        await followup.create_task(office, policy, department_code="D02", reason="他部门的第二项任务")

    run(s, work)
    with client_for(s) as client:
        login(client, "l01", "password-1")
        home = client.get("/liaison").text
        assert 'href="/office/followup"' in home and 'href="/office/rectification"' in home
        assert re.search(r'id="tasks-owed">1<', home), home
        assert re.search(r'id="answers-owed">0<', home), home
        assert "他部门" not in home
        assert client.get("/office/rectification").status_code == 200
