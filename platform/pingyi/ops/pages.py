"""Web layer: the public home page, health check and the office dashboard."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from pingyi.evaluation import service as evaluation
from pingyi.publication import service as publication
from pingyi.web.guards import current_user, office


@get("/")
async def home() -> Template:
    return Template("home.html", context={"years": await publication.published_years()})


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/office", guards=[office])
async def office_home(request: Request) -> Template:
    return Template("office.html", context={"user": current_user(request),
                                            "campaigns": await evaluation.campaigns_overview()})


ROUTES = [home, health, office_home]
