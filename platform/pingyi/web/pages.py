"""Web layer: the public home page, health check and the office dashboard."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from pingyi.accounts.guards import current_user, office
from pingyi.evaluation import repository as evaluation
from pingyi.publication import service as publication


@get("/")
async def home() -> Template:
    return Template("home.html", context={"years": await publication.published_years()})


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/office", guards=[office])
async def office_home(request: Request) -> Template:
    campaigns = await evaluation.campaigns()
    for c in campaigns:
        c["turnout"] = await evaluation.turnout(c["id"])
    return Template("office.html", context={"user": current_user(request), "campaigns": campaigns})


ROUTES = [home, health, office_home]
