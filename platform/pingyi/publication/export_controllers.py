"""Web layer: the office's XLSX / CSV downloads and the page that lists them (SPEC §6 exports, issue 11).

Thin: parse, check the role, build the sheets (publication.exports), write them in a worker thread
(render.spreadsheet), audit the download. Who may download what (docs/exports.md):
- annual and monthly results (published, public anyway): every office role;
- complaints: office admin and investigators; the contact column only for an investigator;
- ratings per window per day: office admin and inspectors for every department, a liaison for its own only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException
from litestar.response import Template

from pingyi import clock, workcalendar
from pingyi.assessment import monthclose
from pingyi.audit import service as audit
from pingyi.core.assessment import month_of, previous_month
from pingyi.core.errors import InvalidInput
from pingyi.db import write_transaction
from pingyi.evaluation import repository as evaluation
from pingyi.render.spreadsheet import Sheet, to_csv, to_xlsx
from pingyi.web.guards import current_user, office, requires

from . import exports, service

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8"}
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _fmt(fmt: str) -> str:
    if fmt not in exports.FORMATS:
        raise InvalidInput("导出格式只能是 xlsx 或 csv。")
    return fmt


def _date(text: str | None, label: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{label}应为 YYYY-MM-DD 格式的日期。") from None


async def _download(request: Request, sheets: list[Sheet], fmt: str, stem: str, what: dict[str, Any]) -> Response:
    data = await anyio.to_thread.run_sync(lambda: to_xlsx(sheets) if fmt == "xlsx" else to_csv(sheets[0]))
    user = current_user(request) or {}
    async with write_transaction():
        await audit.append(str(user.get("username", "?")), "export.download", f"export:{what['kind']}",
                           {**what, "format": fmt, "rows": len(sheets[0].rows)})
    return Response(data, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{stem}.{fmt}"', **PRIVATE})


@get("/office/exports", guards=[office])
async def exports_page(request: Request) -> Template:
    """The downloads this user may take: published years and months, complaints, ratings per day."""
    user = current_user(request) or {}
    last_month = previous_month(month_of(clock.today()))
    return Template("publication/exports.html", context={
        "user": user, "years": await service.published_years(), "months": await monthclose.published_months(),
        "rating_month": last_month, "today": clock.today()})


@get("/office/exports/annual/{fmt:str}", guards=[office])
async def export_annual(request: Request, fmt: str, year: int) -> Response:
    fmt = _fmt(fmt)
    sheets = await exports.annual(year)
    return await _download(request, sheets, fmt, f"annual-results-{year}", {"kind": "annual", "year": year})


@get("/office/exports/monthly/{fmt:str}", guards=[office])
async def export_monthly(request: Request, fmt: str, month: str) -> Response:
    fmt = _fmt(fmt)
    sheets = await exports.monthly(month)
    stem = f"monthly-results-{month.strip()}"
    return await _download(request, sheets, fmt, stem, {"kind": "monthly", "month": month.strip()})


@get("/office/exports/complaints/{fmt:str}", guards=[requires("investigator")])
async def export_complaints(request: Request, fmt: str, received_from: str | None = None,
                            received_to: str | None = None) -> Response:
    fmt = _fmt(fmt)
    start, end = _date(received_from, "开始日期"), _date(received_to, "结束日期")
    investigator = (current_user(request) or {}).get("role") == "investigator"
    calendar = workcalendar.for_surveys(request.app.state.settings.surveys_dir)
    sheets = await exports.complaint_list(include_contact=investigator, calendar=calendar, received_from=start,
                                          received_to=end)
    return await _download(request, sheets, fmt, "complaints", {
        "kind": "complaints", "from": received_from or "", "to": received_to or "", "contact": investigator})


@get("/office/exports/ratings/{fmt:str}", guards=[requires("inspector", "liaison")])
async def export_ratings(request: Request, fmt: str, month: str) -> Response:
    fmt = _fmt(fmt)
    user = current_user(request) or {}
    department = None
    if user.get("role") == "liaison":
        department = await evaluation.department_code_of(user.get("department_id"))
        if department is None:
            raise PermissionDeniedException("联络员账号未绑定部门。")
    sheets = await exports.ratings_per_day(month, department)
    stem = f"ratings-per-day-{month.strip()}" + (f"-{department}" if department else "")
    return await _download(request, sheets, fmt, stem, {"kind": "ratings", "month": month.strip(),
                                                        "department": department or ""})


ROUTES = [exports_page, export_annual, export_monthly, export_complaints, export_ratings]
