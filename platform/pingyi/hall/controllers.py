"""Web layer: the public list of departments; the office's department page with the sync from departments.csv
(SPEC §2, §8)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Template

from pingyi.catalog import DEPARTMENTS_FILE, load_departments
from pingyi.core.errors import DataFileError
from pingyi.web.guards import admin_only, current_user

from . import service
from .schemas import PublicDepartments


@get("/api/v1/departments")
async def departments_api() -> PublicDepartments:
    """The active departments in display order (code and name)."""
    return await service.public_departments()


async def _page(request: Request[Any, Any, Any], *, applied: list[str] | None = None,
                status_code: int = 200) -> Template:
    source = request.app.state.settings.surveys_dir / DEPARTMENTS_FILE
    context: dict[str, Any] = {"source": source, "applied": applied, "error": None, "changes": None}
    try:
        context["changes"] = await service.department_changes(load_departments(source))
    except DataFileError as exc:
        context["error"] = f"名单文件有误，未做任何更改：{exc.message}"
    context["departments"] = await service.departments()
    return Template("hall/departments.html", context=context, status_code=status_code)


@get("/office/departments", guards=[admin_only])
async def departments_page(request: Request[Any, Any, Any]) -> Template:
    return await _page(request)


@post("/office/departments/sync", guards=[admin_only])
async def departments_sync(request: Request[Any, Any, Any]) -> Template:
    source = request.app.state.settings.surveys_dir / DEPARTMENTS_FILE
    try:
        wanted = load_departments(source)
    except DataFileError:
        return await _page(request, status_code=400)
    user = current_user(request) or {}
    changes = await service.sync_departments(wanted, actor=str(user.get("username", "")))
    return await _page(request, applied=list(changes.lines) or ["无变更"])


ROUTES = [departments_api, departments_page, departments_sync]
