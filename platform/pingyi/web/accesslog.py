"""Web layer: access log that never contains a card token (SPEC §3, ARCHITECTURE §15).

Ballot paths /b/<token> are written as /b/[redacted]; query strings are dropped; no client IP is kept for
ballot paths. The log holds method, redacted path, status and duration — except for ballot paths and the ballot
API, whose duration is written as "-": it grows with the number of sections, so it would tell one submission from
another (docs/anonymity.md).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

REDACTED_PATHS = (re.compile(r"^/b/[^/]+"), re.compile(r"^/api/v1/ballots/[^/]+"), re.compile(r"^/c/[^/]+"))
UNTIMED_PATHS = re.compile(r"^/(b(/|$)|api/v1/ballots(/|$))")


def redact_path(path: str) -> str:
    for pattern in REDACTED_PATHS:
        match = pattern.match(path)
        if match:
            prefix = match.group(0).rsplit("/", 1)[0]
            return prefix + "/[redacted]" + path[match.end():]
    return path


class AccessLogMiddleware:
    """A pure ASGI middleware (no framework import needed)."""

    def __init__(self, app: Any, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    @classmethod
    def wrap(cls, logger: logging.Logger) -> Any:
        def factory(app: Any) -> "AccessLogMiddleware":
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
        finally:
            path = scope.get("path", "")
            took = "-" if UNTIMED_PATHS.match(path) else f"{(time.perf_counter() - started) * 1000:.1f}ms"
            self.logger.info("%s %s %s %s", scope.get("method", "-"), redact_path(path), status["code"], took)
