"""Web layer: create_app(settings) — routes, sessions, CSRF, templates, the domain-error → HTTP table, lifespan."""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import logging.handlers
import queue
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from . import db
from .accounts.middleware import SessionUserMiddleware
from .accounts.sessions import policy_from
from .clock import Clock, SystemClock, use_clock
from .core.errors import DomainError
from .datafiles import private_file
from .evaluation import service as evaluation_service
from .settings import Settings
from .web import hardening
from .web.accesslog import AccessLogMiddleware
from .web.errors import STATUS_FOR_ERROR, status_for  # noqa: F401  (the one table, re-exported)
from .web.sessioncookie import TolerantCookieBackendConfig
from .web.templating import configure_jinja

PACKAGE_DIR = Path(__file__).parent

# Each context's controllers module exposes ROUTES (a list of handlers/controllers).
CONTROLLER_MODULES = (
    "pingyi.ops.pages",
    "pingyi.hall.controllers",
    "pingyi.accounts.controllers",
    "pingyi.audit.controllers",
    "pingyi.evaluation.controllers",
    "pingyi.complaints.controllers",
    "pingyi.publication.controllers",
    "pingyi.publication.bulletin_controllers",
    "pingyi.publication.export_controllers",
    "pingyi.publication.report_controllers",
    "pingyi.ratings.controllers",
    "pingyi.ratings.live_controllers",
    "pingyi.assessment.controllers",
    "pingyi.followup.controllers",
)

# Paths that take no CSRF token and no session: the ballot JSON API is authorised by the card token in its body.
CSRF_EXEMPT = ["/api/v1/ballots"]

def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    status = status_for(exc)
    if _wants_json(request):
        return Response({"error": type(exc).__name__, "message": exc.message, "details": exc.details},
                        status_code=status, media_type=MediaType.JSON)
    return Template(template_name="error.html", context={"status": status, "message": exc.message},
                    status_code=status)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        return Redirect(path=f"/login?next={request.url.path}")
    messages = {401: "请先登录。", 403: "您没有权限执行此操作。", 404: "页面不存在。", 405: "不支持此请求方法。",
                429: "请求过于频繁，请稍后再试。"}
    status = exc.status_code
    message = messages.get(status, str(exc.detail) if status < 500 else "服务器内部错误，请稍后再试。")
    if status == 403 and "CSRF" in str(exc.detail):
        message = "表单已过期或来源无效（CSRF 校验失败），请刷新页面后重新提交。"
    if status == 400 and exc.detail:
        message = f"请求格式不正确：{exc.detail}"
        extra = getattr(exc, "extra", None)
        if extra:
            message += f"（{extra}）"
    headers = exc.headers or None  # e.g. the rate limit's RateLimit-* headers on a 429
    if _wants_json(request):
        return Response({"error": type(exc).__name__, "message": message}, status_code=status,
                        media_type=MediaType.JSON, headers=headers)
    return Template(template_name="error.html", context={"status": status, "message": message},
                    status_code=status, headers=headers)


def create_app(settings: Settings, *, manage_engine: bool = True, clock: Clock | None = None) -> Litestar:
    """Build the web application. With manage_engine the lifespan opens and closes the database engine.

    `clock` is the process's one clock (default: the system clock in the settings' time zone; tests pass a
    FixedClock)."""
    clock = clock or SystemClock(settings.timezone)
    use_clock(clock)
    from . import wiring

    wiring.bind()  # the annual results that call for rectification tasks (publication → followup)
    settings = settings.ensure_secret()
    secret = settings.http.secret_key

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if access_writer is not None:
            access_writer.start()
        if manage_engine:
            engine = db.make_engine(settings.database)
            db.use_engine(engine)
            await db.open_pool(engine, settings.database.pool_max)
            await evaluation_service.reshuffle_at_start()  # SPEC §3: no arrival order left by an earlier process
        try:
            yield
        finally:
            if manage_engine:
                await evaluation_service.flush_reshuffle()
                await db.close_pool(db.current_engine())
            if access_writer is not None:
                access_writer.stop()  # flushes what is queued
                for handler in access_writer.handlers:
                    handler.close()

    route_handlers: list[Any] = []
    for name in CONTROLLER_MODULES:
        route_handlers.extend(importlib.import_module(name).ROUTES)
    route_handlers.append(create_static_files_router(path="/static", directories=[PACKAGE_DIR / "static"]))

    session = TolerantCookieBackendConfig(secret=bytes.fromhex(secret)[:32], secure=settings.http.cookie_secure,
                                          samesite="lax", max_age=settings.accounts.session_max_hours * 3600,
                                          exclude=CSRF_EXEMPT)
    session_user = DefineMiddleware(SessionUserMiddleware, clock=clock, policy=policy_from(settings.accounts))
    csrf = CSRFConfig(secret=secret, cookie_secure=settings.http.cookie_secure, exclude=CSRF_EXEMPT)
    access_logger, access_writer = _access_logger(settings)

    app = Litestar(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        middleware=[AccessLogMiddleware.wrap(access_logger), session.middleware, session_user,
                    *hardening.middleware(settings.rate_limits)],
        before_send=[hardening.security_headers],
        csrf_config=csrf,
        template_config=TemplateConfig(directory=PACKAGE_DIR / "templates", engine=JinjaTemplateEngine,
                                       engine_callback=functools.partial(configure_jinja, tz=settings.timezone)),
        exception_handlers={DomainError: domain_error_handler, HTTPException: http_error_handler,
                            Exception: hardening.server_error_handler(http_error_handler)},
        openapi_config=OpenAPIConfig(title="pingyi", version="1", path="/schema"),
        state=State({"settings": settings, "clock": clock, "month_panels": [wiring.month_panel(settings)]}),
        request_max_body_size=256 * 1024,
        debug=False,
    )
    return app


def app_from_env() -> Litestar:
    """uvicorn factory for multi-process serving (`pingyi serve --workers N`): settings from the environment."""
    return create_app(Settings.from_env())


def _access_logger(settings: Settings) -> tuple[logging.Logger, logging.handlers.QueueListener | None]:
    """The access logger puts records on a queue; a listener thread writes the file, off the event loop."""
    logger = logging.getLogger(f"pingyi.access.{id(settings)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    path = settings.http.access_log
    if path is None:
        logger.addHandler(logging.NullHandler())
        return logger, None
    private_file(path)  # 0600, in a 0700 folder when pingyi creates it
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    logger.handlers = [logging.handlers.QueueHandler(records)]
    return logger, logging.handlers.QueueListener(records, handler)
