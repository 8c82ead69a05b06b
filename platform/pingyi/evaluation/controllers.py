"""Web layer: the ballot page /b/<token>, its JSON API and the office's campaign pages (SPEC §2–3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from pingyi.catalog import load_catalog
from pingyi.core import ballots as ballot_rules
from pingyi.core import campaigns as lifecycle
from pingyi.core import cardcodes
from pingyi.core.errors import Conflict, InvalidInput, StateError
from pingyi.web.errors import status_for
from pingyi.web.guards import admin_only, current_user

from . import cardjobs, cardsheet, service
from .schemas import BallotReceipt, BallotSubmission, CardJobStatus
from .symposium_controllers import ROUTES as SYMPOSIUM_ROUTES

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


@dataclass
class PostedBallot:
    """The ballot form as posted: answers, opinions, the picked departments (hidden `d` fields) and, when the
    evaluator tapped 移除该部门, the department to take off."""

    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    opinions: dict[str, str] = field(default_factory=dict)
    picked: list[str] = field(default_factory=list)
    remove: str | None = None


def parse_ballot_form(form: Any) -> PostedBallot:
    """Fields a.<dept>.<item> = answer key, o.<dept> = opinion, d = picked department, remove = <dept>."""
    posted = PostedBallot()
    for key, value in form.multi_items():
        if key.startswith("a.") and key.count(".") == 2:
            _, dept, item = key.split(".")
            if value:
                posted.answers.setdefault(dept, {})[item] = value
        elif key.startswith("o.") and value.strip():
            posted.opinions[key[2:]] = value
        elif key == "d" and value and value not in posted.picked:
            posted.picked.append(value)
        elif key == "remove" and value:
            posted.remove = value
    return posted


def _ballot_page(form: service.BallotForm, token: str, posted: PostedBallot, *, status_code: int = 200,
                 error: str | None = None, details: dict[str, Any] | None = None,
                 notice: str | None = None) -> Template:
    """The questionnaire for every picked department, all on one page, each with its answered count. Every
    department the evaluator picked or answered stays shown (nothing disappears after an error)."""
    details = details or {}
    keep = ballot_rules.picked_departments(posted.answers, posted.picked) | set(posted.opinions)
    shown = [x for x in form.departments if x.code in keep]
    counts = {x.code: ballot_rules.answered_count(form.questionnaire, posted.answers.get(x.code, {})) for x in shown}
    return Template("evaluation/ballot.html", status_code=status_code, headers=NO_STORE, context={
        "form": form, "token": cardcodes.normalize_code(token), "answers": posted.answers,
        "opinions": posted.opinions, "shown": shown, "counts": counts, "notice": notice,
        "errors": error.split("\n") if error else [], "partial": details.get("partial", {}),
        "unanswered": details.get("unanswered", [])})


def _pick_page(form: service.BallotForm, token: str, *, error: str | None = None, notice: str | None = None,
               status_code: int = 200) -> Template:
    return Template("evaluation/pick.html", status_code=status_code, headers=NO_STORE, context={
        "form": form, "token": cardcodes.normalize_code(token), "error": error, "notice": notice})


@get("/b", sync_to_thread=False)
def ballot_entry() -> Template:
    return Template("evaluation/entry.html", context={"error": None}, headers=NO_STORE)


@post("/b")
async def ballot_entry_post(request: Request) -> Any:
    form = await request.form()
    try:
        token = cardcodes.normalize_code(str(form.get("code", "")))
    except InvalidInput as exc:
        return Template("evaluation/entry.html", context={"error": exc.message}, status_code=400, headers=NO_STORE)
    return Redirect(path=f"/b/{token}", status_code=303, headers=NO_STORE)


@get("/b/{token:str}")
async def ballot_page(token: str, d: list[str] | None = None, step: int = 1) -> Template:
    """Step 1 (no `d`): pick the departments dealt with. Step 2: the questionnaire for those departments."""
    form = await service.ballot_form(token)
    if not d and step != 2:
        return _pick_page(form, token)
    chosen = [x.code for x in form.departments if x.code in set(d or ())]
    if not chosen:
        return _pick_page(form, token, error="请至少勾选一个办理过业务的部门。", status_code=400)
    return _ballot_page(form, token, PostedBallot(picked=chosen))


@post("/b/{token:str}")
async def ballot_submit(request: Request, token: str) -> Template:
    posted = parse_ballot_form(await request.form())
    if posted.remove is not None:  # 移除该部门: show the form again without it, every other answer kept
        form = await service.ballot_form(token)
        gone = posted.remove
        posted.picked = [c for c in posted.picked if c != gone]
        posted.answers.pop(gone, None)
        posted.opinions.pop(gone, None)
        name = next((x.name for x in form.departments if x.code == gone), gone)
        if not ballot_rules.picked_departments(posted.answers, posted.picked) | set(posted.opinions):
            return _pick_page(form, token, notice=f"已移除{name}。请重新勾选办理过业务的部门。")
        return _ballot_page(form, token, posted, notice=f"已移除{name}，其他部门的作答都已保留。")
    try:
        stored = await service.record_ballot(token, posted.answers, posted.opinions, posted.picked)
    except InvalidInput as exc:
        return _ballot_page(await service.ballot_form(token), token, posted, status_code=400, error=exc.message,
                            details=exc.details)
    return Template("evaluation/receipt.html", context={"receipt": stored.receipt,
                                                         "departments": stored.departments}, headers=NO_STORE)


@post("/api/v1/ballots", status_code=201)
async def ballot_api(data: BallotSubmission) -> BallotReceipt:
    """Submit one anonymous ballot. Departments not dealt with are left out of `answers`: every department listed
    there must be answered in full, or the ballot is refused (400) with the department named."""
    stored = await service.record_ballot(data.token, data.answers, data.opinions)
    return BallotReceipt(receipt=stored.receipt, departments=stored.departments)


# ---- office -------------------------------------------------------------------------------------------

def _actor(request: Request) -> str:
    user = current_user(request)
    return user["username"] if user else "anonymous"


def _form_values(fields: lifecycle.CampaignFields) -> dict[str, Any]:
    """Stored fields → the form's text values."""
    plain = fields.as_plain()
    return {**{k: "" if v is None else v for k, v in plain.items()}, "departments": list(fields.department_codes)}


def _submitted(form: Any) -> dict[str, Any]:
    """The form as sent (kept on the page when it is refused)."""
    values = {name: str(form.get(name, "")) for name in
              ("year", "title", "k", "cards_from", "symposium_on", "complaint_from", "complaint_to")}
    return {**values, "departments": [str(c) for c in form.getall("departments", [])]}


def _fields(v: dict[str, Any]) -> lifecycle.CampaignFields:
    """Form text → checked fields; InvalidInput names the field."""
    return lifecycle.make_fields(
        lifecycle.parse_int("year", v["year"]), title=v["title"], k=lifecycle.parse_int("k", v["k"], default=5),
        department_codes=v["departments"], cards_from=lifecycle.parse_date("cards_from", v["cards_from"]),
        symposium_on=lifecycle.parse_date("symposium_on", v["symposium_on"]),
        complaint_from=lifecycle.parse_date("complaint_from", v["complaint_from"]),
        complaint_to=lifecycle.parse_date("complaint_to", v["complaint_to"]))


async def _campaigns_page(data_dir: Path, v: dict[str, Any] | None = None, error: str | None = None,
                          status: int = 200) -> Template:
    setup = await service.campaign_setup()
    if v is None:  # a new campaign: the first unused year, every active department ticked
        v = {"year": setup["default_year"], "title": "", "k": 5, "cards_from": "", "symposium_on": "",
             "complaint_from": "", "complaint_to": "", "departments": [d.code for d in setup["departments"]]}
    return Template("evaluation/campaigns.html", status_code=status, context={
        **setup, "campaigns": await service.campaigns_overview(), "v": v, "error": error,
        "card_jobs": cardjobs.jobs(data_dir)})


@get("/office/campaigns", guards=[admin_only])
async def campaigns_page(state: State) -> Template:
    return await _campaigns_page(state.settings.data_dir)


@post("/office/campaigns", guards=[admin_only])
async def campaign_create(request: Request, state: State) -> Redirect | Template:
    v = _submitted(await request.form())
    try:
        fields = _fields(v)
        catalog = load_catalog(state.settings.surveys_dir)
        await service.create_campaign(fields.year, fields.title, catalog.questionnaire, list(fields.department_codes),
                                      cards_from=fields.cards_from, symposium_on=fields.symposium_on,
                                      complaint_from=fields.complaint_from, complaint_to=fields.complaint_to,
                                      k=fields.k, actor=_actor(request))
    except (InvalidInput, Conflict) as exc:
        return await _campaigns_page(state.settings.data_dir, v, exc.message, status_for(exc))
    return Redirect(path=f"/office/campaigns/{fields.year}", status_code=303)


async def _campaign_page(year: int, v: dict[str, Any] | None = None, error: str | None = None,
                         status: int = 200) -> Template:
    setup = await service.campaign_setup(year)
    offered = list(setup["departments"])  # active ones, and a draft's own deactivated ones (to untick them)
    offered += [setup["all_departments"][c] for c in setup["fields"].department_codes
                if c in setup["all_departments"] and not setup["all_departments"][c].active]
    return Template("evaluation/campaign.html", status_code=status, context={
        **setup, "departments": offered, "v": v or _form_values(setup["fields"]), "error": error})


@get("/office/campaigns/{year:int}", guards=[admin_only])
async def campaign_page(year: int) -> Template:
    """A campaign's fields: an edit form while it is a draft, read-only (with the reason) once it has opened."""
    return await _campaign_page(year)


@post("/office/campaigns/{year:int}/edit", guards=[admin_only])
async def campaign_edit(request: Request, year: int) -> Redirect | Template:
    v = _submitted(await request.form())
    try:
        fields = await service.edit_campaign(year, _fields(v), actor=_actor(request))
    except (InvalidInput, Conflict) as exc:  # StateError is a Conflict: the page then shows the read-only fields
        return await _campaign_page(year, v if not isinstance(exc, StateError) else None, exc.message,
                                    status_for(exc))
    return Redirect(path=f"/office/campaigns/{fields.year}", status_code=303)


@post("/office/campaigns/{year:int}/{action:str}", guards=[admin_only])
async def campaign_action(request: Request, year: int, action: str) -> Redirect:
    if action not in ("open", "close"):
        raise InvalidInput("未知操作。")
    await service.change_state(year, action, actor=_actor(request))
    return Redirect(path="/office/campaigns", status_code=303)


@post("/office/campaigns/{year:int}/cards", guards=[admin_only])
async def cards_generate(request: Request, state: State, year: int) -> Redirect:
    """Mint cards and start drawing their sheet in a worker thread; the page of the job shows its progress.

    The tokens live only in the thread and in the job's private file: never stored elsewhere or shown again."""
    form = await request.form()
    try:
        count = int(str(form.get("count", "")).strip())
    except ValueError:
        raise InvalidInput("请填写要生成的评议卡数量（整数）。") from None
    base = state.settings.http.public_base_url
    fonts = state.settings.fonts
    cardsheet.check_font(f"{year}年度外来投资企业民主评议", year, base, fonts)  # refuse before minting: no card lost
    minted = await service.mint_cards(year, count, actor=_actor(request))
    job = cardjobs.start(state.settings.data_dir, year=year, title=minted.title, batch=minted.batch,
                         cards=minted.cards(base), base_url=base, fonts=fonts, actor=_actor(request))
    return Redirect(path=f"/office/campaigns/{year}/cards/{job.job}", status_code=303)


@get("/office/campaigns/{year:int}/cards/{job:str}", guards=[admin_only])
async def card_job_page(state: State, year: int, job: str) -> Template:
    """Progress of a card sheet (polled by /static/cardjob.js; without script the page refreshes itself)."""
    found = cardjobs.status(state.settings.data_dir, year, job)
    return Template("evaluation/cardjob.html", context={"job": found, "keep_hours": cardjobs.KEEP_HOURS})


@get("/office/campaigns/{year:int}/cards/{job:str}/status", guards=[admin_only])
async def card_job_status(state: State, year: int, job: str) -> Response[CardJobStatus]:
    return Response(cardjobs.status(state.settings.data_dir, year, job), headers=NO_STORE)


@get("/office/campaigns/{year:int}/cards/{job:str}/cards.pdf", guards=[admin_only])
async def card_job_download(request: Request, state: State, year: int, job: str) -> Response[bytes]:
    """The finished sheet (audited: whoever holds it holds the cards)."""
    path = cardjobs.sheet_path(state.settings.data_dir, year, job)
    found = cardjobs.status(state.settings.data_dir, year, job)
    data = await anyio.to_thread.run_sync(path.read_bytes)
    await service.audit_card_sheet(year, found.batch, "cards.download", actor=_actor(request))
    return Response(data, media_type="application/pdf", status_code=200, headers={
        "Content-Disposition": f'attachment; filename="cards-{year}-batch{found.batch}.pdf"', **NO_STORE})


@post("/office/campaigns/{year:int}/cards/{job:str}/discard", guards=[admin_only])
async def card_job_discard(request: Request, state: State, year: int, job: str) -> Redirect:
    """Delete the sheet's file from the server once it is printed (audited)."""
    found = cardjobs.discard(state.settings.data_dir, year, job)
    await service.audit_card_sheet(year, found.batch, "cards.discard", actor=_actor(request))
    return Redirect(path="/office/campaigns", status_code=303)


ROUTES = [ballot_entry, ballot_entry_post, ballot_page, ballot_submit, ballot_api, campaigns_page, campaign_create,
          campaign_page, campaign_edit,
          campaign_action, cards_generate, card_job_page, card_job_status, card_job_download, card_job_discard,
          *SYMPOSIUM_ROUTES]
