"""Browser: headless Debian chromium on a real server — the office admin records the symposium (date, a main
leader missing, an opinion), then the department's liaison reads its portal: home, the annual feedback with the
symposium, its complaints without the complainant's contact (SPEC §2, §5, §7; docs/portal.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingyi import clock
from pingyi.accounts import service as accounts
from pingyi.complaints import service as complaints
from pingyi.evaluation import service as evaluation
from pingyi.publication import service as publication

from .helpers import full_section, open_campaign, run
from .server import running_server
from .test_browser import ARGS, CHROMIUM, SHOTS


@pytest.fixture
def county(sqlite_settings):
    """A published year (D01 with 5 sections), a complaint against D01 with a contact, the admin and D01's liaison,
    prepared before the browser starts (Playwright's sync API owns the loop)."""
    s = sqlite_settings

    async def work():
        tokens = await open_campaign(s, year=2025, cards=5)
        for i, t in enumerate(tokens):
            await evaluation.submit_ballot(t, {"D01": full_section(s), "D02": full_section(s)}, {"D01": f"评议意见{i}"})
        await evaluation.change_state(2025, "close", actor="test")
        await publication.publish(2025, (await publication.compute_snapshot(2025, actor="test"))["version"],
                                  actor="test")
        await accounts.create_user("boss", "password-1", "admin", actor="test")
        await accounts.create_user("l01", "password-1", "liaison", department_code="D01", actor="test")
        code = await complaints.file_complaint("D01", "窗口推诿，材料一次说不清。", contact="13800001111", actor="boss")
        await complaints.act(code, "investigate", actor="boss")
        return code

    return s, run(s, work)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', "password-1")
    page.click('button[type="submit"]:has-text("登录")')
    page.wait_for_url(f"{base}/office")


@pytest.mark.browser
def test_symposium_recorded_by_the_office_reaches_the_liaison_portal(county):
    from playwright.sync_api import sync_playwright

    s, code = county
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: tests/run.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(s) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        office = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN").new_page()
        _login(office, base, "boss")
        office.goto(f"{base}/office/campaigns/2025")
        office.click("text=座谈会记录")
        office.fill('input[name="held_on"]', clock.today().isoformat())
        office.fill('input[name="place"]', "县政务服务中心三楼会议室")
        office.click("text=登记一次座谈会")
        office.wait_for_selector("section.card h2:has-text('座谈会')")
        row = office.locator("tr[id$='-D01']")
        row.locator("select[name=status]").select_option("deputy")
        row.locator("input[name=attendee]").fill("刘某 副局长")
        row.locator("input[name=note]").fill("主要领导外出学习")
        row.locator("button:has-text('保存')").click()
        office.wait_for_selector("tr[id$='-D01'] td:has-text('委派他人出席')")
        assert "县招商局（委派他人出席）" in office.inner_text("p.warning")
        office.select_option("select[name=department] >> nth=-1", "D01")
        office.fill("textarea[name=text]", "希望窗口一次性告知所需材料。")
        office.click("button:has-text('记录意见')")
        office.wait_for_selector("li:has-text('希望窗口一次性告知所需材料。')")
        office.screenshot(path=str(SHOTS / "office-symposium.png"), full_page=True)

        page = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN").new_page()
        _login(page, base, "l01")
        page.click("text=本部门工作台")
        page.wait_for_url(f"{base}/liaison")
        assert "县招商局 · 部门工作台" in page.inner_text("h1")
        assert "办理中 1 件" in page.inner_text("#complaints")
        page.screenshot(path=str(SHOTS / "liaison-portal-home.png"), full_page=True)
        page.click("#annual a:has-text('查看分项得分')")
        page.wait_for_selector("#symposium")
        symposium = page.inner_text("div.symposium")
        assert "委派他人出席" in symposium and "希望窗口一次性告知所需材料。" in symposium
        assert "主要领导应出席座谈会" in symposium and "工作作风" in page.inner_text("#aspects")
        page.screenshot(path=str(SHOTS / "liaison-portal-feedback.png"), full_page=True)
        page.click(".portal-nav a:has-text('投诉')")
        page.click(f"text={code}")
        page.wait_for_selector("#complaint")
        assert "窗口推诿，材料一次说不清。" in page.inner_text("#complaint")
        assert "13800001111" not in page.content() and "调查中" in page.inner_text("#complaint")
        page.screenshot(path=str(SHOTS / "liaison-portal-complaint.png"), full_page=True)
        browser.close()
