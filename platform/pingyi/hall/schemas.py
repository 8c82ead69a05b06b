"""Web and repository layer: the hall context's departments and windows as typed records (SPEC §2, §4)."""

from __future__ import annotations

import msgspec

from pingyi.core.alerts import Threshold


class DepartmentRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An evaluated department (窗口单位) as stored: `code` is stable, ties are listed by it."""

    id: int
    code: str
    name: str
    active: bool
    sort_order: int


class WindowRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A service window (窗口) of a department."""

    id: int
    code: str
    name: str
    department_id: int
    active: bool
    hall_id: int | None = None


class HallRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A service hall (政务服务大厅, 分中心) with its live-alert threshold (SPEC §4 "Alerts")."""

    id: int
    code: str
    name: str
    active: bool
    sort_order: int
    alert_min_ratings: int
    alert_window_minutes: int
    alert_bad_percent: int

    @property
    def threshold(self) -> Threshold:
        return Threshold(self.alert_min_ratings, self.alert_window_minutes, self.alert_bad_percent)


class WindowPlace(msgspec.Struct, frozen=True, kw_only=True):
    """A window with its department and hall names, for the office pages (hall None: 未分配大厅)."""

    id: int
    code: str
    name: str
    active: bool
    department_code: str
    department_name: str
    hall_code: str | None
    hall_name: str | None


class HallForm(msgspec.Struct, kw_only=True):
    """The office form that adds a hall or changes its threshold (numbers arrive as text and are checked)."""

    code: str = ""
    name: str = ""
    min_ratings: str = ""
    window_minutes: str = ""
    bad_percent: str = ""


class AssignForm(msgspec.Struct, kw_only=True):
    """The office form that puts a window in a hall ("" takes it out: 未分配大厅)."""

    window: str = ""
    hall: str = ""


class PublicDepartment(msgspec.Struct, frozen=True, kw_only=True):
    """A department as the public JSON API shows it."""

    code: str
    name: str


class PublicDepartments(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/departments`: the active departments in display order."""

    departments: list[PublicDepartment]
