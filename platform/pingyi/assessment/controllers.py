"""Web layer: the inspectors' monthly page, imports, month close / correction / publication, and the public monthly
ranking (SPEC §4). Thin: each handler parses, calls one service function, renders or redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from pingyi import clock
from pingyi.core import assessment as core
from pingyi.core.errors import InvalidInput
from pingyi.web.guards import admin_only, current_user, requires

from . import monthclose, pages, service
from .schemas import MonthlyDocument, MonthlyIndex

inspector = requires("inspector")


def _actor(request: Request) -> str:
    return str(current_user(request)["username"])


def _rubric(request: Request) -> Any:
    return service.rubric_from(request.app.state.settings.surveys_dir)


def _back(month: str, department: str = "", anchor: str = "") -> Redirect:
    query = f"?month={quote(month)}" + (f"&department={quote(department)}" if department else "")
    return Redirect(path=f"/office/monthly{query}{anchor}", status_code=303)


async def _upload(request: Request) -> tuple[bytes, str]:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("请选择要导入的 CSV 或 XLSX 文件。")
    return await upload.read(), upload.filename


@get("/office/monthly", guards=[inspector])
async def office_monthly(request: Request, month: str | None = None, department: str | None = None) -> Template:
    context = await pages.office_context(month or core.month_of(clock.today()), department, _rubric(request))
    return Template("assessment/office.html", context={**context, "user": current_user(request)})


@post("/office/monthly/{month:str}/entries/{code:str}", guards=[inspector])
async def entry_add(request: Request, month: str, code: str) -> Redirect:
    form = await request.form()
    await service.add_entry(month, code, str(form.get("item_id", "")), str(form.get("points", "")),
                            str(form.get("reason", "")), evidence=str(form.get("evidence", "")),
                            actor=_actor(request), rubric=_rubric(request))
    return _back(month, code, "#entries")


@post("/office/monthly/{month:str}/entry/{key:str}/edit", guards=[inspector])
async def entry_edit(request: Request, month: str, key: str) -> Redirect:
    form = await request.form()
    await service.edit_entry(key, str(form.get("points", "")), str(form.get("reason", "")),
                             evidence=str(form.get("evidence", "")), change_reason=str(form.get("change_reason", "")),
                             actor=_actor(request), rubric=_rubric(request))
    return _back(month, str(form.get("department", "")), "#entries")


@post("/office/monthly/{month:str}/entry/{key:str}/withdraw", guards=[inspector])
async def entry_withdraw(request: Request, month: str, key: str) -> Redirect:
    form = await request.form()
    await service.withdraw_entry(key, str(form.get("change_reason", "")), actor=_actor(request))
    return _back(month, str(form.get("department", "")), "#entries")


@post("/office/monthly/{month:str}/veto/{code:str}", guards=[inspector])
async def veto(request: Request, month: str, code: str) -> Redirect:
    form = await request.form()
    lift = str(form.get("action", "set")) == "lift"
    await service.set_veto(month, code, str(form.get("ground", "")), str(form.get("note", "")),
                           actor=_actor(request), vetoed=not lift)
    return _back(month, code, "#veto")


@post("/office/monthly/{month:str}/import-online", guards=[inspector])
async def import_online(request: Request, month: str) -> Template:
    data, filename = await _upload(request)
    n = await service.import_online(data, filename, month, actor=_actor(request))
    return Template("assessment/imported.html", context={"month": month, "rows": n, "what": "网上办件与超时红牌"})


@post("/office/monthly/{month:str}/import-served", guards=[inspector])
async def import_served(request: Request, month: str) -> Template:
    data, filename = await _upload(request)
    n = await service.import_served(data, filename, actor=_actor(request))
    return Template("assessment/imported.html", context={"month": month, "rows": n, "what": "办件量"})


@post("/office/monthly/{month:str}/close", guards=[admin_only])
async def close(request: Request, month: str) -> Redirect:
    form = await request.form()
    await monthclose.close_month(month, _actor(request), rubric=_rubric(request), reason=str(form.get("reason", "")))
    return _back(month)


@post("/office/monthly/{month:str}/reopen", guards=[admin_only])
async def reopen(request: Request, month: str) -> Redirect:
    form = await request.form()
    await monthclose.reopen_month(month, str(form.get("reason", "")), actor=_actor(request))
    return _back(month)


@post("/office/monthly/{month:str}/publish", guards=[admin_only])
async def publish(request: Request, month: str) -> Redirect:
    await monthclose.publish_month(month, _actor(request))
    return Redirect(path=f"/monthly/{service.month_arg(month)}", status_code=303)


@get("/monthly")
async def monthly_index() -> Template:
    return Template("assessment/index.html", context={"months": await monthclose.published_months()})


@get("/monthly/{month:str}")
async def monthly_page(request: Request, month: str) -> Template:
    document = await monthclose.monthly_document(month)
    # Sections other contexts add to the month (wired by app.py, e.g. the 差评 answers of followup/)
    panels = [await provider(document.month) for provider in request.app.state.get("month_panels", ())]
    return Template("assessment/monthly.html", context={"doc": document, "LADDER_LABELS": core.LADDER_LABELS,
                                                        "panels": panels})


@get("/api/v1/monthly")
async def monthly_index_api() -> MonthlyIndex:
    return MonthlyIndex(months=await monthclose.published_months())


@get("/api/v1/monthly/{month:str}")
async def monthly_api(month: str) -> MonthlyDocument:
    return await monthclose.monthly_document(month)


ROUTES = [office_monthly, entry_add, entry_edit, entry_withdraw, veto, import_online, import_served, close, reopen,
          publish, monthly_index, monthly_page, monthly_index_api, monthly_api]
