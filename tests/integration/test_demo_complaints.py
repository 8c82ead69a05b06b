"""Integration: the demo shows complaints as an office runs them (issue 10 "Done when"): every state, public replies,
an overdue investigation, a reopened complaint, a likely duplicate; loading twice adds nothing."""

from __future__ import annotations

from pingyi import workcalendar
from pingyi.complaints import service as complaints
from pingyi.complaints.tables import Complaint
from pingyi.core import complaints as rules
from pingyi.ops.demo import load_demo

from .helpers import run


def test_the_demo_has_complaints_in_every_state_with_public_replies(sqlite_settings):
    s = sqlite_settings
    lines = run(s, lambda: load_demo(s))
    assert any("年投诉：9 件" in line for line in lines), lines
    assert not any("年投诉" in line for line in run(s, lambda: load_demo(s)))  # idempotent

    async def look():
        calendar = workcalendar.for_surveys(s.surveys_dir)
        from pingyi import clock

        rows = await complaints.office_list(include_contact=False, today=clock.today(), calendar=calendar)
        statuses = [await complaints.public_status(r.tracking_code) for r in rows]
        return rows, statuses, await Complaint.count()

    rows, statuses, count = run(s, look)
    # last year's 3 substantiated (the published campaign) + this year's 9 + the liaison portal's 3 (demo_symposium)
    assert count == 15
    assert {r.state for r in rows} == set(rules.STATE_LABELS)
    assert any(r.overdue for r in rows) and any(r.similar_to for r in rows)
    assert any(st.reopened and st.state == "investigating" for st in statuses)
    decided = [st for st in statuses if st.state in rules.DECIDED_STATES or st.state == "withdrawn"]
    assert decided and all(st.public_reply for st in decided)
    assert {r.severity for r in rows if r.state == "substantiated"} == {"general", "serious"}
    for st in statuses:  # each history reads in date order, as an office's would
        days = [step.on for step in st.steps]
        assert days == sorted(days), (st.tracking_code, days)
