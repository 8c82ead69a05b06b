"""Web layer: the audit log page (SPEC §7)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from pingyi.web.guards import admin_only

from . import service


@get("/office/audit", guards=[admin_only])
async def audit_page() -> Template:
    return Template("audit/audit.html", context={"entries": await service.entries(), "problems": await service.verify()})


ROUTES = [audit_page]
