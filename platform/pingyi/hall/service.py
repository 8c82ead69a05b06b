"""Service layer: departments, halls and windows — the organisation every other context reads (SPEC §2, §4, §8)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pingyi.audit import service as audit
from pingyi.core import organisation as org
from pingyi.core.alerts import DEFAULT_THRESHOLD, Threshold
from pingyi.core.errors import Conflict, InvalidInput, NotFound
from pingyi.core.survey import Department
from pingyi.db import write_transaction

from . import repository
from .schemas import DepartmentRecord, HallRecord, PublicDepartment, PublicDepartments, WindowPlace

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


async def add_window(code: str, name: str, department_code: str, actor: str, hall_code: str | None = None) -> int:
    if not CODE_RE.fullmatch(code or ""):
        raise InvalidInput(f"窗口编号 {code!r} 无效：1–16 位字母、数字、- 或 _。")
    if not name.strip():
        raise InvalidInput("窗口名称不能为空。")
    dept = await repository.department_by_code(department_code)
    if dept is None:
        raise NotFound(f"窗口单位 {department_code!r} 不存在。")
    hall = await _usable_hall(hall_code) if hall_code else None
    if await repository.window_by_code(code):
        raise Conflict(f"窗口 {code} 已存在。")
    details: dict[str, object] = {"name": name.strip(), "department": department_code}
    if hall is not None:
        details["hall"] = hall.code
    async with write_transaction():
        wid = await repository.insert_window(code, name.strip(), dept.id, hall.id if hall else None)
        await audit.append(actor, "window.add", f"window:{code}", details, in_transaction=True)
    return wid


# ---------------------------------------------------------------------------------------------- halls (SPEC §4, §8)
HALL_NAME_MAX = 64


def parse_threshold(min_ratings: str | int | None, window_minutes: str | int | None,
                    bad_percent: str | int | None, base: Threshold = DEFAULT_THRESHOLD) -> Threshold:
    """A threshold from form or command-line text; a blank part keeps `base`'s. InvalidInput names what is wrong."""
    parts: list[int] = []
    for label, value, default in (("最少评价数", min_ratings, base.min_ratings),
                                  ("时间窗（分钟）", window_minutes, base.window_minutes),
                                  ("差评占比（%）", bad_percent, base.bad_percent)):
        text = str(value).strip() if value is not None else ""
        if not text:
            parts.append(default)
        elif text.isascii() and text.isdigit() and len(text) <= 6:
            parts.append(int(text))
        else:
            raise InvalidInput(f"{label} {text!r} 应为正整数。")
    threshold = Threshold(parts[0], parts[1], parts[2])
    problems = threshold.problems()
    if problems:
        raise InvalidInput("告警阈值无效：" + "；".join(problems) + "。")
    return threshold


async def _usable_hall(code: str) -> HallRecord:
    hall = await repository.hall_by_code(code)
    if hall is None:
        raise NotFound(f"大厅 {code!r} 不存在；先用 `pingyi halls add` 或“大厅与窗口”页面创建。")
    if not hall.active:
        raise Conflict(f"大厅 {code} 已停用，不能再分配窗口。")
    return hall


async def add_hall(code: str, name: str, actor: str, threshold: Threshold = DEFAULT_THRESHOLD) -> int:
    """A new hall (政务服务大厅 / 分中心) with its alert threshold; audited."""
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE_RE.fullmatch(code):
        raise InvalidInput(f"大厅编号 {code!r} 无效：1–16 位字母、数字、- 或 _。")
    if not name:
        raise InvalidInput("大厅名称不能为空。")
    if len(name) > HALL_NAME_MAX:
        raise InvalidInput(f"大厅名称不能超过 {HALL_NAME_MAX} 字。")
    problems = threshold.problems()
    if problems:
        raise InvalidInput("告警阈值无效：" + "；".join(problems) + "。")
    async with write_transaction():
        if await repository.hall_by_code(code):
            raise Conflict(f"大厅 {code} 已存在。")
        hid = await repository.insert_hall(code, name, threshold)
        await audit.append(actor, "hall.add", f"hall:{code}", {
            "name": name, "min_ratings": threshold.min_ratings, "window_minutes": threshold.window_minutes,
            "bad_percent": threshold.bad_percent}, in_transaction=True)
    return hid


async def set_hall_threshold(code: str, threshold: Threshold, actor: str) -> None:
    """Change a hall's alert threshold (applies to the next check; open alerts stay as raised); audited."""
    problems = threshold.problems()
    if problems:
        raise InvalidInput("告警阈值无效：" + "；".join(problems) + "。")
    async with write_transaction():
        hall = await repository.hall_by_code(code)
        if hall is None:
            raise NotFound(f"大厅 {code!r} 不存在。")
        if hall.threshold == threshold:
            return
        await repository.update_hall_threshold(code, threshold)
        old = hall.threshold
        await audit.append(actor, "hall.threshold", f"hall:{code}", {
            "old": [old.min_ratings, old.window_minutes, old.bad_percent],
            "new": [threshold.min_ratings, threshold.window_minutes, threshold.bad_percent]}, in_transaction=True)


async def assign_window(window_code: str, hall_code: str | None, actor: str) -> None:
    """Put a window in a hall (None or "": take it out, 未分配大厅); audited with the old and new hall."""
    async with write_transaction():
        window = await repository.window_by_code(window_code)
        if window is None:
            raise NotFound(f"窗口 {window_code!r} 不存在。")
        hall = await _usable_hall(hall_code) if hall_code else None
        if window.hall_id == (hall.id if hall else None):
            return
        old = next((h.code for h in await repository.halls() if h.id == window.hall_id), None)
        await repository.set_window_hall(window_code, hall.id if hall else None)
        await audit.append(actor, "window.assign", f"window:{window_code}",
                           {"old_hall": old, "new_hall": hall.code if hall else None}, in_transaction=True)


async def halls() -> list[HallRecord]:
    return await repository.halls()


async def hall_by_code(code: str) -> HallRecord:
    hall = await repository.hall_by_code(code)
    if hall is None:
        raise NotFound(f"大厅 {code!r} 不存在。")
    return hall


async def window_places() -> list[WindowPlace]:
    return await repository.window_places()


async def thresholds_for_windows(window_ids: list[int]) -> dict[int, Threshold]:
    """Each window's alert threshold: its hall's, DEFAULT_THRESHOLD without a hall (core/alerts.py)."""
    return await repository.thresholds_for_windows(window_ids)


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
