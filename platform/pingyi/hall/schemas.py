"""Web and repository layer: the hall context's departments and windows as typed records (SPEC §2, §4)."""

from __future__ import annotations

import msgspec


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


class PublicDepartment(msgspec.Struct, frozen=True, kw_only=True):
    """A department as the public JSON API shows it."""

    code: str
    name: str


class PublicDepartments(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/departments`: the active departments in display order."""

    departments: list[PublicDepartment]
