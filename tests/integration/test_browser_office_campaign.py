"""Browser: headless Debian chromium fills the office campaign form on a real server — every field, departments
ticked by default, a refusal that keeps what was typed, then the draft's edit page (SPEC §2, §8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingyi.accounts import service as accounts
from pingyi.catalog import load_catalog
from pingyi.hall import service as hall

from .helpers import run
from .server import running_server
from .test_browser import ARGS, CHROMIUM, SHOTS


@pytest.fixture
def office(sqlite_settings):
    """Departments and an admin, prepared before the browser starts (Playwright's sync API owns the loop)."""
    s = sqlite_settings
    catalog = load_catalog(s.surveys_dir)

    async def work():
        await hall.add_missing_departments(catalog.departments)
        await hall.sync_departments([d for d in catalog.departments if d.code != "D21"], actor="test")
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(s, work)
    return s


@pytest.mark.browser
def test_office_campaign_form_in_chromium(office):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: tests/run.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(office) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN").new_page()
        page.goto(f"{base}/login")
        page.fill('input[name="username"]', "boss")
        page.fill('input[name="password"]', "password-1")
        page.click('button[type="submit"]:has-text("登录")')
        page.goto(f"{base}/office/campaigns")
        boxes = page.locator('input[name="departments"]')
        assert boxes.count() == 20  # the deactivated D21 is not offered
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
        year = page.input_value('input[name="year"]')
        assert int(year) >= 2026
        page.fill('input[name="title"]', f"{year}年度外来投资企业民主评议")
        page.fill('input[name="k"]', "5")
        page.fill('input[name="cards_from"]', f"{year}-12-01")
        page.fill('input[name="symposium_on"]', f"{year}-12-15")
        page.fill('input[name="complaint_from"]', f"{year}-01-01")
        page.fill('input[name="complaint_to"]', f"{year}-12-20")
        page.locator("#campaign-form").screenshot(path=str(SHOTS / "office-campaign-form.png"))
        # a refusal names the field and keeps what was typed
        page.fill('input[name="cards_from"]', f"{year}-12-12")
        page.click("text=新建（草稿）")
        page.wait_for_selector("#error")
        assert "评议卡发放日期" in page.inner_text("#error") and "前 5 天" in page.inner_text("#error")
        assert page.input_value('input[name="symposium_on"]') == f"{year}-12-15"
        page.fill('input[name="cards_from"]', f"{year}-12-01")
        page.uncheck('input[name="departments"][value="D20"]')
        page.click("text=新建（草稿）")
        page.wait_for_url(f"{base}/office/campaigns/{year}")
        assert page.is_checked('input[name="departments"][value="D01"]')
        assert not page.is_checked('input[name="departments"][value="D20"]')
        assert page.input_value('input[name="complaint_to"]') == f"{year}-12-20"
        page.screenshot(path=str(SHOTS / "office-campaign-edit.png"), full_page=True)
        browser.close()
