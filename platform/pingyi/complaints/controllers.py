"""Web layer: the public complaint form and status page, and the office's complaint list (SPEC §5)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from pingyi import clock, workcalendar
from pingyi.core import complaints as rules
from pingyi.core.errors import InvalidInput
from pingyi.web.guards import current_user, requires

from . import service
from .schemas import ComplaintStatus


@get("/complaints/new")
async def complaint_form() -> Template:
    return Template("complaints/new.html", context={"departments": await service.departments(), "error": None})


@post("/complaints/new")
async def complaint_submit(request: Request) -> Template:
    form = await request.form()
    try:
        code = await service.file_complaint(str(form.get("department", "")), str(form.get("summary", "")),
                                            contact=str(form.get("contact", "")))
    except InvalidInput as exc:
        return Template("complaints/new.html", status_code=400, context={
            "departments": await service.departments(), "error": exc.message, "form": dict(form)})
    return Template("complaints/filed.html", context={"code": code})


@get("/complaints/track")
async def complaint_track(code: str | None = None) -> Template:
    status = await service.public_status(code) if code else None
    return Template("complaints/track.html", context={"status": status})


@get("/api/v1/complaints/{code:str}")
async def complaint_status_api(code: str) -> ComplaintStatus:
    return await service.public_status(code)


@get("/office/complaints", guards=[requires("investigator")])
async def office_complaints(request: Request) -> Template:
    calendar = workcalendar.for_surveys(request.app.state.settings.surveys_dir)
    rows = await service.office_list(include_contact=True, today=clock.today(), calendar=calendar,
                                     mask_contact=(current_user(request) or {}).get("role") != "investigator")
    unknown = calendar.unknown_years([clock.today(), *(r.due_on for r in rows if r.due_on)])
    return Template("complaints/office.html", context={"complaints": rows, "departments": await service.departments(),
                                                       "today": clock.today(), "unknown_years": unknown,
                                                       "ACTION_LABELS": rules.ACTION_LABELS,
                                                       "SEVERITY_LABELS": rules.SEVERITY_LABELS,
                                                       "CHANNELS": service.CHANNELS})


@post("/office/complaints", guards=[requires("investigator")])
async def office_complaint_file(request: Request) -> Template:
    form = await request.form()
    code = await service.file_complaint(str(form.get("department", "")), str(form.get("summary", "")),
                                        channel=str(form.get("channel", "phone")), contact=str(form.get("contact", "")),
                                        received_on=str(form.get("received_on", "")),
                                        actor=current_user(request)["username"])
    return Template("complaints/filed.html", context={"code": code})


@post("/office/complaints/{code:str}/{action:str}", guards=[requires("investigator")])
async def office_complaint_act(request: Request, code: str, action: str) -> Redirect:
    form = await request.form()
    await service.act(code, action, actor=current_user(request)["username"], reason=str(form.get("reason", "")),
                      severity=str(form.get("severity", "")) or None,
                      decided_on=str(form.get("decision_date", "")),
                      public_reply=str(form.get("public_reply", "")) or None)
    return Redirect(path="/office/complaints", status_code=303)


ROUTES = [complaint_form, complaint_submit, complaint_track, complaint_status_api, office_complaints,
          office_complaint_file, office_complaint_act]
