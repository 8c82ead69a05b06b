"""Infrastructure layer: office-user rows become UserRecords here (SPEC §7)."""

from __future__ import annotations

from typing import Any

from .schemas import Credentials, UserRecord
from .tables import OfficeUser

_COLUMNS = (OfficeUser.id, OfficeUser.username, OfficeUser.display_name, OfficeUser.role, OfficeUser.department,
            OfficeUser.department.code, OfficeUser.active)


def _user(r: dict[str, Any]) -> UserRecord:
    return UserRecord(id=r["id"], username=r["username"], display_name=r["display_name"], role=r["role"],
                      department_id=r["department"], department_code=r["department.code"], active=bool(r["active"]))


async def credentials(username: str) -> Credentials | None:
    row = await OfficeUser.select(*_COLUMNS, OfficeUser.password_hash).where(OfficeUser.username == username).first()
    return Credentials(user=_user(row), password_hash=row["password_hash"]) if row else None


async def username_taken(username: str) -> bool:
    return bool(await OfficeUser.exists().where(OfficeUser.username == username))


async def insert(username: str, password_hash: str, role: str, department_id: int | None, display_name: str) -> int:
    user = OfficeUser(username=username, password_hash=password_hash, role=role, department=department_id,
                      display_name=display_name)
    await user.save()
    return int(user.id)


async def users() -> list[UserRecord]:
    return [_user(r) for r in await OfficeUser.select(*_COLUMNS).order_by(OfficeUser.username)]
