"""Integration: nothing links a ballot to its card, token, enterprise, IP or time (SPEC §3).

Submits through a real server process, then searches its access log and the whole database for the token,
and checks the ballot tables' schema holds no linking column.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import pytest

from pingyi import db
from pingyi.core.cardcodes import format_code
from pingyi.evaluation.tables import Ballot, Card, Opinion, Receipt, Section, SpentToken

from .helpers import full_section, open_campaign, run
from .server import running_server
from .webclient import CSRF_FIELD

ALLOWED_COLUMNS = {
    "ballot": {"id", "campaign"},
    "section": {"id", "campaign", "department", "answers", "total", *(f"aspect_{i}" for i in range(1, 9))},
    "receipt": {"id", "campaign", "code"},
    "opinion": {"id", "campaign", "department", "text", "source"},
    "spent_token": {"tag", "campaign"},
    "card": {"id", "campaign", "token_hash", "batch"},
}


def test_ballot_tables_hold_no_link_and_random_keys(sqlite_settings):
    s = sqlite_settings
    for table in (Ballot, Section, Receipt, Opinion, SpentToken, Card):
        names = {c._meta.db_column_name for c in table._meta.columns}
        assert names == ALLOWED_COLUMNS[table._meta.tablename], table
        assert not any("time" in type(c).__name__.lower() or "date" in type(c).__name__.lower()
                       for c in table._meta.columns)

    async def work():
        tokens = await open_campaign(s, cards=3)
        from pingyi.evaluation import service as evaluation

        for t in tokens:
            await evaluation.submit_ballot(t, {"D01": full_section(s)}, {})
        return await Ballot.select(Ballot.id), await Section.select(Section.id)

    ballots, sections = run(s, work)
    for row in ballots + sections:
        assert isinstance(row["id"], uuid.UUID) and row["id"].version == 4


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_token_never_reaches_access_log_or_database(engine, request):
    s = request.getfixturevalue(f"{engine}_settings")
    tokens = run(s, lambda: open_campaign(s, cards=3))
    with running_server(s) as base, httpx.Client(base_url=base, timeout=10) as client:
        page = client.get(f"/b/{tokens[0]}?d=D01")
        csrf = CSRF_FIELD.search(page.text).group(1)
        data = {f"a.D01.{i}": a for i, a in full_section(s).items()} | {"_csrf_token": csrf}
        done = client.post(f"/b/{tokens[0]}", data=data)
        assert "id=\"receipt\"" in done.text
        api = client.post("/api/v1/ballots", json={"token": tokens[1], "answers": {"D02": full_section(s)}})
        assert api.status_code == 201
        typed = client.post("/b", data={"code": format_code(tokens[2]), "_csrf_token": csrf},
                            follow_redirects=False)
        assert typed.status_code == 303
    log = s.http.access_log.read_text()
    assert "/b/[redacted]" in log
    for t in tokens:
        assert t not in log and t.lower() not in log and format_code(t) not in log
        assert t[:10] not in log

    dump = _database_text(s)
    for t in tokens:
        assert t not in dump and format_code(t) not in dump
    assert re.search(r"R-[0-9A-Z]{4}-", dump)  # the dump really holds the ballot data we searched


def _database_text(s) -> str:
    if s.database.is_sqlite:
        path = s.database.sqlite_path
        parts = [path.read_bytes()]
        for extra in (path.with_name(path.name + "-wal"),):
            if extra.exists():
                parts.append(extra.read_bytes())
        return b"".join(parts).decode("latin-1")

    async def dump() -> str:
        engine = db.make_engine(s.database)
        rows = await engine.run_ddl(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        out = []
        for r in rows:
            out.extend(str(x) for x in await engine.run_ddl(f'SELECT * FROM "{r["table_name"]}"'))
        return "\n".join(out)

    return asyncio.run(dump())


SYMPOSIUM_COLUMNS = {
    "symposium": {"id", "campaign", "held_on", "place"},
    "symposium_attendance": {"id", "symposium", "department", "slot", "status", "attendee", "note"},
    "symposium_note": {"id", "symposium", "department", "text"},
}
ANONYMOUS_TABLES = {"ballot", "section", "opinion", "receipt", "spent_token", "card"}


def test_symposium_tables_name_no_ballot_row_or_card():
    """The symposium record is office work in the open, kept apart from the anonymous rows: its columns are
    exactly these, and no foreign key reaches a ballot, section, opinion, receipt, spent tag or card."""
    from pingyi.evaluation.tables import Symposium, SymposiumAttendance, SymposiumNote

    for table in (Symposium, SymposiumAttendance, SymposiumNote):
        names = {c._meta.db_column_name for c in table._meta.columns}
        assert names == SYMPOSIUM_COLUMNS[table._meta.tablename], table
        targets = {fk._foreign_key_meta.resolved_references._meta.tablename for fk in table._meta.foreign_key_columns}
        assert targets <= {"campaign", "department", "symposium"} and not targets & ANONYMOUS_TABLES


def test_symposium_notes_are_stored_apart_and_ballot_opinions_listed_in_content_order(any_settings):
    s = any_settings

    async def work():
        from pingyi.evaluation import symposium
        from pingyi.publication import service as publication

        tokens = await open_campaign(s, cards=5)
        for i, t in enumerate(tokens):
            await evaluation.submit_ballot(t, {"D01": full_section(s)}, {"D01": f"意见{'cab'[i % 3]}{i}"})
        sid = await symposium.record_symposium(2026, "2026-01-05", "会议室", actor="office")
        for text in ("丙：窗口排队长", "甲：材料清单不清", "乙：态度好"):  # entered in this order
            await symposium.add_note(2026, sid, "D01", text, actor="office")
        await evaluation.change_state(2026, "close", actor="office")
        await publication.publish(2026, (await publication.compute_snapshot(2026, actor="office"))["version"],
                                  actor="office")
        rows = await Opinion.select(Opinion.text, Opinion.source)
        return rows, await publication.department_feedback(2026, "D01")

    from pingyi.evaluation import service as evaluation

    rows, feedback = run(s, work)
    assert {r["source"] for r in rows} == {"ballot"} and len(rows) == 5  # nothing of the symposium among them
    listed = feedback["opinions"]
    assert listed == sorted(listed) and len(listed) == 5  # content order, never the order of entry or storage
    assert [m["notes"] for m in feedback["symposia"]] == [["丙：窗口排队长", "甲：材料清单不清", "乙：态度好"]]


def test_a_burst_of_ballots_is_reshuffled_once_it_is_over(any_settings):
    """Simultaneous ballots are answered without waiting for a reshuffle; one follows when the burst is over."""
    s = any_settings

    async def work():
        from pingyi.evaluation import service as evaluation

        tokens = await open_campaign(s, cards=12)
        await asyncio.gather(*[evaluation.submit_ballot(t, {"D01": full_section(s)}, {"D01": f"意见{i}"})
                               for i, t in enumerate(tokens)])
        mixer = evaluation._mixer
        pending = mixer.requested - mixer.done
        for _ in range(40):
            if mixer.done == mixer.requested:
                break
            await asyncio.sleep(0.1)
        return pending, mixer.requested - mixer.done

    pending, left = run(s, work)
    assert pending > 0, "the burst's ballots were answered before a reshuffle"
    assert left == 0, "a reshuffle covered them once the burst was over"
