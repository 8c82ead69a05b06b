"""Web layer: the public complaint form and status page, the office's complaint list, a complaint's page and the
investigators' actions (SPEC §5)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from pingyi import clock, workcalendar
from pingyi.core import cardcodes
from pingyi.core import complaints as rules
from pingyi.core.errors import DomainError, InvalidInput
from pingyi.web.errors import status_for
from pingyi.web.guards import current_user, requires

from . import service
from .schemas import ComplaintStatus

HONEYPOT = "website"  # a field people never see (hidden by CSS, labelled "leave empty" for screen readers)


def _sees_contact(request: Request) -> bool:
    """Complainant contact details: investigators only (SPEC §5) — not the admin, not anyone else."""
    return (current_user(request) or {}).get("role") == "investigator"


def _calendar(request: Request) -> workcalendar.WorkCalendar:
    return workcalendar.for_surveys(request.app.state.settings.surveys_dir)


def _working_days(request: Request) -> int:
    return int(request.app.state.settings.complaints.working_days)


async def _form_page(status: int, error: str | None, form: dict[str, Any] | None) -> Template:
    return Template("complaints/new.html", status_code=status, context={
        "departments": await service.departments(), "error": error, "form": form,
        "MAX_SUMMARY": service.MAX_SUMMARY, "MAX_CONTACT": service.MAX_CONTACT, "HONEYPOT": HONEYPOT})


@get("/complaints/new")
async def complaint_form() -> Template:
    return await _form_page(200, None, None)


@post("/complaints/new")
async def complaint_submit(request: Request) -> Template:
    form = await request.form()
    fields = {k: str(form.get(k, "")) for k in ("department", "summary", "contact")}
    if str(form.get(HONEYPOT, "")).strip():
        return await _form_page(400, "提交未受理：表单中“请勿填写”一栏应为空。请清空该栏后重新提交。", fields)
    try:
        code = await service.file_complaint(fields["department"], fields["summary"], contact=fields["contact"],
                                            duplicate_days=request.app.state.settings.complaints.duplicate_days)
    except InvalidInput as exc:
        return await _form_page(400, exc.message, fields)
    return Template("complaints/filed.html", context={"code": code, "office": False})


@get("/complaints/track")
async def complaint_track(code: str | None = None) -> Template:
    status = await service.public_status(code) if code else None
    return Template("complaints/track.html", context={"status": status})


@get("/api/v1/complaints/{code:str}")
async def complaint_status_api(code: str) -> ComplaintStatus:
    return await service.public_status(code)


def _list_filter(request: Request) -> rules.ListFilter:
    return rules.parse_list_filter({k: request.query_params.get(k) or "" for k in request.query_params},
                                   service.CHANNELS)


def _labels() -> dict[str, Any]:
    return {"ACTION_LABELS": rules.ACTION_LABELS, "SEVERITY_LABELS": rules.SEVERITY_LABELS,
            "CHANNELS": service.CHANNELS, "STATE_FILTERS": rules.STATE_FILTERS, "SORTS": rules.SORTS,
            "default_reply": service.default_reply}


async def _office_list(request: Request, status: int = 200, intake: dict[str, str] | None = None,
                       intake_error: str | None = None) -> Template:
    f = _list_filter(request)
    calendar, today = _calendar(request), clock.today()
    page = await service.office_page(f, show_contact=_sees_contact(request), today=today, calendar=calendar,
                                     working_days=_working_days(request))
    unknown = calendar.unknown_years([today, *(r.due_on for r in page.items if r.due_on)])
    return Template("complaints/office.html", status_code=status, context={
        "page": page, "complaints": page.items, "f": f, "here": f.url(), "departments": await service.departments(),
        "today": today, "unknown_years": unknown, "sees_contact": _sees_contact(request),
        "intake": intake, "intake_error": intake_error, **_labels()})


@get("/office/complaints", guards=[requires("investigator")])
async def office_complaints(request: Request) -> Template:
    return await _office_list(request)


INTAKE_FIELDS = ("channel", "department", "summary", "received_on", "contact")


@post("/office/complaints", guards=[requires("investigator")])
async def office_complaint_file(request: Request) -> Template:
    """Staff intake of a phone / letter / visit complaint. A refusal (400) shows the list again with the message
    above the intake form and everything typed kept in it; nothing is stored."""
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in INTAKE_FIELDS}
    try:
        code = await service.file_complaint(typed["department"], typed["summary"],
                                            channel=typed["channel"] or "phone", contact=typed["contact"],
                                            received_on=typed["received_on"],
                                            actor=current_user(request)["username"],
                                            duplicate_days=request.app.state.settings.complaints.duplicate_days)
    except InvalidInput as exc:
        return await _office_list(request, 400, typed, exc.message)
    return Template("complaints/filed.html", context={"code": code, "office": True})


@get("/office/complaints/{code:str}", guards=[requires("investigator")])
async def office_complaint_page(request: Request, code: str) -> Template:
    calendar = _calendar(request)
    detail = await service.office_detail(code, show_contact=_sees_contact(request), today=clock.today(),
                                         calendar=calendar, working_days=_working_days(request))
    back = rules.safe_next(request.query_params.get("next") or "", service.CHANNELS, detail.complaint.tracking_code)
    return Template("complaints/detail.html", context={
        "d": detail, "c": detail.complaint, "today": clock.today(), "back": back,
        # an action taken here returns to the list the investigator came from (its filter and page)
        "here": back if back != f"{rules.LIST_PATH}/{detail.complaint.tracking_code}" else rules.LIST_PATH,
        "sees_contact": _sees_contact(request),
        **_labels()})


@post("/office/complaints/{code:str}/{action:str}", guards=[requires("investigator")])
async def office_complaint_act(request: Request, code: str, action: str) -> Redirect | Template:
    """One action; back to where it was taken: the same filtered, paged list, or the complaint's page. A refused
    action says why and links back to that same place."""
    form = await request.form()
    reply = form.get("public_reply")
    tracking = cardcodes.normalize_tracking_code(code)
    target = rules.safe_next(str(form.get("next", "")), service.CHANNELS, tracking)
    try:
        await service.act(tracking, action, actor=current_user(request)["username"],
                          reason=str(form.get("reason", "")), severity=str(form.get("severity", "")) or None,
                          decided_on=str(form.get("decision_date", "")),
                          public_reply=None if reply is None else str(reply))
    except DomainError as exc:
        status = status_for(exc)
        return Template("error.html", status_code=status, context={"status": status, "message": exc.message,
                                                                   "back": target, "back_label": "返回投诉列表"})
    return Redirect(path=target, status_code=303)


ROUTES = [complaint_form, complaint_submit, complaint_track, complaint_status_api, office_complaints,
          office_complaint_file, office_complaint_page, office_complaint_act]
