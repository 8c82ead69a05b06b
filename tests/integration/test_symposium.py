"""Integration: the office records the symposium (座谈会) — date, each department head's attendance (seed 篇3:
the main leaders must attend; who did not is shown), opinions per department — audited, refused with a clear
message on bad input, and joined to each department's own feedback only (SPEC §2 "Opinions")."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from pingyi import clock
from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.evaluation import service as evaluation
from pingyi.evaluation import symposium
from pingyi.evaluation.tables import Symposium, SymposiumAttendance, SymposiumNote
from pingyi.publication import service as publication

from .helpers import full_section, open_campaign, run
from .webclient import client_for, login, post_form

PAGE = "/office/campaigns/2026/symposium"


def _setup(s):
    async def work():
        tokens = await open_campaign(s, year=2026, cards=3)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D02": full_section(s)}, {})
        await evaluation.create_campaign(2030, "2030年度", load_catalog(s.surveys_dir).questionnaire, ["D01"],
                                         actor="test")  # a draft
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        await accounts.create_user("inv", "password-1", "investigator", actor="test")
        for code in ("D01", "D02"):
            await accounts.create_user(f"l-{code}", "password-1", "liaison", department_code=code, actor="test")

    run(s, work)


def _counts(s):
    async def work():
        return (await Symposium.count(), await SymposiumAttendance.count(), await SymposiumNote.count())
    return run(s, work)


def _audit(s, action):
    async def work():
        rows = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return [{"detail": json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]} for r in rows]
    return run(s, work)


def test_the_office_records_a_symposium_and_each_department_gets_back_only_its_own(any_settings):
    s = any_settings
    _setup(s)
    today = clock.today()
    with client_for(s) as client:
        login(client, "boss", "password-1")
        draft = post_form(client, "/office", "/office/campaigns/2030/symposium", {"held_on": today.isoformat()})
        assert draft.status_code == 409 and "开始评议后才能登记座谈会" in draft.text
        future = post_form(client, PAGE, PAGE, {"held_on": (today + timedelta(days=1)).isoformat()})
        assert future.status_code == 400 and "座谈会召开日期不能晚于今天" in future.text
        empty = post_form(client, PAGE, PAGE, {"held_on": ""})
        assert empty.status_code == 400 and "请填写座谈会召开日期" in empty.text
        assert _counts(s) == (0, 0, 0)

        made = post_form(client, PAGE, PAGE, {"held_on": today.isoformat(), "place": "三楼会议室"})
        assert made.status_code == 303
        sid = run(s, lambda: Symposium.select(Symposium.id).first())["id"]
        page = client.get(PAGE)
        assert "主要领导未出席（21 个部门）" in page.text and "三楼会议室" in page.text

        attend = f"{PAGE}/{sid}/attendance"
        assert post_form(client, PAGE, attend, {"department": "D01", "status": "leader",
                                                "attendee": "王某 局长"}).status_code == 303
        nameless = post_form(client, PAGE, attend, {"department": "D02", "status": "deputy"})
        assert nameless.status_code == 400 and "需填写出席人姓名和职务" in nameless.text
        outsider = post_form(client, PAGE, attend, {"department": "D99", "status": "leader", "attendee": "某"})
        assert outsider.status_code == 400 and "不在 2026 年度参评名单中" in outsider.text
        for _ in range(2):  # the second, identical post changes and audits nothing
            assert post_form(client, PAGE, attend, {"department": "D02", "status": "deputy", "attendee": "刘某 副局长",
                                                    "note": "主要领导外出"}).status_code == 303
        assert post_form(client, PAGE, attend, {"department": "D02", "status": "absent",
                                                "note": "临时有事"}).status_code == 303
        page = client.get(PAGE)
        assert "主要领导未出席（20 个部门）" in page.text
        assert "县发改委（未出席）" in page.text and "县招商局（" not in page.text

        notes = f"{PAGE}/{sid}/notes"
        for code, text in (("D01", "招商局：希望延长午间服务。"), ("D02", "发改委专属意见：审批太慢。")):
            assert post_form(client, PAGE, notes, {"department": code, "text": text}).status_code == 303
        blank = post_form(client, PAGE, notes, {"department": "D01", "text": "  "})
        assert blank.status_code == 400 and "请填写座谈会上提出的意见" in blank.text
        # a symposium id of another year, or none at all: not found, nothing stored
        assert post_form(client, PAGE, f"/office/campaigns/2030/symposium/{sid}/notes",
                         {"department": "D01", "text": "x"}).status_code == 404
        assert post_form(client, PAGE, f"{PAGE}/{sid + 999}/attendance",
                         {"department": "D01", "status": "leader", "attendee": "某"}).status_code == 404
        assert _counts(s) == (1, 2, 2)

    for who in ("l-D01", "inv"):  # only the office admin records the symposium
        with client_for(s) as client:
            login(client, who, "password-1")
            assert client.get(PAGE).status_code == 403
            assert post_form(client, "/office", f"{PAGE}/{sid}/notes",
                             {"department": "D01", "text": "伪造"}).status_code == 403
    assert _counts(s) == (1, 2, 2)

    records = [e["detail"] for e in _audit(s, "symposium.attendance")]
    assert [(r["department"], (r["old"] or {}).get("status"), r["new"]["status"]) for r in records] == [
        ("D01", None, "leader"), ("D02", None, "deputy"), ("D02", "deputy", "absent")]
    assert len(_audit(s, "symposium.record")) == 1 and len(_audit(s, "symposium.note")) == 2

    async def publish():
        await evaluation.change_state(2026, "close", actor="test")
        await publication.publish(2026, (await publication.compute_snapshot(2026, actor="test"))["version"],
                                  actor="test")

    run(s, publish)
    with client_for(s) as client:
        login(client, "l-D01", "password-1")
        own = client.get("/office/feedback")
        assert own.status_code == 200 and "不提供分项明细" in own.text  # 1 section < k: the breakdown is withheld
        assert "招商局：希望延长午间服务。" in own.text and "主要领导出席" in own.text  # the symposium is not
        assert "发改委专属意见" not in own.text and "刘某" not in own.text and "临时有事" not in own.text
    with client_for(s) as client:
        login(client, "l-D02", "password-1")
        own = client.get("/office/feedback")
        assert "发改委专属意见：审批太慢。" in own.text and "未出席" in own.text and "主要领导应出席座谈会" in own.text
        assert "招商局：希望延长午间服务。" not in own.text and "王某" not in own.text


@pytest.mark.parametrize("status, attendee, message", [
    ("leader", "王某\n局长", "只能是一行文字"), ("absent", "王某", "不填写出席人"), ("chief", "王某", "请选择出席情况"),
])
def test_bad_attendance_is_refused_and_stores_nothing(sqlite_settings, status, attendee, message):
    s = sqlite_settings
    _setup(s)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        post_form(client, PAGE, PAGE, {"held_on": clock.today().isoformat()})
        sid = run(s, lambda: Symposium.select(Symposium.id).first())["id"]
        bad = post_form(client, PAGE, f"{PAGE}/{sid}/attendance",
                        {"department": "D01", "status": status, "attendee": attendee})
        assert bad.status_code == 400 and message in bad.text
    assert _counts(s) == (1, 0, 0) and _audit(s, "symposium.attendance") == []


def test_markup_in_the_symposium_record_is_shown_as_text(sqlite_settings):
    s = sqlite_settings
    _setup(s)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        post_form(client, PAGE, PAGE, {"held_on": clock.today().isoformat(), "place": "<b>会议室</b>"})
        sid = run(s, lambda: Symposium.select(Symposium.id).first())["id"]
        post_form(client, PAGE, f"{PAGE}/{sid}/attendance",
                  {"department": "D01", "status": "leader", "attendee": '<img src=x onerror="alert(1)">'})
        post_form(client, PAGE, f"{PAGE}/{sid}/notes", {"department": "D01", "text": "<script>alert(1)</script>"})
        page = client.get(PAGE).text
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<img src=x" not in page and "<b>会议室</b>" not in page


def test_concurrent_first_records_of_one_department_leave_one_row(any_settings):
    """Two clerks saving the same department at once: one attendance row, no error (the unique slot)."""
    s = any_settings
    _setup(s)

    async def work():
        sid = await symposium.record_symposium(2026, clock.today(), "", actor="boss")
        await asyncio.gather(*(symposium.set_attendance(2026, sid, "D01", "deputy", f"副职{i}", actor="boss")
                               for i in range(12)))
        return await SymposiumAttendance.count()

    assert run(s, work) == 1
