"""Integration: the audit log — written in the transaction of the change, serialised on PostgreSQL, verified
against a head kept elsewhere (snapshots, publications, `pingyi audit head`); contact masking (SPEC §5, §7)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date

import pytest

from pingyi.accounts import service as accounts
from pingyi.accounts.tables import OfficeUser
from pingyi.audit import service as audit
from pingyi.audit.tables import AuditEntry
from pingyi.catalog import load_catalog
from pingyi.complaints import service as complaints
from pingyi.complaints.tables import Complaint
from pingyi.core import audit as chain
from pingyi.db import write_transaction
from pingyi.evaluation import service as evaluation
from pingyi.evaluation import symposium
from pingyi.evaluation.tables import Campaign, Card, Symposium, SymposiumAttendance, SymposiumNote
from pingyi.hall.service import add_missing_departments

from .helpers import open_campaign, run
from .webclient import client_for, login, post_form

# --- the entry commits or rolls back with its change ------------------------------------------------------------
# An empty actor makes the audit append fail after the change was made: the change must not survive it.


async def _draft(s):
    catalog = load_catalog(s.surveys_dir)
    await add_missing_departments(catalog.departments)
    await evaluation.create_campaign(2030, "2030年度", catalog.questionnaire, ["D01", "D02"], actor="test")


async def _open(s):
    await evaluation.change_state(2030, "open", actor="test")


async def _open_with_symposium(s):
    await _open(s)
    await symposium.record_symposium(2030, "2026-01-05", "", actor="test")


async def _sid() -> int:
    return (await symposium.meetings(2030))[0].symposium.id


# change → what must exist before it (done, with its own audit entries, before the count is taken)
PREPARE = {"symposium.record": _open, "symposium.attendance": _open_with_symposium,
           "symposium.note": _open_with_symposium}


async def _attend() -> None:
    await symposium.set_attendance(2030, await _sid(), "D01", "leader", "王某 局长", actor="")


async def _note() -> None:
    await symposium.add_note(2030, await _sid(), "D01", "意见", actor="")


FAILING_CHANGES = {
    "campaign.create": (lambda s: evaluation.create_campaign(2031, "2031年度",
                                                             load_catalog(s.surveys_dir).questionnaire,
                                                             ["D01"], actor=""),
                        lambda: Campaign.count().where(Campaign.year == 2031), 0),
    "campaign.open": (lambda s: evaluation.change_state(2030, "open", actor=""),
                      lambda: Campaign.count().where(Campaign.state == "open"), 0),
    "cards.generate": (lambda s: evaluation.mint_cards(2030, 3, actor=""), lambda: Card.count(), 0),
    "symposium.record": (lambda s: symposium.record_symposium(2030, "2026-01-05", "", actor=""),
                         lambda: Symposium.count(), 0),
    "symposium.attendance": (lambda s: _attend(), lambda: SymposiumAttendance.count(), 0),
    "symposium.note": (lambda s: _note(), lambda: SymposiumNote.count(), 0),
    "user.create": (lambda s: accounts.create_user("newbie", "newbie-pass-1", "admin", actor=""),
                    lambda: OfficeUser.count(), 0),
    "complaint.file": (lambda s: complaints.file_complaint("D01", "推诿", channel="phone", received_on=date(2026, 1, 2),
                                                           actor=""),
                       lambda: Complaint.count(), 0),
}


@pytest.mark.parametrize("change", sorted(FAILING_CHANGES))
def test_a_change_whose_audit_entry_fails_is_not_stored(any_settings, change):
    s = any_settings
    do, count, expected = FAILING_CHANGES[change]

    async def work():
        await _draft(s)
        if change in PREPARE:
            await PREPARE[change](s)
        before = await AuditEntry.count()
        with pytest.raises(Exception, match="审计记录必须注明操作人"):
            await do(s)
        return await count(), await AuditEntry.count() - before

    assert run(s, work) == (expected, 0)


def test_user_changes_are_atomic_with_their_audit_entry(sqlite_settings):
    s = sqlite_settings

    async def work():
        await accounts.create_user("inv", "inv-password-1", "investigator", actor="test")
        for change in (accounts.deactivate("inv", actor=""), accounts.change_role("inv", "inspector", actor="")):
            with pytest.raises(Exception, match="审计记录必须注明操作人"):
                await change
        return await OfficeUser.select(OfficeUser.role, OfficeUser.active).first()

    assert run(s, work) == {"role": "investigator", "active": True}


# --- concurrent appends on PostgreSQL ----------------------------------------------------------------------------

@pytest.mark.pg
def test_twenty_concurrent_changes_with_audit_entries_make_one_chain(pg_settings):
    """Each writer inserts a row and its audit entry in one transaction, all at once on a pool of connections:
    the advisory lock orders them; no writer fails and no entry is retried."""
    s = pg_settings

    async def writer(i: int) -> None:
        async with write_transaction():
            await OfficeUser.insert(OfficeUser(username=f"u{i:02d}", password_hash="x", role="inspector"))
            await asyncio.sleep(0.01)  # hold the transaction open so the writers overlap
            await audit.append("test", "user.create", f"user:u{i:02d}", {"n": i})

    async def work():
        await asyncio.gather(*(writer(i) for i in range(20)))
        return await audit.entries(), await audit.verify(), await OfficeUser.count()

    entries, problems, users = run(s, work)
    assert problems == [] and users == 20
    assert [e.seq for e in entries] == list(range(1, 21))
    assert sorted(e.subject for e in entries) == [f"user:u{i:02d}" for i in range(20)]


# --- tampering, detected against a head kept elsewhere ------------------------------------------------------------

async def _log_of(n: int) -> str:
    for i in range(n):
        await audit.append("boss", "deduction.add", f"item:{i}", {"points": i})
    return await audit.head()


async def _rewrite_from(seq: int) -> None:
    """Change entry `seq` and recompute every hash after it: the chain alone still verifies."""
    rows = await AuditEntry.select().order_by(AuditEntry.seq)
    prev = chain.GENESIS
    for row in rows:
        detail = json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"]
        if row["seq"] == seq:
            detail = {**detail, "points": 0}
        if row["seq"] >= seq:
            digest = chain.chain_hash(prev, row["seq"], row["at"], row["actor"], row["action"], row["subject"], detail)
            await AuditEntry.update({AuditEntry.detail: json.dumps(detail), AuditEntry.prev_hash: prev,
                                     AuditEntry.hash: digest}).where(AuditEntry.id == row["id"])
            prev = digest
        else:
            prev = row["hash"]


def test_deleting_the_newest_entries_is_detected_against_the_kept_head(any_settings):
    s = any_settings

    async def work():
        kept = await _log_of(6)
        intact = await audit.verify(kept)
        await AuditEntry.delete().where(AuditEntry.seq >= 5)
        return intact, await audit.verify(), await audit.verify(kept)

    intact, alone, against_head = run(s, work)
    assert intact == []
    assert alone == []  # a shorter log is a valid chain by itself
    assert any("第 6 号记录" in p and "删除" in p for p in against_head)


def test_rewriting_an_entry_and_every_hash_after_it_is_detected_against_the_kept_head(any_settings):
    s = any_settings

    async def work():
        kept = await _log_of(6)
        await audit.append("boss", "deduction.add", "item:later", {})  # the log grows after the head was kept
        grown = await audit.verify(kept)
        await _rewrite_from(3)
        return grown, await audit.verify(), await audit.verify(kept)

    grown, alone, against_head = run(s, work)
    assert grown == []
    assert alone == []
    assert any("第 6 号记录的哈希与另行保存的链头不符" in p for p in against_head)


def test_snapshots_and_publications_carry_the_head_that_catches_a_rewrite(any_settings):
    s = any_settings

    async def work():
        from pingyi.publication import service as publication
        from pingyi.publication.tables import Publication

        await open_campaign(s, year=2025, cards=2)
        await evaluation.change_state(2025, "close", actor="boss")
        payload = await publication.compute_snapshot(2025, actor="boss")
        head_at_compute = payload["audit_head"]
        await publication.publish(2025, 1, actor="boss")
        published = await publication.published_results(2025)
        pub_head = (await Publication.select(Publication.audit_head).first())["audit_head"]
        assert published["audit_head"] == head_at_compute and published["publication_audit_head"] == pub_head
        assert pub_head == await audit.head() and pub_head != head_at_compute
        last = (await audit.entries())[-1]
        assert last.action == "results.publish" and pub_head == f"{last.seq}:{last.hash}"
        clean = await audit.verify(head_at_compute), await audit.verify(pub_head)
        await _rewrite_from(2)
        return clean, await audit.verify(), await audit.verify(head_at_compute), await audit.verify(pub_head)

    clean, alone, vs_snapshot, vs_publication = run(s, work)
    assert clean == ([], []) and alone == []
    assert vs_snapshot and vs_publication


def _pingyi(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PINGYI_DATA_DIR": str(settings.data_dir), "PINGYI_DATABASE_URL": settings.database.url,
           "PINGYI_SECRET_KEY": "0" * 64}
    return subprocess.run([sys.executable, "-m", "pingyi", *args], env=env, capture_output=True, text=True, check=False,
                          timeout=120)


def test_audit_head_and_verify_commands(sqlite_settings):
    s = sqlite_settings
    run(s, lambda: _log_of(4))
    head = _pingyi(s, "audit", "head")
    assert head.returncode == 0
    kept = head.stdout.strip()
    assert kept.startswith("4:") and len(kept) == 66
    ok = _pingyi(s, "audit", "verify", "--head", kept)
    assert ok.returncode == 0 and "审计链完整" in ok.stdout
    bad = _pingyi(s, "audit", "verify", "--head", "nonsense")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    run(s, lambda: AuditEntry.delete().where(AuditEntry.seq == 4))
    assert _pingyi(s, "audit", "verify").returncode == 0  # the chain alone cannot tell
    cut = _pingyi(s, "audit", "verify", "--head", kept)
    assert cut.returncode == 1 and "删除" in cut.stderr
    run(s, lambda: _rewrite_from(1))
    run(s, lambda: audit.append("boss", "x", "y", {}))
    assert _pingyi(s, "audit", "verify", "--head", kept).returncode == 1
    run(s, lambda: AuditEntry.update({AuditEntry.actor: "mallory"}).where(AuditEntry.seq == 2))
    broken = _pingyi(s, "audit", "verify")
    assert broken.returncode == 1 and "第 2 号记录内容与其哈希不符" in broken.stderr


# --- complainant contact details ----------------------------------------------------------------------------------

def test_contact_details_are_shown_to_investigators_and_not_to_the_admin(any_settings):
    """SPEC §5 "visible to investigators only": the admin sees neither the contact nor a masked part of it."""
    s = any_settings

    async def work():
        await add_missing_departments(load_catalog(s.surveys_dir).departments)
        await accounts.create_user("boss", "boss-password-1", "admin", actor="test")
        await accounts.create_user("inv", "inv-password-1", "investigator", actor="test")
        await complaints.file_complaint("D07", "窗口人员推诿", contact="13812345678", received_on=date(2026, 3, 2))

    run(s, work)
    with client_for(s) as client:
        login(client, "inv", "inv-password-1")
        assert "13812345678" in client.get("/office/complaints").text
        post_form(client, "/office", "/logout", {})
        login(client, "boss", "boss-password-1")
        page = client.get("/office/complaints")
        assert page.status_code == 200
        assert "13812345678" not in page.text and "138******78" not in page.text
        assert "联系方式仅调查人员可见" in page.text
