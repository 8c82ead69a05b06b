"""Infrastructure layer: queries of the evaluation context; table rows never leave this module (SPEC §2–3)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pingyi.complaints.tables import Complaint
from pingyi.core.ballots import SectionDraft
from pingyi.core.errors import Conflict, NotFound
from pingyi.core.survey import Answer, Aspect, Department, Item, Questionnaire
from pingyi.windows.tables import Department as DepartmentRow

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


async def department_ids(codes: list[str]) -> dict[str, int]:
    rows = await DepartmentRow.select(DepartmentRow.id, DepartmentRow.code).where(DepartmentRow.code.is_in(codes))
    return {r["code"]: r["id"] for r in rows}


async def insert_campaign(values: dict[str, Any]) -> int:
    if await Campaign.exists().where(Campaign.year == values["year"]):
        raise Conflict(f"{values['year']} 年度评议活动已存在。")
    row = Campaign(**values)
    await row.save()
    return row.id


async def update_campaign(campaign_id: int, values: dict[str, Any]) -> None:
    await Campaign.update({getattr(Campaign, k): v for k, v in values.items()}).where(Campaign.id == campaign_id)


async def insert_card_hashes(campaign_id: int, hashes: list[str], batch: int) -> None:
    for start in range(0, len(hashes), 500):
        await Card.insert(*[Card(campaign=campaign_id, token_hash=h, batch=batch) for h in hashes[start:start + 500]])


async def next_card_batch(campaign_id: int) -> int:
    row = await Card.select(Card.batch).where(Card.campaign == campaign_id).order_by(Card.batch, ascending=False).first()
    return (row["batch"] + 1) if row else 1


async def card_state(token_hash: str) -> dict[str, Any] | None:
    """The card's campaign and whether it is spent, or None for an unknown card."""
    return await Card.select(Card.id, Card.spent, Card.campaign.id, Card.campaign.year, Card.campaign.state) \
        .where(Card.token_hash == token_hash).first()


async def spend_card(token_hash: str) -> bool:
    """Conditionally mark the card spent; True only for the one caller that flipped it (call in a transaction)."""
    flipped = await Card.update({Card.spent: True}).where((Card.token_hash == token_hash) & (Card.spent == False))\
        .returning(Card.id)  # noqa: E712
    return bool(flipped)


async def insert_ballot(campaign_id: int, sections: list[SectionDraft], dept_ids: dict[str, int],
                        receipt_code: str) -> None:
    """Store one ballot, its sections and the receipt (call inside the transaction that spent the card)."""
    ballot = Ballot(campaign=campaign_id)
    await ballot.save()
    await Section.insert(*[
        Section(ballot=ballot.id, campaign=campaign_id, department=dept_ids[s.department_code], answers=s.answers,
                total=s.total, opinion=s.opinion)
        for s in sections
    ])
    await Receipt.insert(Receipt(campaign=campaign_id, code=receipt_code))


async def turnout(campaign_id: int) -> dict[str, int]:
    issued = await Card.count().where(Card.campaign == campaign_id)
    used = await Card.count().where((Card.campaign == campaign_id) & (Card.spent == True))  # noqa: E712
    ballots = await Ballot.count().where(Ballot.campaign == campaign_id)
    return {"cards_issued": issued, "cards_used": used, "ballots": ballots}


async def section_tallies(campaign_id: int) -> dict[str, tuple[int, int]]:
    """department code → (complete sections, sum of totals): one GROUP BY."""
    rows = await Section.raw(
        "SELECT d.code AS code, COUNT(*) AS n, SUM(s.total) AS total FROM section s "
        "JOIN department d ON d.id = s.department WHERE s.campaign = {} GROUP BY d.code", campaign_id)
    return {r["code"]: (int(r["n"]), int(r["total"])) for r in rows}


async def item_sums(campaign_id: int, item_count: int) -> dict[str, list[int]]:
    """department code → per-item sum of points (one GROUP BY with SUBSTR per item)."""
    cols = ", ".join(f"SUM(CAST(SUBSTR(s.answers, {i + 1}, 1) AS INTEGER)) AS i{i}" for i in range(item_count))
    rows = await Section.raw(
        f"SELECT d.code AS code, {cols} FROM section s JOIN department d ON d.id = s.department "
        "WHERE s.campaign = {} GROUP BY d.code", campaign_id)
    return {r["code"]: [int(r[f"i{i}"]) for i in range(item_count)] for r in rows}


async def substantiated_counts(window_from: date | None, window_to: date | None) -> dict[str, list[dict[str, Any]]]:
    """department code → substantiated complaints decided inside [window_from, window_to]."""
    query = Complaint.select(Complaint.tracking_code, Complaint.department.code, Complaint.decision_date,
                             Complaint.severity).where(Complaint.state == "substantiated")
    if window_from:
        query = query.where(Complaint.decision_date >= window_from)
    if window_to:
        query = query.where(Complaint.decision_date <= window_to)
    out: dict[str, list[dict[str, Any]]] = {}
    for r in await query:
        out.setdefault(r["department.code"], []).append(
            {"tracking_code": r["tracking_code"], "decision_date": r["decision_date"].isoformat(),
             "severity": r["severity"]})
    return out


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
