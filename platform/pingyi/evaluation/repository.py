"""Infrastructure layer: queries of the evaluation context; table rows never leave this module (SPEC §2–3)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from pingyi.core.ballots import SectionDraft, aspect_totals
from pingyi.core.errors import Conflict, NotFound
from pingyi.core.survey import Answer, Aspect, Department, Item, Questionnaire
from pingyi.db import current_engine, fetch, write_transaction
from pingyi.hall.tables import Department as DepartmentRow

from .tables import Ballot, Campaign, Card, Receipt, Section, SymposiumOpinion


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


async def card_state(token_hash: str) -> dict[str, Any] | None:
    """The card, whether it is spent, and its campaign's form data in one query; None for an unknown card.
    (Raw SQL: this runs on every ballot page and submission, and Piccolo's join builder costs ~1 ms.)"""
    rows = await fetch(
        "SELECT c.spent AS spent, p.id AS campaign_id, p.year AS year, p.state AS state, p.title AS title, "
        "p.department_codes AS department_codes, p.questionnaire AS questionnaire "
        "FROM card c JOIN campaign p ON p.id = c.campaign WHERE c.token_hash = {}", token_hash)
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


SECTION_COLUMNS = ("id", "ballot", "campaign", "department", "answers", "total", *[f"aspect_{i}" for i in range(1, 9)],
                   "opinion")
SECTION_CASTS = ("::uuid", "::uuid", "::int", "::int", "::text", "::int", *["::smallint"] * 8, "::text")
OPEN_CARD = ("token_hash = {} AND spent = {} AND campaign = {} "
             "AND campaign IN (SELECT id FROM campaign WHERE state = 'open')")


def _section_values(ballot_id: str, campaign_id: int, questionnaire: Questionnaire, sections: list[SectionDraft],
                    dept_ids: dict[str, int]) -> list[Any]:
    values: list[Any] = []
    for s in sections:
        aspects = aspect_totals(questionnaire, s.answers)
        values += [str(uuid.uuid4()), ballot_id, campaign_id, dept_ids[s.department_code], s.answers, s.total,
                   *aspects, *([0] * (8 - len(aspects))), s.opinion]
    return values


async def store_ballot(token_hash: str, campaign_id: int, questionnaire: Questionnaire,
                       sections: list[SectionDraft], dept_ids: dict[str, int], receipt_code: str) -> bool:
    """Spend the card and store the ballot, its sections and the receipt atomically. False (and nothing written)
    unless this caller's conditional UPDATE flipped the card from unspent to spent while its campaign was open.

    Keys are random UUIDs made here. PostgreSQL: one statement (data-modifying CTEs), so the whole write is a
    single round trip. SQLite: the same steps inside one BEGIN IMMEDIATE transaction."""
    ballot_id, receipt_id = str(uuid.uuid4()), str(uuid.uuid4())
    values = _section_values(ballot_id, campaign_id, questionnaire, sections, dept_ids)
    if isinstance(current_engine(), PostgresEngine):
        row = "(" + ", ".join("{}" + cast for cast in SECTION_CASTS) + ")"
        cols = ", ".join(SECTION_COLUMNS)
        result = await fetch(
            f"WITH spent AS (UPDATE card SET spent = {{}} WHERE {OPEN_CARD} RETURNING campaign), "
            "b AS (INSERT INTO ballot (id, campaign) SELECT {}::uuid, campaign FROM spent RETURNING id), "
            f"s AS (INSERT INTO section ({cols}) SELECT v.* FROM (VALUES {', '.join([row] * len(sections))}) "
            f"AS v({cols}) WHERE EXISTS (SELECT 1 FROM b)), "
            "r AS (INSERT INTO receipt (id, campaign, code) SELECT {}::uuid, campaign, {} FROM spent) "
            "SELECT COUNT(*) AS n FROM spent",
            True, token_hash, False, campaign_id, ballot_id, *values, receipt_id, receipt_code)
        return bool(result[0]["n"])
    async with write_transaction():
        flipped = await Card.raw(f"UPDATE card SET spent = {{}} WHERE {OPEN_CARD} RETURNING id", True, token_hash,
                                 False, campaign_id)
        if not flipped:
            return False
        await Ballot.raw("INSERT INTO ballot (id, campaign) VALUES ({}, {})", ballot_id, campaign_id)
        row = "(" + ", ".join(["{}"] * len(SECTION_COLUMNS)) + ")"
        await Section.raw(f"INSERT INTO section ({', '.join(SECTION_COLUMNS)}) VALUES "
                          + ", ".join([row] * len(sections)), *values)
        await Receipt.raw("INSERT INTO receipt (id, campaign, code) VALUES ({}, {}, {})", receipt_id, campaign_id,
                          receipt_code)
    return True


async def turnout(campaign_id: int) -> dict[str, int]:
    issued = await Card.count().where(Card.campaign == campaign_id)
    used = await Card.count().where((Card.campaign == campaign_id) & (Card.spent == True))  # noqa: E712
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
    """department code → opinions (ballot sections and symposium notes), in random-key order."""
    out: dict[str, list[str]] = {}
    rows = await Section.select(Section.department.code, Section.opinion) \
        .where((Section.campaign == campaign_id) & (Section.opinion != "")).order_by(Section.id)
    for r in rows:
        out.setdefault(r["department.code"], []).append(r["opinion"])
    for r in await SymposiumOpinion.select(SymposiumOpinion.department.code, SymposiumOpinion.text) \
            .where(SymposiumOpinion.campaign == campaign_id):
        out.setdefault(r["department.code"], []).append("【座谈会】" + r["text"])
    return out


async def bulletin_sections(campaign_id: int) -> dict[str, list[str]]:
    """department code → the answers strings of its sections, ordered by their random keys (a shuffle)."""
    out: dict[str, list[str]] = {}
    rows = await Section.select(Section.department.code, Section.answers) \
        .where(Section.campaign == campaign_id).order_by(Section.id)
    for r in rows:
        out.setdefault(r["department.code"], []).append(r["answers"])
    return out


async def receipt_codes(campaign_id: int) -> list[str]:
    rows = await Receipt.select(Receipt.code).where(Receipt.campaign == campaign_id).order_by(Receipt.code)
    return [r["code"] for r in rows]


async def receipt_exists(campaign_id: int, code: str) -> bool:
    return await Receipt.exists().where((Receipt.campaign == campaign_id) & (Receipt.code == code))


async def add_symposium_opinion(campaign_id: int, department_id: int, text: str, actor: str) -> None:
    await SymposiumOpinion(campaign=campaign_id, department=department_id, text=text, recorded_by=actor).save()


async def department_item_sums(campaign_id: int, department_code: str, item_count: int) -> list[int]:
    """Per-item sums of points for one department's sections (feedback page; one department is small)."""
    cols = ", ".join(f"SUM(CAST(SUBSTR(s.answers, {i + 1}, 1) AS INTEGER)) AS i{i}" for i in range(item_count))
    rows = await Section.raw(
        f"SELECT {cols} FROM section s JOIN department d ON d.id = s.department "
        "WHERE s.campaign = {} AND d.code = {}", campaign_id, department_code)
    if not rows or rows[0]["i0"] is None:
        return [0] * item_count
    return [int(rows[0][f"i{i}"]) for i in range(item_count)]
