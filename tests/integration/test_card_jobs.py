"""Integration: a card batch drawn in a worker thread with progress on the office page (SPEC §3 cards, §8 heavy work;
issue 11), on SQLite and PostgreSQL.

The office mints cards and is sent to the job's page at once; the sheet appears in the private data folder (0600),
every QR code on it scans back to a ballot URL whose token is one of the batch's stored hashes; the download and
the discard are audited; a foreign, malformed or another campaign's job id is 404; other roles are refused; a job
whose process died reads as failed; progress moves page by page.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from pingyi import clock
from pingyi.accounts import service as accounts
from pingyi.audit.tables import AuditEntry
from pingyi.core import cardcodes
from pingyi.evaluation import cardjobs, cardsheet
from pingyi.evaluation.tables import Card

from .helpers import open_campaign, run
from .webclient import client_for, login, post_form


def _setup(s, year: int = 2027) -> None:
    async def work():
        await open_campaign(s, year=year, cards=1)
        await accounts.create_user("boss", "password-12", "admin", actor="test")
        await accounts.create_user("insp", "password-12", "inspector", actor="test")

    run(s, work)


def _start(client, year: int, count: int) -> str:
    r = post_form(client, "/office/campaigns", f"/office/campaigns/{year}/cards", {"count": str(count)})
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith(f"/office/campaigns/{year}/cards/")
    return location.rsplit("/", 1)[1]


def _scan(pdf: bytes, tmp: Path) -> list[str]:
    assert shutil.which("zbarimg") and shutil.which("pdftoppm"), "tests/run.sh installs zbar-tools, poppler-utils"
    (tmp / "sheet.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp / "sheet.pdf"), str(tmp / "page")], check=True)
    found: list[str] = []
    for png in sorted(tmp.glob("page*.png")):
        res = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True)
        found += [line for line in res.stdout.splitlines() if line]
    return found


def test_office_batch_is_drawn_in_a_thread_and_every_code_is_a_minted_card(any_settings, tmp_path):
    s = any_settings
    _setup(s)
    with client_for(s) as client:
        login(client, "boss", "password-12")
        job = _start(client, 2027, 20)
        page = client.get(f"/office/campaigns/2027/cards/{job}")
        assert page.status_code == 200 and "第 2 批" in page.text and "/static/cardjob.js" in page.text
        cardjobs.wait(job, 120)
        status = client.get(f"/office/campaigns/2027/cards/{job}/status")
        assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
        body = status.json()
        assert (body["state"], body["done"], body["count"], body["batch"], body["created_by"]) == (
            "done", 20, 20, 2, "boss")
        done_page = client.get(f"/office/campaigns/2027/cards/{job}")
        assert "已生成 20 张评议卡" in done_page.text and f"/cards/{job}/cards.pdf" in done_page.text
        listing = client.get("/office/campaigns")
        assert f"/office/campaigns/2027/cards/{job}" in listing.text and "已生成" in listing.text

        sheet = s.data_dir / "cardsheets" / job / "cards.pdf"
        assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
        assert stat.S_IMODE(sheet.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE((s.data_dir / "cardsheets").stat().st_mode) == 0o700
        pdf = client.get(f"/office/campaigns/2027/cards/{job}/cards.pdf")
        assert pdf.status_code == 200 and pdf.content == sheet.read_bytes()
        assert pdf.headers["cache-control"] == "no-store"
        assert 'filename="cards-2027-batch2.pdf"' in pdf.headers["content-disposition"]

        urls = _scan(pdf.content, tmp_path)
        assert len(urls) == 20 and len(set(urls)) == 20
        base = s.http.public_base_url
        assert all(u.startswith(f"{base}/b/") for u in urls)
        hashes = {cardcodes.token_hash(u.rsplit("/", 1)[1]) for u in urls}
        stored = run(s, lambda: Card.select(Card.token_hash).where(Card.batch == 2))
        assert hashes == {r["token_hash"] for r in stored}
        # no token anywhere else in the data folder (the status file holds none)
        token = urls[0].rsplit("/", 1)[1]
        for path in s.data_dir.rglob("*"):
            if path.is_file() and path != sheet:
                assert token.encode() not in path.read_bytes(), path

        discard = post_form(client, f"/office/campaigns/2027/cards/{job}",
                            f"/office/campaigns/2027/cards/{job}/discard", {})
        assert discard.status_code == 303
        assert not sheet.parent.exists()
        assert client.get(f"/office/campaigns/2027/cards/{job}/cards.pdf").status_code == 404
        assert client.get(f"/office/campaigns/2027/cards/{job}").status_code == 404
    actions = run(s, lambda: AuditEntry.select(AuditEntry.action).where(
        AuditEntry.action.is_in(["cards.generate", "cards.download", "cards.discard"])).order_by(AuditEntry.seq))
    assert [a["action"] for a in actions] == ["cards.generate", "cards.generate", "cards.download", "cards.discard"]


def test_foreign_malformed_and_other_campaign_jobs_are_not_found_and_roles_are_refused(sqlite_settings):
    s = sqlite_settings
    _setup(s, 2027)
    run(s, lambda: open_campaign(s, year=2028, cards=1))
    with client_for(s) as client:
        login(client, "boss", "password-12")
        job = _start(client, 2027, 2)
        cardjobs.wait(job, 60)
        for path in (f"/office/campaigns/2028/cards/{job}", f"/office/campaigns/2028/cards/{job}/cards.pdf",
                     f"/office/campaigns/2028/cards/{job}/status",
                     "/office/campaigns/2027/cards/" + "0" * 32, "/office/campaigns/2027/cards/..%2F..%2Fsecret_key",
                     "/office/campaigns/2027/cards/not-a-job/status", f"/office/campaigns/2027/cards/{job.upper()}"):
            r = client.get(path)
            assert r.status_code == 404, path
            assert "%PDF" not in r.text
        wrong = post_form(client, "/office/campaigns", f"/office/campaigns/2028/cards/{job}/discard", {})
        assert wrong.status_code == 404 and (s.data_dir / "cardsheets" / job / "cards.pdf").exists()
    with client_for(s) as client:
        assert client.get(f"/office/campaigns/2027/cards/{job}/cards.pdf", follow_redirects=False).status_code in (
            302, 401)
        login(client, "insp", "password-12")
        assert client.get(f"/office/campaigns/2027/cards/{job}/cards.pdf").status_code == 403
        assert client.get(f"/office/campaigns/2027/cards/{job}/status").status_code == 403
    downloads = run(s, lambda: AuditEntry.count().where(AuditEntry.action == "cards.download"))
    assert downloads == 0


def test_progress_moves_page_by_page_and_a_failure_is_shown(sqlite_settings, monkeypatch):
    """A fake renderer reports 8 cards drawn and waits: the status says running 8/20; released, it is done. A
    renderer that raises leaves a failed job with a Chinese message and no sheet."""
    s = sqlite_settings
    _setup(s)
    gate, reported = threading.Event(), threading.Event()

    def slow(cards, title, year, base, fonts, progress):
        progress(8)
        reported.set()
        assert gate.wait(30)
        progress(16)
        return b"%PDF-fake"

    monkeypatch.setattr(cardsheet, "render_card_sheet", slow)
    with client_for(s) as client:
        login(client, "boss", "password-12")
        job = _start(client, 2027, 20)
        assert reported.wait(30)
        body = client.get(f"/office/campaigns/2027/cards/{job}/status").json()
        assert (body["state"], body["done"], body["count"]) == ("running", 8, 20)
        page = client.get(f"/office/campaigns/2027/cards/{job}")
        assert "已完成 8 / 20 张" in page.text and 'http-equiv="refresh"' in page.text
        assert client.get(f"/office/campaigns/2027/cards/{job}/cards.pdf").status_code == 404  # not yet
        second = _start(client, 2027, 4)  # one sheet at a time: the second waits for the first
        assert client.get(f"/office/campaigns/2027/cards/{second}/status").json()["state"] == "queued"
        assert "排队中" in client.get(f"/office/campaigns/2027/cards/{second}").text
        gate.set()
        cardjobs.wait(job, 30)
        cardjobs.wait(second, 30)
        assert client.get(f"/office/campaigns/2027/cards/{job}/status").json()["state"] == "done"
        assert client.get(f"/office/campaigns/2027/cards/{second}/status").json()["state"] == "done"

        def broken(*args):
            raise RuntimeError("disk full")

        monkeypatch.setattr(cardsheet, "render_card_sheet", broken)
        failed = _start(client, 2027, 3)
        cardjobs.wait(failed, 30)
        body = client.get(f"/office/campaigns/2027/cards/{failed}/status").json()
        assert body["state"] == "failed" and "评议卡生成失败" in body["error"] and "重新生成" in body["error"]
        assert "评议卡生成失败" in client.get(f"/office/campaigns/2027/cards/{failed}").text
        assert not (s.data_dir / "cardsheets" / failed / "cards.pdf").exists()


def test_a_job_whose_process_died_reads_as_failed_and_old_sheets_expire(tmp_path):
    """Status files alone (as another process left them): running but not updated for STALE_SECONDS → failed;
    older than KEEP_HOURS → removed by the next purge, a fresh one stays."""
    fixed = clock.FixedClock(clock.now())
    previous = clock.current()
    clock.use_clock(fixed)
    try:
        import msgspec

        from pingyi.evaluation.schemas import CardJobStatus

        root = tmp_path / "cardsheets"

        def leave(job: str, state: str, age: timedelta) -> None:
            at = (fixed.now() - age).isoformat(timespec="seconds")
            (root / job).mkdir(parents=True)
            (root / job / "status.json").write_bytes(msgspec.json.encode(CardJobStatus(
                job=job, year=2027, batch=1, count=10, done=4, state=state, error="", created_by="boss",
                created_at=at, updated_at=at, finished_at=None)))

        leave("a" * 32, "running", timedelta(seconds=cardjobs.STALE_SECONDS + 5))
        leave("b" * 32, "running", timedelta(seconds=5))
        leave("c" * 32, "done", timedelta(hours=cardjobs.KEEP_HOURS + 1))
        assert cardjobs.status(tmp_path, 2027, "a" * 32).state == "failed"
        assert "服务在生成过程中停止" in cardjobs.status(tmp_path, 2027, "a" * 32).error
        assert cardjobs.status(tmp_path, 2027, "b" * 32).state == "running"
        assert cardjobs.purge_expired(tmp_path) == 1
        assert sorted(p.name for p in root.iterdir()) == ["a" * 32, "b" * 32]
        with pytest.raises(Exception, match="没有这个评议卡生成任务"):
            cardjobs.status(tmp_path, 2027, "c" * 32)
    finally:
        clock.use_clock(previous)
