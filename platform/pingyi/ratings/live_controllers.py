"""Web layer: the office's live dashboard (today per hall and window) and its alerts (SPEC §4 "Alerts"). Thin.

The page works without JavaScript (a static table of the figures at load time). With JavaScript,
`/static/live.js` polls `/office/live/panel` every few seconds and swaps the panel in place (the server renders it
with the same template: one rendering, no template logic copied into JS); a new open alert flashes the banner
and beeps. `/office/live.json` serves the same figures as JSON (LiveDocument) for scripts and tests.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from pingyi.web.guards import current_user, requires

from . import alerts, live
from .live_schemas import AcknowledgeForm, LiveDocument

# Who watches the hall and acknowledges alerts: the office's inspectors and investigators (admin always). A
# liaison sees its own department only (SPEC §7), so not the county-wide dashboard.
watchers = requires("inspector", "investigator")
POLL_SECONDS = 5


@get("/office/live", guards=[watchers])
async def live_page() -> Template:
    return Template("ratings/live.html", context={"doc": await live.today(), "poll_seconds": POLL_SECONDS})


@get("/office/live/panel", guards=[watchers])
async def live_panel() -> Template:
    return Template("ratings/live_panel.html", context={"doc": await live.today()})


@get("/office/live.json", guards=[watchers])
async def live_json() -> LiveDocument:
    """Today (office time zone) per hall and window: ratings, 差评, participation, terminals, open alerts."""
    return await live.today()


@get("/office/alerts", guards=[watchers])
async def alerts_page(month: str | None = None) -> Template:
    year, mon = alerts.parse_month(month)
    rows = await alerts.alerts_for_month(year, mon)
    prev_year, prev_mon = (year, mon - 1) if mon > 1 else (year - 1, 12)
    next_year, next_mon = (year, mon + 1) if mon < 12 else (year + 1, 1)
    return Template("ratings/alerts.html", context={
        "month": f"{year:04d}-{mon:02d}", "alerts": rows, "open_count": sum(1 for a in rows if a.open),
        "prev": f"{prev_year:04d}-{prev_mon:02d}", "next": f"{next_year:04d}-{next_mon:02d}",
        "others_open": [a for a in await alerts.open_alerts() if a.id not in {r.id for r in rows}]})


@post("/office/alerts/{alert_id:int}/acknowledge", guards=[watchers])
async def acknowledge_alert(request: Request[Any, Any, Any], alert_id: int,
                            data: Annotated[AcknowledgeForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
                            ) -> Redirect:
    user = current_user(request) or {}
    done = await alerts.acknowledge(alert_id, data.note, str(user.get("username", "?")))
    return Redirect(path=f"/office/alerts?month={alerts.month_of(done.raised_at)}#alert-{alert_id}", status_code=303)


ROUTES = [live_page, live_panel, live_json, alerts_page, acknowledge_alert]
