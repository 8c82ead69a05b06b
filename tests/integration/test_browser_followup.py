"""Browser: a department liaison answers a 差评 on its queue page, and a citizen reads the public rectification
tracker on a phone (headless Debian chromium, no JavaScript; issue 10). Screenshots go to PINGYI_SCREENSHOTS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pingyi import clock
from pingyi.accounts import service as accounts
from pingyi.followup import service as followup
from pingyi.followup.tables import BadRatingAnswer

from .helpers import run
from .monthly_support import rate, seed
from .server import running_server
from .test_browser import ARGS, CHROMIUM, PHONE, SHOTS

OFFICE = {"role": "inspector", "username": "insp"}


@pytest.fixture
def prepared(sqlite_settings):
    """A 差评 at D01's window an hour ago; a task for D01 whose measures were accepted, one for D02 still open."""
    s = sqlite_settings

    async def work():
        terminals = await seed(s, windows=2)
        await accounts.create_user("li1", "password-1", "liaison", department_code="D01", actor="test")
        await rate(terminals["D01"], clock.now() - timedelta(hours=1), level=1)
        policy = followup.policy_for(s)
        done = await followup.create_task(OFFICE, policy, department_code="D01", reason="窗口午间无人值守。")
        user = {"role": "liaison", "username": "li1", "department_id": terminals["D01"][2]}
        await followup.submit_measures(user, done, summary="实行午间弹性轮岗，公示值班人员。",
                                       evidence="轮岗表存办公室（内部）。")
        await followup.review_task(OFFICE, done, "accept")
        await followup.create_task(OFFICE, policy, department_code="D02", reason="多条差评反映材料清单不一致。")

    run(s, work)
    return s


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


@pytest.mark.browser
def test_a_liaison_answers_a_bad_rating(prepared):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(prepared) as base, sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                   java_script_enabled=False).new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base}/login")
        page.fill("#username", "li1")
        page.fill("#password", "password-1")
        page.click("button[type=submit]")
        page.goto(f"{base}/office")
        page.click("text=差评答复")
        assert "差评答复（县招商局）" in page.content() and "待答复" in page.content()
        page.get_by_role("link", name="答复", exact=True).click()
        page.screenshot(path=str(SHOTS / "followup-answer-form.png"), full_page=True)
        page.fill("#finding", "经查看录像，当班人员确有离岗。")
        page.fill("#cause", "午间无人顶岗。")
        page.locator("label", has=page.locator('input[name="outcome"][value="fixed"]')).click()
        page.fill("#measure", "已安排午间顶岗，并在窗口公示值班人员。")
        page.click("text=提交答复")
        body = page.content()
        assert "已答复，待审核" in body and "立行立改" in body and "午间无人顶岗" in body
        assert "提交答复" not in body  # the office's turn now
        page.screenshot(path=str(SHOTS / "followup-answered.png"), full_page=True)
        browser.close()
    rows = run(prepared, lambda: BadRatingAnswer.select(BadRatingAnswer.state, BadRatingAnswer.outcome))
    assert rows == [{"state": "submitted", "outcome": "fixed"}]


@pytest.mark.browser
def test_the_public_rectification_tracker_on_a_phone(prepared):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(prepared) as base, sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False, is_mobile=True,
                                   has_touch=True).new_page()
        page.set_default_timeout(15_000)
        page.goto(base)
        page.click("text=整改公示")
        rows = page.locator("tbody tr")
        assert rows.count() == 2
        text = page.locator("table").inner_text()
        assert "县招商局" in text and "实行午间弹性轮岗，公示值班人员。" in text and "已验收" in text
        assert "县发改委" in text and "整改中（待提交措施）" in text
        assert "轮岗表存办公室" not in page.content()  # evidence notes stay internal
        page.screenshot(path=str(SHOTS / "followup-tracker-phone.png"), full_page=True)
        browser.close()
