"""Integration: the demo shows the portal and the symposium — last year's symposium with two main leaders missing,
the demo liaison's portal with complaints in several states, one overdue (docs/portal.md "Demo")."""

from __future__ import annotations

from pingyi import clock, workcalendar
from pingyi.complaints import liaison as liaison_complaints
from pingyi.core import complaints as complaint_rules
from pingyi.ops.demo import DEMO_PASSWORD, load_demo

from .helpers import run
from .webclient import client_for, login


async def _department_complaints(s):
    return await liaison_complaints.of_department("D01", today=clock.today(),
                                                  calendar=workcalendar.for_surveys(s.surveys_dir))


def test_the_demo_liaison_has_a_living_portal(sqlite_settings):
    s = sqlite_settings
    run(s, lambda: load_demo(s))
    last_year = clock.today().year - 1
    with client_for(s) as client:
        login(client, "admin", DEMO_PASSWORD)
        page = client.get(f"/office/campaigns/{last_year}/symposium")
        assert page.status_code == 200 and "主要领导未出席（2 个部门）" in page.text
    with client_for(s) as client:
        login(client, "liaison-d01", DEMO_PASSWORD)
        home = client.get("/liaison").text
        found = run(s, lambda: _department_complaints(s))
        total = len(found)
        open_ = sum(1 for c in found if c.state in complaint_rules.OPEN_STATES)
        overdue = sum(1 for c in found if c.overdue)
        assert total >= 3 and open_ >= 2 and overdue >= 1  # the demo's promise: several states, one overdue at least
        assert f"共 {total} 件：办理中 {open_} 件" in home and f"超期 {overdue} 件" in home
        assert f"{last_year} 年度" in home
        feedback = client.get("/office/feedback").text
        assert "会上提出的意见" in feedback and "主要领导出席" in feedback
        listing = client.get("/liaison/complaints?state=unsubstantiated").text
        assert "不属实" in listing and "139****1234" not in listing
