"""Infrastructure layer: queries of the hall context; rows become DepartmentRecord / WindowRecord / HallRecord here
(SPEC §2, §4, §8)."""

from __future__ import annotations

from typing import Any

from piccolo.table import Table

from pingyi.core.alerts import DEFAULT_THRESHOLD, Threshold

from .schemas import DepartmentRecord, HallRecord, WindowPlace, WindowRecord
from .tables import Department, Hall, Window


def _pk(row: Table) -> int:
    """The primary key Piccolo adds to every table (`id`), read without naming an undeclared attribute."""
    return int(getattr(row, row._meta.primary_key._meta.name))


def _department(row: dict[str, Any]) -> DepartmentRecord:
    return DepartmentRecord(id=row["id"], code=row["code"], name=row["name"], active=bool(row["active"]),
                            sort_order=int(row["sort_order"]))


def _window(row: dict[str, Any]) -> WindowRecord:
    return WindowRecord(id=row["id"], code=row["code"], name=row["name"], department_id=row["department"],
                        active=bool(row["active"]), hall_id=row.get("hall"))


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


async def insert_window(code: str, name: str, department_id: int, hall_id: int | None = None) -> int:
    row = Window(code=code, name=name, department=department_id, active=True, hall=hall_id)
    await row.save()
    return _pk(row)


async def update_department(code: str, values: dict[str, Any]) -> None:
    """`values`: column name (name, active, sort_order) → new value."""
    await Department.update({getattr(Department, k): v for k, v in values.items()}).where(Department.code == code)


# ---------------------------------------------------------------------------------------------- halls (SPEC §4, §8)
def _hall(row: dict[str, Any]) -> HallRecord:
    return HallRecord(id=row["id"], code=row["code"], name=row["name"], active=bool(row["active"]),
                      sort_order=int(row["sort_order"]), alert_min_ratings=int(row["alert_min_ratings"]),
                      alert_window_minutes=int(row["alert_window_minutes"]),
                      alert_bad_percent=int(row["alert_bad_percent"]))


async def halls() -> list[HallRecord]:
    """All halls in display order (sort_order, then code)."""
    rows = await Hall.select().order_by(Hall.sort_order).order_by(Hall.code)
    return [_hall(r) for r in rows]


async def hall_by_code(code: str) -> HallRecord | None:
    row = await Hall.select().where(Hall.code == code).first()
    return _hall(row) if row else None


async def insert_hall(code: str, name: str, threshold: Threshold) -> int:
    last = await Hall.select(Hall.sort_order).order_by(Hall.sort_order, ascending=False).first()
    row = Hall(code=code, name=name, active=True, sort_order=(int(last["sort_order"]) if last else 0) + 10,
               alert_min_ratings=threshold.min_ratings, alert_window_minutes=threshold.window_minutes,
               alert_bad_percent=threshold.bad_percent)
    await row.save()
    return _pk(row)


async def update_hall_threshold(code: str, threshold: Threshold) -> None:
    await Hall.update({Hall.alert_min_ratings: threshold.min_ratings,
                       Hall.alert_window_minutes: threshold.window_minutes,
                       Hall.alert_bad_percent: threshold.bad_percent}).where(Hall.code == code)


async def set_window_hall(window_code: str, hall_id: int | None) -> None:
    await Window.update({Window.hall: hall_id}).where(Window.code == window_code)


async def window_places() -> list[WindowPlace]:
    """Every window with its department and hall, in display order (hall, department, window code)."""
    rows = await Window.raw(
        'SELECT w.id, w.code, w.name, w.active, d.code AS department_code, d.name AS department_name, '
        'h.code AS hall_code, h.name AS hall_name FROM service_window w JOIN department d ON d.id = w.department '
        'LEFT JOIN hall h ON h.id = w.hall ORDER BY d.sort_order, d.code, w.code')
    return [WindowPlace(id=r["id"], code=r["code"], name=r["name"], active=bool(r["active"]),
                        department_code=r["department_code"], department_name=r["department_name"],
                        hall_code=r["hall_code"], hall_name=r["hall_name"]) for r in rows]


async def thresholds_for_windows(window_ids: list[int]) -> dict[int, Threshold]:
    """The alert threshold of each window: its hall's, or DEFAULT_THRESHOLD for a window without a hall."""
    if not window_ids:
        return {}
    rows = await Window.select(Window._meta.primary_key, Window.hall.alert_min_ratings,
                               Window.hall.alert_window_minutes, Window.hall.alert_bad_percent).where(
        Window._meta.primary_key.is_in(window_ids))
    found: dict[int, Threshold] = {}
    for r in rows:
        if r["hall.alert_min_ratings"] is None:
            found[int(r["id"])] = DEFAULT_THRESHOLD
        else:
            found[int(r["id"])] = Threshold(int(r["hall.alert_min_ratings"]), int(r["hall.alert_window_minutes"]),
                                            int(r["hall.alert_bad_percent"]))
    return found
