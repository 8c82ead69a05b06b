"""Web layer: the ballot page /b/<token>, its JSON API and the office's campaign pages (SPEC §2–3)."""

from __future__ import annotations

import io
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from pingyi import clock
from pingyi.web.guards import admin_only, current_user
from pingyi.catalog import load_catalog
from pingyi.core import cardcodes
from pingyi.core.errors import InvalidInput

from . import cardsheet, service
from .schemas import BallotReceipt, BallotSubmission

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def parse_ballot_form(form: Any) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Form fields a.<dept>.<item> = answer key and o.<dept> = opinion → the service's plain dicts."""
    answers: dict[str, dict[str, str]] = {}
    opinions: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith("a.") and key.count(".") == 2:
            _, dept, item = key.split(".")
            if value:
                answers.setdefault(dept, {})[item] = value
        elif key.startswith("o.") and value.strip():
            opinions[key[2:]] = value
    return answers, opinions


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
    context = {"form": form, "token": cardcodes.normalize_code(token), "answers": {}, "opinions": {},
               "error": None, "partial": {}}
    if not d:
        if step == 2:
            context["error"] = "请至少勾选一个办理过业务的部门。"
        return Template("evaluation/pick.html", headers=NO_STORE, context=context,
                        status_code=400 if step == 2 else 200)
    chosen = set(d)
    return Template("evaluation/ballot.html", headers=NO_STORE,
                    context={**context, "shown": [x for x in form.departments if x.code in chosen] or form.departments})


@post("/b/{token:str}")
async def ballot_submit(request: Request, token: str) -> Template:
    answers, opinions = parse_ballot_form(await request.form())
    try:
        receipt = await service.submit_ballot(token, answers, opinions)
    except InvalidInput as exc:
        form = await service.ballot_form(token)
        touched = set(answers) | set(opinions) | set(exc.details.get("partial", {}))
        shown = [x for x in form.departments if x.code in touched] or form.departments
        return Template("evaluation/ballot.html", status_code=400, headers=NO_STORE, context={
            "form": form, "token": cardcodes.normalize_code(token), "answers": answers, "opinions": opinions,
            "error": exc.message, "partial": exc.details.get("partial", {}), "shown": shown})
    return Template("evaluation/receipt.html", context={"receipt": receipt}, headers=NO_STORE)


@post("/api/v1/ballots", status_code=201)
async def ballot_api(data: BallotSubmission) -> BallotReceipt:
    """Submit one anonymous ballot. Departments not dealt with are simply left out of `answers`."""
    return BallotReceipt(receipt=await service.submit_ballot(data.token, data.answers, data.opinions))


# ---- office -------------------------------------------------------------------------------------------

def _actor(request: Request) -> str:
    user = current_user(request)
    return user["username"] if user else "anonymous"


@get("/office/campaigns", guards=[admin_only])
async def campaigns_page() -> Template:
    return Template("evaluation/campaigns.html",
                    context={"campaigns": await service.campaigns_overview(), "today": clock.today()})


@post("/office/campaigns", guards=[admin_only])
async def campaign_create(request: Request, state: State) -> Redirect:
    form = await request.form()
    try:
        year = int(str(form.get("year", "")).strip())
        k = int(str(form.get("k", "5")).strip() or 5)
    except ValueError:
        raise InvalidInput("年度和 k 必须是整数。") from None
    catalog = load_catalog(state.settings.surveys_dir)
    await service.create_campaign(year, str(form.get("title") or f"{year}年度外来投资企业民主评议"),
                                  catalog.questionnaire, await service.department_codes(), k=k,
                                  actor=_actor(request))
    return Redirect(path="/office/campaigns", status_code=303)


@post("/office/campaigns/{year:int}/{action:str}", guards=[admin_only])
async def campaign_action(request: Request, year: int, action: str) -> Redirect:
    if action not in ("open", "close"):
        raise InvalidInput("未知操作。")
    await service.change_state(year, action, actor=_actor(request))
    return Redirect(path="/office/campaigns", status_code=303)


@post("/office/campaigns/{year:int}/cards", guards=[admin_only])
async def cards_generate(request: Request, state: State, year: int) -> Response:
    """Mint cards and return the printable PDF at once; the tokens are never stored or shown again."""
    form = await request.form()
    try:
        count = int(str(form.get("count", "")).strip())
    except ValueError:
        raise InvalidInput("请填写要生成的评议卡数量（整数）。") from None
    base = state.settings.http.public_base_url
    fonts = state.settings.fonts
    cardsheet.check_font(f"{year}年度外来投资企业民主评议", year, base, fonts)  # refuse before minting: no card lost
    minted = await service.mint_cards(year, count, actor=_actor(request))
    pdf = io.BytesIO()
    await anyio.to_thread.run_sync(lambda: cardsheet.write_card_sheet_pdf(minted.cards(base), minted.title, year,
                                                                          base, pdf, fonts))
    return Response(pdf.getvalue(), media_type="application/pdf", status_code=200, headers={
        "Content-Disposition": f'attachment; filename="cards-{year}-batch{minted.batch}.pdf"', **NO_STORE})


@post("/office/campaigns/{year:int}/opinions", guards=[admin_only])
async def symposium_opinion(request: Request, year: int) -> Redirect:
    form = await request.form()
    await service.record_symposium_opinion(year, str(form.get("department", "")), str(form.get("text", "")),
                                           actor=_actor(request))
    return Redirect(path=f"/office/campaigns/{year}", status_code=303)


ROUTES = [ballot_entry, ballot_entry_post, ballot_page, ballot_submit, ballot_api, campaigns_page, campaign_create,
          campaign_action, cards_generate, symposium_opinion]
