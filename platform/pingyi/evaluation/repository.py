"""Infrastructure layer: queries of the evaluation context; table rows never leave this module (SPEC §2–3)."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from pingyi.core.ballots import SectionDraft, aspect_totals
from pingyi.core.errors import Conflict, NotFound
from pingyi.core.survey import Answer, Aspect, Department, Item, Questionnaire
from pingyi.db import current_engine, fetch, write_transaction
from pingyi.hall.tables import Department as DepartmentRow

from .tables import Ballot, Campaign, Card, Opinion, Receipt, Section, SpentToken


def questionnaire_to_json(q: Questionnaire) -> dict[str, Any]:
    return {
        "title": q.title,
        "answers": [{"key": a.key, "label": a.label, "points": a.points} for a in q.answers],
        "aspects": [{"key": a.key, "name": a.name, "items": [{"id": i.id, "text": i.text} for i in a.items]}
                    for a in q.aspects],
    }


def questionnaire_from_json(raw: Any) -> Questionnaire:
    data = json.loads(raw) if isinstance(raw, str) else raw
    return Questionnaire(
        title=data["title"],
        answers=tuple(Answer(a["key"], a["label"], int(a["points"])) for a in data["answers"]),
        aspects=tuple(Aspect(a["key"], a["name"], tuple(Item(i["id"], i["text"]) for i in a["items"]))
                      for a in data["aspects"]),
    )


def _codes(raw: Any) -> list[str]:
    return list(json.loads(raw) if isinstance(raw, str) else raw)


async def campaign_row(year: int) -> dict[str, Any]:
    row = await Campaign.select().where(Campaign.year == year).first()
    if row is None:
        raise NotFound(f"{year} 年度评议活动不存在。")
    row["department_codes"] = _codes(row["department_codes"])
    return row


async def campaigns() -> list[dict[str, Any]]:
    rows = await Campaign.select().order_by(Campaign.year, ascending=False)
    for row in rows:
        row["department_codes"] = _codes(row["department_codes"])
    return rows


async def departments(codes: list[str] | None = None) -> list[Department]:
    query = DepartmentRow.select(DepartmentRow.code, DepartmentRow.name).order_by(DepartmentRow.sort_order)
    rows = await query.order_by(DepartmentRow.code)
    found = [Department(r["code"], r["name"]) for r in rows]
    if codes is None:
        return found
    by_code = {d.code: d for d in found}
    return [by_code[c] for c in codes if c in by_code]


async def department_code_of(department_id: int | None) -> str | None:
    row = await DepartmentRow.select(DepartmentRow.code).where(DepartmentRow.id == department_id).first()
    return row["code"] if row else None


async def department_ids(codes: list[str]) -> dict[str, int]:
    rows = await DepartmentRow.select(DepartmentRow.id, DepartmentRow.code).where(DepartmentRow.code.is_in(codes))
    return {r["code"]: r["id"] for r in rows}


async def insert_campaign(values: dict[str, Any]) -> int:
    if await Campaign.exists().where(Campaign.year == values["year"]):
        raise Conflict(f"{values['year']} 年度评议活动已存在。")
    row = Campaign(**values)
    await row.save()
    return row.id


async def campaign_exists(year: int) -> bool:
    return bool(await Campaign.exists().where(Campaign.year == year))


async def campaign_years() -> list[int]:
    return [int(r["year"]) for r in await Campaign.select(Campaign.year)]


async def update_draft_campaign(campaign_id: int, values: dict[str, Any]) -> bool:
    """Update a campaign only while it is a draft; False when it is not (any more)."""
    rows = await Campaign.update({getattr(Campaign, k): v for k, v in values.items()})\
        .where((Campaign.id == campaign_id) & (Campaign.state == "draft")).returning(Campaign.id)
    return bool(rows)


async def update_campaign(campaign_id: int, values: dict[str, Any]) -> None:
    await Campaign.update({getattr(Campaign, k): v for k, v in values.items()}).where(Campaign.id == campaign_id)


async def insert_card_hashes(campaign_id: int, hashes: list[str], batch: int) -> None:
    for start in range(0, len(hashes), 500):
        await Card.insert(*[Card(campaign=campaign_id, token_hash=h, batch=batch) for h in hashes[start:start + 500]])


async def next_card_batch(campaign_id: int) -> int:
    row = await Card.select(Card.batch).where(Card.campaign == campaign_id)\
        .order_by(Card.batch, ascending=False).first()
    return (row["batch"] + 1) if row else 1


async def card_state(token_hash: str, tag: str) -> dict[str, Any] | None:
    """The card, whether it is spent, and its campaign's form data in one query; None for an unknown card.
    A card is spent when its spent tag is stored (or, for cards spent before the tags, its own hash).
    (Raw SQL: this runs on every ballot page and submission, and Piccolo's join builder costs ~1 ms.)"""
    rows = await fetch(
        "SELECT EXISTS (SELECT 1 FROM spent_token t WHERE t.tag IN ({}, {})) AS spent, p.id AS campaign_id, "
        "p.year AS year, p.state AS state, p.title AS title, "
        "p.department_codes AS department_codes, p.questionnaire AS questionnaire "
        "FROM card c JOIN campaign p ON p.id = c.campaign WHERE c.token_hash = {}", tag, token_hash, token_hash)
    if not rows:
        return None
    row = rows[0]
    row["spent"] = bool(row["spent"])
    row["department_codes"] = _codes(row["department_codes"])
    return row


async def open_campaigns() -> list[dict[str, Any]]:
    """The campaigns accepting ballots, with what a ballot form needs (keys as in card_state)."""
    rows = await fetch("SELECT id AS campaign_id, year, title, department_codes, questionnaire FROM campaign "
                       "WHERE state = 'open'")
    for row in rows:
        row["department_codes"] = _codes(row["department_codes"])
    return rows


async def campaign_departments(codes: list[str]) -> list[tuple[int, Department]]:
    """(database id, department) for the given codes, in the campaign's order."""
    rows = await DepartmentRow.select(DepartmentRow.id, DepartmentRow.code, DepartmentRow.name)\
        .where(DepartmentRow.code.is_in(codes))
    by_code = {r["code"]: (r["id"], Department(r["code"], r["name"])) for r in rows}
    return [by_code[c] for c in codes if c in by_code]


SECTION_COLUMNS = ("id", "campaign", "department", "answers", "total", *[f"aspect_{i}" for i in range(1, 9)])
SECTION_CASTS = ("::uuid", "::int", "::int", "::text", "::int", *["::smallint"] * 8)
OPINION_COLUMNS = ("id", "campaign", "department", "text", "source")
OPINION_CASTS = ("::uuid", "::int", "::int", "::text", "::text")
UNSPENT_OPEN_CARD = ("FROM card c WHERE c.token_hash = {} AND c.campaign = {} "
                     "AND c.campaign IN (SELECT id FROM campaign WHERE state = 'open') "
                     "AND NOT EXISTS (SELECT 1 FROM spent_token t WHERE t.tag = c.token_hash)")


def _rows_of(campaign_id: int, questionnaire: Questionnaire, sections: list[SectionDraft],
             dept_ids: dict[str, int]) -> tuple[list[Any], list[Any]]:
    """Flat parameter lists of the section rows and of the opinion rows (apart: an opinion names no section)."""
    section_values: list[Any] = []
    opinion_values: list[Any] = []
    for s in sections:
        aspects = aspect_totals(questionnaire, s.answers)
        section_values += [str(uuid.uuid4()), campaign_id, dept_ids[s.department_code], s.answers, s.total,
                           *aspects, *([0] * (8 - len(aspects)))]
        if s.opinion:
            opinion_values += [str(uuid.uuid4()), campaign_id, dept_ids[s.department_code], s.opinion, "ballot"]
    return section_values, opinion_values


def _pg_values(columns: tuple[str, ...], casts: tuple[str, ...], count: int) -> str:
    row = "(" + ", ".join("{}" + cast for cast in casts) + ")"
    return f"(VALUES {', '.join([row] * count)}) AS v({', '.join(columns)})"


def random_rowid() -> int:
    """A random SQLite rowid: rows land at random places of the table's b-tree, not in arrival order."""
    return secrets.randbelow(2 ** 62) + 1


async def _sqlite_insert(table: str, columns: tuple[str, ...], values: list[Any]) -> None:
    if not values:
        return
    width = len(columns)
    rows = [values[i:i + width] for i in range(0, len(values), width)]
    row = "(" + ", ".join(["{}"] * (width + 1)) + ")"
    await Ballot.raw(f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES " + ", ".join([row] * len(rows)),
                     *[v for r in rows for v in (random_rowid(), *r)])


async def store_ballot(token_hash: str, tag: str, campaign_id: int, questionnaire: Questionnaire,
                       sections: list[SectionDraft], dept_ids: dict[str, int], receipt_code: str) -> bool:
    """Spend the card and store the ballot, its sections, its opinions and the receipt atomically. False (and
    nothing written) unless this caller stored the card's spent tag, for an unspent card of an open campaign.

    The card row is not written: the spent tag (unique) is what makes one token yield one ballot. Keys are random
    UUIDs made here; no row names another. PostgreSQL: one statement (data-modifying CTEs), a single round trip.
    SQLite: the same steps inside one BEGIN IMMEDIATE transaction, at random rowids."""
    ballot_id, receipt_id = str(uuid.uuid4()), str(uuid.uuid4())
    section_values, opinion_values = _rows_of(campaign_id, questionnaire, sections, dept_ids)
    n_opinions = len(opinion_values) // len(OPINION_COLUMNS)
    if isinstance(current_engine(), PostgresEngine):
        opinions = (f"o AS (INSERT INTO opinion ({', '.join(OPINION_COLUMNS)}) SELECT v.* FROM "
                    f"{_pg_values(OPINION_COLUMNS, OPINION_CASTS, n_opinions)} WHERE EXISTS (SELECT 1 FROM spent)), "
                    if n_opinions else "")
        statement = (
            f"WITH spent AS (INSERT INTO spent_token (tag, campaign) SELECT {{}}, c.campaign {UNSPENT_OPEN_CARD} "
            "AND NOT EXISTS (SELECT 1 FROM spent_token t WHERE t.tag = {}) RETURNING campaign), "
            "b AS (INSERT INTO ballot (id, campaign) SELECT {}::uuid, campaign FROM spent), "
            f"s AS (INSERT INTO section ({', '.join(SECTION_COLUMNS)}) SELECT v.* FROM "
            f"{_pg_values(SECTION_COLUMNS, SECTION_CASTS, len(sections))} WHERE EXISTS (SELECT 1 FROM spent)), "
            f"{opinions}"
            "r AS (INSERT INTO receipt (id, campaign, code) SELECT {}::uuid, campaign, {} FROM spent) "
            "SELECT COUNT(*) AS n FROM spent")
        try:
            result = await fetch(statement, tag, token_hash, campaign_id, tag, ballot_id, *section_values,
                                 *opinion_values, receipt_id, receipt_code)
        except asyncpg.UniqueViolationError as exc:  # a concurrent submission of the same card stored its tag first
            if "spent_token" not in (exc.constraint_name or ""):
                raise
            return False
        return bool(result[0]["n"])
    async with write_transaction():
        spent = await Card.raw(f"INSERT INTO spent_token (rowid, tag, campaign) SELECT {{}}, {{}}, c.campaign "
                               f"{UNSPENT_OPEN_CARD} AND NOT EXISTS (SELECT 1 FROM spent_token t WHERE t.tag = {{}}) "
                               "RETURNING campaign", random_rowid(), tag, token_hash, campaign_id, tag)
        if not spent:
            return False
        await _sqlite_insert("ballot", ("id", "campaign"), [ballot_id, campaign_id])
        await _sqlite_insert("section", SECTION_COLUMNS, section_values)
        await _sqlite_insert("opinion", OPINION_COLUMNS, opinion_values)
        await _sqlite_insert("receipt", ("id", "campaign", "code"), [receipt_id, campaign_id, receipt_code])
    return True


async def turnout(campaign_id: int) -> dict[str, int]:
    issued = await Card.count().where(Card.campaign == campaign_id)
    used = await SpentToken.count().where(SpentToken.campaign == campaign_id)
    ballots = await Ballot.count().where(Ballot.campaign == campaign_id)
    return {"cards_issued": issued, "cards_used": used, "ballots": ballots}


async def section_tallies(campaign_id: int, aspect_count: int) -> dict[str, dict[str, Any]]:
    """department code → {sections, section_sum, aspect_sums}: one GROUP BY over the campaign's sections."""
    aspects = "".join(f", SUM(s.aspect_{i + 1}) AS a{i}" for i in range(aspect_count))
    rows = await Section.raw(
        f"SELECT s.department AS department, COUNT(*) AS n, SUM(s.total) AS total{aspects} FROM section s "
        "WHERE s.campaign = {} GROUP BY s.department", campaign_id)
    codes = {r["id"]: r["code"] for r in await DepartmentRow.select(DepartmentRow.id, DepartmentRow.code)}
    return {codes[r["department"]]: {"sections": int(r["n"]), "section_sum": int(r["total"]),
                                      "aspect_sums": [int(r[f"a{i}"]) for i in range(aspect_count)]}
            for r in rows}


async def opinions(campaign_id: int) -> dict[str, list[str]]:
    """department code → opinions (ballots' and symposium notes'), in content order: never in storage order."""
    out: dict[str, list[str]] = {}
    rows = await Opinion.select(Opinion.department.code, Opinion.text, Opinion.source) \
        .where(Opinion.campaign == campaign_id)
    for r in rows:
        prefix = "【座谈会】" if r["source"] == "symposium" else ""
        out.setdefault(r["department.code"], []).append(prefix + r["text"])
    return {code: sorted(texts) for code, texts in out.items()}


async def bulletin_sections(campaign_id: int) -> dict[str, list[str]]:
    """department code → the answers strings of its sections, in content order (the bulletin shuffles them)."""
    out: dict[str, list[str]] = {}
    rows = await Section.select(Section.department.code, Section.answers).where(Section.campaign == campaign_id)
    for r in rows:
        out.setdefault(r["department.code"], []).append(r["answers"])
    return {code: sorted(answers) for code, answers in out.items()}


async def receipt_codes(campaign_id: int) -> list[str]:
    rows = await Receipt.select(Receipt.code).where(Receipt.campaign == campaign_id).order_by(Receipt.code)
    return [r["code"] for r in rows]


async def receipt_exists(campaign_id: int, code: str) -> bool:
    return await Receipt.exists().where((Receipt.campaign == campaign_id) & (Receipt.code == code))


async def department_item_sums(campaign_id: int, department_code: str, item_count: int) -> list[int]:
    """Per-item sums of points for one department's sections (feedback page; one department is small)."""
    cols = ", ".join(f"SUM(CAST(SUBSTR(s.answers, {i + 1}, 1) AS INTEGER)) AS i{i}" for i in range(item_count))
    rows = await Section.raw(
        f"SELECT {cols} FROM section s JOIN department d ON d.id = s.department "
        "WHERE s.campaign = {} AND d.code = {}", campaign_id, department_code)
    if not rows or rows[0]["i0"] is None:
        return [0] * item_count
    return [int(rows[0][f"i{i}"]) for i in range(item_count)]
