"""Integration: complaints over HTTP — public intake and status, investigator decisions, audit, tally (SPEC §5)."""

from __future__ import annotations

import re

from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.complaints.tables import Complaint
from pingyi.hall.service import add_missing_departments

from .helpers import run
from .webclient import client_for, login, post_form

CODE = re.compile(r"C-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def _setup(s):
    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        await accounts.create_user("inv", "password-1", "investigator", actor="test")
        await accounts.create_user("insp", "password-1", "inspector", actor="test")

    run(s, work)


def test_public_complaint_lifecycle(any_settings):
    s = any_settings
    _setup(s)
    with client_for(s) as public:
        empty = post_form(public, "/complaints/new", "/complaints/new", {"department": "D07", "summary": "  "})
        assert empty.status_code == 400 and "请填写投诉内容" in empty.text
        filed = post_form(public, "/complaints/new", "/complaints/new",
                          {"department": "D07", "summary": "窗口人员推诿", "contact": "13800000000"})
        assert filed.status_code == 201 or filed.status_code == 200
        code = CODE.search(filed.text).group(0)
        status = public.get(f"/api/v1/complaints/{code}").json()
        assert status["state"] == "received" and status["department"] == "县城管局"
        assert "13800000000" not in public.get(f"/complaints/track?code={code}").text
        assert public.get("/api/v1/complaints/C-0000-0000-0000-0000").status_code == 404
    with client_for(s) as staff:
        login(staff, "insp", "password-1")
        assert staff.get("/office/complaints").status_code == 403
    with client_for(s) as staff:
        login(staff, "inv", "password-1")
        listing = staff.get("/office/complaints")
        assert "13800000000" in listing.text  # contact details: investigators only
        assert post_form(staff, "/office/complaints", f"/office/complaints/{code}/investigate", {}).status_code == 303
        no_reason = post_form(staff, "/office/complaints", f"/office/complaints/{code}/substantiate",
                              {"reason": "", "severity": "serious"})
        assert no_reason.status_code == 400
        done = post_form(staff, "/office/complaints", f"/office/complaints/{code}/substantiate",
                         {"reason": "调取录像属实", "severity": "serious"})
        assert done.status_code == 303
        reopen_bad = post_form(staff, "/office/complaints", f"/office/complaints/{code}/withdraw", {"reason": "x"})
        assert reopen_bad.status_code == 409
    with client_for(s) as public:
        assert public.get(f"/api/v1/complaints/{code}").json()["state"] == "substantiated"

    async def check():
        row = await Complaint.select().where(Complaint.tracking_code == code).first()
        actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.seq)]
        return row, actions

    row, actions = run(s, check)
    assert row["severity"] == "serious" and row["investigator"] == "inv" and row["decision_date"] is not None
    assert actions[-2:] == ["complaint.investigate", "complaint.substantiate"]
