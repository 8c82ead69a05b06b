"""Service layer: server-side office sessions — start, resolve on each request, end (SPEC §8, 等保 2.0 level 2).

The signed session cookie carries only a random session id; the `office_session` table is the truth that every
process sees. Each request looks the id up with its user, so a deactivated user or an ended session is refused
on the very next request, and the role used is the one in the database now.
"""

from __future__ import annotations

import hashlib
import secrets as _secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pingyi.core.accounts import SessionPolicy, session_end_reason
from pingyi.db import write_transaction
from pingyi.settings import AccountSettings

from . import repository as repo

# last_seen_at is written at most once a minute per session (idle timeouts are counted in minutes).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionUser:
    id: int
    username: str
    role: str
    department_id: int | None
    display_name: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "role": self.role,
                "department_id": self.department_id, "display_name": self.display_name}


def policy_from(settings: AccountSettings) -> SessionPolicy:
    return SessionPolicy(idle=timedelta(minutes=settings.session_idle_minutes),
                         lifetime=timedelta(hours=settings.session_max_hours))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


async def start(user_id: int, now: datetime, policy: SessionPolicy) -> str:
    """A new session for `user_id`; returns the id for the cookie (stored only as its hash). Expired sessions of
    every user are swept at the same time."""
    session_id = _secrets.token_urlsafe(32)
    async with write_transaction():
        stale = [s.id for s in await repo.sessions()
                 if session_end_reason(s.created_at, s.last_seen_at, now, policy) is not None]
        await repo.delete_sessions(stale)
        await repo.insert_session(_hash(session_id), user_id, now)
    return session_id


async def resolve(session_id: str, now: datetime, policy: SessionPolicy) -> SessionUser | None:
    """The user of a live session, as the database says now; None (and the session deleted) when it has ended."""
    found = await repo.session_with_user(_hash(session_id))
    if found is None:
        return None
    session, user = found
    if not user.active or session_end_reason(session.created_at, session.last_seen_at, now, policy):
        async with write_transaction():
            await repo.delete_session_id(session.id)
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        async with write_transaction():
            await repo.touch_session(session.id, now)
    return SessionUser(user.id, user.username, user.role, user.department_id, user.display_name)


async def end(session_id: str) -> None:
    async with write_transaction():
        await repo.delete_session(_hash(session_id))


async def end_all(user_id: int) -> int:
    """End every session of a user (inside the caller's transaction when there is one); returns how many."""
    async with write_transaction():
        return await repo.delete_user_sessions(user_id)
