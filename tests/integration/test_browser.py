"""Browser: headless Debian chromium drives the ballot page on a real server (no JavaScript needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import open_campaign, run
from .server import running_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("PINGYI_SCREENSHOTS", "/tmp/pingyi-shots"))


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: tests/run.sh installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        yield context.new_page()
        browser.close()


def _fill(page, dept: str, items: list[str], answer: str = "satisfied") -> None:
    for item in items:
        page.check(f'input[name="a.{dept}.{item}"][value="{answer}"]')


ITEMS = [f"{a}{n}" for a in "ABCDE" for n in range(1, 5)]


@pytest.fixture
def cards(sqlite_settings):
    """Prepared before the browser starts (Playwright's sync API owns the event loop afterwards)."""
    return run(sqlite_settings, lambda: open_campaign(sqlite_settings, cards=2))


@pytest.mark.browser
def test_fill_submit_and_see_receipt_and_partial_refused(sqlite_settings, cards, browser_page):
    s, tokens, page = sqlite_settings, cards, browser_page
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(s) as base:
        page.goto(f"{base}/b/{tokens[0]}")
        page.screenshot(path=str(SHOTS / "ballot-pick.png"), full_page=True)
        page.check('input[name="d"][value="D01"]')
        page.check('input[name="d"][value="D05"]')
        page.click("text=下一步：填写评议表")
        page.wait_for_selector('details#dept-D05')
        _fill(page, "D01", ITEMS)
        page.click("#dept-D05 > summary")  # open the second department's block
        _fill(page, "D05", ITEMS[:18], "basically_satisfied")
        page.screenshot(path=str(SHOTS / "ballot-form.png"), full_page=False)
        page.click("text=提交评议")
        page.wait_for_selector("#error")
        error = page.inner_text("#error")
        assert "县建设局" in error and "E3" in error and "E4" in error
        page.screenshot(path=str(SHOTS / "ballot-partial.png"), full_page=False)
        # Answers survived the refusal; complete the two missing items and submit again.
        assert page.is_checked('input[name="a.D01.A1"][value="satisfied"]')
        _fill(page, "D05", ITEMS[18:], "unsatisfied")
        page.click("text=提交评议")
        page.wait_for_selector("#receipt")
        receipt = page.inner_text("#receipt")
        assert receipt.startswith("R-")
        page.screenshot(path=str(SHOTS / "ballot-receipt.png"), full_page=True)
        page.goto(f"{base}/b/{tokens[0]}")
        assert "已经使用过" in page.content()
