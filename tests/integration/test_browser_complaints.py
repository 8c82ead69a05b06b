"""Browser: a citizen on a phone (390×844, headless Debian chromium, no JavaScript) files a complaint through the
public form, an investigator handles it on the office pages (filtered list → the complaint's page → decision with a
public reply → back to the same filtered list), and the phone's tracking page shows the state, the public reply and
the steps, never the contact (SPEC §5, issue 10). Screenshots go to PINGYI_SCREENSHOTS (/tmp/pingyi-shots)."""

from __future__ import annotations

import re

import pytest

from pingyi.accounts import service as accounts
from pingyi.catalog import load_catalog
from pingyi.hall.service import add_missing_departments

from .helpers import run
from .server import running_server
from .test_browser import ARGS, CHROMIUM, PHONE, SHOTS

CODE = re.compile(r"C-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
CONTACT = "13800138000"
REPLY = "经调取大厅录像核实，您反映的问题属实，已责成县城管局整改。"


@pytest.fixture
def county(sqlite_settings):
    async def work():
        await add_missing_departments(load_catalog(sqlite_settings.surveys_dir).departments)
        await accounts.create_user("inv", "password-1", "investigator", actor="test")

    run(sqlite_settings, work)
    return sqlite_settings


@pytest.mark.browser
def test_phone_files_investigator_decides_phone_reads_the_reply(county):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(county) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        phone = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False, is_mobile=True,
                                    has_touch=True).new_page()
        phone.set_default_timeout(15_000)
        phone.goto(f"{base}/complaints/new")
        assert not phone.locator("#website").is_visible() or phone.locator("#website").bounding_box()["x"] < 0
        summary_box = phone.locator("#summary").bounding_box()
        assert summary_box["width"] >= 300 and summary_box["x"] + summary_box["width"] <= PHONE["width"]
        phone.select_option("#department", "D07")
        phone.fill("#summary", "3月2日上午在3号窗口办理，工作人员推诿，让我跑了三趟。")
        phone.fill("#contact", CONTACT)
        phone.screenshot(path=str(SHOTS / "complaint-form-phone.png"), full_page=True)
        phone.get_by_role("button", name="提交投诉").click()
        code = CODE.search(phone.locator("#tracking").inner_text()).group(0)

        office = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN",
                                     java_script_enabled=False).new_page()
        office.set_default_timeout(15_000)
        office.goto(f"{base}/login")
        office.fill('input[name="username"]', "inv")
        office.fill('input[name="password"]', "password-1")
        office.locator('button[type="submit"]').last.click()
        office.goto(f"{base}/office/complaints?department=D07&state=open")
        row = office.locator(f'tr[id="c-{code}"]')
        assert CONTACT in row.inner_text()  # the investigator sees the contact
        row.locator("summary", has_text="开始调查").click()
        row.get_by_role("button", name="开始调查").click()
        assert office.url == f"{base}/office/complaints?state=open&department=D07"  # the same filtered list
        office.locator(f'a:text("{code}")').click()
        decide = office.locator(f'form[action="/office/complaints/{code}/substantiate"]')
        decide.locator('input[name="reason"]').fill("调取录像属实（内部记录）")
        decide.locator('select[name="severity"]').select_option("general")
        decide.locator('textarea[name="public_reply"]').fill(REPLY)
        decide.get_by_role("button", name="认定属实").click()
        assert office.url == f"{base}/office/complaints?state=open&department=D07"  # back where the list was
        assert code not in office.content()  # decided: no longer open
        office.goto(f"{base}/office/complaints/{code}")
        history = office.locator("#history").inner_text()
        assert "开始调查" in history and "认定属实" in history and "调取录像属实（内部记录）" in history
        office.screenshot(path=str(SHOTS / "complaint-office-detail.png"), full_page=True)

        phone.goto(f"{base}/complaints/track")
        phone.fill("#code", code.replace("-", " ").lower())  # typed loosely
        phone.get_by_role("button", name="查询").click()
        assert phone.locator("#state").inner_text() == "属实"
        assert REPLY in phone.locator("#reply").inner_text()
        steps = phone.locator(".steps").inner_text()
        assert "受理" in steps and "开始调查" in steps and "调查结论：属实" in steps
        page = phone.content()
        assert CONTACT not in page and "内部记录" not in page and "跑了三趟" not in page
        phone.screenshot(path=str(SHOTS / "complaint-track-phone.png"), full_page=True)
        browser.close()
