"""Infrastructure layer: office users, sessions and failed logins in the database; returns dataclasses (SPEC §7, §8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .tables import LoginFailure, OfficeSession, OfficeUser


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    department_code: str | None
    active: bool


@dataclass(frozen=True)
class SessionRecord:
    id: int
    user_id: int
    created_at: datetime
    last_seen_at: datetime


_USER_COLUMNS = (OfficeUser.id, OfficeUser.username, OfficeUser.display_name, OfficeUser.role,
                 OfficeUser.department, OfficeUser.department.code, OfficeUser.active)


def _user(row: dict[str, Any], prefix: str = "") -> UserRecord:
    return UserRecord(id=row[f"{prefix}id"], username=row[f"{prefix}username"],
                      display_name=row[f"{prefix}display_name"], role=row[f"{prefix}role"],
                      department_id=row[f"{prefix}department"], department_code=row[f"{prefix}department.code"],
                      active=bool(row[f"{prefix}active"]))


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def user_by_username(username: str) -> UserRecord | None:
    row = await OfficeUser.select(*_USER_COLUMNS).where(OfficeUser.username == username).first()
    return None if row is None else _user(row)


async def credentials(username: str) -> tuple[UserRecord, str] | None:
    """The user and its password hash, in one query (the login path takes the same time either way)."""
    row = await OfficeUser.select(*_USER_COLUMNS, OfficeUser.password_hash).where(OfficeUser.username == username)\
        .first()
    return None if row is None else (_user(row), row["password_hash"])


async def users() -> list[UserRecord]:
    return [_user(r) for r in await OfficeUser.select(*_USER_COLUMNS).order_by(OfficeUser.username)]


async def username_taken(username: str) -> bool:
    return await OfficeUser.exists().where(OfficeUser.username == username)


async def insert_user(username: str, password_hash: str, role: str, department_id: int | None,
                      display_name: str) -> int:
    user = OfficeUser(username=username, password_hash=password_hash, role=role, department=department_id,
                      display_name=display_name)
    await user.save()
    return user.id


async def update_user(user_id: int, *, role: str | None = None, department_id: int | None = None,
                      password_hash: str | None = None, active: bool | None = None) -> None:
    values: dict[Any, Any] = {}
    if role is not None:
        values[OfficeUser.role] = role
        values[OfficeUser.department] = department_id
    if password_hash is not None:
        values[OfficeUser.password_hash] = password_hash
    if active is not None:
        values[OfficeUser.active] = active
    await OfficeUser.update(values).where(OfficeUser.id == user_id)


# --- sessions -------------------------------------------------------------------------------------------------

async def insert_session(token_hash: str, user_id: int, now: datetime) -> None:
    await OfficeSession.insert(OfficeSession(token_hash=token_hash, user=user_id, created_at=now, last_seen_at=now))


async def session_with_user(token_hash: str) -> tuple[SessionRecord, UserRecord] | None:
    u = OfficeSession.user
    cols = [OfficeSession.id, OfficeSession.created_at, OfficeSession.last_seen_at, u.id, u.username,
            u.display_name, u.role, u.department, u.active, u.department.code]
    row = await OfficeSession.select(*cols).where(OfficeSession.token_hash == token_hash).first()
    if row is None:
        return None
    session = SessionRecord(id=row["id"], user_id=row["user.id"], created_at=_utc(row["created_at"]),
                            last_seen_at=_utc(row["last_seen_at"]))
    return session, _user(row, "user.")


async def touch_session(session_id: int, now: datetime) -> None:
    await OfficeSession.update({OfficeSession.last_seen_at: now}).where(OfficeSession.id == session_id)


async def delete_session(token_hash: str) -> None:
    await OfficeSession.delete().where(OfficeSession.token_hash == token_hash)


async def delete_session_id(session_id: int) -> None:
    await OfficeSession.delete().where(OfficeSession.id == session_id)


async def delete_user_sessions(user_id: int) -> int:
    ids = await OfficeSession.select(OfficeSession.id).where(OfficeSession.user == user_id)
    if ids:
        await OfficeSession.delete().where(OfficeSession.user == user_id)
    return len(ids)


async def sessions() -> list[SessionRecord]:
    rows = await OfficeSession.select(OfficeSession.id, OfficeSession.user, OfficeSession.created_at,
                                      OfficeSession.last_seen_at)
    return [SessionRecord(r["id"], r["user"], _utc(r["created_at"]), _utc(r["last_seen_at"])) for r in rows]


async def delete_sessions(ids: list[int]) -> None:
    if ids:
        await OfficeSession.delete().where(OfficeSession.id.is_in(ids))


# --- failed logins ---------------------------------------------------------------------------------------------

async def failures(username: str) -> list[tuple[int, datetime]]:
    rows = await LoginFailure.select(LoginFailure.id, LoginFailure.at).where(LoginFailure.username == username)
    return [(r["id"], _utc(r["at"])) for r in rows]


async def add_failure(username: str, at: datetime) -> None:
    await LoginFailure.insert(LoginFailure(username=username, at=at))


async def delete_failures(ids: list[int]) -> None:
    if ids:
        await LoginFailure.delete().where(LoginFailure.id.is_in(ids))


async def clear_failures(username: str) -> None:
    await LoginFailure.delete().where(LoginFailure.username == username)
