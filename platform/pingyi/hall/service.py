"""Service layer: departments and windows — the organisation every other context reads (SPEC §2, §4, §8)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pingyi.audit import service as audit
from pingyi.core import organisation as org
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


async def department_changes(departments: Iterable[Department]) -> org.DepartmentChanges:
    """What bringing `departments` (the list in surveys/departments.csv) into the database would change."""
    stored = [org.StoredDepartment(d.code, d.name, d.active, d.sort_order) for d in await repository.departments()]
    return org.department_changes(stored, org.wanted_from_list([(d.code, d.name) for d in departments]))


async def sync_departments(departments: Iterable[Department], *, actor: str) -> org.DepartmentChanges:
    """Apply the difference in one transaction with one audit entry naming every change; returns it.

    A department with history is never deleted: a code missing from the list is deactivated (it can join no new
    campaign and no new complaint names it), and comes back when listed again."""
    wanted = list(departments)
    async with write_transaction():
        changes = await department_changes(wanted)
        if changes.empty:
            return changes
        for w in changes.added:
            await repository.insert_department(w.code, w.name, w.sort_order)
        positions = {w.code: w for w in org.wanted_from_list([(d.code, d.name) for d in wanted])}
        for code in {r.code for r in changes.renamed} | set(changes.reordered) | set(changes.reactivated):
            w = positions[code]
            await repository.update_department(code, {"name": w.name, "sort_order": w.sort_order, "active": True})
        for code in changes.deactivated:
            await repository.update_department(code, {"active": False})
        await audit.append(actor, "departments.sync", "departments", {
            "added": [w.code for w in changes.added], "renamed": [[r.code, r.old, r.new] for r in changes.renamed],
            "reordered": list(changes.reordered), "deactivated": list(changes.deactivated),
            "reactivated": list(changes.reactivated)}, in_transaction=True)
    return changes


async def departments(*, active_only: bool = False) -> list[DepartmentRecord]:
    return await repository.departments(active_only=active_only)


async def public_departments() -> PublicDepartments:
    rows = await repository.departments(active_only=True)
    return PublicDepartments(departments=[PublicDepartment(code=d.code, name=d.name) for d in rows])
