"""Integration: the ballot page and its JSON API over HTTP, CSRF, bad input → 4xx and nothing stored."""

from __future__ import annotations

import pytest

from pingyi.evaluation.tables import Ballot, Section, SpentToken

from .helpers import full_section, open_campaign, run
from .webclient import client_for, csrf_from, post_form


async def _stored():
    return await Ballot.count(), await Section.count(), await SpentToken.count()


@pytest.fixture
def campaign(any_settings):
    tokens = run(any_settings, lambda: open_campaign(any_settings))
    return any_settings, tokens


def _form_fields(settings, dept: str, section: dict[str, str]) -> dict[str, str]:
    return {f"a.{dept}.{item}": answer for item, answer in section.items()}


def test_pick_then_fill_then_receipt(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        pick = client.get(f"/b/{tokens[0]}")
        assert pick.status_code == 200
        assert "县招商局" in pick.text and 'type="checkbox"' in pick.text
        assert pick.headers["cache-control"] == "no-store"
        none_picked = client.get(f"/b/{tokens[0]}?step=2")
        assert none_picked.status_code == 400 and "请至少勾选一个" in none_picked.text
        form = client.get(f"/b/{tokens[0]}?step=2&d=D01&d=D05")
        assert form.text.count('name="a.D01.') == 60 and form.text.count('name="a.D05.') == 60
        assert 'name="a.D02.' not in form.text
        fields = (_form_fields(s, "D01", full_section(s))
                  | _form_fields(s, "D05", full_section(s, "basically_satisfied")))
        fields["o.D05"] = "希望缩短时限"
        done = client.post(f"/b/{tokens[0]}", data=fields | {"_csrf_token": csrf_from(form.text)})
        assert done.status_code == 200, done.text
        assert 'id="receipt"' in done.text and "R-" in done.text
    assert run(s, _stored) == (1, 2, 1)


def test_partial_section_shows_missing_items_keeps_answers_and_stores_nothing(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        form = client.get(f"/b/{tokens[0]}?d=D04")
        section = full_section(s)
        for item in ("B3", "C1", "C2"):
            del section[item]
        resp = client.post(f"/b/{tokens[0]}", data=_form_fields(s, "D04", section)
                           | {"_csrf_token": csrf_from(form.text)})
        assert resp.status_code == 400
        assert "县国土资源局" in resp.text and "B3" in resp.text and "C2" in resp.text
        assert 'value="satisfied" checked' in resp.text  # what was answered is kept
        assert resp.text.count("（未作答）") == 3
    assert run(s, _stored) == (0, 0, 0)


def test_form_post_without_csrf_token_is_refused(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        client.get(f"/b/{tokens[0]}")
        resp = client.post(f"/b/{tokens[0]}", data=_form_fields(s, "D01", full_section(s)))
        assert resp.status_code == 403
        assert "CSRF" in resp.text
    assert run(s, _stored) == (0, 0, 0)


def test_json_api_submit_and_errors(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        ok = client.post("/api/v1/ballots", json={"token": tokens[1], "answers": {"D03": full_section(s)}})
        assert ok.status_code == 201 and ok.json()["receipt"].startswith("R-")
        again = client.post("/api/v1/ballots", json={"token": tokens[1], "answers": {"D03": full_section(s)}})
        assert again.status_code == 409 and "已经使用过" in again.json()["message"]
        partial = dict(full_section(s))
        partial.pop("A1")
        bad = client.post("/api/v1/ballots", json={"token": tokens[2], "answers": {"D03": partial}})
        assert bad.status_code == 400
        assert bad.json()["details"]["partial"] == {"D03": ["A1"]}
        malformed = client.post("/api/v1/ballots", json={"token": tokens[2], "answers": "x"})
        assert malformed.status_code == 400 and malformed.json()["message"]
        unknown = client.post("/api/v1/ballots", json={"token": "0" * 26, "answers": {"D03": full_section(s)}})
        assert unknown.status_code == 404
        schema = client.get("/schema/openapi.json").json()
        assert "/api/v1/ballots" in schema["paths"]
    assert run(s, _stored) == (1, 1, 1)


def test_typed_code_entry_redirects_to_ballot(campaign):
    s, tokens = campaign
    from pingyi.core.cardcodes import format_code

    with client_for(s) as client:
        resp = post_form(client, "/b", "/b", {"code": format_code(tokens[0]).lower()})
        assert resp.status_code == 303 and resp.headers["location"] == f"/b/{tokens[0]}"
        bad = post_form(client, "/b", "/b", {"code": "hello"})
        assert bad.status_code == 400 and "卡号格式不正确" in bad.text


def test_spent_and_unknown_cards_get_clear_pages(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        client.post("/api/v1/ballots", json={"token": tokens[0], "answers": {"D01": full_section(s)}})
        spent = client.get(f"/b/{tokens[0]}")
        assert spent.status_code == 409 and "已经使用过" in spent.text
        unknown = client.get("/b/" + "1" * 26)
        assert unknown.status_code == 404 and "评议卡无效" in unknown.text


# ---- issue 7: the ballot loses nothing the evaluator picked ---------------------------------------------------

PICKED = ["D01", "D05", "D07"]  # 县招商局, 县建设局, 县城管局


def _three_picked_form(client, token):
    form = client.get(f"/b/{token}?step=2&" + "&".join(f"d={c}" for c in PICKED))
    assert form.status_code == 200
    return form


def test_form_three_picked_only_first_answered_is_refused_naming_the_others_card_unspent(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        form = _three_picked_form(client, tokens[0])
        for code in PICKED:  # every picked department is on the page, with its own count, no hidden panel
            assert f'id="dept-{code}"' in form.text and f'name="d" value="{code}"' in form.text
            assert f'id="count-{code}"' in form.text
        assert "<details" not in form.text
        fields = _form_fields(s, "D01", full_section(s)) | {"o.D01": "窗口很好", "d": PICKED,
                                                           "_csrf_token": csrf_from(form.text)}
        refused = client.post(f"/b/{tokens[0]}", data=fields)
        assert refused.status_code == 400
        assert "县建设局：20 项均未作答" in refused.text and "县城管局：20 项均未作答" in refused.text
        assert "县招商局：" not in refused.text.split('id="error"')[1].split("</div>")[0]
        for code in PICKED:  # nothing picked disappeared
            assert f'id="dept-{code}"' in refused.text and f'name="d" value="{code}"' in refused.text
        assert refused.text.count('value="satisfied" checked') == 20  # the first department's answers kept
        assert "窗口很好" in refused.text
        assert client.get(f"/b/{tokens[0]}").status_code == 200  # the card is not spent
        # Complete the other two and submit again: the receipt says how many departments were rated.
        fields |= (_form_fields(s, "D05", full_section(s, "basically_satisfied"))
                   | _form_fields(s, "D07", full_section(s)))
        fields["_csrf_token"] = csrf_from(refused.text)
        done = client.post(f"/b/{tokens[0]}", data=fields)
        assert done.status_code == 200, done.text
        assert "本次共评议 3 个部门" in done.text and 'id="receipt"' in done.text
    assert run(s, _stored) == (1, 3, 1)


def test_form_remove_department_keeps_the_other_answers_and_spends_nothing(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        form = _three_picked_form(client, tokens[0])
        d05 = full_section(s, "basically_satisfied")
        del d05["E4"]
        fields = (_form_fields(s, "D01", full_section(s, "unsatisfied")) | _form_fields(s, "D05", d05)
                  | {"o.D01": "意见一", "o.D07": "将被移除", "d": PICKED, "_csrf_token": csrf_from(form.text)})
        removed = client.post(f"/b/{tokens[0]}", data=fields | {"remove": "D07"})
        assert removed.status_code == 200
        assert "已移除县城管局" in removed.text
        assert 'id="dept-D07"' not in removed.text and 'name="a.D07.' not in removed.text
        assert "将被移除" not in removed.text
        assert 'id="dept-D01"' in removed.text and 'id="dept-D05"' in removed.text
        assert removed.text.count('value="unsatisfied" checked') == 20
        assert removed.text.count('value="basically_satisfied" checked') == 19
        assert "意见一" in removed.text
        # Removing the last department leads back to the pick page; nothing is stored either way.
        only = {"d": ["D07"], "_csrf_token": csrf_from(removed.text), "remove": "D07"}
        back = client.post(f"/b/{tokens[0]}", data=only)
        assert back.status_code == 200 and 'type="checkbox"' in back.text and "已移除县城管局" in back.text
    assert run(s, _stored) == (0, 0, 0)


def test_form_answered_count_is_rendered_on_every_page(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        form = _three_picked_form(client, tokens[0])
        assert form.text.count("已答 <b>0</b> / 20") == 6  # the list at the top and each department's head
        d05 = {item: "satisfied" for item in list(full_section(s))[:7]}
        fields = (_form_fields(s, "D01", full_section(s)) | _form_fields(s, "D05", d05)
                  | {"d": PICKED, "_csrf_token": csrf_from(form.text)})
        refused = client.post(f"/b/{tokens[0]}", data=fields)
        assert refused.status_code == 400
        assert "县建设局：还有 13 项未作答" in refused.text
        head = refused.text.split('id="count-D01"')[1][:40], refused.text.split('id="count-D05"')[1][:40]
        assert "已答 <b>20</b> / 20" in head[0] and "已答 <b>7</b> / 20" in head[1]
        assert "已答 <b>0</b> / 20" in refused.text.split('id="count-D07"')[1][:40]


def test_json_api_refuses_listed_departments_without_answers(campaign):
    s, tokens = campaign
    with client_for(s) as client:
        for empty in ({}, {"A1": ""}):
            bad = client.post("/api/v1/ballots", json={"token": tokens[0],
                                                       "answers": {"D01": full_section(s), "D05": empty}})
            assert bad.status_code == 400, bad.text
            assert bad.json()["details"]["unanswered"] == ["D05"]
            assert "县建设局：20 项均未作答" in bad.json()["message"]
        ok = client.post("/api/v1/ballots", json={"token": tokens[0], "answers": {
            "D01": full_section(s), "D05": full_section(s)}})
        assert ok.status_code == 201 and ok.json()["departments"] == 2
    assert run(s, _stored) == (1, 2, 1)
