"""Web layer: login, logout and the users page (SPEC §7)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from msgspec import Struct

from pingyi.core.errors import InvalidInput

from pingyi.web.guards import admin_only

from . import service


class LoginForm(Struct):
    username: str = ""
    password: str = ""
    next: str = "/office"


@get("/login", sync_to_thread=False)
def login_page(next: str = "/office") -> Template:
    return Template("accounts/login.html", context={"next": next, "error": None})


@post("/login")
async def login(request: Request, data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Any:
    target = data.next if data.next.startswith("/") and not data.next.startswith("//") else "/office"
    try:
        user = await service.authenticate(data.username.strip(), data.password)
    except InvalidInput as exc:
        return Template("accounts/login.html", context={"next": target, "error": exc.message}, status_code=400)
    request.set_session({"user": user.as_session()})
    return Redirect(path=target, status_code=303)


@post("/logout")
async def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect(path="/", status_code=303)


@get("/office/users", guards=[admin_only])
async def users_page() -> Template:
    return Template("accounts/users.html", context={"users": await service.list_users()})


ROUTES = [login_page, login, logout, users_page]
