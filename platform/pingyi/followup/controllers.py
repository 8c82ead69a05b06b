"""Web layer: the 差评 answer queue (liaison and office), rectification tasks, the public rectification tracker
(SPEC §2, §4; issue 10). Thin: parse, call one service function, render or redirect to the same place."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from pingyi.core import followup as rules
from pingyi.core.errors import InvalidInput
from pingyi.hall import repository as hall
from pingyi.ratings import web_rating
from pingyi.ratings.channels import CHANNEL_LABELS
from pingyi.web.guards import current_user, requires
from pingyi_terminal import protocol

from . import service
from .schemas import PublicTracker

loop_roles = requires("liaison", "inspector")  # admin is always admitted; investigators are not part of the loop

LABELS = {"ANSWER_STATE_LABELS": rules.ANSWER_STATE_LABELS, "OUTCOME_LABELS": rules.OUTCOME_LABELS,
          "CALLBACK_LABELS": rules.CALLBACK_LABELS, "TASK_STATE_LABELS": rules.TASK_STATE_LABELS,
          "SOURCE_LABELS": rules.SOURCE_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS, "TAGS": web_rating.TAGS,
          "LEVEL_LABELS": protocol.SCALES}


def _user(request: Request) -> dict[str, Any]:
    return current_user(request) or {}


def _policy(request: Request) -> service.Policy:
    return service.policy_for(request.app.state.settings)


async def _item_page(request: Request, rating_id: int, *, error: str | None = None,
                     form: dict[str, Any] | None = None, status: int = 200) -> Template:
    user = _user(request)
    entry = await service.item(user, rating_id, _policy(request))
    return Template("followup/item.html", status_code=status, context={
        "q": entry, "user": user, "error": error, "form": form or {},
        "actions": rules.answer_actions(entry.item.state), **LABELS})


@get("/office/followup", guards=[loop_roles])
async def queue_page(request: Request, month: str | None = None, department: str | None = None) -> Template:
    context = await service.queue(_user(request), _policy(request), month=month, department_code=department)
    return Template("followup/queue.html", context={**context, "user": _user(request),
                                                    "departments": await hall.departments(), **LABELS})


@get("/office/followup/{rating_id:int}", guards=[loop_roles])
async def item_page(request: Request, rating_id: int) -> Template:
    return await _item_page(request, rating_id)


@post("/office/followup/{rating_id:int}/answer", guards=[requires("liaison")])
async def answer(request: Request, rating_id: int) -> Any:
    form = dict(await request.form())
    try:
        await service.answer(_user(request), rating_id, _policy(request), finding=str(form.get("finding", "")),
                             cause=str(form.get("cause", "")), outcome=str(form.get("outcome", "")),
                             measure=str(form.get("measure", "")), fix_due=str(form.get("fix_due", "")))
    except InvalidInput as exc:  # the form comes back with what was typed, nothing stored
        return await _item_page(request, rating_id, error=exc.message, form=form, status=400)
    return Redirect(path=f"/office/followup/{rating_id}", status_code=303)


@post("/office/followup/{rating_id:int}/review", guards=[requires("inspector")])
async def review(request: Request, rating_id: int) -> Any:
    form = await request.form()
    try:
        await service.review(_user(request), rating_id, str(form.get("action", "")), _policy(request),
                             reason=str(form.get("reason", "")))
    except InvalidInput as exc:
        return await _item_page(request, rating_id, error=exc.message, status=400)
    return Redirect(path=f"/office/followup/{rating_id}", status_code=303)


@post("/office/followup/{rating_id:int}/callback", guards=[requires("inspector")])
async def callback(request: Request, rating_id: int) -> Any:
    form = await request.form()
    try:
        await service.record_callback(_user(request), rating_id, outcome=str(form.get("callback", "")),
                                      note=str(form.get("note", "")))
    except InvalidInput as exc:
        return await _item_page(request, rating_id, error=exc.message, status=400)
    return Redirect(path=f"/office/followup/{rating_id}", status_code=303)


async def _tasks_page(request: Request, *, error: str | None = None, form: dict[str, Any] | None = None,
                      status: int = 200) -> Template:
    user = _user(request)
    hints: list[dict[str, Any]] = []
    if user.get("role") != "liaison":
        await service.sync(_policy(request), actor="system")  # tasks of results published since the last look
        hints = await service.concentrated()
    return Template("followup/tasks.html", status_code=status, context={"hints": hints,
        "tasks": await service.tasks(user), "user": user, "error": error, "form": form or {},
        "departments": await hall.departments(active_only=True), **LABELS})


@get("/office/rectification", guards=[loop_roles])
async def tasks_page(request: Request) -> Template:
    return await _tasks_page(request)


@post("/office/rectification", guards=[requires("inspector")])
async def task_create(request: Request) -> Any:
    form = dict(await request.form())
    try:
        task_id = await service.create_task(_user(request), _policy(request),
                                            department_code=str(form.get("department", "")),
                                            reason=str(form.get("reason", "")), deadline=str(form.get("deadline", "")))
    except InvalidInput as exc:
        return await _tasks_page(request, error=exc.message, form=form, status=400)
    return Redirect(path=f"/office/rectification/{task_id}", status_code=303)


async def _task_page(request: Request, task_id: int, *, error: str | None = None,
                     form: dict[str, Any] | None = None, status: int = 200) -> Template:
    user = _user(request)
    task, overdue, measures = await service.task(user, task_id)
    return Template("followup/task.html", status_code=status, context={
        "t": task, "overdue": overdue, "measures": measures, "user": user, "error": error, "form": form or {},
        "actions": rules.task_actions(task.state), **LABELS})


@get("/office/rectification/{task_id:int}", guards=[loop_roles])
async def task_page(request: Request, task_id: int) -> Template:
    return await _task_page(request, task_id)


@post("/office/rectification/{task_id:int}/measures", guards=[requires("liaison")])
async def task_submit(request: Request, task_id: int) -> Any:
    form = dict(await request.form())
    try:
        await service.submit_measures(_user(request), task_id, summary=str(form.get("summary", "")),
                                      evidence=str(form.get("evidence", "")))
    except InvalidInput as exc:
        return await _task_page(request, task_id, error=exc.message, form=form, status=400)
    return Redirect(path=f"/office/rectification/{task_id}", status_code=303)


@post("/office/rectification/{task_id:int}/review", guards=[requires("inspector")])
async def task_review(request: Request, task_id: int) -> Any:
    form = await request.form()
    try:
        await service.review_task(_user(request), task_id, str(form.get("action", "")),
                                  reason=str(form.get("reason", "")))
    except InvalidInput as exc:
        return await _task_page(request, task_id, error=exc.message, status=400)
    return Redirect(path=f"/office/rectification/{task_id}", status_code=303)


@get("/rectification")
async def tracker_page() -> Template:
    return Template("followup/tracker.html", context={"tracker": await service.public_tracker()})


@get("/api/v1/rectification")
async def tracker_api() -> PublicTracker:
    """Every rectification task: department, why, deadline, state, overdue, the accepted measures' summary."""
    return await service.public_tracker()


ROUTES = [queue_page, item_page, answer, review, callback, tasks_page, task_create, task_page, task_submit,
          task_review, tracker_page, tracker_api]
