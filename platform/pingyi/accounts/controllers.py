"""Web layer: login, logout and the office's user administration (SPEC §7, §8)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from pingyi.core.errors import InvalidInput
from pingyi.core.roles import ROLES
from pingyi.web.guards import admin_only, current_user

from . import service
from .middleware import SESSION_KEY
from .schemas import LoginForm, NewUserForm, PasswordForm, RoleForm

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@get("/login", sync_to_thread=False)
def login_page(next: str = "/office") -> Template:  # noqa: A002  (the query parameter is named next)
    return Template("accounts/login.html", context={"next": next, "error": None})


@post("/login")
async def login(request: Request, data: Annotated[LoginForm, FORM]) -> Any:
    target = data.next if data.next.startswith("/") and not data.next.startswith("//") else "/office"
    state = request.app.state
    try:
        result = await service.login(data.username, data.password, settings=state.settings.accounts,
                                     clock=state.clock, client=request.client.host if request.client else "",
                                     previous_session_id=_session_id(request))
    except InvalidInput as exc:
        status = 429 if isinstance(exc, service.AccountLocked) else 400
        return Template("accounts/login.html", context={"next": target, "error": exc.message}, status_code=status)
    request.set_session({SESSION_KEY: result.session_id})
    return Redirect(path=target, status_code=303)


def _session_id(request: Request) -> str | None:
    session = request.scope.get("session")
    session_id = session.get(SESSION_KEY) if isinstance(session, dict) else None
    return session_id if isinstance(session_id, str) else None


@post("/logout")
async def logout(request: Request) -> Redirect:
    user = current_user(request)
    await service.logout(_session_id(request), user["username"] if user else None, clock=request.app.state.clock)
    request.clear_session()
    return Redirect(path="/", status_code=303)


@get("/office/users", guards=[admin_only])
async def users_page(request: Request) -> Template:
    return Template("accounts/users.html",
                    context={"users": await service.list_users(), "roles": ROLES, "me": current_user(request),
                             "department_codes": await service.department_codes()})


def _actor(request: Request) -> str:
    return current_user(request)["username"]  # type: ignore[index]


@post("/office/users", guards=[admin_only])
async def user_create(request: Request, data: Annotated[NewUserForm, FORM]) -> Redirect:
    await service.create_user(data.username, data.password, data.role, department_code=data.department or None,
                              display_name=data.display_name, actor=_actor(request), clock=request.app.state.clock)
    return Redirect(path="/office/users", status_code=303)


@post("/office/users/{username:str}/role", guards=[admin_only])
async def user_role(request: Request, username: str, data: Annotated[RoleForm, FORM]) -> Redirect:
    await service.change_role(username, data.role, department_code=data.department or None, actor=_actor(request),
                              clock=request.app.state.clock)
    return Redirect(path="/office/users", status_code=303)


@post("/office/users/{username:str}/password", guards=[admin_only])
async def user_password(request: Request, username: str, data: Annotated[PasswordForm, FORM]) -> Redirect:
    await service.reset_password(username, data.password, actor=_actor(request), clock=request.app.state.clock)
    return Redirect(path="/office/users", status_code=303)


@post("/office/users/{username:str}/deactivate", guards=[admin_only])
async def user_deactivate(request: Request, username: str) -> Redirect:
    await service.deactivate(username, actor=_actor(request), clock=request.app.state.clock)
    return Redirect(path="/office/users", status_code=303)


ROUTES = [login_page, login, logout, users_page, user_create, user_role, user_password, user_deactivate]
