"""Service layer: office users — create, authenticate, list (SPEC §7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pingyi.audit import service as audit
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.core.roles import ROLES
from pingyi.hall import repository as hall

from . import repository
from .passwords import hash_password, verify_password
from .schemas import UserRecord

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")


@dataclass(frozen=True)
class SessionUser:
    id: int
    username: str
    role: str
    department_id: int | None
    display_name: str

    def as_session(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "role": self.role,
                "department_id": self.department_id, "display_name": self.display_name}


async def create_user(username: str, password: str, role: str, *, department_code: str | None = None,
                      display_name: str = "", actor: str = "system") -> SessionUser:
    if not USERNAME.match(username):
        raise InvalidInput("用户名只能包含字母、数字、下划线、点和连字符（2–64 个字符）。")
    if role not in ROLES:
        raise InvalidInput(f"角色必须是 {', '.join(ROLES)} 之一。")
    if len(password) < 8:
        raise InvalidInput("密码至少 8 个字符。")
    department_id = None
    if role == "liaison":
        if not department_code:
            raise InvalidInput("窗口单位联络员必须指定所属部门（--department 部门代码）。")
        dept = await hall.department_by_code(department_code)
        if dept is None:
            raise NotFound(f"部门代码 {department_code} 不存在。")
        department_id = dept.id
    if await repository.username_taken(username):
        raise Conflict(f"用户名 {username} 已存在。")
    user_id = await repository.insert(username, hash_password(password), role, department_id,
                                      display_name or username)
    await audit.append(actor, "user.create", f"user:{username}", {"role": role, "department": department_code})
    return SessionUser(user_id, username, role, department_id, display_name or username)


async def authenticate(username: str, password: str) -> SessionUser:
    found = await repository.credentials(username)
    if found is None or not found.user.active or not verify_password(found.password_hash, password):
        raise InvalidInput("用户名或密码错误。")
    u = found.user
    return SessionUser(u.id, u.username, u.role, u.department_id, u.display_name)


async def list_users() -> list[UserRecord]:
    return await repository.users()
