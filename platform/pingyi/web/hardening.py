"""Web layer: what every response carries and what bounds every visitor (SPEC §8 "Running it for real").

- `security_headers`: a before_send hook (runs for every response, 404s and static files included): CSP with
  frame-ancestors 'none', X-Frame-Options, Referrer-Policy, X-Content-Type-Options; and no CSRF cookie on anything
  that is not an HTML page (static files, charts, JSON).
- `rate_limits`: Litestar's own RateLimitConfig, one per group of routes (login, public complaint form, receipt
  checks, charts), limits from settings. The store is Litestar's default MemoryStore: per process (see
  docs/architecture.md, "Rate limits").
- `middleware`: the input guard and the rate limits, in the order the app installs them.
- `server_error_handler`: an unhandled exception is logged with its traceback through the redacting logger
  (web/redact.py) and answered with the plain Chinese 500 page; nothing about it reaches the visitor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from pingyi.settings import RateLimits

from .inputguard import InputGuardMiddleware
from .redact import redact_path, server_error_logger

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Litestar's API docs pages load their scripts from a CDN; they still may not be framed.
DOCS_CSP = "frame-ancestors 'none'"
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
}

# group → (methods, path pattern) of the routes it limits
RATE_LIMITED: dict[str, tuple[frozenset[str], re.Pattern[str]]] = {
    "login": (frozenset({"POST"}), re.compile(r"^/login/?$")),
    "complaint": (frozenset({"POST"}), re.compile(r"^/complaints/new/?$")),
    "receipt": (frozenset({"GET"}), re.compile(r"^/receipt/?$")),
    "chart": (frozenset({"GET"}), re.compile(r"^/results/[^/]+/ranking\.svg$")),
}


async def security_headers(message: Any, scope: Any) -> None:
    if message["type"] != "http.response.start":
        return
    headers: list[tuple[bytes, bytes]] = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"").decode("latin-1").lower()
    path = scope.get("path", "")
    wanted = dict(SECURITY_HEADERS)
    wanted["content-security-policy"] = DOCS_CSP if path.startswith("/schema") else CSP
    for name, value in wanted.items():
        if name.encode() not in present:
            headers.append((name.encode(), value.encode()))
    if not content_type.startswith("text/html"):
        app = scope.get("litestar_app") or scope.get("app")
        csrf = getattr(app, "csrf_config", None)
        if csrf is not None:
            prefix = f"{csrf.cookie_name}=".encode()
            headers = [(n, v) for n, v in headers if not (n.lower() == b"set-cookie" and v.startswith(prefix))]
    message["headers"] = headers


def _throttle(group: str) -> tuple[Callable[[Request], bool], Callable[[Request], str]]:
    methods, pattern = RATE_LIMITED[group]

    def applies(request: Request) -> bool:
        return request.method in methods and bool(pattern.match(request.url.path))

    def identifier(request: Request) -> str:  # groups share one store: the key names the group
        return f"{group}:{get_remote_address(request)}"

    return applies, identifier


def rate_limits(limits: RateLimits) -> list[DefineMiddleware]:
    out = []
    for group in RATE_LIMITED:
        unit, count = getattr(limits, group)
        applies, identifier = _throttle(group)
        config = RateLimitConfig(rate_limit=(unit, count), check_throttle_handler=applies,  # type: ignore[arg-type]
                                 identifier_for_request=identifier)
        out.append(config.middleware)
    return out


def middleware(limits: RateLimits) -> list[Any]:
    return [*rate_limits(limits), InputGuardMiddleware]


def server_error_handler(
        render: Callable[[Request, HTTPException], Response]) -> Callable[[Request, Exception], Response]:
    logger = server_error_logger()

    def handler(request: Request, exc: Exception) -> Response:
        logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, redact_path(request.url.path),
                     exc_info=exc)
        return render(request, InternalServerException())

    return handler
