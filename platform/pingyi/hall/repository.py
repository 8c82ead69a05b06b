"""Infrastructure layer: queries of the hall context; rows become DepartmentRecord / WindowRecord here (SPEC §2, §4)."""

from __future__ import annotations

from typing import Any

from piccolo.table import Table

from .schemas import DepartmentRecord, WindowRecord
from .tables import Department, Window


def _pk(row: Table) -> int:
    """The primary key Piccolo adds to every table (`id`), read without naming an undeclared attribute."""
    return int(getattr(row, row._meta.primary_key._meta.name))


def _department(row: dict[str, Any]) -> DepartmentRecord:
    return DepartmentRecord(id=row["id"], code=row["code"], name=row["name"], active=bool(row["active"]),
                            sort_order=int(row["sort_order"]))


def _window(row: dict[str, Any]) -> WindowRecord:
    return WindowRecord(id=row["id"], code=row["code"], name=row["name"], department_id=row["department"],
                        active=bool(row["active"]))


async def departments(*, active_only: bool = False) -> list[DepartmentRecord]:
    """All departments in display order (sort_order, then code)."""
    query = Department.select()
    if active_only:
        query = query.where(Department.active == True)  # noqa: E712
    rows = await query.order_by(Department.sort_order).order_by(Department.code)
    return [_department(r) for r in rows]


async def department_by_code(code: str) -> DepartmentRecord | None:
    row = await Department.select().where(Department.code == code).first()
    return _department(row) if row else None


async def insert_department(code: str, name: str, sort_order: int) -> int:
    row = Department(code=code, name=name, sort_order=sort_order, active=True)
    await row.save()
    return _pk(row)


async def window_by_code(code: str) -> WindowRecord | None:
    row = await Window.select().where(Window.code == code).first()
    return _window(row) if row else None


async def window_ids_by_code(codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = await Window.select(Window._meta.primary_key, Window.code).where(Window.code.is_in(codes))
    return {r["code"]: r["id"] for r in rows}


async def insert_window(code: str, name: str, department_id: int) -> int:
    row = Window(code=code, name=name, department=department_id, active=True)
    await row.save()
    return _pk(row)


async def update_department(code: str, values: dict[str, Any]) -> None:
    """`values`: column name (name, active, sort_order) → new value."""
    await Department.update({getattr(Department, k): v for k, v in values.items()}).where(Department.code == code)
