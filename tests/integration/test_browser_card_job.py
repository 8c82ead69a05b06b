"""Browser: headless Debian chromium asks for 600 cards on a real server; the job page's progress bar moves while
the sheet is drawn in the server's worker thread (polled by /static/cardjob.js), the download button appears when
it is done, the PDF downloads and its first page's codes scan; discarding removes it (issue 11, SPEC §8)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pingyi.accounts import service as accounts

from .helpers import open_campaign, run
from .server import running_server
from .test_browser import ARGS, CHROMIUM, SHOTS


@pytest.fixture
def office(sqlite_settings):
    s = sqlite_settings

    async def work():
        await open_campaign(s, year=2027, cards=1)
        await accounts.create_user("boss", "password-1", "admin", actor="test")

    run(s, work)
    return s


@pytest.mark.browser
def test_card_batch_progress_and_download_in_chromium(office, tmp_path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: tests/run.sh installs it"
    assert shutil.which("zbarimg") and shutil.which("pdftoppm"), "tests/run.sh installs zbar-tools, poppler-utils"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(office) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill('input[name="username"]', "boss")
        page.fill('input[name="password"]', "password-1")
        page.click('button[type="submit"]:has-text("登录")')
        page.goto(f"{base}/office/campaigns")
        page.fill('input[name="count"]', "600")
        page.click('button:has-text("生成评议卡")')
        page.wait_for_url(f"{base}/office/campaigns/2027/cards/*")
        assert page.locator("h1").inner_text().endswith("第 2 批（600 张）")
        values: set[int] = set()
        for _ in range(600):  # ~60 s at most
            if page.locator("#job-download").is_visible():
                break
            values.add(int(page.locator("#job-progress").get_attribute("value") or 0))
            page.wait_for_timeout(100)
        page.screenshot(path=str(SHOTS / "card-job-done.png"), full_page=True)
        assert page.locator("#job-download").is_visible() and "已生成 600 张评议卡" in page.inner_text("#job-text")
        assert len(values - {0}) >= 1, values  # the bar moved before the end (polled, no reload needed)
        with page.expect_download() as got:
            page.click('a:has-text("下载评议卡 PDF")')
        pdf = tmp_path / "cards.pdf"
        got.value.save_as(pdf)
        assert got.value.suggested_filename == "cards-2027-batch2.pdf"
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                       check=True)
        png = next(tmp_path.glob("p*.png"))
        codes = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True).stdout
        assert len(codes.split()) == 8 and all(c.startswith(f"{base}/b/") for c in codes.split())
        page.click('button:has-text("删除服务器上的文件")')
        page.wait_for_url(f"{base}/office/campaigns")
        assert not any((office.data_dir / "cardsheets").iterdir())
        browser.close()
