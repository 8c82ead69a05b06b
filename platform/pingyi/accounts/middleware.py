"""Web layer: resolves the session cookie's id to the office user on every request (SPEC §8).

Runs inside Litestar's session middleware. The user found (or None) goes to scope["pingyi.user"], where the guards
and `current_user` read it; an ended session's id is dropped from the cookie.
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from pingyi.clock import Clock
from pingyi.core.accounts import SessionPolicy

from . import sessions

SCOPE_KEY = "pingyi.user"
SESSION_KEY = "sid"


class SessionUserMiddleware:
    def __init__(self, app: ASGIApp, *, clock: Clock, policy: SessionPolicy) -> None:
        self.app = app
        self.clock = clock
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            scope[SCOPE_KEY] = None  # type: ignore[literal-required]
            session: Any = scope.get("session")
            session_id = session.get(SESSION_KEY) if isinstance(session, dict) else None
            if isinstance(session_id, str) and session_id:
                user = await sessions.resolve(session_id, self.clock.now(), self.policy)
                if user is None:
                    scope["session"] = {}
                else:
                    scope[SCOPE_KEY] = user.as_dict()  # type: ignore[literal-required]
        await self.app(scope, receive, send)
