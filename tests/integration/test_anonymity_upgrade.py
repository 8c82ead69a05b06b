"""Integration: a database written by the old storage upgrades without losing a ballot, and loses its order
(SPEC §3; evaluation migrations of 2026-12-02). Old-schema rows are written in a known order, the new migrations
run, then the counts, totals, opinions and spent cards are checked, and the rows no longer come in that order."""

from __future__ import annotations

import asyncio
import io
import uuid
from contextlib import redirect_stdout

import pytest

from pingyi import db
from pingyi.core import cardcodes
from pingyi.core.errors import Conflict
from pingyi.evaluation import service as evaluation
from pingyi.evaluation.tables import Ballot, Opinion, Receipt, Section, SpentToken

from ..conftest import _pg_admin, _pg_base, settings_for
from .helpers import full_section, run

OLD_EVALUATION = "2026-11-29T16:45:37:107590"
BALLOTS = 30


async def _old_database(engine) -> list[str]:
    """Migrate to the old evaluation schema and write ballots into it the way the old code did; the tokens of
    its cards, the first BALLOTS of them spent."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from pingyi.catalog import load_catalog
    from pingyi.hall.service import add_missing_departments

    db.use_engine(engine)
    with redirect_stdout(io.StringIO()):
        for app in ("ops", "ratings", "hall", "accounts", "audit"):
            assert (await run_forwards(app_name=app, migration_id="all", fake=False)).success
        assert (await run_forwards(app_name="evaluation", migration_id=OLD_EVALUATION, fake=False)).success
    from pathlib import Path

    catalog = load_catalog(Path(__file__).resolve().parents[2] / "surveys")
    await add_missing_departments(catalog.departments)
    q = Ballot.raw
    await q("INSERT INTO campaign (year, title, state, small_cell_k, department_codes, questionnaire, created_at) "
            "VALUES (2026, 'old', 'open', 5, {}, {}, CURRENT_TIMESTAMP)",
            '["D01", "D02"]', _questionnaire_json(catalog))
    campaign = (await q("SELECT id FROM campaign"))[0]["id"]
    dept = {r["code"]: r["id"] for r in await q("SELECT id, code FROM department")}
    tokens = [cardcodes.mint_token() for _ in range(BALLOTS + 2)]
    for i, t in enumerate(tokens):
        await q("INSERT INTO card (campaign, token_hash, batch, spent) VALUES ({}, {}, 1, {})", campaign,
                cardcodes.token_hash(t), i < BALLOTS)
    for i in range(BALLOTS):
        ballot = str(uuid.uuid4())
        await q("INSERT INTO ballot (id, campaign) VALUES ({}, {})", ballot, campaign)
        answers = f"{i:02d}" + "5" * 18
        await q("INSERT INTO section (id, ballot, campaign, department, answers, total, opinion) VALUES "
                "({}, {}, {}, {}, {}, {}, {})", str(uuid.uuid4()), ballot, campaign, dept["D01"], answers,
                sum(map(int, answers)), f"意见{i:02d}" if i % 2 else "")
        await q("INSERT INTO receipt (id, campaign, code) VALUES ({}, {}, {})", str(uuid.uuid4()), campaign,
                f"R-{i:04d}-0000-0000")
    await q("INSERT INTO symposium_opinion (campaign, department, text, recorded_by) VALUES ({}, {}, '会上意见', 'a')",
            campaign, dept["D02"])
    return tokens


def _questionnaire_json(catalog) -> str:
    import json

    from pingyi.evaluation.repository import questionnaire_to_json

    return json.dumps(questionnaire_to_json(catalog.questionnaire), ensure_ascii=False)


def _in_order(values: list[str]) -> bool:
    return values == sorted(values) or values == sorted(values, reverse=True)


@pytest.mark.parametrize("engine_name", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_old_database_upgrades_without_losing_ballots_or_keeping_order(engine_name, tmp_path):
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        name = f"pingyi_up_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        url = f"{_pg_base()}/{name}"
    s = settings_for(url, tmp_path)
    try:
        tokens = asyncio.run(_old_database(db.make_engine(s.database)))
        asyncio.run(db.migrate(db.make_engine(s.database)))

        physical = "rowid" if engine_name == "sqlite" else "ctid"  # storage order: what rowids or a dump show

        async def after():
            sections = await Section.raw(f"SELECT answers, total FROM section ORDER BY {physical}")
            receipts = await Receipt.raw(f"SELECT code FROM receipt ORDER BY {physical}")
            opinions = await Opinion.select(Opinion.text, Opinion.source)
            counts = (await Ballot.count(), len(sections), len(receipts), await SpentToken.count())
            with pytest.raises(Conflict):  # spent under the old storage: still spent
                await evaluation.submit_ballot(tokens[0], {"D01": full_section(s)}, {})
            receipt = await evaluation.submit_ballot(tokens[-1], {"D01": full_section(s)}, {})  # unspent: usable
            return sections, receipts, opinions, counts, receipt

        sections, receipts, opinions, counts, receipt = run(s, after)
    finally:
        if engine_name == "pg":
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert counts == (BALLOTS, BALLOTS, BALLOTS, BALLOTS)
    assert sum(r["total"] for r in sections) == sum(sum(map(int, f"{i:02d}" + "5" * 18)) for i in range(BALLOTS))
    assert sorted(o["text"] for o in opinions if o["source"] == "ballot") == [f"意见{i:02d}" for i in range(1, 30, 2)]
    assert [o["text"] for o in opinions if o["source"] == "symposium"] == ["会上意见"]
    assert receipt.startswith("R-")
    # written in order 00, 01, …: stored order after the upgrade is a shuffle (chance of sorted: 2 / 30!)
    assert not _in_order([r["answers"][:2] for r in sections]) and not _in_order([r["code"] for r in receipts])
