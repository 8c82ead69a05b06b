"""Browser: the month as the office runs it and the public reads it (headless Debian chromium, no JavaScript;
issue 9) — an inspector records a deduction and imports the online-processing file, the admin closes and publishes
the month, and a citizen on a phone finds the ranking from the home page. Screenshots go to PINGYI_SCREENSHOTS."""

from __future__ import annotations

import pytest

from .helpers import run
from .monthly_support import local, rate, seed
from .server import running_server
from .test_browser import ARGS, CHROMIUM, PHONE, SHOTS

MONTH = "2026-11"  # ended by the real clock the server runs on (this suite runs from December 2026 on)
ONLINE = "单位编码,月份,网上办件数,办件总数,超时红牌数\nD01,2026-11,90,100,0\nD02,2026-11,45,100,1\n"


@pytest.fixture
def november(sqlite_settings):
    s = sqlite_settings

    async def work():
        terminals = await seed(s, windows=2)
        for day in (2, 3, 4):
            for m in range(5):
                await rate(terminals["D01"], local(2026, 11, day, 9, m), kind="arm")
                await rate(terminals["D01"], local(2026, 11, day, 9, m, 30), 5)
                await rate(terminals["D02"], local(2026, 11, day, 10, m), kind="arm")
            await rate(terminals["D02"], local(2026, 11, day, 10, 30), 1)  # a 差评 a day, 3 of 15 served

    run(s, work)
    return s


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def _login(browser, base: str, username: str, viewport=None):
    page = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN",
                               java_script_enabled=False).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "password-1")
    page.click("button[type=submit]")
    return page


@pytest.mark.browser
def test_the_office_runs_a_month_and_the_public_reads_it_on_a_phone(november, tmp_path):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    online = tmp_path / "网办-2026-11.csv"
    online.write_text(ONLINE, encoding="utf-8")
    with running_server(november) as base, sync_playwright() as p:
        browser = _browser(p)
        insp = _login(browser, base, "insp")
        insp.goto(f"{base}/office")
        insp.click("text=窗口单位月度考核")
        insp.select_option('select[name="month"]', MONTH)
        insp.select_option('select[name="department"]', "D02")
        insp.click("text=查看")
        form = insp.locator("form", has=insp.locator("button", has_text="新增记录")).first
        form.locator('input[name="points"]').fill("2")
        form.locator('input[name="reason"]').fill("11月5日上午窗口人员迟到 20 分钟")
        form.locator("button").click()
        body = insp.content()
        assert "11月5日上午窗口人员迟到 20 分钟" in body, body[:2000]
        insp.locator('input[name="file"]').first.set_input_files(str(online))
        insp.locator("form", has=insp.locator('input[name="file"]')).first.locator("button").click()
        assert "2" in insp.content() and "导入" in insp.content()
        insp.screenshot(path=str(SHOTS / "monthly-office-inspector.png"), full_page=True)

        boss = _login(browser, base, "boss")
        boss.goto(f"{base}/office/monthly?month={MONTH}&department=D02")
        boss.click("text=结账（生成第 1 版）")
        boss.click("text=公布第 1 版")
        boss.screenshot(path=str(SHOTS / "monthly-office-published.png"), full_page=True)

        phone = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False, is_mobile=True,
                                    has_touch=True).new_page()
        phone.set_default_timeout(15_000)
        phone.goto(base)
        phone.click("text=月度考核")
        phone.click(f"text={MONTH}")
        table = phone.locator("table").first.inner_text()
        rows = [line for line in table.splitlines() if line.strip()]
        first = next(i for i, line in enumerate(rows) if "县招商局" in line)
        second = next(i for i, line in enumerate(rows) if "县发改委" in line)
        assert first < second, table  # D02: a deduction, 差评 and a red card → below D01
        assert "较差窗口单位" in table and "通报批评" in table, table  # the last of the two, its first ladder step
        phone.locator("summary", has_text="县发改委").click()  # its explanation opens (a <details>)
        assert phone.get_by_text("11月5日上午窗口人员迟到 20 分钟", exact=False).first.is_visible()
        assert "超时红牌 1" in phone.locator("details[open]").inner_text()
        phone.screenshot(path=str(SHOTS / "monthly-public-phone.png"), full_page=True)
        # nothing on the page makes a phone scroll sideways (measured with scripts on: the page itself has none)
        probe = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
        probe.goto(phone.url)
        wide = probe.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 30))""")
        assert wide == [], wide[:10]
        browser.close()
