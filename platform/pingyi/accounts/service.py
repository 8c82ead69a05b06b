"""Service layer: office users — create, authenticate, list (SPEC §7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pingyi.audit import service as audit
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.core.roles import ROLES
from pingyi.hall import repository as hall

from .passwords import hash_password, verify_password
from .tables import OfficeUser

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
    if await OfficeUser.exists().where(OfficeUser.username == username):
        raise Conflict(f"用户名 {username} 已存在。")
    user = OfficeUser(username=username, password_hash=hash_password(password), role=role,
                      department=department_id, display_name=display_name or username)
    await user.save()
    await audit.append(actor, "user.create", f"user:{username}", {"role": role, "department": department_code})
    return SessionUser(user.id, username, role, department_id, user.display_name)


async def authenticate(username: str, password: str) -> SessionUser:
    row = await OfficeUser.select().where(OfficeUser.username == username).first()
    if row is None or not row["active"] or not verify_password(row["password_hash"], password):
        raise InvalidInput("用户名或密码错误。")
    return SessionUser(row["id"], row["username"], row["role"], row["department"], row["display_name"])


async def list_users() -> list[dict[str, Any]]:
    return await OfficeUser.select(OfficeUser.id, OfficeUser.username, OfficeUser.display_name, OfficeUser.role,
                                   OfficeUser.department.code, OfficeUser.active).order_by(OfficeUser.username)
