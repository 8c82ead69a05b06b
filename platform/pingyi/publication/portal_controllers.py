"""Web layer: the department liaison's portal under /liaison (SPEC §7 "a liaison sees its own department only";
docs/portal.md). Thin: every handler passes the session's user to one portal function; the department never
comes from the URL. The annual feedback stays at /office/feedback (admin: any department; liaison: its own)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from pingyi import clock, workcalendar
from pingyi.core import assessment as monthly_rules
from pingyi.core import complaints as complaint_rules
from pingyi.followup import service as followup
from pingyi.web.guards import current_user, liaison_only

from . import portal

# Pages the followup context serves (the department's 差评 queue and its rectification tasks).
FOLLOWUP_LINKS = (("/office/followup", "差评答复"), ("/office/rectification", "整改任务"))


def portal_context(request: Request, extra: dict[str, Any]) -> dict[str, Any]:
    paths = {route.path for route in request.app.routes}
    return {**extra, "followup_links": [(path, label) for path, label in FOLLOWUP_LINKS if path in paths],
            "STATE_LABELS": complaint_rules.STATE_LABELS, "SEVERITY_LABELS": complaint_rules.SEVERITY_LABELS,
            "ACTION_LABELS": complaint_rules.ACTION_LABELS, "CHANNEL_LABELS": portal.CHANNEL_LABELS,
            "AWARD_LABELS": monthly_rules.AWARD_LABELS}


def _calendar(request: Request) -> workcalendar.WorkCalendar:
    return workcalendar.for_surveys(request.app.state.settings.surveys_dir)


@get("/liaison", guards=[liaison_only])
async def portal_home(request: Request) -> Template:
    data = await portal.home(current_user(request), today=clock.today(), calendar=_calendar(request),
                             followup_policy=followup.policy_for(request.app.state.settings))
    return Template("publication/portal/home.html", context=portal_context(request, data))


@get("/liaison/monthly", guards=[liaison_only])
async def portal_months(request: Request) -> Template:
    return Template("publication/portal/months.html",
                    context=portal_context(request, await portal.months(current_user(request))))


@get("/liaison/monthly/{month:str}", guards=[liaison_only])
async def portal_month(request: Request, month: str) -> Template:
    return Template("publication/portal/month.html",
                    context=portal_context(request, await portal.month(current_user(request), month)))


@get("/liaison/complaints", guards=[liaison_only])
async def portal_complaints(request: Request,
                            shown_state: Annotated[str | None, QueryParameter(name="state")] = None) -> Template:
    data = await portal.complaint_list(current_user(request), today=clock.today(), calendar=_calendar(request),
                                       state=shown_state)
    return Template("publication/portal/complaints.html", context=portal_context(request, data))


@get("/liaison/complaints/{code:str}", guards=[liaison_only])
async def portal_complaint(request: Request, code: str) -> Template:
    data = await portal.complaint(current_user(request), code, today=clock.today(), calendar=_calendar(request))
    return Template("publication/portal/complaint.html", context=portal_context(request, data))


ROUTES = [portal_home, portal_months, portal_month, portal_complaints, portal_complaint]
