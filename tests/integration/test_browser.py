"""Browser: headless Debian chromium drives the ballot page on a real server (no JavaScript needed): a picked
department is never dropped, 移除该部门 keeps the other answers, the 已答 n / 20 count is right (issue 7)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from .helpers import open_campaign, run
from .server import running_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("PINGYI_SCREENSHOTS", "/tmp/pingyi-shots"))


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: tests/run.sh installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _page(browser, *, javascript: bool = True):
    page = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=javascript).new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def browser_page(chromium):
    return _page(chromium)


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
        page.wait_for_selector('section#dept-D05')
        _fill(page, "D01", ITEMS)
        _fill(page, "D05", ITEMS[:18], "basically_satisfied")
        page.screenshot(path=str(SHOTS / "ballot-form.png"), full_page=False)
        page.click("#submit")
        page.wait_for_selector("#error")
        error = page.inner_text("#error")
        assert "县建设局" in error and "E3" in error and "E4" in error
        page.screenshot(path=str(SHOTS / "ballot-partial.png"), full_page=False)
        # Answers survived the refusal; complete the two missing items and submit again.
        assert page.is_checked('input[name="a.D01.A1"][value="satisfied"]')
        _fill(page, "D05", ITEMS[18:], "unsatisfied")
        page.click("#submit")
        page.wait_for_selector("#receipt")
        receipt = page.inner_text("#receipt")
        assert receipt.startswith("R-")
        page.screenshot(path=str(SHOTS / "ballot-receipt.png"), full_page=True)
        page.goto(f"{base}/b/{tokens[0]}")
        assert "已经使用过" in page.content()


PICKED = {"D01": "县招商局", "D05": "县建设局", "D07": "县城管局"}


def _pick_three(page, base: str, token: str) -> None:
    page.goto(f"{base}/b/{token}")
    for code in PICKED:
        page.check(f'input[name="d"][value="{code}"]')
    page.click("text=下一步：填写评议表")
    page.wait_for_selector("section#dept-D07")


def _card_unspent(base: str, token: str) -> bool:
    return httpx.get(f"{base}/b/{token}", timeout=10).status_code == 200


def _count(page, code: str) -> str:
    return page.inner_text(f"#count-{code}").replace("\n", " ")


@pytest.mark.browser
def test_three_picked_only_first_answered_is_refused_then_completed(sqlite_settings, cards, chromium):
    """Without JavaScript: answering only the first of three picked departments is refused, naming the other
    two; all three stay on the page, the first one's answers kept, the card unspent; completing them submits."""
    s, tokens, page = sqlite_settings, cards, _page(chromium, javascript=False)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(s) as base:
        _pick_three(page, base, tokens[0])
        for code in PICKED:  # every picked department is visible, no panel to open
            assert page.is_visible(f"#dept-{code} fieldset.item >> nth=19")
        _fill(page, "D01", ITEMS)
        page.fill("#o-D01", "窗口办事快")
        page.click("#submit")
        page.wait_for_selector("#error")
        error = page.inner_text("#error")
        assert "县建设局：20 项均未作答" in error and "县城管局：20 项均未作答" in error
        assert "县招商局" not in error
        page.screenshot(path=str(SHOTS / "ballot-refused.png"), full_page=False)
        page.locator("#dept-D05").screenshot(path=str(SHOTS / "ballot-refused-department.png"))
        for code in PICKED:
            assert page.is_visible(f"#dept-{code}")
        assert all(page.is_checked(f'input[name="a.D01.{i}"][value="satisfied"]') for i in ITEMS)
        assert page.input_value("#o-D01") == "窗口办事快"
        assert _card_unspent(base, tokens[0])
        _fill(page, "D05", ITEMS, "basically_satisfied")
        _fill(page, "D07", ITEMS, "unsatisfied")
        page.click("#submit")
        page.wait_for_selector("#receipt")
        assert "本次共评议 3 个部门" in page.inner_text("#rated")
        assert not _card_unspent(base, tokens[0])


@pytest.mark.browser
def test_remove_department_keeps_the_others_answers(sqlite_settings, cards, chromium):
    """Without JavaScript: 移除该部门 takes one department off and re-renders every other answer and opinion."""
    s, tokens, page = sqlite_settings, cards, _page(chromium, javascript=False)
    with running_server(s) as base:
        _pick_three(page, base, tokens[0])
        _fill(page, "D01", ITEMS, "unsatisfied")
        _fill(page, "D05", ITEMS[:12], "basically_satisfied")
        page.fill("#o-D05", "希望缩短时限")
        page.click("#remove-D07")
        page.wait_for_selector("#notice")
        assert "已移除县城管局" in page.inner_text("#notice")
        assert page.query_selector("#dept-D07") is None and "县城管局" not in page.inner_text("#picked")
        assert all(page.is_checked(f'input[name="a.D01.{i}"][value="unsatisfied"]') for i in ITEMS)
        assert all(page.is_checked(f'input[name="a.D05.{i}"][value="basically_satisfied"]') for i in ITEMS[:12])
        assert not page.is_checked(f'input[name="a.D05.{ITEMS[12]}"][value="basically_satisfied"]')
        assert page.input_value("#o-D05") == "希望缩短时限"
        assert _card_unspent(base, tokens[0])
        # Enter on an answer submits the ballot (the hidden default button), never removes a department.
        _fill(page, "D05", ITEMS[12:], "satisfied")
        page.focus('input[name="a.D05.E4"][value="satisfied"]')
        page.keyboard.press("Enter")
        page.wait_for_selector("#receipt")
        assert "本次共评议 2 个部门" in page.inner_text("#rated")


@pytest.mark.browser
def test_answered_count_right_after_a_rerender_and_live_with_javascript(sqlite_settings, cards, chromium):
    s, tokens = sqlite_settings, cards
    with running_server(s) as base:
        page = _page(chromium, javascript=False)
        _pick_three(page, base, tokens[0])
        assert [_count(page, c) for c in PICKED] == ["已答 0 / 20"] * 3
        _fill(page, "D01", ITEMS)
        _fill(page, "D05", ITEMS[:7], "unsatisfied")
        page.click("#submit")
        page.wait_for_selector("#error")
        assert [_count(page, c) for c in PICKED] == ["已答 20 / 20", "已答 7 / 20", "已答 0 / 20"]
        assert "县建设局：还有 13 项未作答" in page.inner_text("#error")
        assert page.query_selector("#error-remove-D05") is None  # partial: to complete, not a remove offer
        page.click("#error-remove-D07")  # the one-tap remove beside the refusal, for the unanswered one
        page.wait_for_selector("#notice")
        assert [_count(page, c) for c in ("D01", "D05")] == ["已答 20 / 20", "已答 7 / 20"]
        # With JavaScript the count follows each answer at once (progressive enhancement only).
        live = _page(chromium)
        _pick_three(live, base, tokens[1])
        _fill(live, "D05", ITEMS[:3])
        _fill(live, "D05", ITEMS[:1], "unsatisfied")  # changing an answer does not count it twice
        assert _count(live, "D05") == "已答 3 / 20"
        assert "已答 3 / 20" in live.inner_text("#picked")
