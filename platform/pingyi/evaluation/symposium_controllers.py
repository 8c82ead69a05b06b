"""Web layer: the office's symposium (座谈会) page — record a symposium, each department's main-leader attendance
and the opinions raised per department (SPEC §2, seed 篇3). Thin: parse, call one service function, redirect."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from pingyi.core import symposium as rules
from pingyi.web.guards import admin_only, current_user

from . import symposium


def _actor(request: Request) -> str:
    user = current_user(request)
    return user["username"] if user else "anonymous"


def _back(year: int, anchor: str = "") -> Redirect:
    return Redirect(path=f"/office/campaigns/{year}/symposium{anchor}", status_code=303)


@get("/office/campaigns/{year:int}/symposium", guards=[admin_only])
async def symposium_page(year: int) -> Template:
    """Every symposium of the campaign: attendance per department (the main leaders who did not attend shown
    first), the opinions raised, and the forms to record them."""
    return Template("evaluation/symposium.html", context={
        **await symposium.page(year), "ATTENDANCE_LABELS": rules.ATTENDANCE_LABELS,
        "attendance_label": rules.attendance_label})


@post("/office/campaigns/{year:int}/symposium", guards=[admin_only])
async def symposium_record(request: Request, year: int) -> Redirect:
    form = await request.form()
    sid = await symposium.record_symposium(year, str(form.get("held_on", "")), str(form.get("place", "")),
                                           actor=_actor(request))
    return _back(year, f"#s{sid}")


@post("/office/campaigns/{year:int}/symposium/{sid:int}/attendance", guards=[admin_only])
async def symposium_attendance(request: Request, year: int, sid: int) -> Redirect:
    form = await request.form()
    await symposium.set_attendance(year, sid, str(form.get("department", "")), str(form.get("status", "")),
                                   str(form.get("attendee", "")), str(form.get("note", "")), actor=_actor(request))
    return _back(year, f"#s{sid}")


@post("/office/campaigns/{year:int}/symposium/{sid:int}/notes", guards=[admin_only])
async def symposium_note(request: Request, year: int, sid: int) -> Redirect:
    form = await request.form()
    await symposium.add_note(year, sid, str(form.get("department", "")), str(form.get("text", "")),
                             actor=_actor(request))
    return _back(year, f"#s{sid}-notes")


ROUTES = [symposium_page, symposium_record, symposium_attendance, symposium_note]
