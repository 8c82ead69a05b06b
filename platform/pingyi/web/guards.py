"""Web layer: role guards. Every office route names the roles it admits; public routes are listed in PUBLIC_ROUTES."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from pingyi.core.errors import Forbidden
from pingyi.core.roles import ROLES

# The routes anyone may use without logging in (checked by a test against the app's route table).
PUBLIC_ROUTES = frozenset({
    "/", "/login", "/logout", "/b", "/b/{token:str}", "/api/v1/ballots",
    "/results", "/results/{year:int}", "/results/{year:int}/ranking.svg", "/api/v1/results/{year:int}",
    "/bulletin/{year:int}", "/api/v1/bulletin/{year:int}", "/receipt",
    "/bulletin/{year:int}/bulletin.json", "/bulletin/{year:int}/bulletin.json.sig", "/bulletin/{year:int}/bulletin.csv",
    "/bulletin/{year:int}/bulletin.csv.sig", "/bulletin/office-key.pub", "/api/v1/bulletin/keys",
    "/complaints/new", "/complaints/track", "/api/v1/complaints", "/api/v1/complaints/{code:str}",
    "/api/v1/departments",
    "/monthly", "/monthly/{month:str}", "/api/v1/monthly", "/api/v1/monthly/{month:str}",
    "/r/{token:str}", "/r/{token:str}/done",  # the web rating behind a window's QR poster
    "/rectification", "/api/v1/rectification",  # the public rectification tracker
    # the comprehensive report of a published year (public like the results it is drawn from)
    "/results/{year:int}/report", "/results/{year:int}/report/charts/{name:str}", "/results/{year:int}/report.pdf",
    "/schema", "/health",
})


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    """The logged-in user of this request, as the session table and user table say now (see middleware.py)."""
    user = connection.scope.get("pingyi.user")
    return user if isinstance(user, dict) else None


def requires(*roles: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard admitting logged-in users whose role is in `roles` (admin is always admitted)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise NotAuthorizedException("login required")
        if user["role"] != "admin" and user["role"] not in roles:
            raise PermissionDeniedException("role not allowed")

    guard.roles = ("admin", *roles)  # type: ignore[attr-defined]
    return guard


office = requires("investigator", "inspector", "liaison")
admin_only = requires()


LIAISON_ONLY_MESSAGE = ("本页面是窗口单位联络员的本部门工作台，只对联络员开放。办公室管理员请在“年度评议反馈”中"
                        "选择部门查看，投诉请在“投诉处理”中查看。")


def liaison_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard admitting department liaisons only — not even the admin, who has no department of its own and
    reads every department on the office pages (docs/portal.md)."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("login required")
    if user["role"] != "liaison" or not user.get("department_id"):
        raise Forbidden(LIAISON_ONLY_MESSAGE)


liaison_only.roles = ("liaison",)  # type: ignore[attr-defined]
