"""Integration: the office campaign form over HTTP — every field the CLI takes, the year default, a draft's edit
page, refusals naming the field, deactivated departments refused, each change audited once (SPEC §2, §7, §8)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.clock import FixedClock
from pingyi.evaluation import service as evaluation
from pingyi.evaluation.tables import Campaign
from pingyi.hall import service as hall

from .helpers import run
from .webclient import client_for, login, post_form

# 2030-06-01 10:00 in Beijing
CLOCK_2030 = datetime(2030, 6, 1, 2, 0, tzinfo=UTC)


def _setup(s, *, deactivate: tuple[str, ...] = ()):
    """The catalog's departments (some deactivated by a sync without them), and an admin."""
    catalog = load_catalog(s.surveys_dir)

    async def work():
        await hall.add_missing_departments(catalog.departments)
        if deactivate:
            await hall.sync_departments([d for d in catalog.departments if d.code not in deactivate], actor="test")
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(s, work)
    return catalog


def _draft(s, year: int, **kwargs):
    catalog = load_catalog(s.surveys_dir)
    codes = kwargs.pop("codes", [d.code for d in catalog.departments])
    run(s, lambda: evaluation.create_campaign(year, f"{year}年度外来投资企业民主评议", catalog.questionnaire, codes,
                                              actor="test", **kwargs))


def _row(s, year: int):
    async def work():
        row = await Campaign.select().where(Campaign.year == year).first()
        if row and isinstance(row["department_codes"], str):
            import json

            row["department_codes"] = json.loads(row["department_codes"])
        return row

    return run(s, work)


def _audit(s, action: str) -> list[dict]:
    import json

    async def work():
        return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.seq)

    return [{**r, "detail": json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]}
            for r in run(s, work)]


def _counts(s) -> tuple[int, int]:
    async def work():
        return await Campaign.count(), await AuditEntry.count()

    return run(s, work)


FULL = {"year": "2031", "title": "2031年度县政务服务评议", "k": "7", "cards_from": "2031-12-01",
        "symposium_on": "2031-12-10", "complaint_from": "2031-02-01", "complaint_to": "2031-11-30",
        "departments": ["D01", "D03", "D05"]}


def test_create_with_every_field_the_cli_takes(any_settings):
    s = any_settings
    catalog = _setup(s)
    with client_for(s, clock=FixedClock(CLOCK_2030)) as client:
        login(client, "boss", "password-1")
        page = client.get("/office/campaigns").text
        # every active department offered as a ticked checkbox
        ticked = re.findall(r'name="departments" value="([^"]+)" checked', page)
        assert ticked == [d.code for d in catalog.departments]
        for name in ("year", "title", "k", "cards_from", "symposium_on", "complaint_from", "complaint_to"):
            assert f'name="{name}"' in page
        created = post_form(client, "/office/campaigns", "/office/campaigns", FULL)
        assert created.status_code == 303 and created.headers["location"] == "/office/campaigns/2031"
        shown = client.get("/office/campaigns/2031").text
        assert "2031年度县政务服务评议" in shown and 'value="2031-12-10"' in shown
    row = _row(s, 2031)
    assert row["state"] == "draft" and row["title"] == "2031年度县政务服务评议" and row["small_cell_k"] == 7
    assert row["department_codes"] == ["D01", "D03", "D05"]
    assert (row["cards_from"], row["symposium_on"]) == (date(2031, 12, 1), date(2031, 12, 10))
    assert (row["complaint_from"], row["complaint_to"]) == (date(2031, 2, 1), date(2031, 11, 30))
    [entry] = _audit(s, "campaign.create")
    assert entry["actor"] == "boss" and entry["subject"] == "campaign:2031"
    assert entry["detail"]["departments"] == ["D01", "D03", "D05"] and entry["detail"]["k"] == 7
    assert entry["detail"]["symposium_on"] == "2031-12-10"


@pytest.mark.parametrize("change, needle", [
    ({"k": "0"}, "小样本保护阈值 k应在 1–50 之间"),
    ({"k": "51"}, "小样本保护阈值 k应在 1–50 之间"),
    ({"k": "99999999999999999999"}, "小样本保护阈值 k必须是整数"),
    ({"year": "二〇三一"}, "年度必须是整数"),
    ({"year": "1999"}, "年度必须是 2000–2100"),
    ({"complaint_from": "2031-12-01", "complaint_to": "2031-11-30"},
     "投诉统计期开始日期（2031-12-01）晚于投诉统计期结束日期"),
    ({"cards_from": "2031-12-06"}, "评议卡发放日期（2031-12-06）应至少在座谈会日期（2031-12-10）前 5 天"),
    ({"symposium_on": "2031-02-30"}, "座谈会日期不是有效日期"),
    ({"cards_from": "12/01/2031"}, "评议卡发放日期格式应为 YYYY-MM-DD"),
    ({"departments": []}, "参评部门：请至少选择一个部门"),
    ({"departments": ["D01", "X99"]}, "参评部门代码无效：X99"),
    ({"title": "名称" * 70}, "名称不能超过 128 个字"),
], ids=["k0", "k51", "k-huge", "year-text", "year-range", "window-order", "cards-late", "bad-date", "date-format",
        "no-department", "unknown-department", "long-title"])
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_stored(sqlite_settings, change, needle):
    s = sqlite_settings
    _setup(s)
    before = _counts(s)
    with client_for(s, clock=FixedClock(CLOCK_2030)) as client:
        login(client, "boss", "password-1")
        after_login = _counts(s)  # the login itself is audited
        refused = post_form(client, "/office/campaigns", "/office/campaigns", {**FULL, **change})
        assert refused.status_code == 400 and needle in refused.text, refused.text[-2000:]
        # the form comes back with what was typed
        if "title" not in change:
            assert 'value="2031年度县政务服务评议"' in refused.text
    assert before[0] == 0 and _counts(s) == after_login


@pytest.mark.pg
@pytest.mark.parametrize("change, needle", [({"k": "51"}, "1–50"), ({"title": "a\u202eb"}, "控制字符")],
                         ids=["k51", "control-character"])
def test_bad_fields_refused_on_postgresql_too(pg_settings, change, needle):
    s = pg_settings
    _setup(s)
    with client_for(s, clock=FixedClock(CLOCK_2030)) as client:
        login(client, "boss", "password-1")
        after_login = _counts(s)
        refused = post_form(client, "/office/campaigns", "/office/campaigns", {**FULL, **change})
        assert refused.status_code == 400 and needle in refused.text
        assert _counts(s) == after_login


def test_a_deactivated_department_cannot_join_a_new_campaign(any_settings):
    s = any_settings
    _setup(s, deactivate=("D02",))
    with client_for(s, clock=FixedClock(CLOCK_2030)) as client:
        login(client, "boss", "password-1")
        page = client.get("/office/campaigns").text
        offered = re.findall(r'name="departments" value="([^"]+)"', page)
        assert "D02" not in offered and "D01" in offered
        before = _counts(s)
        refused = post_form(client, "/office/campaigns", "/office/campaigns", {**FULL, "departments": ["D01", "D02"]})
        assert refused.status_code == 400
        assert "参评部门已停用" in refused.text and "县发改委（D02）" in refused.text
        assert _counts(s) == before
    # the service refuses it whoever calls (the CLI goes through the same function)
    from pingyi.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="县发改委"):
        _draft(s, 2032, codes=["D01", "D02"])


def test_the_year_defaults_to_the_first_year_without_a_campaign_in_the_office_time_zone(any_settings):
    s = any_settings
    _setup(s)
    _draft(s, 2030)
    _draft(s, 2031)
    _draft(s, 2033)
    # 20:00 UTC on 31 December 2029 is already 1 January 2030 in Beijing: 2030 and 2031 are taken → 2032
    with client_for(s, clock=FixedClock(datetime(2029, 12, 31, 20, 0, tzinfo=UTC))) as client:
        login(client, "boss", "password-1")
        page = client.get("/office/campaigns").text
        assert re.search(r'name="year" value="2032"', page), page
    with client_for(s, clock=FixedClock(datetime(2034, 3, 1, 2, 0, tzinfo=UTC))) as client:
        login(client, "boss", "password-1")
        assert re.search(r'name="year" value="2034"', client.get("/office/campaigns").text)


def test_a_draft_is_edited_field_by_field_and_audited_once(any_settings):
    s = any_settings
    _setup(s)
    _draft(s, 2031)
    with client_for(s, clock=FixedClock(CLOCK_2030)) as client:
        login(client, "boss", "password-1")
        page = client.get("/office/campaigns/2031").text
        assert 'action="/office/campaigns/2031/edit"' in page and "readonly" not in page
        edited = post_form(client, "/office/campaigns/2031", "/office/campaigns/2031/edit", FULL)
        assert edited.status_code == 303
        unchanged = post_form(client, "/office/campaigns/2031", "/office/campaigns/2031/edit", FULL)
        assert unchanged.status_code == 303  # nothing changed: nothing written, nothing audited
        bad = post_form(client, "/office/campaigns/2031", "/office/campaigns/2031/edit", {**FULL, "k": "0"})
        assert bad.status_code == 400 and "小样本保护阈值 k" in bad.text
    row = _row(s, 2031)
    assert row["small_cell_k"] == 7 and row["department_codes"] == ["D01", "D03", "D05"]
    assert row["symposium_on"] == date(2031, 12, 10) and row["complaint_to"] == date(2031, 11, 30)
    [entry] = _audit(s, "campaign.edit")
    changes = entry["detail"]["changes"]
    assert changes["k"] == [5, 7] and changes["complaint_to"] == ["2031-12-31", "2031-11-30"]
    assert changes["symposium_on"] == [None, "2031-12-10"] and "year" not in changes


def test_an_open_campaign_is_read_only_and_its_edit_is_refused(any_settings):
    s = any_settings
    _setup(s)
    _draft(s, 2031)
    run(s, lambda: evaluation.change_state(2031, "open", actor="test"))
    before = _row(s, 2031)
    with client_for(s, clock=FixedClock(CLOCK_2030)) as client:
        login(client, "boss", "password-1")
        page = client.get("/office/campaigns/2031").text
        assert "/office/campaigns/2031/edit" not in page and 'id="read-only"' in page
        assert "只有草稿可以修改" in page and "readonly" in page
        refused = post_form(client, "/office/campaigns/2031", "/office/campaigns/2031/edit", FULL)
        assert refused.status_code == 409 and "只有草稿可以修改" in refused.text
    assert _row(s, 2031) == before and _audit(s, "campaign.edit") == []
