"""Web layer: access log that never contains a card token (SPEC §3, ARCHITECTURE §15).

Ballot paths /b/<token> are written as /b/[redacted], complaint paths /api/v1/complaints/<code> and
/office/complaints/<code>/… as …/[redacted] (web/redact.py); query strings are dropped; control characters are
stripped, so a visitor cannot forge a line; no client IP is kept. The log holds method, redacted path, status and
duration. Ballot paths and the ballot
API write "-" for the duration: it grows with the number of sections, so it would tell one submission from
another (docs/anonymity.md).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from .redact import redact_path, strip_controls

UNTIMED_PATHS = re.compile(r"^/(b(/|$)|api/v1/ballots(/|$))")

__all__ = ["AccessLogMiddleware", "redact_path"]


class AccessLogMiddleware:
    """A pure ASGI middleware (no framework import needed)."""

    def __init__(self, app: Any, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    @classmethod
    def wrap(cls, logger: logging.Logger) -> Any:
        def factory(app: Any) -> AccessLogMiddleware:
            return cls(app, logger)

        return factory

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # answered by the app's exception handlers, outside this middleware
            status["code"] = _status_of(exc)
            raise
        finally:
            path = scope.get("path", "")
            took = "-" if UNTIMED_PATHS.match(path) else f"{round((time.perf_counter() - started) * 1000)}ms"
            self.logger.info("%s %s %s %s", strip_controls(str(scope.get("method", "-")))[:16], redact_path(path),
                             status["code"], took)


def _status_of(exc: Exception) -> int:
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    from pingyi.core.errors import DomainError

    from .errors import status_for  # the one error → status table

    return status_for(exc) if isinstance(exc, DomainError) else 500
