"""Service layer: campaigns, cards and anonymous ballots (SPEC §2–3).

The card is spent (its spent tag stored, unique) and the ballot stored in one write transaction: under any
concurrency one token yields at most one ballot. Nothing written with the ballot names the card, and the rows are
reshuffled before the evaluator is answered (see `settle`), so no stored order keeps the submission order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import ballots as ballot_rules
from pingyi.core import campaigns as lifecycle
from pingyi.core import cardcodes
from pingyi.core.errors import Conflict, InvalidInput, NotFound, StateError
from pingyi.core.survey import Department, Questionnaire
from pingyi.db import current_engine, write_transaction
from pingyi.hall import service as hall

from . import mixing
from . import repository as repo

log = logging.getLogger("pingyi.evaluation")


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


async def create_campaign(year: int, title: str | None, questionnaire: Questionnaire, department_codes: list[str],
                          *, cards_from: date | None = None, symposium_on: date | None = None,
                          complaint_from: date | None = None, complaint_to: date | None = None, k: int = 5,
                          actor: str) -> int:
    """A draft campaign with a frozen copy of the questionnaire; refused (nothing written) on any broken rule."""
    fields = lifecycle.make_fields(year, title=title, k=k, department_codes=department_codes, cards_from=cards_from,
                                   symposium_on=symposium_on, complaint_from=complaint_from,
                                   complaint_to=complaint_to)
    ballot_rules.check_questionnaire(questionnaire)
    await _check_departments(fields.department_codes)
    async with write_transaction():  # the audit entry commits with the change it records
        campaign_id = await repo.insert_campaign({
            **_columns(fields), "state": "draft", "questionnaire": repo.questionnaire_to_json(questionnaire)})
        await audit.append(actor, "campaign.create", f"campaign:{fields.year}", fields.as_plain())
    return campaign_id


async def edit_campaign(year: int, fields: lifecycle.CampaignFields, *, actor: str) -> lifecycle.CampaignFields:
    """Change a draft's fields (the year too); refused once the campaign has opened. Audited with old and new values
    in the same transaction; an edit that changes nothing writes nothing."""
    await _check_departments(fields.department_codes)
    async with write_transaction():
        row = await repo.campaign_row(year)
        if not lifecycle.editable(row["state"]):
            raise StateError(_read_only_reason(row["state"]))
        before = fields_of(row)
        changed = lifecycle.changes(before, fields)
        if not changed:
            return fields
        if fields.year != year and await repo.campaign_exists(fields.year):
            raise Conflict(f"{fields.year} 年度评议活动已存在。")
        if not await repo.update_draft_campaign(row["id"], _columns(fields)):
            raise StateError(_read_only_reason("open"))
        await audit.append(actor, "campaign.edit", f"campaign:{year}", {"changes": changed})
    return fields


def _columns(fields: lifecycle.CampaignFields) -> dict[str, Any]:
    return {"year": fields.year, "title": fields.title, "cards_from": fields.cards_from,
            "symposium_on": fields.symposium_on, "complaint_from": fields.complaint_from,
            "complaint_to": fields.complaint_to, "small_cell_k": fields.k,
            "department_codes": list(fields.department_codes)}


def fields_of(row: dict[str, Any]) -> lifecycle.CampaignFields:
    """The stored campaign row as fields (dates as stored; the complaint window is always set)."""
    return lifecycle.CampaignFields(row["year"], row["title"], row["small_cell_k"], tuple(row["department_codes"]),
                                    row["cards_from"], row["symposium_on"], row["complaint_from"],
                                    row["complaint_to"])


def _read_only_reason(state: str) -> str:
    label = lifecycle.STATE_LABELS.get(state, state)
    return (f"评议活动当前为“{label}”：只有草稿可以修改。开放后参评部门、日期和 k 不再改变，"
            "以免已发的评议卡和已收到的评议前后标准不一。")


async def _check_departments(codes: tuple[str, ...]) -> None:
    """Every code names a stored department, and none of them is deactivated (a deactivated department cannot
    join a new campaign; SPEC §8)."""
    known = {d.code: d for d in await hall.departments()}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(f"参评部门代码无效：{'、'.join(unknown)}")
    stopped = [known[c] for c in codes if not known[c].active]
    if stopped:
        names = "、".join(f"{d.name}（{d.code}）" for d in stopped)
        raise InvalidInput(f"参评部门已停用，不能参加新的评议活动：{names}")


async def campaign_setup(year: int | None = None) -> dict[str, Any]:
    """What the office's campaign form needs: the active departments, the default year for a new campaign,
    and (with `year`) that campaign's fields and whether they can still change."""
    departments = await hall.departments()
    used = await repo.campaign_years()
    out: dict[str, Any] = {"departments": [d for d in departments if d.active],
                           "all_departments": {d.code: d for d in departments},
                           "default_year": lifecycle.default_year(clock.today(), used)}
    if year is not None:
        row = await repo.campaign_row(year)
        out.update(campaign=row, fields=fields_of(row), editable=lifecycle.editable(row["state"]),
                   read_only_reason=None if lifecycle.editable(row["state"]) else _read_only_reason(row["state"]))
    return out


async def default_year() -> int:
    return lifecycle.default_year(clock.today(), await repo.campaign_years())


async def change_state(year: int, action: str, *, actor: str) -> str:
    async with write_transaction():
        row = await repo.campaign_row(year)
        new_state = lifecycle.transition(row["state"], action)
        await repo.update_campaign(row["id"], {"state": new_state})
        await audit.append(actor, f"campaign.{action}", f"campaign:{year}", {"from": row["state"], "to": new_state})
    if action == "close":  # the last reshuffle of the campaign's rows: its stored order is random for good
        await mixing.reshuffle([row["id"]])
        await mixing.compact()
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


async def audit_card_sheet(year: int, batch: int, action: str, *, actor: str) -> None:
    """Audit a card sheet leaving the server (`cards.download`) or deleted from it (`cards.discard`)."""
    async with write_transaction():
        await audit.append(actor, action, f"campaign:{year}", {"batch": batch})


async def campaigns_overview() -> list[dict[str, Any]]:
    """Every campaign, newest first, with its turnout (office pages)."""
    rows = await repo.campaigns()
    for row in rows:
        row["turnout"] = await repo.turnout(row["id"])
    return rows


async def department_codes() -> list[str]:
    """The active departments' codes, in display order: a new campaign's default list."""
    return [d.code for d in await hall.departments(active_only=True)]


async def _open_card(token: str) -> dict[str, Any]:
    state = await repo.card_state(cardcodes.token_hash(token), cardcodes.spent_tag(token))
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
    async with in_flight():
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
    if await repo.store_ballot(cardcodes.token_hash(token), cardcodes.spent_tag(token), form.campaign_id,
                               form.questionnaire, sections, form.department_ids, receipt):
        await settle()
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


# ---- reshuffle after each ballot (docs/anonymity.md) ----------------------------------------------------------
# After a ballot is stored, the campaign's anonymous rows are rewritten in a random order. When no two ballot
# submissions of this process overlapped in the last OVERLAP_WINDOW_S and a reshuffle costs at most
# INLINE_BUDGET_S, this happens before the evaluator is answered: a copy of the database taken at any moment
# between requests shows no order. (Overlap, not arrival rate, is the signal: a rate measured while reshuffles
# are skipped is inflated by skipping them, and would never let inline reshuffles resume.) Otherwise
# (a burst of simultaneous ballots, or a very large campaign) the evaluator is answered at once and a background
# reshuffle follows once no ballot has been in flight for QUIET_S, or at the latest MAX_STALE_S after the first
# ballot left waiting (spaced so that reshuffling takes at most 1/SPACING of the time). Until then a copy shows
# those ballots' rows in arrival order: the residual written down in docs/anonymity.md.
INLINE_BUDGET_S = 0.25
OVERLAP_WINDOW_S = 1.0
QUIET_S = 0.5
MAX_STALE_S = 60.0
SPACING = 10


class _Mixer:
    def __init__(self) -> None:
        self.owner: Any = None
        self.lock = asyncio.Lock()
        self.requested = 0  # tickets handed out (one per stored ballot or note)
        self.done = 0  # every ticket up to this one is covered by a finished reshuffle
        self.cost = 0.0
        self.ended = 0.0
        self.in_flight = 0
        self.last_seen = 0.0
        self.waiting_since: float | None = None
        self.overlap_at = -OVERLAP_WINDOW_S  # when two ballot submissions last overlapped
        self.background: asyncio.Task[None] | None = None

    def bind(self) -> None:
        owner = (current_engine(), asyncio.get_running_loop())
        if self.owner != owner:  # one per database and event loop (tests bind several)
            self.__init__()  # type: ignore[misc]
            self.owner = owner

    async def covered(self, ticket: int) -> None:
        """Return once a reshuffle that started after `ticket` was handed out has finished."""
        async with self.lock:
            if self.done >= ticket:
                return
            start = self.requested
            began = time.monotonic()
            try:
                await mixing.reshuffle()
            except Exception as exc:  # the ballot is stored: never fail the evaluator; the next reshuffle covers it
                log.warning("reshuffle failed (%s); the next one will cover these rows", type(exc).__name__)
                return
            self.cost = time.monotonic() - began
            self.ended = time.monotonic()
            self.done = start
            if self.done >= self.requested:
                self.waiting_since = None

    async def later(self) -> None:
        try:
            while self.done < self.requested:
                now = time.monotonic()
                quiet = self.in_flight == 0 and now - self.last_seen >= QUIET_S
                stale = self.waiting_since is not None and now - self.waiting_since >= MAX_STALE_S
                spaced = now - self.ended >= SPACING * self.cost
                if (quiet or stale) and spaced:
                    await self.covered(self.requested)
                if self.done < self.requested:  # not yet, or the reshuffle failed: look again shortly
                    await asyncio.sleep(QUIET_S / 2)
        finally:
            self.background = None


_mixer = _Mixer()


class in_flight:
    """Marks a ballot submission as in flight, so that ballots arriving together skip the inline reshuffle."""

    async def __aenter__(self) -> None:
        _mixer.bind()
        _mixer.in_flight += 1
        _mixer.last_seen = time.monotonic()
        if _mixer.in_flight > 1:
            _mixer.overlap_at = _mixer.last_seen

    async def __aexit__(self, *exc: object) -> None:
        _mixer.in_flight -= 1
        _mixer.last_seen = time.monotonic()


async def settle() -> None:
    """Called after anonymous rows were written: reshuffle them (inline when alone and cheap, else later)."""
    _mixer.bind()
    _mixer.requested += 1
    ticket = _mixer.requested
    alone = _mixer.in_flight <= 1 and time.monotonic() - _mixer.overlap_at >= OVERLAP_WINDOW_S
    if alone and _mixer.cost <= INLINE_BUDGET_S:
        await _mixer.covered(ticket)
        if _mixer.done >= ticket:
            return
    if _mixer.waiting_since is None:
        _mixer.waiting_since = time.monotonic()
    if _mixer.background is None:
        _mixer.background = asyncio.get_running_loop().create_task(_mixer.later())


async def flush_reshuffle() -> None:
    """At shutdown: cover every ballot still waiting, so a stopped server leaves no arrival order behind."""
    _mixer.bind()
    if _mixer.done < _mixer.requested:
        await _mixer.covered(_mixer.requested)


async def reshuffle_at_start() -> None:
    """At start-up: rows a previous process stored but had no time to reshuffle (a crash) are reshuffled now."""
    _mixer.bind()
    _mixer.requested += 1
    await _mixer.covered(_mixer.requested)
