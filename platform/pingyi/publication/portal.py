"""Service layer: the department liaison's portal (部门工作台) — its own department only: the annual result and
feedback, the published months with their explanations, its complaints without any complainant identity, the
symposium (SPEC §1, §2, §4, §5, §7; docs/portal.md).

Every function takes the logged-in liaison and reads its department from the session's user record, never from
the request: a foreign department code or id in a URL or query has nothing to select.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pingyi.assessment import monthclose
from pingyi.assessment import service as assessment
from pingyi.complaints import liaison as complaints
from pingyi.core import assessment as monthly_rules
from pingyi.core import complaints as complaint_rules
from pingyi.core.errors import Forbidden, NotFound
from pingyi.evaluation import repository as evaluation
from pingyi.evaluation import symposium
from pingyi.followup import service as followup
from pingyi.hall import repository as hall
from pingyi.hall.schemas import DepartmentRecord
from pingyi.web.guards import LIAISON_ONLY_MESSAGE
from pingyi.workcalendar import WorkCalendar

from . import service

CHANNEL_LABELS = {"web": "网上", "phone": "电话", "letter": "来信", "visit": "来访"}


async def department_of(user: dict[str, Any] | None) -> DepartmentRecord:
    """The liaison's own department, as its user record says now."""
    user = user or {}
    department_id = user.get("department_id") if user.get("role") == "liaison" else None
    code = await evaluation.department_code_of(department_id) if department_id else None
    dept = await hall.department_by_code(code) if code else None
    if dept is None:
        raise Forbidden(LIAISON_ONLY_MESSAGE)
    return dept


async def _annual_summary(code: str) -> dict[str, Any] | None:
    years = await service.published_years()
    if not years:
        return None
    results = await service.published_results(years[0])
    row = next((r for r in results["results"] if r["code"] == code), None)
    if row is None:
        return None
    return {"year": years[0], "row": row, "symposia": await symposium.department_symposia(years[0], code)}


def _own_month_row(payload: dict[str, Any] | None, code: str) -> dict[str, Any] | None:
    rows = (payload or {}).get("result", {}).get("rows", [])
    row = next((r for r in rows if r["code"] == code), None)
    if row is None:
        return None
    return {"rank": int(row["rank"]), "of": len(rows), "total": row["published_total"],
            "award": row.get("award"), "award_label": monthly_rules.AWARD_LABELS.get(row.get("award") or "", ""),
            "vetoed": bool(row["vetoed"]), "ladder_label": str(row.get("ladder_label") or ""),
            "ladder_run": int(row.get("ladder_run") or 0)}


async def months(user: dict[str, Any] | None) -> dict[str, Any]:
    """Every published month the department was assessed in, newest first, with its own rank and total."""
    dept = await department_of(user)
    rows = []
    for month in await monthclose.published_months():
        own = _own_month_row(await monthclose.published_payload(month), dept.code)
        if own:
            rows.append({"month": month, **own})
    return {"department": dept, "months": rows}


async def month(user: dict[str, Any] | None, month_text: str) -> dict[str, Any]:
    """One published month, the department's own row with the explanation of every item; 404 when the month is
    not published or the department was not assessed in it."""
    dept = await department_of(user)
    month_key = assessment.month_arg(month_text)
    document = await monthclose.monthly_document(month_key)
    row = next((r for r in document.rows if r.code == dept.code), None)
    if row is None:
        raise NotFound(f"{month_key} 的月度考核没有本部门的结果。")
    return {"department": dept, "month": month_key, "row": row, "of": len(document.rows),
            "version": document.version, "published_at": document.published_at, "reason": document.reason,
            "excellent_bonus_yuan": document.excellent_bonus_yuan}


async def complaint_list(user: dict[str, Any] | None, *, today: date, calendar: WorkCalendar,
                         state: str | None = None) -> dict[str, Any]:
    dept = await department_of(user)
    found = await complaints.of_department(dept.code, today=today, calendar=calendar)
    state = state if state in complaint_rules.STATE_LABELS else None
    shown = [c for c in found if state is None or c.state == state]
    counts = {s: sum(1 for c in found if c.state == s) for s in complaint_rules.STATE_LABELS}
    return {"department": dept, "complaints": shown, "state": state, "counts": counts, "total": len(found),
            "overdue": sum(1 for c in found if c.overdue), "today": today}


async def complaint(user: dict[str, Any] | None, code: str, *, today: date, calendar: WorkCalendar) -> dict[str, Any]:
    dept = await department_of(user)
    return {"department": dept, "c": await complaints.one_of_department(dept.code, code, today=today,
                                                                          calendar=calendar)}


async def home(user: dict[str, Any] | None, *, today: date, calendar: WorkCalendar,
               followup_policy: followup.Policy) -> dict[str, Any]:
    """The portal's front page: the newest annual result, the newest published month, the complaints in brief,
    and what the department owes in the followup context (差评 to answer, rectification measures)."""
    dept = await department_of(user)
    found = await complaints.of_department(dept.code, today=today, calendar=calendar)
    latest_month = None
    for m in await monthclose.published_months():
        own = _own_month_row(await monthclose.published_payload(m), dept.code)
        if own:
            latest_month = {"month": m, **own}
            break
    return {"department": dept, "annual": await _annual_summary(dept.code), "latest_month": latest_month,
            "open_complaints": sum(1 for c in found if c.state in complaint_rules.OPEN_STATES),
            "overdue_complaints": sum(1 for c in found if c.overdue),
            "substantiated": sum(1 for c in found if c.state == complaint_rules.SUBSTANTIATED),
            "complaints_total": len(found),
            "owed": await followup.department_summary(dept.id, followup_policy)}
