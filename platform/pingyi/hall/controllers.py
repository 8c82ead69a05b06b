"""Web layer: the public list of departments; the office's department page with the sync from departments.csv;
the office's halls page (add a hall, its alert threshold, windows assigned to halls) (SPEC §2, §4, §8)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from pingyi.catalog import DEPARTMENTS_FILE, load_departments
from pingyi.core.errors import DataFileError
from pingyi.web.guards import admin_only, current_user

from . import service
from .schemas import AssignForm, HallForm, PublicDepartments


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


def _actor(request: Request[Any, Any, Any]) -> str:
    user = current_user(request) or {}
    return str(user.get("username", ""))


@get("/office/halls", guards=[admin_only])
async def halls_page() -> Template:
    halls = await service.halls()
    places = await service.window_places()
    groups = [(h, [w for w in places if w.hall_code == h.code]) for h in halls]
    unassigned = [w for w in places if w.hall_code is None]
    return Template("hall/halls.html", context={"groups": groups, "unassigned": unassigned, "halls": halls,
                                                "places": places})


URL_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@post("/office/halls", guards=[admin_only])
async def hall_add(request: Request[Any, Any, Any], data: Annotated[HallForm, URL_FORM]) -> Redirect:
    threshold = service.parse_threshold(data.min_ratings, data.window_minutes, data.bad_percent)
    await service.add_hall(data.code, data.name, _actor(request), threshold)
    return Redirect(path="/office/halls", status_code=303)


@post("/office/halls/{code:str}/threshold", guards=[admin_only])
async def hall_threshold(request: Request[Any, Any, Any], code: str, data: Annotated[HallForm, URL_FORM]) -> Redirect:
    hall = await service.hall_by_code(code)
    threshold = service.parse_threshold(data.min_ratings, data.window_minutes, data.bad_percent, base=hall.threshold)
    await service.set_hall_threshold(code, threshold, _actor(request))
    return Redirect(path="/office/halls", status_code=303)


@post("/office/windows/assign", guards=[admin_only])
async def window_assign(request: Request[Any, Any, Any], data: Annotated[AssignForm, URL_FORM]) -> Redirect:
    await service.assign_window(data.window.strip(), data.hall.strip() or None, _actor(request))
    return Redirect(path="/office/halls", status_code=303)


ROUTES = [departments_api, departments_page, departments_sync, halls_page, hall_add, hall_threshold, window_assign]
