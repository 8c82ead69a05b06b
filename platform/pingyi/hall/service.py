"""Service layer: departments and windows — the organisation every other context reads (SPEC §2, §4, §8)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pingyi.audit import service as audit
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.core.survey import Department
from pingyi.db import write_transaction

from . import repository
from .schemas import DepartmentRecord, PublicDepartment, PublicDepartments

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


async def add_window(code: str, name: str, department_code: str, actor: str) -> int:
    if not CODE_RE.fullmatch(code or ""):
        raise InvalidInput(f"窗口编号 {code!r} 无效：1–16 位字母、数字、- 或 _。")
    if not name.strip():
        raise InvalidInput("窗口名称不能为空。")
    dept = await repository.department_by_code(department_code)
    if dept is None:
        raise NotFound(f"窗口单位 {department_code!r} 不存在。")
    if await repository.window_by_code(code):
        raise Conflict(f"窗口 {code} 已存在。")
    async with write_transaction():
        wid = await repository.insert_window(code, name.strip(), dept.id)
        await audit.append(actor, "window.add", f"window:{code}", {"name": name.strip(), "department": department_code},
                           in_transaction=True)
    return wid


async def add_missing_departments(departments: Iterable[Department]) -> int:
    """Insert the departments whose code is not stored yet, in the given order; returns how many were added."""
    added = 0
    for position, dept in enumerate(departments):
        if await repository.department_by_code(dept.code) is None:
            await repository.insert_department(dept.code, dept.name, (position + 1) * 10)
            added += 1
    return added


async def departments(*, active_only: bool = False) -> list[DepartmentRecord]:
    return await repository.departments(active_only=active_only)


async def public_departments() -> PublicDepartments:
    rows = await repository.departments(active_only=True)
    return PublicDepartments(departments=[PublicDepartment(code=d.code, name=d.name) for d in rows])
