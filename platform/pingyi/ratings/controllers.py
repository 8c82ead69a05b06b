"""Web layer: office pages — terminal fleet, 差评 review queue, quarantine (SPEC §4). Thin: parse, call, render."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from pingyi.web.guards import admin_only, current_user, requires
from pingyi_terminal import protocol

from . import service, web_rating
from .channels import CHANNEL_LABELS
from .ingest.validate import QUARANTINE_RAW_BYTES
from .schemas import DismissForm
from .web_controllers import WEB_ROUTES

# The labels are protocol's (the one definition of the scales), never a copy.
LEVEL_LABELS = protocol.SCALES


@get("/office/terminals", guards=[requires("inspector")])
async def fleet_page(request: Request) -> Template:
    rows = await service.fleet()
    return Template("ratings/fleet.html", context={"terminals": rows, "CHANNEL_LABELS": CHANNEL_LABELS,
                                                   "FLAG_LABELS": protocol.FLAG_LABELS,
                                                   "max_offline_days": request.app.state.settings.mqtt.max_offline_days,
                                                   "clock_skew_s": request.app.state.settings.mqtt.clock_skew_s,
                                                   "posters": await web_rating.posters()})


@get("/office/bad-ratings", guards=[requires("inspector")])
async def bad_ratings_page() -> Template:
    data = await service.bad_queue()
    return Template("ratings/bad_ratings.html", context={**data, "labels": LEVEL_LABELS, "error": None,
                                                         "CHANNEL_LABELS": CHANNEL_LABELS, "TAGS": web_rating.TAGS})


@post("/office/bad-ratings/{rating_id:int}/dismiss", guards=[admin_only])
async def dismiss_bad_rating(request: Request, rating_id: int,
                             data: Annotated[DismissForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Any:
    user = current_user(request) or {}
    await service.dismiss_bad_rating(rating_id, data.reason, user.get("username", "?"))
    return Redirect(path="/office/bad-ratings", status_code=303)


@get("/office/quarantine", guards=[admin_only])
async def quarantine_page(request: Request) -> Template:
    settings = request.app.state.settings.mqtt
    return Template("ratings/quarantine.html", context={
        "rows": await service.quarantine(), "overflow": await service.quarantine_overflow(),
        "per_terminal_hour": settings.quarantine_per_terminal_hour, "total_hour": settings.quarantine_total_hour,
        "raw_bytes": QUARANTINE_RAW_BYTES})


ROUTES = [fleet_page, bad_ratings_page, dismiss_bad_rating, quarantine_page, *WEB_ROUTES]
