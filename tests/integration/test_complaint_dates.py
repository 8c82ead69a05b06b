"""Complaint dates on the one clock (SPEC §5, §8): received and decision dates entered by the office, today in the
office's time zone whatever the server's zone is, past dates accepted, future dates refused, both audited."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, date, datetime

import pytest

from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.clock import FixedClock
from pingyi.complaints.service import substantiated_between
from pingyi.complaints.tables import Complaint
from pingyi.core import complaints as rules
from pingyi.hall.service import add_missing_departments

from .helpers import run
from .webclient import client_for, login, post_form

CODE = re.compile(r"C-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def server_in_utc():
    """The server's own zone is UTC (as on many cloud machines); the office is in Asia/Shanghai."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = old
    time.tzset()


def _setup(s):
    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        await accounts.create_user("inv", "password-1", "investigator", actor="test")

    run(s, work)


def _file(staff, **extra) -> str:
    data = {"channel": "phone", "department": "D05", "summary": "电话投诉：办件拖延", "contact": "", **extra}
    page = post_form(staff, "/office/complaints", "/office/complaints", data)
    assert page.status_code in (200, 201), page.text
    return CODE.search(page.text).group(0)


def _decide(staff, code, **extra):
    assert post_form(staff, "/office/complaints", f"/office/complaints/{code}/investigate", {}).status_code == 303
    return post_form(staff, "/office/complaints", f"/office/complaints/{code}/substantiate",
                     {"reason": "核查属实", "severity": "general", **extra})


def _stored(s, code):
    async def work():
        return await Complaint.select(Complaint.received_on, Complaint.decision_date, Complaint.state)\
            .where(Complaint.tracking_code == code).first()

    return run(s, work)


def test_a_decision_at_0730_on_new_year_in_beijing_counts_in_the_new_year(any_settings, server_in_utc):
    """07:30 on 1 January 2027 in Beijing is 23:30 on 31 December 2026 UTC: the decision date is 2027-01-01, so the
    complaint counts in the 2027 window and not in 2026's (a server-date stamp would have said 2026-12-31)."""
    s = any_settings
    _setup(s)
    clock = FixedClock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Asia/Shanghai")
    with client_for(s, clock=clock) as staff:
        login(staff, "inv", "password-1")
        code = _file(staff)
        assert _decide(staff, code).status_code == 303  # decision date left at its default: today
    row = _stored(s, code)
    assert row["received_on"] == date(2027, 1, 1) and row["decision_date"] == date(2027, 1, 1)
    in_2027 = run(s, lambda: substantiated_between(date(2027, 1, 1), date(2027, 12, 31)))
    in_2026 = run(s, lambda: substantiated_between(date(2026, 1, 1), date(2026, 12, 31)))
    assert [c.tracking_code for c in in_2027] == [code] and in_2026 == []


def test_a_decision_entered_on_1222_for_1218_counts_in_a_window_ending_1220(any_settings):
    s = any_settings
    _setup(s)
    clock = FixedClock(datetime(2026, 12, 22, 2, 0, tzinfo=UTC), "Asia/Shanghai")
    with client_for(s, clock=clock) as staff:
        login(staff, "inv", "password-1")
        code = _file(staff, received_on="2026-12-10")  # a letter that came in twelve days ago
        assert _decide(staff, code, decision_date="2026-12-18").status_code == 303
    row = _stored(s, code)
    assert row["received_on"] == date(2026, 12, 10) and row["decision_date"] == date(2026, 12, 18)
    window = run(s, lambda: substantiated_between(date(2026, 1, 1), date(2026, 12, 20)))
    assert [c.tracking_code for c in window] == [code]
    assert rules.counts_for_penalty("substantiated", row["decision_date"], date(2026, 1, 1), date(2026, 12, 20))

    async def audited():
        rows = await AuditEntry.select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.seq)
        return {r["action"]: r["detail"] for r in rows}

    entries = run(s, audited)
    assert "2026-12-10" in str(entries["complaint.file"]) and "2026-12-18" in str(entries["complaint.substantiate"])


@pytest.mark.parametrize("field, value, message", [
    ("decision_date", "2026-12-23", "认定日期不能晚于今天（2026-12-22）"),
    ("decision_date", "18/12/2026", "认定日期格式应为 年-月-日"),
])
def test_a_future_or_malformed_decision_date_is_refused_and_changes_nothing(any_settings, field, value, message):
    s = any_settings
    _setup(s)
    clock = FixedClock(datetime(2026, 12, 22, 2, 0, tzinfo=UTC), "Asia/Shanghai")
    with client_for(s, clock=clock) as staff:
        login(staff, "inv", "password-1")
        code = _file(staff)
        refused = _decide(staff, code, **{field: value})
        assert refused.status_code == 400 and message in refused.text
    row = _stored(s, code)
    assert row["state"] == "investigating" and row["decision_date"] is None


def test_a_future_received_date_is_refused_and_nothing_is_filed(any_settings):
    s = any_settings
    _setup(s)
    clock = FixedClock(datetime(2026, 12, 22, 2, 0, tzinfo=UTC), "Asia/Shanghai")
    with client_for(s, clock=clock) as staff:
        login(staff, "inv", "password-1")
        page = post_form(staff, "/office/complaints", "/office/complaints",
                         {"channel": "letter", "department": "D05", "summary": "来信", "received_on": "2026-12-25"})
        assert page.status_code == 400 and "受理日期不能晚于今天（2026-12-22）" in page.text
    assert run(s, lambda: Complaint.count()) == 0


def test_the_office_list_shows_due_dates_on_the_holiday_calendar(any_settings):
    """Received 2026-02-10: 15 working days across the Spring Festival (15–23 Feb off) and its make-up Saturdays
    (14 and 28 Feb worked) end on 2026-03-09; a weekday count would have said 2026-03-03."""
    s = any_settings
    _setup(s)
    clock = FixedClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "Asia/Shanghai")
    with client_for(s, clock=clock) as staff:
        login(staff, "inv", "password-1")
        _file(staff, received_on="2026-02-10")
        page = staff.get("/office/complaints").text
    assert "时限 2026-03-09" in page and "已超期" in page
    assert "节假日安排尚未录入" not in page


def test_a_year_without_a_holiday_schedule_is_a_warning(any_settings):
    s = any_settings
    _setup(s)
    clock = FixedClock(datetime(2031, 3, 10, 2, 0, tzinfo=UTC), "Asia/Shanghai")
    with client_for(s, clock=clock) as staff:
        login(staff, "inv", "password-1")
        page = staff.get("/office/complaints").text
    assert "2031 年的国务院节假日安排尚未录入" in page
