"""Web layer: the public list of departments (SPEC §2, §5 — what the forms offer)."""

from __future__ import annotations

from litestar import get

from . import service
from .schemas import PublicDepartments


@get("/api/v1/departments")
async def departments_api() -> PublicDepartments:
    """The active departments in display order (code and name)."""
    return await service.public_departments()


ROUTES = [departments_api]
