"""Service layer: campaigns, cards and anonymous ballots (SPEC §2–3).

The card is spent and the ballot stored in one write transaction with a conditional UPDATE: under any
concurrency one token yields at most one ballot. Nothing written with the ballot names the card.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from pingyi.audit import service as audit
from pingyi.core import ballots as ballot_rules
from pingyi.core import campaigns as lifecycle
from pingyi.core import cardcodes
from pingyi.core.errors import Conflict, InvalidInput, NotFound, StateError
from pingyi.core.survey import Department, Questionnaire
from pingyi.db import current_engine, write_transaction

from . import repository as repo


@dataclass(frozen=True)
class BallotForm:
    """What the ballot page needs: the campaign, its departments and its frozen questionnaire."""

    year: int
    title: str
    departments: list[Department]
    questionnaire: Questionnaire
    campaign_id: int
    department_ids: dict[str, int]


@dataclass(frozen=True)
class MintedCards:
    year: int
    title: str
    tokens: list[str]
    batch: int

    def cards(self, base_url: str) -> list[tuple[str, str]]:
        """(ballot URL, human-typable code) per card, for the printable sheet."""
        return [(f"{base_url}/b/{t}", cardcodes.format_code(t)) for t in self.tokens]


async def create_campaign(year: int, title: str, questionnaire: Questionnaire, department_codes: list[str],
                          *, cards_from: date | None = None, symposium_on: date | None = None,
                          complaint_from: date | None = None, complaint_to: date | None = None, k: int = 5,
                          actor: str) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidInput("年度必须是 2000–2100 之间的整数。")
    if k < 1:
        raise InvalidInput("小样本保护阈值 k 至少为 1。")
    ballot_rules.check_questionnaire(questionnaire)
    known = {d.code for d in await repo.departments()}
    unknown = [c for c in department_codes if c not in known]
    if unknown or not department_codes:
        raise InvalidInput(f"参评部门代码无效：{', '.join(unknown) or '（空）'}")
    complaint_from = complaint_from or date(year, 1, 1)
    complaint_to = complaint_to or date(year, 12, 31)
    if complaint_from > complaint_to:
        raise InvalidInput("投诉统计期的开始日期晚于结束日期。")
    if cards_from and symposium_on and (symposium_on - cards_from).days < 5:
        raise InvalidInput("评议卡应至少在座谈会前 5 天发放。")
    campaign_id = await repo.insert_campaign({
        "year": year, "title": title, "state": "draft", "cards_from": cards_from, "symposium_on": symposium_on,
        "complaint_from": complaint_from, "complaint_to": complaint_to, "small_cell_k": k,
        "department_codes": list(department_codes), "questionnaire": repo.questionnaire_to_json(questionnaire),
    })
    await audit.append(actor, "campaign.create", f"campaign:{year}",
                       {"departments": len(department_codes), "k": k, "complaint_window":
                        [complaint_from.isoformat(), complaint_to.isoformat()]})
    return campaign_id


async def change_state(year: int, action: str, *, actor: str) -> str:
    row = await repo.campaign_row(year)
    new_state = lifecycle.transition(row["state"], action)
    await repo.update_campaign(row["id"], {"state": new_state})
    await audit.append(actor, f"campaign.{action}", f"campaign:{year}", {"from": row["state"], "to": new_state})
    return new_state


async def mint_cards(year: int, count: int, *, actor: str) -> MintedCards:
    """Mint `count` one-time tokens; only their hashes are stored. The tokens are returned once."""
    if not 1 <= count <= 5000:
        raise InvalidInput("一次生成的评议卡数量应在 1–5000 之间。")
    row = await repo.campaign_row(year)
    if row["state"] not in ("draft", "open"):
        raise StateError("评议活动已截止，不能再生成评议卡。")
    tokens = [cardcodes.mint_token() for _ in range(count)]
    async with write_transaction():
        batch = await repo.next_card_batch(row["id"])
        await repo.insert_card_hashes(row["id"], [cardcodes.token_hash(t) for t in tokens], batch)
    await audit.append(actor, "cards.generate", f"campaign:{year}", {"count": count, "batch": batch})
    return MintedCards(year, row["title"], tokens, batch)


async def campaigns_overview() -> list[dict[str, Any]]:
    """Every campaign, newest first, with its turnout (office pages)."""
    rows = await repo.campaigns()
    for row in rows:
        row["turnout"] = await repo.turnout(row["id"])
    return rows


async def department_codes() -> list[str]:
    return [d.code for d in await repo.departments()]


async def _open_card(token: str) -> dict[str, Any]:
    state = await repo.card_state(cardcodes.token_hash(token))
    if state is None:
        raise NotFound("评议卡无效：请核对卡号，或联系发卡单位。")
    if state["spent"]:
        raise Conflict("这张评议卡已经使用过，每张卡只能提交一次。")
    if not lifecycle.accepts_ballots(state["state"]):
        raise StateError("本年度评议目前未开放填写（尚未开始或已截止）。")
    return state


# The campaign's questionnaire and department list, parsed once per process and kept for FORM_TTL_S: every
# ballot page and submission needs them, and they are frozen while a campaign is open (a renamed department
# shows its new name within the TTL). Spending the card is never cached: the database decides it.
FORM_TTL_S = 30.0
_form_parts: dict[tuple[int, str, str], tuple[float, list[tuple[int, Department]], Questionnaire]] = {}


_sole_open: tuple[float, dict[str, Any] | None] = (-FORM_TTL_S, None)
_cache_owner: list[Any] = [None]  # the engine the caches were filled from


def _caches_for_current_engine() -> None:
    """Caches belong to one database: drop them when the process is bound to another engine (tests, tools)."""
    global _sole_open
    engine = current_engine()
    if _cache_owner[0] is not engine:
        _cache_owner[0] = engine
        _form_parts.clear()
        _sole_open = (-FORM_TTL_S, None)


async def _campaign_parts(state: dict[str, Any]) -> tuple[list[tuple[int, Department]], Questionnaire]:
    _caches_for_current_engine()
    raw_q = state["questionnaire"]
    key = (state["campaign_id"], raw_q if isinstance(raw_q, str) else repr(raw_q), ",".join(state["department_codes"]))
    hit = _form_parts.get(key)
    if hit and time.monotonic() - hit[0] < FORM_TTL_S:
        return hit[1], hit[2]
    parts = (await repo.campaign_departments(state["department_codes"]), repo.questionnaire_from_json(raw_q))
    if len(_form_parts) > 64:
        _form_parts.clear()
    _form_parts[key] = (time.monotonic(), *parts)
    return parts


async def _form_for(state: dict[str, Any]) -> BallotForm:
    departments, questionnaire = await _campaign_parts(state)
    return BallotForm(state["year"], state["title"], [d for _, d in departments], questionnaire,
                      state["campaign_id"], {d.code: i for i, d in departments})


async def ballot_form(token: str) -> BallotForm:
    return await _form_for(await _open_card(cardcodes.normalize_code(token)))


async def _sole_open_campaign() -> BallotForm | None:
    """The form of the one open campaign (the usual case), looked up at most every FORM_TTL_S; None when no
    campaign or several are open. Only a hint for validation: the store re-checks the card's campaign and state."""
    global _sole_open
    _caches_for_current_engine()
    at, state = _sole_open
    if time.monotonic() - at >= FORM_TTL_S:
        rows = await repo.open_campaigns()
        state = rows[0] if len(rows) == 1 else None
        _sole_open = (time.monotonic(), state)
    return await _form_for(state) if state else None


@dataclass(frozen=True)
class SubmittedBallot:
    """What a stored ballot tells its evaluator: the receipt code and how many department sections it holds."""

    receipt: str
    departments: int


async def submit_ballot(token: str, answers: dict[str, dict[str, str]], opinions: dict[str, str],
                        picked: list[str] | tuple[str, ...] = ()) -> str:
    """`record_ballot`, for callers that need only the receipt code."""
    return (await record_ballot(token, answers, opinions, picked)).receipt


async def record_ballot(token: str, answers: dict[str, dict[str, str]], opinions: dict[str, str],
                        picked: list[str] | tuple[str, ...] = ()) -> SubmittedBallot:
    """Validate, then spend the card and store the ballot atomically; return the receipt.

    Every department in `answers` or `picked` must be complete (SPEC §2): a refused ballot spends nothing.
    With one campaign open, the hot path is one database statement: the form comes from the cached open
    campaign and the store succeeds only for an unspent card of that campaign while it is open. Any refusal is
    then explained by reading the card (unknown, spent, closed), so the error a user sees is the same as before.
    """
    token = cardcodes.normalize_code(token)
    cached = await _sole_open_campaign()
    stored = await _validate_and_store(token, cached or await ballot_form(token), answers, opinions, picked)
    if stored is None and cached is not None:  # the card belongs to an open campaign the cache did not know
        stored = await _validate_and_store(token, await ballot_form(token), answers, opinions, picked)
    if stored is None:
        raise Conflict("这张评议卡已经使用过，每张卡只能提交一次。")
    return stored


async def _validate_and_store(token: str, form: BallotForm, answers: dict[str, dict[str, str]],
                              opinions: dict[str, str], picked: list[str] | tuple[str, ...]) -> SubmittedBallot | None:
    """The receipt, or None when the card belongs to another campaign than `form`'s. Card problems (unknown,
    spent, closed) raise with their own message, before a problem of the ballot itself."""
    try:
        sections = ballot_rules.validate_ballot(form.questionnaire, {d.code: d.name for d in form.departments},
                                                answers, opinions, picked=picked)
    except InvalidInput:
        await _open_card(token)
        raise
    receipt = cardcodes.mint_receipt()
    if await repo.store_ballot(cardcodes.token_hash(token), form.campaign_id, form.questionnaire, sections,
                               form.department_ids, receipt):
        return SubmittedBallot(receipt, len(sections))
    state = await _open_card(token)  # unknown, spent or closed: raises with the matching message
    if state["campaign_id"] != form.campaign_id:
        return None
    raise Conflict("这张评议卡已经使用过，每张卡只能提交一次。")  # lost a race to a concurrent submission


async def check_receipt(year: int, typed: str) -> bool:
    row = await repo.campaign_row(year)
    return await repo.receipt_exists(row["id"], cardcodes.normalize_receipt(typed))


async def turnout(year: int) -> dict[str, int]:
    row = await repo.campaign_row(year)
    return await repo.turnout(row["id"])


async def record_symposium_opinion(year: int, department_code: str, text: str, *, actor: str) -> None:
    row = await repo.campaign_row(year)
    text = text.strip()
    if not text or len(text) > 2000:
        raise InvalidInput("座谈会意见不能为空，且不超过 2000 字。")
    if department_code not in row["department_codes"]:
        raise InvalidInput(f"部门 {department_code} 不在本年度参评名单中。")
    ids = await repo.department_ids([department_code])
    await repo.add_symposium_opinion(row["id"], ids[department_code], text, actor)
    await audit.append(actor, "opinion.symposium", f"campaign:{year}", {"department": department_code})
