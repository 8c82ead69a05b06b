"""Browser: a phone (390×844, headless Debian chromium, no JavaScript) opens the URL decoded from a window's printed
QR poster, rates 不满意 with a reason tag and text, and sees the thank-you page; the 差评 reaches the office's
review queue with its channel (SPEC §4, issue 9). Screenshots go to PINGYI_SCREENSHOTS (/tmp/pingyi-shots)."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

from pingyi.accounts import service as accounts
from pingyi.catalog import load_catalog
from pingyi.hall import repository as hall
from pingyi.hall.service import add_missing_departments
from pingyi.ratings import repository

from .helpers import run
from .server import running_server
from .test_browser import ARGS, CHROMIUM, PHONE, SHOTS

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def window(sqlite_settings):
    """Prepared before the browser starts (Playwright's sync API owns the event loop afterwards)."""
    async def work():
        await add_missing_departments(load_catalog(sqlite_settings.surveys_dir).departments)
        dept = await hall.department_by_code("D01")
        wid = await hall.insert_window("W-PH", "综合受理窗口", dept.id)
        await repository.insert_terminal("qr-phone", wid, "five", False)
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(sqlite_settings, work)
    return "W-PH"


def _office(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = CSRF.search(client.get("/login").text).group(1)
    done = client.post("/login", data={"username": "boss", "password": "password-1", "next": "/office",
                                       "_csrf_token": token})
    assert done.status_code in (200, 303), done.text
    return client


@pytest.mark.browser
def test_phone_rates_unsatisfied_from_the_poster(sqlite_settings, window, tmp_path):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(sqlite_settings) as base:
        office = _office(base)
        pdf = office.get(f"/office/windows/{window}/poster.pdf", params={"size": "A5"})
        assert pdf.status_code == 200, pdf.text
        (tmp_path / "poster.pdf").write_bytes(pdf.content)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "poster.pdf"),
                        str(SHOTS / "web-rating-poster")], check=True)
        url = subprocess.run(["zbarimg", "--raw", "-q", str(SHOTS / "web-rating-poster.png")], capture_output=True,
                             text=True, check=True).stdout.strip()
        assert url.startswith(f"{base}/r/")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False,
                                       is_mobile=True, has_touch=True).new_page()
            page.set_default_timeout(15_000)
            page.goto(url)
            assert "县招商局" in page.content() and "W-PH 综合受理窗口" in page.content()
            unsatisfied = page.locator("label", has=page.locator('input[name="level"][value="2"]'))
            assert unsatisfied.inner_text().strip() == "不满意"
            box = unsatisfied.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 300  # a large touch target on a 390 px screen
            page.screenshot(path=str(SHOTS / "web-rating-form.png"), full_page=True)
            unsatisfied.click()
            page.locator("label", has=page.locator('input[name="tags"][value="efficiency"]')).click()
            page.fill("#text", "排队四十分钟，窗口只开一个")
            page.fill("#contact", "13800138000")
            page.screenshot(path=str(SHOTS / "web-rating-filled.png"), full_page=True)
            page.click("button[type=submit]")
            page.wait_for_selector("text=感谢您的评价")
            assert page.url.endswith("/done")
            page.screenshot(path=str(SHOTS / "web-rating-thanks.png"), full_page=True)
            desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            desk.goto(f"{base}/login")
            desk.fill('input[name="username"]', "boss")
            desk.fill('input[name="password"]', "password-1")
            desk.click("form button[type=submit] >> nth=-1")
            desk.goto(f"{base}/office/bad-ratings")
            assert "排队四十分钟" in desk.content()
            desk.screenshot(path=str(SHOTS / "web-rating-office-queue.png"), full_page=True)
            desk.goto(f"{base}/office/terminals")
            assert "扫码评价：有效 1 · 差评 1" in desk.content()
            desk.screenshot(path=str(SHOTS / "web-rating-office-fleet.png"), full_page=True)
            browser.close()

        queue = office.get("/office/bad-ratings").text
        office.close()
        assert "排队四十分钟" in queue and "扫码评价" in queue and "效率" in queue and "13800138000" in queue
