"""Integration: the office results page — a preview of the current figures that stores nothing, at any state; a
version only from a closed (or, as a correction, published) campaign; publish offered only when allowed; the public
version cannot be published again, and is audited once (SPEC §6, §7)."""

from __future__ import annotations

from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.evaluation import service as evaluation
from pingyi.hall import service as hall
from pingyi.publication.tables import Publication, Snapshot

from .helpers import full_section, open_campaign, run
from .webclient import client_for, login, post_form

PAGE = "/office/results/2025"


def _stored(s) -> tuple[int, int, int]:
    """Snapshot rows, publication rows, audit entries."""
    async def work():
        return await Snapshot.count(), await Publication.count(), await AuditEntry.count()

    return run(s, work)


def _publish_entries(s) -> int:
    return run(s, lambda: AuditEntry.count().where(AuditEntry.action == "results.publish"))


def _open_with_ballots(s) -> None:
    async def work():
        tokens = await open_campaign(s, year=2025, cards=3)
        await evaluation.submit_ballot(tokens[0], {"D01": full_section(s), "D02": full_section(s, "unsatisfied")}, {})
        await evaluation.submit_ballot(tokens[1], {"D01": full_section(s, "basically_satisfied")}, {})
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(s, work)


def test_a_draft_previews_empty_and_says_so(any_settings):
    s = any_settings
    catalog = load_catalog(s.surveys_dir)

    async def work():
        await hall.add_missing_departments(catalog.departments)
        await evaluation.create_campaign(2025, "2025年度外来投资企业民主评议", catalog.questionnaire, ["D01", "D02"],
                                         actor="test")
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(s, work)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        before = _stored(s)
        page = client.get(PAGE)
        assert page.status_code == 200
        assert 'id="preview-empty"' in page.text and "尚无评议数据" in page.text and "预览，未保存" in page.text
        assert "/compute" not in page.text and "公布此版本" not in page.text  # neither a version nor publishing
        refused = post_form(client, PAGE, f"{PAGE}/compute", {})
        assert refused.status_code == 409 and "草稿" in refused.text and "截止评议后才能生成结果版本" in refused.text
        assert _stored(s) == before


def test_an_open_campaign_previews_live_figures_and_stores_nothing(any_settings):
    s = any_settings
    _open_with_ballots(s)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        before = _stored(s)
        page = client.get(PAGE)
        assert page.status_code == 200 and "预览，未保存" in page.text and 'id="preview-empty"' not in page.text
        preview = page.text.split('id="preview"', 1)[1].split("</div>", 1)[0]
        assert "县招商局" in preview and "80.00" in preview and "0.00" in preview  # D01: (100 + 60) / 2, D02: 0
        client.get(PAGE)
        assert _stored(s) == before  # no snapshot, no publication, no audit entry


def test_a_version_is_refused_while_open(any_settings):
    s = any_settings
    _open_with_ballots(s)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        before = _stored(s)
        assert "/compute" not in client.get(PAGE).text
        refused = post_form(client, PAGE, f"{PAGE}/compute", {"reason": "试算"})
        assert refused.status_code == 409 and "评议中" in refused.text and "截止评议后" in refused.text
        assert _stored(s) == before and before[0] == 0


def test_publish_is_offered_only_when_allowed(any_settings):
    s = any_settings
    _open_with_ballots(s)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        post_form(client, "/office/campaigns", "/office/campaigns/2025/close", {})
        assert post_form(client, PAGE, f"{PAGE}/compute", {}).status_code == 303
        closed = client.get(PAGE).text
        assert 'action="/office/results/2025/publish/1"' in closed and "公布此版本" in closed
        # reopened (closed → open is allowed, e.g. the symposium was extended): version 1 stays, publishing not
        assert post_form(client, "/office/campaigns", "/office/campaigns/2025/open", {}).status_code == 303
        reopened = client.get(PAGE).text
        assert "第 1 版" in reopened
        assert "/publish/1" not in reopened and "公布此版本" not in reopened and "/compute" not in reopened
        refused = post_form(client, PAGE, f"{PAGE}/publish/1", {})
        assert refused.status_code == 409
    assert _publish_entries(s) == 0 and run(s, lambda: Publication.count()) == 0


def test_publishing_the_public_version_again_is_refused_and_audited_once(any_settings):
    s = any_settings
    _open_with_ballots(s)
    with client_for(s) as client:
        login(client, "boss", "password-1")
        post_form(client, "/office/campaigns", "/office/campaigns/2025/close", {})
        assert post_form(client, PAGE, f"{PAGE}/compute", {}).status_code == 303
        assert post_form(client, PAGE, f"{PAGE}/publish/1", {}).status_code == 303
        published = client.get(PAGE).text
        assert "/publish/1" not in published  # the public version has no publish button
        assert "/compute" in published  # a correction may still be computed
        before = _stored(s)
        for reason in ("", "再次公布"):
            again = post_form(client, PAGE, f"{PAGE}/publish/1", {"reason": reason})
            assert again.status_code == 409 and "已是当前公布的版本" in again.text
        assert _stored(s) == before
        # a correction (version 2, with a reason) can still be computed and published
        assert post_form(client, PAGE, f"{PAGE}/compute", {}).status_code == 400  # the reason is required
        assert post_form(client, PAGE, f"{PAGE}/compute", {"reason": "更正"}).status_code == 303
        assert post_form(client, PAGE, f"{PAGE}/publish/2", {"reason": "更正"}).status_code == 303
        assert client.get("/api/v1/results/2025").json()["version"] == 2
    assert _publish_entries(s) == 2
