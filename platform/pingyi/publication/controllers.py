"""Web layer: public results, bulletin and receipt check; the office's compute-and-publish page (SPEC §3, §6)."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from pingyi.core.errors import InvalidInput, NotFound
from pingyi.evaluation import service as evaluation
from pingyi.web.guards import admin_only, current_user, requires

from . import bulletin, chartcache, service
from .charts import MEDIA_TYPES
from .portal_controllers import ROUTES as PORTAL_ROUTES
from .portal_controllers import portal_context
from .schemas import BulletinDocument, ResultsDocument


@get("/results")
async def results_index() -> Template:
    return Template("publication/index.html", context={"years": await service.published_years()})


@get("/results/{year:int}")
async def results_page(year: int) -> Template:
    return Template("publication/results.html", context={"r": await service.published_results(year), "year": year})


@get("/results/{year:int}/ranking.svg")
async def results_chart(state: State, year: int) -> Response:
    """The ranking as SVG with text kept as text (the browser draws the Chinese), drawn once per version."""
    svg = await chartcache.for_app(state).ranking_svg(year, state.settings.fonts)
    return Response(svg, media_type=MEDIA_TYPES["svg"], headers={"Cache-Control": "public, max-age=300"})


@get("/api/v1/results/{year:int}")
async def results_api(year: int) -> ResultsDocument:
    """Published results of a campaign: each department's figures, grade, rank and point-by-point explanation."""
    return msgspec.convert(await service.published_results(year), ResultsDocument)


@get("/bulletin/{year:int}")
async def bulletin_page(state: State, year: int) -> Template:
    return Template("publication/bulletin.html", context={"b": await bulletin.document(year),
                                                          "key": await bulletin.signing_key(state.settings.data_dir)})


@get("/api/v1/bulletin/{year:int}")
async def bulletin_api(year: int) -> BulletinDocument:
    """Every receipt code and each department's sections (one points digit per item), shuffled per department; the
    same bytes as the signed download `/bulletin/{year}/bulletin.json` (docs/bulletin.md)."""
    return msgspec.convert(await bulletin.document(year), BulletinDocument)


@get("/receipt")
async def receipt_check(year: int | None = None, code: str | None = None) -> Template:
    found = None
    error = None
    if year and code:
        try:
            await service.published_results(year)
            found = await evaluation.check_receipt(year, code)
        except (InvalidInput, NotFound) as exc:
            error = exc.message
    return Template("publication/receipt.html", context={"years": await service.published_years(), "found": found,
                                                         "year": year, "code": code, "error": error})


@get("/office/feedback", guards=[requires("liaison")])
async def department_feedback(request: Request, year: int | None = None, department: str | None = None) -> Template:
    """A liaison reads its own department's feedback; the office admin picks any department."""
    context = await service.feedback_page(current_user(request), year, department)
    if context["is_liaison"]:
        context = portal_context(request, context)
    return Template("publication/feedback.html", context=context)


@get("/office/results/{year:int}", guards=[admin_only])
async def office_results(year: int) -> Template:
    """The current figures as a preview (stored nothing), the stored versions, and only the actions the
    campaign's state allows."""
    return Template("publication/office.html", context={"year": year, "preview": await service.preview(year),
                                                        "snapshots": await service.snapshots(year)})


@post("/office/results/{year:int}/compute", guards=[admin_only])
async def office_compute(request: Request, year: int) -> Redirect:
    form = await request.form()
    await service.compute_snapshot(year, actor=current_user(request)["username"], reason=str(form.get("reason", "")))
    return Redirect(path=f"/office/results/{year}", status_code=303)


@post("/office/results/{year:int}/publish/{version:int}", guards=[admin_only])
async def office_publish(request: Request, year: int, version: int) -> Redirect:
    form = await request.form()
    await service.publish(year, version, actor=current_user(request)["username"], reason=str(form.get("reason", "")))
    return Redirect(path=f"/office/results/{year}", status_code=303)


ROUTES = [department_feedback, results_index, results_page, results_chart, results_api, bulletin_page, bulletin_api,
          receipt_check, office_results, office_compute, office_publish, *PORTAL_ROUTES]
