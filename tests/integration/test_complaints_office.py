"""Integration: complaints as an office runs them (SPEC §5, issue 10) — the list's filters, search and pages, an action
returning to the same filtered page (no open redirect), the investigator's queue by due date, a complaint's history,
public replies and "reopened" on the tracking page, contacts for investigators only, intake checks (honeypot, size,
likely duplicates flagged not merged), and the substantiated complaint named in the annual explanation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from pingyi.accounts import service as accounts
from pingyi.catalog import load_catalog
from pingyi.cli import run_db
from pingyi.clock import FixedClock
from pingyi.complaints import service as complaints
from pingyi.complaints.tables import Complaint, ComplaintEvent
from pingyi.hall.service import add_missing_departments
from pingyi.publication import service as publication

from .helpers import open_campaign, run
from .webclient import client_for, login, post_form

CODE = re.compile(r"C-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
# 2026-03-10 10:00 in Beijing
CLOCK = FixedClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "Asia/Shanghai")
CONTACT = "13912345678"


def _users(s):
    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        await accounts.create_user("inv", "password-1", "investigator", actor="test")
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        await accounts.create_user("insp", "password-1", "inspector", actor="test")
        await accounts.create_user("liaison", "password-1", "liaison", department_code="D07", actor="test")

    run(s, work)


def _at(s, work):
    """Run `work` with the database bound and the test's clock as the process's one clock."""
    return run_db(s, work, clock=CLOCK)


def _file(s, department, summary, received_on, channel="phone", contact=""):
    return _at(s, lambda: complaints.file_complaint(department, summary, channel=channel, contact=contact,
                                                    received_on=received_on, actor="inv"))


def _codes(html: str) -> list[str]:
    """Tracking codes of the list's rows, in page order (each row's id is c-<code>)."""
    return re.findall(r'<tr id="c-(C-[0-9A-Z-]+)"', html)


def _state(s, code):
    return run(s, lambda: Complaint.select(Complaint.state).where(Complaint.tracking_code == code).first())["state"]


def test_filters_search_pages_and_the_queue_by_due_date(any_settings):
    s = any_settings
    _users(s)
    early = _file(s, "D07", "二月的电话投诉：窗口推诿扯皮", "2026-02-10")  # due 2026-03-09 (Spring Festival): overdue
    letter = _file(s, "D07", "来信反映收费不透明", "2026-03-02", channel="letter")
    other = _file(s, "D05", "电话反映排队太久", "2026-03-05")
    many = [_file(s, "D03", f"第{i}件：材料清单不一次告知{i * 7}号", "2026-03-09") for i in range(22)]
    with client_for(s, clock=CLOCK) as staff:
        login(staff, "inv", "password-1")
        d07 = staff.get("/office/complaints?department=D07").text
        assert set(_codes(d07)) == {early, letter} and "共 2 件" in d07
        assert _codes(staff.get("/office/complaints?channel=letter").text) == [letter]
        assert _codes(staff.get("/office/complaints?overdue=1").text) == [early]
        assert _codes(staff.get("/office/complaints?from=2026-03-02&to=2026-03-05").text) == [letter, other]
        assert _codes(staff.get("/office/complaints?q=收费不透明").text) == [letter]
        assert _codes(staff.get(f"/office/complaints?q={early.lower().replace('-', ' ')}").text) == [early]
        assert _codes(staff.get(f"/office/complaints?q={letter[2:11]}").text) == [letter]  # part of a code
        # the queue: earliest due date first (received 02-10, 03-02, 03-05, then the 22 of 03-09), 20 a page
        first = staff.get("/office/complaints").text
        assert _codes(first)[:3] == [early, letter, other] and len(_codes(first)) == 20
        assert "第 1 / 2 页" in first and 'href="/office/complaints?page=2"' in first
        second = staff.get("/office/complaints?page=2").text
        assert len(_codes(second)) == 5 and set(_codes(first)) | set(_codes(second)) == {early, letter, other, *many}
        # an action on page 2 of a filtered list returns there
        here = "/office/complaints?department=D03&page=2"
        target = _codes(staff.get(here).text)[0]
        done = post_form(staff, here, f"/office/complaints/{target}/investigate", {"next": here})
        assert done.status_code == 303 and done.headers["location"] == here
        # a bad filter is a 400 with a message, not a 500
        bad = staff.get("/office/complaints?state=deleted")
        assert bad.status_code == 400 and "状态筛选无效" in bad.text
        assert staff.get("/office/complaints?page=99").status_code == 200  # past the end: the last page
        for q in ("a\\", "100%", "_", "'; drop table complaint; --"):  # LIKE's own characters are plain text
            assert staff.get("/office/complaints", params={"q": q}).status_code == 200, q


@pytest.mark.parametrize("forged", ["https://evil.example/", "//evil.example/office/complaints", "/office/users",
                                    "/\\evil.example", "/office/complaints?state=x"])
def test_an_action_never_redirects_outside_the_list(sqlite_settings, forged):
    s = sqlite_settings
    _users(s)
    code = _file(s, "D07", "推诿", "2026-03-02")
    with client_for(s, clock=CLOCK) as staff:
        login(staff, "inv", "password-1")
        done = post_form(staff, "/office/complaints", f"/office/complaints/{code}/investigate", {"next": forged})
        assert done.status_code == 303 and done.headers["location"] == "/office/complaints"


def test_history_public_replies_and_reopening(any_settings):
    s = any_settings
    _users(s)
    with client_for(s, clock=CLOCK) as public:
        filed = post_form(public, "/complaints/new", "/complaints/new",
                          {"department": "D07", "summary": "三月二日上午窗口推诿，让我跑了三趟", "contact": CONTACT})
        code = CODE.search(filed.text).group(0)
    page_url = f"/office/complaints/{code}"
    with client_for(s, clock=CLOCK) as staff:
        login(staff, "inv", "password-1")
        assert post_form(staff, page_url, f"{page_url}/investigate", {"next": page_url}).headers["location"] == page_url
        blank = post_form(staff, page_url, f"{page_url}/substantiate",
                          {"reason": "调取录像属实", "severity": "general", "public_reply": "  ", "next": page_url})
        assert blank.status_code == 400 and "公开答复" in blank.text
        assert f'<a href="{page_url}">返回投诉列表</a>' in blank.text  # the refusal links back to where it was
        assert _state(s, code) == "investigating"
        decided = post_form(staff, page_url, f"{page_url}/substantiate",
                            {"reason": "调取录像属实（内部）", "severity": "serious", "decision_date": "2026-03-06",
                             "public_reply": "经调查属实，已责成县城管局整改并通报。", "next": page_url})
        assert decided.status_code == 303
        reopened = post_form(staff, page_url, f"{page_url}/reopen", {"reason": "当事人提出新证据（内部）",
                                                                      "next": page_url})
        assert reopened.status_code == 303
        again = post_form(staff, page_url, f"{page_url}/unsubstantiate",
                          {"reason": "复查：录像显示已一次告知（内部）", "public_reply": "复查后认定不属实。",
                           "next": page_url})
        assert again.status_code == 303
        row = re.search(rf'<tr id="c-{code}">.*?</tr>', staff.get("/office/complaints").text, re.S).group(0)
        assert "已重新调查" in row and "不属实" in row
        history = staff.get(page_url).text
        for text in ("受理", "开始调查", "认定属实", "重新调查", "认定不属实", "调取录像属实（内部）",
                     "当事人提出新证据（内部）", "inv", CONTACT):
            assert text in history, text
    with client_for(s, clock=CLOCK) as public:
        status = public.get(f"/api/v1/complaints/{code}").json()
        track = public.get(f"/complaints/track?code={code}").text
    assert status["state"] == "unsubstantiated" and status["reopened"] is True
    assert status["public_reply"] == "复查后认定不属实。"
    assert [st["action"] for st in status["steps"]] == ["file", "investigate", "substantiate", "reopen",
                                                         "unsubstantiate"]
    assert status["steps"][2] == {"on": "2026-03-06", "action": "substantiate", "label": "调查结论：属实",
                                  "public_reply": "经调查属实，已责成县城管局整改并通报。"}
    assert "已重新调查" in track and "复查后认定不属实。" in track and "经调查属实，已责成县城管局整改并通报。" in track
    for secret in (CONTACT, "（内部）", "让我跑了三趟"):
        assert secret not in track and secret not in str(status), secret
    assert not {"investigator", "contact", "summary", "decision_reason"} & set(status)
    assert all(set(st) == {"on", "action", "label", "public_reply"} for st in status["steps"])


def test_a_decision_left_without_reply_takes_the_default_and_withdrawal_has_one(sqlite_settings):
    s = sqlite_settings
    _users(s)
    code = _file(s, "D07", "推诿", "2026-03-02")
    gone = _file(s, "D07", "另一件", "2026-03-02")

    async def work():
        await complaints.act(code, "investigate", actor="inv")
        await complaints.act(code, "unsubstantiate", actor="inv", reason="查无实据")
        await complaints.act(gone, "withdraw", actor="inv")
        return await complaints.public_status(code), await complaints.public_status(gone)

    decided, withdrawn = _at(s, work)
    assert decided.public_reply.startswith("经调查核实，未发现您反映的问题")
    assert withdrawn.public_reply == "投诉已撤回。" and withdrawn.state_label == "撤回"


def test_only_investigators_see_the_contact(any_settings):
    s = any_settings
    _users(s)
    code = _file(s, "D07", "推诿", "2026-03-02", contact=CONTACT)
    with client_for(s, clock=CLOCK) as c:
        login(c, "inv", "password-1")
        assert CONTACT in c.get("/office/complaints").text and CONTACT in c.get(f"/office/complaints/{code}").text
    with client_for(s, clock=CLOCK) as c:
        login(c, "boss", "password-1")
        for url in ("/office/complaints", f"/office/complaints/{code}", f"/office/complaints?q={code}"):
            page = c.get(url)
            assert page.status_code == 200 and CONTACT not in page.text and "仅调查人员可见" in page.text
    for user in ("insp", "liaison"):  # a liaison of the very department complained about included
        with client_for(s, clock=CLOCK) as c:
            login(c, user, "password-1")
            for url in ("/office/complaints", f"/office/complaints/{code}"):
                assert c.get(url).status_code == 403, (user, url)
            refused = post_form(c, "/office", f"/office/complaints/{code}/investigate", {})
            assert refused.status_code == 403
    with client_for(s, clock=CLOCK) as c:
        assert c.get(f"/office/complaints/{code}", follow_redirects=False).status_code in (302, 303)
        assert CONTACT not in c.get(f"/api/v1/complaints/{code}").text
    assert _state(s, code) == "received"


def test_intake_honeypot_size_and_likely_duplicates(any_settings):
    s = any_settings
    _users(s)
    first = _file(s, "D07", "窗口工作人员推诿，多次往返未办结。", "2026-03-05")
    _file(s, "D07", "窗口人员推诿，我多次往返都没有办结", "2026-02-20")  # 13 days earlier: not compared
    with client_for(s, clock=CLOCK) as public:
        bot = post_form(public, "/complaints/new", "/complaints/new",
                        {"department": "D07", "summary": "广告", "website": "http://spam.example"})
        assert bot.status_code == 400 and "请勿填写" in bot.text
        huge = post_form(public, "/complaints/new", "/complaints/new", {"department": "D07", "summary": "长" * 4001})
        assert huge.status_code == 400 and "不超过 4000 字" in huge.text
        assert _at(s, lambda: Complaint.count()) == 2
        form = public.get("/complaints/new").text
        assert 'name="website"' in form and 'class="hp"' in form
        dup = post_form(public, "/complaints/new", "/complaints/new",
                        {"department": "D07", "summary": "窗口人员推诿，我多次往返都没有办结！"})
        other_dept = post_form(public, "/complaints/new", "/complaints/new",
                               {"department": "D05", "summary": "窗口工作人员推诿，多次往返未办结。"})
        dup_code, other_code = CODE.search(dup.text).group(0), CODE.search(other_dept.text).group(0)

    async def stored():
        rows = await Complaint.select(Complaint.tracking_code, Complaint.similar_to)
        return {r["tracking_code"]: r["similar_to"] for r in rows}

    similar = run(s, stored)
    assert len(similar) == 4  # flagged, never merged
    assert similar[dup_code] == first and similar[other_code] == "" and similar[first] == ""
    with client_for(s, clock=CLOCK) as staff:
        login(staff, "inv", "password-1")
        listing = staff.get("/office/complaints?department=D07").text
        assert "疑似重复" in listing and f'<a href="/office/complaints/{first}">{first}</a>' in listing
        assert dup_code in staff.get(f"/office/complaints/{first}").text  # the earlier one names the later


def test_the_annual_explanation_names_each_substantiated_complaint(sqlite_settings):
    s = sqlite_settings

    async def work():
        await open_campaign(s, year=2026, cards=1)
        code = await complaints.file_complaint("D07", "推诿", received_on="2026-03-02", actor="inv")
        await complaints.act(code, "investigate", actor="inv")
        await complaints.act(code, "substantiate", actor="inv", reason="属实", severity="general",
                             decided_on="2026-03-06", public_reply="属实，已整改。")
        return code, await publication.preview(2026)

    code, preview = _at(s, work)
    row = next(r for r in preview["payload"]["results"] if r["code"] == "D07")
    assert f"计入的属实投诉：{code}（认定日期 2026-03-06）" in row["explanation"]


def test_events_carry_the_injected_clock(sqlite_settings):
    s = sqlite_settings
    _users(s)
    code = _file(s, "D07", "推诿", "2026-03-02")
    at = run(s, lambda: ComplaintEvent.select(ComplaintEvent.at).first())["at"]
    assert at.astimezone(UTC) == CLOCK.now() and code
    assert date(2026, 3, 10) == CLOCK.now().date()


def test_markup_in_a_complaint_or_a_reply_is_shown_as_text(sqlite_settings):
    """A visitor's text and an investigator's reply are escaped on every page that shows them."""
    s = sqlite_settings
    _users(s)
    code = _file(s, "D07", '<script>alert("x")</script>推诿', "2026-03-02")

    async def work():
        await complaints.act(code, "investigate", actor="inv")
        await complaints.act(code, "unsubstantiate", actor="inv", reason="<b>r</b>",
                             public_reply='<img src=x onerror="alert(1)">查无实据')

    _at(s, work)
    with client_for(s, clock=CLOCK) as staff:
        login(staff, "inv", "password-1")
        for url in ("/office/complaints", f"/office/complaints/{code}"):
            page = staff.get(url).text
            assert "<script>alert" not in page and "&lt;script&gt;" in page
            assert "<img src=x" not in page
    with client_for(s, clock=CLOCK) as public:
        track = public.get(f"/complaints/track?code={code}").text
        assert "<img src=x" not in track and "&lt;img src=x" in track


def test_a_refused_office_intake_keeps_what_the_clerk_typed(sqlite_settings):
    """A clerk taking a phone complaint who makes a mistake gets a 400 with the message above the intake form and
    every field as typed (the summary was read out by a caller: losing it loses the complaint); nothing is stored."""
    s = sqlite_settings
    _users(s)
    summary = "来电：县市场监管局窗口<b>推诿</b>，" + "多次往返。" * 10
    with client_for(s, clock=CLOCK) as staff:
        login(staff, "inv", "password-1")
        for typed, message in (
                ({"channel": "letter", "department": "D05", "summary": summary, "received_on": "2026-03-11",
                  "contact": CONTACT}, "受理日期"),  # tomorrow in the office
                ({"channel": "letter", "department": "", "summary": summary, "received_on": "2026-03-09",
                  "contact": CONTACT}, "请选择被投诉的部门"),
                ({"channel": "visit", "department": "D05", "summary": summary, "received_on": "2026-03-09",
                  "contact": "1" * 201}, "联系方式不超过")):
            r = post_form(staff, "/office/complaints", "/office/complaints", typed)
            assert r.status_code == 400, r.text[:300]
            assert message in r.text, r.text[:2000]
            form = r.text.split('id="intake"')[1]
            assert "，多次往返。多次往返。" in form and "&lt;b&gt;推诿&lt;/b&gt;" in form  # kept, as text
            assert f'value="{typed["contact"]}"' in form
            assert f'<option value="{typed["channel"]}" selected>' in form
            if typed["department"]:
                assert f'<option value="{typed["department"]}" selected>' in form
            assert f'value="{typed["received_on"]}"' in form
        assert _at(s, lambda: Complaint.count()) == 0
        ok = post_form(staff, "/office/complaints", "/office/complaints",
                       {"channel": "phone", "department": "D05", "summary": summary, "received_on": "2026-03-09"})
        assert ok.status_code in (200, 201), ok.text[:300]
        assert CODE.search(ok.text)
    assert _at(s, lambda: Complaint.count()) == 1
