"""Service layer: office users — create, change, deactivate, log in and out; each step audited (SPEC §7, §8)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from pingyi import clock as clocks
from pingyi.audit import service as audit
from pingyi.clock import Clock
from pingyi.core.accounts import (
    LockoutPolicy,
    SessionPolicy,
    locked_until,
    password_problem,
)
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.core.roles import ROLES
from pingyi.db import write_transaction
from pingyi.hall import repository as hall
from pingyi.settings import AccountSettings

from . import repository as repo
from . import sessions
from .passwords import hash_password_async, verify_password_async
from .repository import UserRecord
from .sessions import SessionUser

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")

__all__ = ["AccountLocked", "LoginResult", "SessionUser", "UserRecord", "authenticate", "change_role",
           "create_user", "deactivate", "list_users", "login", "logout", "reset_password"]


class AccountLocked(InvalidInput):
    """Too many failed logins for this username: refused until the lock ends."""


@dataclass(frozen=True)
class LoginResult:
    user: SessionUser
    session_id: str


def lockout_policy(settings: AccountSettings) -> LockoutPolicy:
    return LockoutPolicy(max_failures=settings.login_max_failures,
                         window=timedelta(minutes=settings.login_window_minutes),
                         lock=timedelta(minutes=settings.login_lock_minutes))


def _check_password(username: str, password: str) -> None:
    problem = password_problem(username, password)
    if problem:
        raise InvalidInput(problem, {"field": "password"})


async def _department(role: str, department_code: str | None) -> tuple[int | None, str | None]:
    if role not in ROLES:
        raise InvalidInput(f"角色必须是 {', '.join(ROLES)} 之一。")
    if role != "liaison":
        return None, None
    if not department_code:
        raise InvalidInput("窗口单位联络员必须指定所属部门（部门代码）。")
    dept = await hall.department_by_code(department_code)
    dept_id = dept.id if dept else None
    if dept_id is None:
        raise NotFound(f"部门代码 {department_code} 不存在。")
    return dept_id, department_code


async def _existing(username: str) -> UserRecord:
    user = await repo.user_by_username(username)
    if user is None:
        raise NotFound(f"用户 {username} 不存在。")
    return user


async def create_user(username: str, password: str, role: str, *, department_code: str | None = None,
                      display_name: str = "", actor: str = "system", clock: Clock | None = None) -> SessionUser:
    username = username.strip()
    if not USERNAME.match(username):
        raise InvalidInput("用户名只能包含字母、数字、下划线、点和连字符（2–64 个字符）。")
    _check_password(username, password)
    department_id, code = await _department(role, department_code)
    display_name = "".join(c for c in display_name if c.isprintable()).strip()[:64] or username
    password_hash = await hash_password_async(password)
    async with write_transaction():
        if await repo.username_taken(username):
            raise Conflict(f"用户名 {username} 已存在。")
        user_id = await repo.insert_user(username, password_hash, role, department_id, display_name)
        await audit.append(actor, "user.create", f"user:{username}", {"role": role, "department": code},
                           at=(clock or clocks.current()).now())
    return SessionUser(user_id, username, role, department_id, display_name)


async def change_role(username: str, role: str, *, department_code: str | None = None, actor: str,
                      clock: Clock | None = None) -> None:
    """Change role or department; the user's sessions end at once (the next request must log in again)."""
    user = await _existing(username)
    if username == actor:
        raise InvalidInput("不能修改自己的角色，请由另一位管理员操作。")
    department_id, code = await _department(role, department_code)
    async with write_transaction():
        await repo.update_user(user.id, role=role, department_id=department_id)
        ended = await sessions.end_all(user.id)
        await audit.append(actor, "user.role", f"user:{username}",
                           {"from": [user.role, user.department_code], "to": [role, code], "sessions_ended": ended},
                           at=(clock or clocks.current()).now())


async def reset_password(username: str, password: str, *, actor: str, clock: Clock | None = None) -> None:
    user = await _existing(username)
    _check_password(username, password)
    password_hash = await hash_password_async(password)
    async with write_transaction():
        await repo.update_user(user.id, password_hash=password_hash)
        ended = await sessions.end_all(user.id)
        await audit.append(actor, "user.password_reset", f"user:{username}", {"sessions_ended": ended},
                           at=(clock or clocks.current()).now())


async def deactivate(username: str, *, actor: str, clock: Clock | None = None) -> None:
    user = await _existing(username)
    if username == actor:
        raise InvalidInput("不能停用自己的账号，请由另一位管理员操作。")
    if not user.active:
        raise Conflict(f"用户 {username} 已是停用状态。")
    async with write_transaction():
        await repo.update_user(user.id, active=False)
        ended = await sessions.end_all(user.id)
        await audit.append(actor, "user.deactivate", f"user:{username}", {"sessions_ended": ended},
                           at=(clock or clocks.current()).now())


async def authenticate(username: str, password: str, *, settings: AccountSettings | None = None,
                       clock: Clock | None = None, client: str = "") -> SessionUser:
    """Check a login; audited, with lockout. Unknown users, inactive users and wrong passwords get the same
    answer in the same time (a dummy hash is verified for an unknown user)."""
    settings = settings or AccountSettings()
    now = (clock or clocks.current()).now()
    name = "".join(c for c in username if c.isprintable()).strip()[:64]
    policy = lockout_policy(settings)
    found = await repo.credentials(name) if name else None
    user, stored = found if found else (None, None)
    password_ok = await verify_password_async(stored, password)
    past = await repo.failures(name)
    until = locked_until([at for _, at in past], policy)
    detail = {"client": client[:64]}
    if until is not None and now < until:
        await audit.append(name or "anonymous", "login.locked", f"user:{name}", detail, at=now)
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        raise AccountLocked(f"登录失败次数过多，账号已暂时锁定，请 {minutes} 分钟后再试。")
    if user is None or not user.active or not password_ok:
        reason = "unknown_user" if user is None else ("inactive" if not user.active else "wrong_password")
        async with write_transaction():
            keep_after = now - policy.window - policy.lock
            await repo.delete_failures([i for i, at in past if at < keep_after])
            await repo.add_failure(name, now)
            await audit.append(name or "anonymous", "login.failure", f"user:{name}", {**detail, "reason": reason},
                               at=now)
        raise InvalidInput("用户名或密码错误。")
    async with write_transaction():
        await repo.clear_failures(name)
        await audit.append(name, "login.success", f"user:{name}", detail, at=now)
    return SessionUser(user.id, user.username, user.role, user.department_id, user.display_name)


async def login(username: str, password: str, *, settings: AccountSettings, clock: Clock, client: str = "",
                previous_session_id: str | None = None) -> LoginResult:
    """Authenticate and start a new session; the browser's previous session, if any, ends."""
    user = await authenticate(username, password, settings=settings, clock=clock, client=client)
    if previous_session_id:
        await sessions.end(previous_session_id)
    session_id = await sessions.start(user.id, clock.now(), sessions.policy_from(settings))
    return LoginResult(user, session_id)


async def logout(session_id: str | None, username: str | None, *, clock: Clock) -> None:
    if not session_id:
        return
    async with write_transaction():
        await sessions.end(session_id)
        if username:
            await audit.append(username, "logout", f"user:{username}", {}, at=clock.now())


async def list_users() -> list[UserRecord]:
    return await repo.users()


async def department_codes() -> list[str]:
    """The departments a liaison may belong to: the active ones."""
    return [d.code for d in await hall.departments(active_only=True)]


def session_policy(settings: AccountSettings) -> SessionPolicy:
    return sessions.policy_from(settings)
