"""Integration: the demo shows the portal and the symposium — last year's symposium with two main leaders missing,
the demo liaison's portal with complaints in several states, one overdue (docs/portal.md "Demo")."""

from __future__ import annotations

from pingyi import clock
from pingyi.ops.demo import DEMO_PASSWORD, load_demo

from .helpers import run
from .webclient import client_for, login


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
        assert "共 3 件：办理中 2 件" in home and "超期 1 件" in home and f"{last_year} 年度" in home
        feedback = client.get("/office/feedback").text
        assert "会上提出的意见" in feedback and "主要领导出席" in feedback
        listing = client.get("/liaison/complaints?state=unsubstantiated").text
        assert "不属实" in listing and "139****1234" not in listing
