"""Integration: the monthly window assessment end to end (SPEC §4) on SQLite and PostgreSQL — inspector entries
(versioned, audited, refused on computed items and out of bounds), the month's local-time bounds, what counts,
imports (row/column errors, nothing half-written), close → snapshot digest, read-only closed month, publication,
the public page and JSON, and the escalation ladder across published months."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pingyi.assessment import monthclose, repository, service
from pingyi.assessment.tables import MonthSnapshot, OnlineImport
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import tabular
from pingyi.complaints import service as complaints
from pingyi.core import explain
from pingyi.core.assessment import LADDER_LABELS
from pingyi.core.errors import Conflict, InvalidInput, StateError
from pingyi.ratings import repository as ratings_repo
from pingyi.ratings import service as ratings
from pingyi.ratings.tables import ServedCount

from .monthly_support import clock_at, local, rate, run_at, seed
from .webclient import client_for, login, post_form

SAMPLES = Path(__file__).resolve().parents[2] / "surveys" / "samples"
DEC_3 = (2026, 12, 3, 10, 0)  # the clock of most tests: November 2026 has ended in the office's time zone


@pytest.fixture(autouse=True)
def server_in_utc(monkeypatch):
    """The server runs in UTC; the office is in Asia/Shanghai (month bounds must come from the office's zone)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _rubric(s):
    return service.rubric_from(s.surveys_dir)


def _row(result, code):
    rows = result["result"]["rows"] if "result" in result else result["rows"]
    return next(r for r in rows if r["code"] == code)


def _item(row, item_id):
    return next(i for i in row["items"] if i["item_id"] == item_id)


def test_entries_are_versioned_audited_and_refused_on_computed_items_and_out_of_bounds(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    rubric = _rubric(s)

    async def work():
        key = await service.add_entry("2026-11", "D01", "1.1", "2.5", "迟到 2 人次", evidence="考勤截图",
                                      actor="insp", rubric=rubric)
        bonus = await service.add_entry("2026-11", "D01", "3.1", "4", "延时服务", actor="insp", rubric=rubric)
        v2 = await service.edit_entry(key, "3", "迟到 3 人次", change_reason="复核考勤", actor="insp", rubric=rubric)
        v3 = await service.withdraw_entry(bonus, "重复录入", actor="insp")
        versions = await repository.entry_versions("2026-11")
        refused = []
        for item, points, reason in [("1.6", "1", "好差评是计算项"), ("2.5", "1", "网上办件是计算项"),
                                     ("1.1", "-1", "负分"), ("1.1", "1.234", "三位小数"), ("1.1", "11", "超过满分"),
                                     ("1.1", "abc", "不是数字"), ("9.9", "1", "没有这一项"), ("1.1", "1", "")]:
            with pytest.raises(InvalidInput) as exc:
                await service.add_entry("2026-11", "D01", item, points, reason, actor="insp", rubric=rubric)
            refused.append(exc.value.message)
        with pytest.raises(InvalidInput):
            await service.add_entry("2027-01", "D01", "1.1", "1", "未来的月份", actor="insp", rubric=rubric)
        preview, _ = await monthclose.preview("2026-11", rubric)
        audited = await AuditEntry.count().where(AuditEntry.action.like("assessment.entry.%"))
        return key, v2, v3, versions, refused, preview, audited

    key, v2, v3, versions, refused, preview, audited = run_at(s, clock, work)
    assert (v2, v3) == (2, 2)
    mine = [v for v in versions if v.entry_key == key]
    assert [(v.version, v.points, v.withdrawn) for v in mine] == [(1, "2.50", False), (2, "3.00", False)]
    assert mine[1].change_reason == "复核考勤" and mine[0].reason == "迟到 2 人次"  # the old version is kept
    withdrawn = [v for v in versions if v.entry_key != key]
    assert [(v.version, v.withdrawn) for v in withdrawn] == [(1, False), (2, True)]
    assert [e.entry_key for e in repository.current(versions)] == [key]
    assert audited == 4
    assert all(refused) and len(refused) == 8
    from pingyi.core.snapshot import to_plain

    row = _row(to_plain(preview), "D01")
    assert _item(row, "1.1")["published"] == "7.00"  # 10 − 3 (the edited entry; version 1 no longer counts)
    assert _item(row, "3.1")["published"] == "0.00"  # the withdrawn bonus counts nothing


def test_month_bounds_are_local_midnight_and_only_counted_ratings_count(any_settings):
    """A rating at 23:59 local on 30 November counts in November, one at 00:00 on 1 December does not (server in
    UTC, office Asia/Shanghai: 00:00 local is 16:00 UTC the day before). Flagged presses and dismissed 差评 never
    count; arm events are served transactions; a web rating is told apart by channel."""
    s, clock = any_settings, clock_at(*DEC_3)
    t = run_at(s, clock, lambda: seed(s))

    async def work():
        inside = await rate(t["D01"], local(2026, 11, 30, 23, 59), 1)
        await rate(t["D01"], local(2026, 12, 1, 0, 0), 1)  # December
        await rate(t["D01"], local(2026, 11, 1, 0, 0), 5)  # the first instant of November
        await rate(t["D01"], local(2026, 10, 31, 23, 59), 5)  # October
        await rate(t["D01"], local(2026, 11, 10, 9, 0), 5, flags="repeat")
        await rate(t["D01"], local(2026, 11, 10, 9, 1), 1, flags="unarmed")
        await rate(t["D01"], local(2026, 11, 10, 9, 2), 2, dismissed=True)
        await rate(t["D01"], local(2026, 11, 10, 9, 3), 4, channel="web")
        for minute in range(3):
            await rate(t["D01"], local(2026, 11, 10, 8, minute), None, kind="arm")
        start, end = monthclose.bounds("2026-11")
        facts = {f.department_code: f for f in await ratings_repo.month_rating_facts(start, end, "2026-11")}
        payload = await monthclose.close_month("2026-11", "boss", rubric=_rubric(s))
        return inside, start, end, facts, payload

    inside, start, end, facts, payload = run_at(s, clock, work)
    assert start.isoformat() == "2026-10-31T16:00:00+00:00" and end.isoformat() == "2026-11-30T16:00:00+00:00"
    d01 = facts["D01"]
    assert {(c.channel, c.counted, c.bad) for c in d01.by_channel} == {("terminal", 2, 1), ("web", 1, 0)}
    assert d01.bad_refs == (inside,) and d01.arm_events == 3 and d01.served is None
    stored = next(d for d in payload["inputs"]["departments"] if d["code"] == "D01")["ratings"]
    assert (stored["counted"], stored["bad"], stored["arm_events"]) == (3, 1, 3)
    assert stored["bad_refs"] == [inside]
    # participation 3/3 = 100 % > 80 % → +5; satisfaction 10 − 5 for the one 差评 → 5; item 1.6 = 10
    assert _item(_row(payload, "D01"), "1.6")["published"] == "10.00"
    assert inside in " ".join(explain.lines(_item(_row(payload, "D01"), "1.6")["explanation_steps"]))


def test_bad_rating_keys_follow_the_rule_even_when_the_stored_column_disagrees(any_settings):
    """The 差评 keys query is narrowed by the stored `bad` column for speed; a row whose column disagrees with
    bad_sql() (stored under an older rule) must still be listed, and a row the column calls bad but the rule does
    not must not be."""
    s, clock = any_settings, clock_at(*DEC_3)
    t = run_at(s, clock, lambda: seed(s))

    async def work():
        odd = await rate(t["D03"], local(2026, 11, 4, 9, 0), 1, stored_bad=False)
        plain = await rate(t["D03"], local(2026, 11, 4, 9, 1), 2)
        await rate(t["D03"], local(2026, 11, 4, 9, 2), 5, stored_bad=True)
        start, end = monthclose.bounds("2026-11")
        facts = {f.department_code: f for f in await ratings_repo.month_rating_facts(start, end, "2026-11")}
        return odd, plain, facts["D03"]

    odd, plain, d03 = run_at(s, clock, work)
    assert d03.bad_refs == tuple(sorted((odd, plain)))
    assert [(c.counted, c.bad) for c in d03.by_channel] == [(3, 2)]


def test_served_import_takes_precedence_and_complaints_of_the_month_count(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    t = run_at(s, clock, lambda: seed(s))

    async def work():
        for minute in range(4):
            await rate(t["D02"], local(2026, 11, 5, 9, minute), 5)
            await rate(t["D02"], local(2026, 11, 5, 8, minute), None, kind="arm")
        # 办件量 10 for D02's window: 4 / 10 = 40 % < 50 % → −5 (the 4 arm events are ignored)
        await ratings.import_served_file("窗口编码,月份,办件量\nW-D02,2026-11,10\n".encode(), "served.csv",
                                         actor="insp")
        code = await complaints.file_complaint("D02", "窗口推诿", received_on="2026-10-20", actor="investigator")
        await complaints.act(code, "investigate", actor="investigator")
        await complaints.act(code, "substantiate", actor="investigator", reason="属实", severity="serious",
                             decided_on="2026-11-30")
        late = await complaints.file_complaint("D02", "十二月的", received_on="2026-11-20", actor="investigator")
        await complaints.act(late, "investigate", actor="investigator")
        await complaints.act(late, "substantiate", actor="investigator", reason="属实", severity="general",
                             decided_on="2026-12-01")
        result, _ = await monthclose.preview("2026-11", _rubric(s))
        return code, result

    code, result = run_at(s, clock, work)
    from pingyi.core.snapshot import to_plain

    item = _item(_row(to_plain(result), "D02"), "1.6")
    # participation −5, satisfaction 10 − 10 (造成较坏影响) = 0 → floored at 0; the December decision is not counted
    assert item["published"] == "0.00"
    text = " ".join(explain.lines(item["explanation_steps"]))
    assert code in text and "W-D02=10" in text
    assert f"{code}（认定日期 2026-11-30，造成较坏影响，−10）" in text  # issue 10: each complaint with date and points


def test_online_import_errors_name_row_and_column_and_a_bad_file_changes_nothing(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    header = "单位编码,月份,网上办件数,办件总数,超时红牌数\n"

    async def work():
        n = await service.import_online((header + "D01,2026-11,50,100,0\nD02,2026-11,10,100,1\n").encode(),
                                        "good.csv", "2026-11", actor="insp")
        bad = header + ("D01,2026-11,99,100,0\n"  # a good row: must not be written either
                        "D02,2026-11,abc,100,0\n"
                        "D99,2026-11,1,2,0\n"
                        "D03,2026-10,1,2,0\n"
                        "D04,2026-11,5,3,0\n"
                        "D05,2026-11,1,2,-1\n"
                        "D01,2026-11,1,1,0\n")
        with pytest.raises(InvalidInput) as csv_error:
            await service.import_online(bad.encode(), "bad.csv", "2026-11", actor="insp")
        xlsx = tabular.xlsx_bytes([["单位编码", "月份", "网上办件数", "办件总数", "超时红牌数"],
                                   ["D01", "2026-11", 1, 2, 0], ["D02", "2026-11", 3.5, 2, 0]])
        with pytest.raises(InvalidInput) as xlsx_error:
            await service.import_online(xlsx, "bad.xlsx", "2026-11", actor="insp")
        with pytest.raises(InvalidInput) as header_error:
            await service.import_online("单位编码,月份,办件总数\nD01,2026-11,1\n".encode(), "h.csv", "2026-11",
                                        actor="insp")
        with pytest.raises(InvalidInput):
            await service.import_online(b"PK\x03\x04 not really a zip", "x.xlsx", "2026-11", actor="insp")
        rows = await repository.online_rows("2026-11")
        audited = await AuditEntry.count().where(AuditEntry.action == "assessment.online.import")
        return n, csv_error.value, xlsx_error.value, header_error.value, rows, audited

    n, csv_error, xlsx_error, header_error, rows, audited = run_at(s, clock, work)
    assert n == 2 and audited == 1
    assert (rows["D01"].online, rows["D01"].processed) == (50, 100)  # unchanged by the refused file
    msg = csv_error.message
    for expected in ("第 3 行 网上办件数", "第 4 行 单位编码", "第 5 行 月份", "第 6 行 网上办件数",
                     "第 7 行 超时红牌数", "第 8 行 单位编码"):
        assert expected in msg, (expected, msg)
    assert len(csv_error.details["errors"]) == 6  # every problem at once
    assert "第 3 行 网上办件数" in xlsx_error.message
    assert "第 1 行" in header_error.message and "网上办件数" in header_error.message


def test_samples_import_from_csv_and_xlsx(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    online = (SAMPLES / "online-2026-11.csv").read_bytes()
    served = (SAMPLES / "served-2026-11.csv").read_bytes()

    async def work():
        n_online = await service.import_online(online, "online-2026-11.csv", "2026-11", actor="insp")
        n_served = await ratings.import_served_file(served, "served-2026-11.csv", actor="insp")
        table = tabular.read_table(served, "served-2026-11.csv", ratings.SERVED_COLUMNS)
        xlsx = tabular.xlsx_bytes([["窗口编码", "月份", "办件量"], *[list(v) for _, v in table.rows]])
        n_xlsx = await ratings.import_served_file(xlsx, "served.xlsx", actor="insp")
        with pytest.raises(InvalidInput) as unknown:
            await ratings.import_served_file("窗口编码,月份,办件量\nW-X,2026-11,1\nW-D01,2026-13,1\n".encode(),
                                             "s.csv", actor="insp")
        return n_online, n_served, n_xlsx, unknown.value.message, await repository.online_rows("2026-11")

    n_online, n_served, n_xlsx, unknown, rows = run_at(s, clock, work)
    assert (n_online, n_served, n_xlsx) == (21, 4, 4) and len(rows) == 21
    assert "第 3 行 月份" in unknown


def test_close_snapshot_digest_is_stable_and_changes_with_an_input_and_the_closed_month_is_read_only(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    rubric = _rubric(s)

    async def work():
        with pytest.raises(StateError):  # December has not ended
            await monthclose.close_month("2026-12", "boss", rubric=rubric)
        await service.add_entry("2026-11", "D03", "1.3", "1", "桌面不整洁", actor="insp", rubric=rubric)
        v1 = await monthclose.close_month("2026-11", "boss", rubric=rubric)
        with pytest.raises(Conflict):
            await monthclose.close_month("2026-11", "boss", rubric=rubric)
        with pytest.raises(StateError):
            await service.add_entry("2026-11", "D03", "1.3", "1", "又一次", actor="insp", rubric=rubric)
        with pytest.raises(StateError):
            await service.import_online("单位编码,月份,网上办件数,办件总数,超时红牌数\nD01,2026-11,1,2,0\n".encode(),
                                        "o.csv", "2026-11", actor="insp")
        with pytest.raises(StateError):
            await service.import_served("窗口编码,月份,办件量\nW-D01,2026-11,5\n".encode(), "s.csv", actor="insp")
        await monthclose.reopen_month("2026-11", "复核无变化", actor="boss")
        v2 = await monthclose.close_month("2026-11", "boss", rubric=rubric)
        await monthclose.reopen_month("2026-11", "补录加分", actor="boss")
        await service.add_entry("2026-11", "D03", "3.1", "2", "延时服务", actor="insp", rubric=rubric)
        v3 = await monthclose.close_month("2026-11", "boss", rubric=rubric)
        stored = await MonthSnapshot.select(MonthSnapshot.version, MonthSnapshot.digest).where(
            MonthSnapshot.month == "2026-11").order_by(MonthSnapshot.version)
        return v1, v2, v3, stored

    v1, v2, v3, stored = run_at(s, clock, work)
    assert [r["version"] for r in stored] == [1, 2, 3]
    assert v1["digest"] == v2["digest"] != v3["digest"]
    assert (v2["reason"], v3["reason"]) == ("复核无变化", "补录加分")
    assert _row(v1, "D03")["published_total"] != _row(v3, "D03")["published_total"]
    entry = next(d for d in v1["inputs"]["departments"] if d["code"] == "D03")["entries"][0]
    assert entry["reason"] == "桌面不整洁" and entry["points"] == "1.00"
    from pingyi.core.snapshot import inputs_digest

    assert inputs_digest(v3["inputs"]) == v3["digest"]  # the digest covers exactly the stored inputs

    with client_for(s, clock=clock) as client:
        login(client, "insp", "password-1")
        page = client.get("/office/monthly?month=2026-11&department=D03")
        assert page.status_code == 200 and "只读" in page.text
        assert "/office/monthly/2026-11/entries/D03" not in page.text  # forms gone
        refused = post_form(client, "/office/monthly?month=2026-12&department=D03",
                            "/office/monthly/2026-11/entries/D03",
                            {"item_id": "1.3", "points": "1", "reason": "结账后补录"})
        assert refused.status_code == 409 and "已结账" in refused.text
        open_page = client.get("/office/monthly?month=2026-12&department=D03")
        assert "/office/monthly/2026-12/entries/D03" in open_page.text and "预览" in open_page.text
        added = post_form(client, "/office/monthly?month=2026-12&department=D03",
                          "/office/monthly/2026-12/entries/D03",
                          {"item_id": "1.6", "points": "1", "reason": "计算项不能录入"})
        assert added.status_code == 400
        assert client.post("/office/monthly/2026-11/close", data={}).status_code == 403  # no CSRF / not admin


def test_web_entry_veto_close_publish_and_public_page_with_the_vetoed_reason(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    page = "/office/monthly?month=2026-11&department=D01"
    with client_for(s, clock=clock) as client:
        login(client, "liaison", "password-1")
        assert client.get(page).status_code == 403
    with client_for(s, clock=clock) as client:
        login(client, "insp", "password-1")
        # D01 gets the top score by a bonus, then a veto: it keeps rank 1 but is not 优秀
        ok = post_form(client, page, "/office/monthly/2026-11/entries/D01",
                       {"item_id": "3.1", "points": "5", "reason": "预约服务"})
        assert ok.status_code == 303
        for code in ("D19", "D20", "D21"):
            assert post_form(client, page, f"/office/monthly/2026-11/entries/{code}",
                             {"item_id": "1.1", "points": "2", "reason": "空岗"}).status_code == 303
        assert post_form(client, page, "/office/monthly/2026-11/entries/D21",
                         {"item_id": "1.2", "points": "3", "reason": "未按时准备"}).status_code == 303
        bad_ground = post_form(client, page, "/office/monthly/2026-11/veto/D01",
                               {"action": "set", "ground": "其他", "note": "说明"})
        assert bad_ground.status_code == 400
        vetoed = post_form(client, page, "/office/monthly/2026-11/veto/D01",
                           {"action": "set", "ground": "call_skipping", "note": "11 月 12 日窗口压号不叫"})
        assert vetoed.status_code == 303
        shown = client.get(page)
        assert "已否决" in shown.text and "压号不叫" in shown.text and "110.00" not in shown.text.split("总分")[0]
        assert post_form(client, page, "/office/monthly/2026-11/close", {}).status_code == 403
    with client_for(s, clock=clock) as client:
        login(client, "boss", "password-1")
        assert client.get("/monthly/2026-11").status_code == 404  # not yet published
        assert post_form(client, page, "/office/monthly/2026-11/close", {}).status_code == 303
        assert post_form(client, page, "/office/monthly/2026-11/publish", {}).status_code == 303
        again = post_form(client, page, "/office/monthly/2026-11/publish", {})
        assert again.status_code == 409 and "不能重复公布" in again.text
    with client_for(s, clock=clock) as public:
        html = public.get("/monthly/2026-11")
        assert html.status_code == 200
        assert "一票否决：压号不叫：11 月 12 日窗口压号不叫" in html.text and "较差窗口单位" in html.text
        assert public.get("/monthly").status_code == 200 and "/monthly/2026-11" in public.get("/monthly").text
        doc = public.get("/api/v1/monthly/2026-11").json()
        assert public.get("/api/v1/monthly").json() == {"months": ["2026-11"]}
        assert public.get("/api/v1/monthly/2026-13").status_code == 400
        assert public.get("/api/v1/monthly/2026-10").status_code == 404
        schema = public.get("/schema/openapi.json").json()
        assert "MonthlyDocument" in json.dumps(schema["components"]["schemas"])
    rows = {r["code"]: r for r in doc["rows"]}
    assert doc["rows"][0]["code"] == "D01" and rows["D01"]["rank"] == 1 and rows["D01"]["total"] == "115.00"
    assert rows["D01"]["vetoed"] and rows["D01"]["award"] is None and "压号不叫" in rows["D01"]["veto_reason"]
    excellent = [r["code"] for r in doc["rows"] if r["award"] == "excellent"]
    assert "D01" not in excellent and excellent  # the next eligible departments take the places
    assert rows["D21"]["award"] == "poor" and rows["D21"]["ladder_step"] == 1
    assert rows["D21"]["ladder_history"] == [{"month": "2026-11", "step": 1, "label": rows["D21"]["ladder_label"]}]
    assert "contact" not in json.dumps(doc) and "liaison" not in json.dumps(doc)


def test_correction_after_publication_is_a_new_version_and_the_page_lists_earlier_ones(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    rubric = _rubric(s)

    async def work():
        with pytest.raises(StateError):
            await monthclose.publish_month("2026-11", "boss")  # not closed
        await monthclose.close_month("2026-11", "boss", rubric=rubric)
        assert await monthclose.publish_month("2026-11", "boss") == 1
        with pytest.raises(Conflict):
            await monthclose.publish_month("2026-11", "boss")
        with pytest.raises(InvalidInput):
            await monthclose.reopen_month("2026-11", " ", actor="boss")
        await monthclose.reopen_month("2026-11", "漏录 D05 扣分", actor="boss")
        with pytest.raises(StateError):
            await monthclose.publish_month("2026-11", "boss")  # reopened: close again first
        still = await monthclose.monthly_document("2026-11")
        await service.add_entry("2026-11", "D05", "1.4", "5", "本月未集中学习", actor="insp", rubric=rubric)
        await monthclose.close_month("2026-11", "boss", rubric=rubric)
        assert await monthclose.publish_month("2026-11", "boss") == 2
        doc = await monthclose.monthly_document("2026-11")
        audited = await AuditEntry.count().where(AuditEntry.action == "assessment.month.publish")
        return still, doc, audited

    still, doc, audited = run_at(s, clock, work)
    assert still.version == 1  # the published version stays public during the correction
    assert doc.version == 2 and doc.reason == "漏录 D05 扣分" and [v.version for v in doc.versions] == [2, 1]
    assert audited == 2
    assert next(r for r in doc.rows if r.code == "D05").total == "105.00"
    with client_for(s, clock=clock) as public:
        html = public.get("/monthly/2026-11").text
    assert "历次公布的版本" in html and "更正理由：漏录 D05 扣分" in html and "公布于 2026-12-03 10:00" in html


def _close_and_publish(s, month, clock, *, publish=True, last="D21"):
    rubric = _rubric(s)

    async def work():
        await service.add_entry(month, last, "1.1", "5", "空岗", actor="insp", rubric=rubric)
        await monthclose.close_month(month, "boss", rubric=rubric)
        if publish:
            await monthclose.publish_month(month, "boss")
        return await monthclose.latest_payload(month)

    return _row(run_at(s, clock, work), last)


def test_ladder_runs_across_the_year_boundary_and_breaks_on_an_unpublished_month(any_settings):
    s = any_settings
    run_at(s, clock_at(*DEC_3), lambda: seed(s))
    nov = _close_and_publish(s, "2026-11", clock_at(*DEC_3))
    dec = _close_and_publish(s, "2026-12", clock_at(2027, 1, 2, 10, 0))
    jan = _close_and_publish(s, "2027-01", clock_at(2027, 2, 2, 10, 0))
    feb = _close_and_publish(s, "2027-02", clock_at(2027, 3, 2, 10, 0))
    mar = _close_and_publish(s, "2027-03", clock_at(2027, 4, 2, 10, 0), publish=False)
    apr = _close_and_publish(s, "2027-04", clock_at(2027, 5, 2, 10, 0))
    assert [(r["award"], r["ladder_run"], r["ladder_step"]) for r in (nov, dec, jan, feb, mar, apr)] == [
        ("poor", 1, 1), ("poor", 2, 2), ("poor", 3, 3), ("poor", 4, 3), ("poor", 5, 3), ("poor", 1, 1)]
    labels = (nov["ladder_label"], dec["ladder_label"], jan["ladder_label"], feb["ladder_label"])
    assert labels == (LADDER_LABELS[1], LADDER_LABELS[2], LADDER_LABELS[3], LADDER_LABELS[3])
    assert labels[0] == "通报批评" and "200 元" in labels[1] and labels[2].startswith("约谈")

    async def docs():
        return await monthclose.monthly_document("2027-02"), await monthclose.monthly_document("2027-04")

    feb_doc, apr_doc = run_at(s, clock_at(2027, 5, 2, 10, 0), docs)
    history = next(r for r in feb_doc.rows if r.code == "D21").ladder_history
    assert [(h.month, h.step) for h in history] == [("2026-11", 1), ("2026-12", 2), ("2027-01", 3), ("2027-02", 3)]
    assert [(h.month, h.step) for h in next(r for r in apr_doc.rows if r.code == "D21").ladder_history] == [
        ("2027-04", 1)]  # 2027-03 was closed but never published: the run broke


def test_cli_month_commands_and_exit_2_on_bad_input(sqlite_settings, tmp_path):
    import subprocess
    import sys

    s = sqlite_settings
    from pingyi.clock import SystemClock

    run_at(s, SystemClock("Asia/Shanghai"), lambda: seed(s))  # type: ignore[arg-type]
    env = {**os.environ, "PINGYI_DATA_DIR": str(tmp_path), "PINGYI_SECRET_KEY": "0" * 64,
           "PINGYI_DATABASE_URL": s.database.url}

    def pingyi(*args):
        return subprocess.run([sys.executable, "-m", "pingyi", "month", *args], env=env, capture_output=True,
                              text=True, timeout=120)

    imported = pingyi("import-online", "--month", "2026-11", str(SAMPLES / "online-2026-11.csv"))
    assert imported.returncode == 0, imported.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("单位编码,月份,网上办件数,办件总数,超时红牌数\nD01,2026-11,x,1,0\n", encoding="utf-8")
    refused = pingyi("import-online", "--month", "2026-11", str(bad))
    assert refused.returncode == 2 and "第 2 行 网上办件数" in refused.stderr and refused.stderr.count("\n") == 1
    for args in (("close", "--month", "2026-13"), ("show", "--month", "11/2026"), ("publish", "--month", "2026-11"),
                 ("import-online", "--month", "2026-11", str(tmp_path / "missing.csv"))):
        out = pingyi(*args)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, (args, out.stderr)
    preview = pingyi("show", "--month", "2026-11", "--format", "json")
    assert preview.returncode == 0 and json.loads(preview.stdout)["source"] == "preview"
    assert pingyi("close", "--month", "2026-11").returncode == 0
    assert pingyi("publish", "--month", "2026-11").returncode == 0
    assert pingyi("publish", "--month", "2026-11").returncode == 2
    # 办件量 for the closed month is refused by both spellings of the import, with one line and nothing stored
    def served_rows():
        return ServedCount.raw("SELECT count(*) AS n FROM served_count")

    before = run_at(s, SystemClock("Asia/Shanghai"), served_rows)  # type: ignore[arg-type]
    for argv in (["month", "import-served"], ["served", "import"]):
        late = subprocess.run([sys.executable, "-m", "pingyi", *argv, str(SAMPLES / "served-2026-11.csv")], env=env,
                              capture_output=True, text=True, timeout=120)
        assert late.returncode == 2 and "已结账" in late.stderr and late.stderr.count("\n") == 1, (argv, late.stderr)
    assert run_at(s, SystemClock("Asia/Shanghai"), served_rows) == before  # type: ignore[arg-type]
    shown = pingyi("show", "--month", "2026-11")
    assert shown.returncode == 0 and "第 1 版" in shown.stdout and "D01" in shown.stdout
    rows = run_at(s, SystemClock("Asia/Shanghai"), lambda: OnlineImport.count())  # type: ignore[arg-type]
    assert rows == 21


def test_a_month_being_closed_refuses_entries_and_a_failed_close_reopens_it(any_settings, monkeypatch):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    rubric = _rubric(s)

    async def broken(month):
        raise RuntimeError("facts unavailable")

    async def work():
        with monkeypatch.context() as patch:
            patch.setattr(monthclose, "gather", broken)
            with pytest.raises(RuntimeError):
                await monthclose.close_month("2026-11", "boss", rubric=rubric)
        after_failure = await service.state_name("2026-11")
        await repository.set_month_state("2026-11", service.CLOSING, "boss")  # as a crash mid-close leaves it
        with pytest.raises(StateError):
            await service.add_entry("2026-11", "D01", "1.1", "1", "结账中录入", actor="insp", rubric=rubric)
        with pytest.raises(StateError):
            await monthclose.publish_month("2026-11", "boss")
        payload = await monthclose.close_month("2026-11", "boss", rubric=rubric)  # a stale close can be redone
        return after_failure, payload["version"], await service.state_name("2026-11")

    assert run_at(s, clock, work) == ("open", 1, "closed")


def test_office_upload_of_both_imports_with_csrf_and_row_errors_on_the_page(any_settings):
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    page = "/office/monthly?month=2026-11&department=D01"
    online = (SAMPLES / "online-2026-11.csv").read_bytes()
    with client_for(s, clock=clock) as client:
        login(client, "insp", "password-1")
        from .webclient import csrf_from

        token = csrf_from(client.get(page).text)
        done = client.post("/office/monthly/2026-11/import-online", data={"_csrf_token": token},
                           files={"file": ("online-2026-11.csv", online, "text/csv")})
        assert done.status_code == 200 and "已导入 21 行" in done.text
        xlsx = tabular.xlsx_bytes([["窗口编码", "月份", "办件量"], ["W-D01", "2026-11", 30], ["W-D09", "2026-11", 1]])
        bad = client.post("/office/monthly/2026-11/import-served", data={"_csrf_token": token},
                          files={"file": ("served.xlsx", xlsx, "application/octet-stream")})
        assert bad.status_code == 400 and "第 3 行 窗口编码" in bad.text
        none = client.post("/office/monthly/2026-11/import-online", data={"_csrf_token": token})
        assert none.status_code == 400 and "请选择" in none.text
        forged = client.post("/office/monthly/2026-11/import-online",
                             files={"file": ("online-2026-11.csv", online, "text/csv")})
        assert forged.status_code == 403  # no CSRF token
        ok = client.post("/office/monthly/2026-11/import-served", data={"_csrf_token": token},
                         files={"file": ("served.xlsx", xlsx[:0] + tabular.xlsx_bytes(
                             [["窗口编码", "月份", "办件量"], ["W-D01", "2026-11", 30]]), "application/octet-stream")})
        assert ok.status_code == 200 and "已导入 1 行办件量" in ok.text
    with client_for(s, clock=clock) as client:
        login(client, "liaison", "password-1")
        assert client.get(page).status_code == 403
    assert len(run_at(s, clock, lambda: repository.online_rows("2026-11"))) == 21


def test_hostile_input_is_escaped_bounded_and_refused(any_settings):
    """Markup in a reason is shown as text on the public page; an over-long reason, a forged veto ground, a file
    that is not a spreadsheet, a huge upload and a month that is no month are refused without a 500."""
    s, clock = any_settings, clock_at(*DEC_3)
    run_at(s, clock, lambda: seed(s))
    rubric = _rubric(s)

    async def work():
        await service.add_entry("2026-11", "D02", "1.1", "1", "<script>alert(1)</script>", actor="insp",
                                rubric=rubric)
        with pytest.raises(InvalidInput):
            await service.add_entry("2026-11", "D02", "1.1", "1", "长" * 501, actor="insp", rubric=rubric)
        with pytest.raises(InvalidInput):
            await service.set_veto("2026-11", "D02", "<b>x</b>", "说明", actor="insp")
        with pytest.raises(InvalidInput):
            await service.import_online(b"\x00\x01\x02binary", "../../etc/passwd", "2026-11", actor="insp")
        await monthclose.close_month("2026-11", "boss", rubric=rubric)
        await monthclose.publish_month("2026-11", "boss")

    run_at(s, clock, work)
    with client_for(s, clock=clock) as client:
        html = client.get("/monthly/2026-11").text
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
        for month in ("2026-1", "../2026-11", "2026-11%00", "９９９９-11", "2026-00"):
            response = client.get(f"/api/v1/monthly/{month}")
            assert response.status_code in (400, 404), (month, response.status_code)
        login(client, "insp", "password-1")
        from .webclient import csrf_from

        token = csrf_from(client.get("/office/monthly?month=2026-12").text)
        huge = client.post("/office/monthly/2026-12/import-online", data={"_csrf_token": token},
                           files={"file": ("big.csv", b"a" * (400 * 1024), "text/csv")})
        assert huge.status_code in (400, 413)
        assert client.get("/office/monthly?month=abc").status_code == 400
