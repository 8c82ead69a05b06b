"""Browser: headless Debian chromium on a real server — the live dashboard updates without a reload when ratings
arrive through the ingest store, and a raised alert appears at once with its banner (SPEC §4 "Alerts")."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pingyi import db
from pingyi.accounts import service as accounts
from pingyi.catalog import load_catalog
from pingyi.hall import service as hall
from pingyi.ratings.ingest.store import BatchStore
from pingyi.ratings.ingest.validate import RawMessage, sort_batch
from pingyi.ratings.service import seed_demo_windows
from pingyi_terminal import protocol

from .helpers import run
from .server import running_server
from .test_browser import ARGS, CHROMIUM, SHOTS


@pytest.fixture
def hall_day(sqlite_settings):
    s = sqlite_settings

    async def work():
        await hall.add_missing_departments(load_catalog(s.surveys_dir).departments)
        await seed_demo_windows(["D01", "D02"], count=2, prefix="brw")
        await hall.add_hall("HQ", "县政务服务中心", "test")
        await hall.assign_window("W-D01", "HQ", "test")
        await accounts.create_user("insp", "password-1", "inspector", actor="test")

    run(s, work)
    return s


def _press(tid: str, seq: int, level: int, at: datetime) -> RawMessage:
    ms = int(at.timestamp() * 1000)
    ev = protocol.Event(terminal=tid, epoch="e1", seq=seq, kind="press", level=level, scale="five", flags=(),
                        boot="b1", mono_ms=1000 + seq, wall_ms=ms, synced=True)
    return RawMessage(topic=protocol.event_topic(tid), payload=protocol.encode_event(ev), received_ms=ms)


def _ingest(settings, messages: list[RawMessage]) -> None:
    """The ingest's own store, in a thread of its own (Playwright's sync API owns this thread's event loop)."""
    async def work():
        store = BatchStore(db.current_engine())
        await store.write(sort_batch(messages, (await store.load_terminals()).get))

    failure: list[BaseException] = []

    def target() -> None:
        try:
            run(settings, work)
        except BaseException as exc:  # surfaced below
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    assert not failure, failure


@pytest.mark.browser
def test_live_dashboard_updates_without_reload_and_shows_the_alert(hall_day):
    from playwright.sync_api import expect, sync_playwright

    s = hall_day
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: tests/run.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(s) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN").new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{base}/login")
        page.fill('input[name="username"]', "insp")
        page.fill('input[name="password"]', "password-1")
        page.click('button[type="submit"]:has-text("登录")')
        page.goto(f"{base}/office/live")
        page.evaluate("window.__sameDocument = true")  # lost on any reload
        assert page.inner_text("#live-window-W-D01 [data-k=ratings]") == "0"
        assert page.is_visible("#no-alerts")
        page.screenshot(path=str(SHOTS / "live-before.png"), full_page=True)

        now = datetime.now(UTC) - timedelta(seconds=30)
        _ingest(s, [_press("brw-0001", 1, 5, now)])  # one good rating: the figures change, no alert
        expect(page.locator("#live-window-W-D01 [data-k=ratings]")).to_have_text("1", timeout=20_000)
        assert page.is_visible("#no-alerts")

        _ingest(s, [_press("brw-0001", n, 1, now + timedelta(seconds=n)) for n in (2, 3, 4)])  # 4 with 3 差评
        page.wait_for_selector("#open-alerts")
        banner = page.inner_text("#open-alerts")
        assert "W-D01" in banner and "差评 3 条" in banner and "县政务服务中心" in banner
        assert page.inner_text("#live-window-W-D01 [data-k=bad]") == "3"
        assert page.evaluate("window.__sameDocument") is True  # updated in place, never reloaded
        assert page.title().startswith("【告警】")
        assert "flash" in (page.get_attribute("#live-panel", "class") or "")
        assert page.inner_text("#total-ratings") == "4"
        time.sleep(0.6)  # let the flash animation show its red phase in the screenshot
        page.screenshot(path=str(SHOTS / "live-alert.png"), full_page=True)

        page.click("#open-alerts a")  # to the alerts page, acknowledge with a note
        page.fill('textarea[name="note"]', "已到窗口核实，已安排值班长处理")
        page.click('button:has-text("确认告警")')
        page.wait_for_selector("text=已确认：insp")
        page.screenshot(path=str(SHOTS / "live-acknowledged.png"), full_page=True)
        page.goto(f"{base}/office/live")
        assert page.is_visible("#no-alerts")
        browser.close()
