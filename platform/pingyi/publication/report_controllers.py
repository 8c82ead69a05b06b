"""Web layer: the comprehensive report (综合评议报告) — web page, its SVG charts, the PDF — and a department's
feedback PDF (SPEC §6, issue 11; docs/report.md).

Thin: the report and its drawings come from publication.report's per-version cache (drawn in a worker thread).
The report is public, as the results are. A feedback PDF holds a department's per-item rates and opinions: the
office admin for any department, a liaison for its own only (another department's code answers 403); audited.
"""

from __future__ import annotations

import anyio.to_thread
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.response import Template

from pingyi.audit import service as audit
from pingyi.core.errors import Forbidden, NotFound
from pingyi.db import write_transaction
from pingyi.evaluation import repository as evaluation
from pingyi.web.guards import current_user, requires

from . import report, service
from .charts import MEDIA_TYPES
from .report_pdf import feedback_pdf

PUBLIC = {"Cache-Control": "public, max-age=300"}


@get("/results/{year:int}/report")
async def report_page(state: State, year: int) -> Template:
    cached = await report.for_app(state).report(year, state.settings.data_dir)
    return Template("publication/report.html", context={"d": cached.data, "charts": report.chart_names(cached.data)})


@get("/results/{year:int}/report/charts/{name:str}")
async def report_chart(state: State, year: int, name: str) -> Response:
    """One of the report's charts as SVG (text kept as text), e.g. `ranking.svg`, `trend-ratings.svg`,
    `hours-H01.svg` (a hall's hour × weekday map); another name answers 404 listing the report's charts."""
    cache = report.for_app(state)
    found = await cache.report(year, state.settings.data_dir)  # 404 first: no such year
    names = report.chart_names(found.data)
    chart = name.removesuffix(".svg")
    if not name.endswith(".svg") or chart not in names:
        raise NotFound(f"没有名为“{name}”的图表；可用的有：{'、'.join(c + '.svg' for c in names)}。")
    svgs = await cache.svgs(year, state.settings.data_dir, state.settings.fonts, found)
    return Response(svgs[chart], media_type=MEDIA_TYPES["svg"], headers=PUBLIC)


@get("/results/{year:int}/report.pdf")
async def report_download(state: State, year: int) -> Response:
    """The report as an A4 PDF (CJK font embedded, contents, page numbers, vector charts, the office's key)."""
    data = await report.for_app(state).pdf(year, state.settings.data_dir, state.settings.fonts)
    return Response(data, media_type="application/pdf", headers={
        **PUBLIC, "Content-Disposition": f'inline; filename="report-{year}.pdf"'})


@get("/office/feedback/{year:int}/{code:str}/feedback.pdf", guards=[requires("liaison")])
async def feedback_download(request: Request, state: State, year: int, code: str) -> Response:
    """One department's feedback as a PDF: its result, explanation, per-item rates and opinions (at ≥ k)."""
    user = current_user(request)
    if user["role"] == "liaison" and await evaluation.department_code_of(user["department_id"]) != code:
        raise Forbidden("联络员只能下载本部门的评议反馈。")
    feedback = await service.department_feedback(year, code)
    results = await service.published_results(year)
    title = results["campaign"]["title"]
    data = await anyio.to_thread.run_sync(lambda: feedback_pdf(feedback, title, state.settings.fonts))
    async with write_transaction():
        await audit.append(user["username"], "feedback.download", f"campaign:{year}",
                           {"department": code, "version": results["version"]})
    return Response(data, media_type="application/pdf", headers={
        "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="feedback-{year}-{code}.pdf"'})


ROUTES = [report_page, report_chart, report_download, feedback_download]
