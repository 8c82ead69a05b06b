"""Service layer: what the inspectors' monthly page shows (SPEC §4) — rubric, entries with their versions, the live
preview from the core (nothing stored) or, for a closed month, its latest snapshot."""

from __future__ import annotations

from typing import Any

from pingyi import clock
from pingyi.core import assessment as core
from pingyi.core.rubric import Rubric
from pingyi.core.snapshot import to_plain

from . import monthclose, repository, service


def recent_months(count: int = 13) -> list[str]:
    """This month and the `count - 1` before it, newest first."""
    months = [core.month_of(clock.today())]
    while len(months) < count:
        months.append(core.previous_month(months[-1]))
    return months


async def office_context(month: str, department_code: str | None, rubric: Rubric) -> dict[str, Any]:
    month = service.month_arg(month)
    state = await repository.month_state(month)
    state_name = state.state if state else service.OPEN
    departments = await service.departments()
    dept = next((d for d in departments if d.code == department_code), departments[0] if departments else None)
    versions = await repository.entry_versions(month)
    history: dict[str, list[Any]] = {}
    for v in versions:
        history.setdefault(v.entry_key, []).append(v)
    current = [e for e in repository.current(versions) if dept and e.department_code == dept.code]
    by_item: dict[str, list[Any]] = {}
    for e in current:
        by_item.setdefault(e.item_id, []).append(e)
    snapshots = await repository.snapshots(month)
    publications = await repository.publications(month)
    if state_name == service.OPEN and service.started(month):
        result, digest = await monthclose.preview(month, rubric)
        plain: dict[str, Any] = monthclose.rendered_result(to_plain(result))
        source = "preview"
    else:
        payload = await monthclose.latest_payload(month)
        plain = (monthclose.rendered_result(payload["result"]) if payload
                 else {"rows": [], "notes": [], "excellent_cutoff": None})
        digest = payload["digest"] if payload else ""
        source = "snapshot" if payload else "none"
    row = next((r for r in plain["rows"] if dept and r["code"] == dept.code), None)
    months = sorted(set(recent_months()) | {s.month for s in await repository.month_states()} | {month},
                    reverse=True)
    return {
        "month": month, "months": months, "state": state, "state_name": state_name,
        "state_label": service.STATE_LABELS[state_name], "is_open": state_name == service.OPEN,
        "started": service.started(month), "ended": service.ended(month),
        "departments": departments, "dept": dept, "rubric": rubric, "by_item": by_item, "history": history,
        "veto": (await repository.vetoes(month)).get(dept.code) if dept else None,
        "online": (await repository.online_rows(month)).get(dept.code) if dept else None,
        "result": plain, "row": row, "digest": digest, "source": source,
        "snapshots": snapshots, "published_ids": {p.snapshot_id for p in publications},
        "VETO_GROUNDS": service.VETO_GROUNDS, "AWARD_LABELS": core.AWARD_LABELS,
    }
