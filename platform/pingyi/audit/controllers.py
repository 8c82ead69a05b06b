"""Web layer: the audit log page (SPEC §7)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from pingyi.web.guards import admin_only

from . import service
from .schemas import AuditPage


@get("/office/audit", guards=[admin_only])
async def audit_page() -> Template:
    page = AuditPage(entries=await service.entries(), problems=await service.verify(), head=await service.head())
    return Template("audit/audit.html", context={"page": page, "entries": page.entries, "problems": page.problems,
                                                 "head": page.head})


ROUTES = [audit_page]
