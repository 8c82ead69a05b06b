"""Service layer: immutable versioned result snapshots, publication, the public bulletin (SPEC §2, §3, §6).

A snapshot is computed from the raw data (one GROUP BY for section counts and sums, one for per-item sums),
scored by the pure core, and stored insert-only with a digest of its inputs. A correction is a new version
with a reason. Publishing makes one version public.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.complaints import service as complaints_service
from pingyi.core import audit as chain
from pingyi.core import campaigns as lifecycle
from pingyi.core import explain, scoring
from pingyi.core.errors import Conflict, Forbidden, InvalidInput, NotFound, StateError
from pingyi.core.snapshot import inputs_digest, to_plain
from pingyi.db import write_transaction
from pingyi.evaluation import repository as evaluation
from pingyi.evaluation import symposium

from . import repository
from .schemas import SnapshotRecord


async def compute_inputs(year: int) -> dict[str, Any]:
    """Gather everything a snapshot depends on, as plain data."""
    campaign = await evaluation.campaign_row(year)
    questionnaire = evaluation.questionnaire_from_json(campaign["questionnaire"])
    departments = await evaluation.departments(campaign["department_codes"])
    tallies = await evaluation.section_tallies(campaign["id"], len(questionnaire.aspects))
    empty = {"sections": 0, "section_sum": 0, "aspect_sums": None}
    complaints: dict[str, list[dict[str, Any]]] = {}
    for c in await complaints_service.substantiated_between(campaign["complaint_from"], campaign["complaint_to"]):
        complaints.setdefault(c.department_code, []).append(
            {"tracking_code": c.tracking_code, "decision_date": c.decision_date.isoformat(), "severity": c.severity})
    return {
        "campaign": {"year": year, "title": campaign["title"], "k": campaign["small_cell_k"],
                     "complaint_window": [campaign["complaint_from"], campaign["complaint_to"]]},
        "departments": [{"code": d.code, "name": d.name, **tallies.get(d.code, empty),
                         "substantiated": complaints.get(d.code, [])} for d in departments],
        "questionnaire": evaluation.questionnaire_to_json(questionnaire),
        "turnout": await evaluation.turnout(campaign["id"]),
    }


def build_payload(inputs: dict[str, Any]) -> dict[str, Any]:
    """Pure: score the inputs and add the aspect breakdown (withheld below k)."""
    k = inputs["campaign"]["k"]
    tallies = [scoring.DepartmentTally(d["code"], d["name"], d["sections"], d["section_sum"], len(d["substantiated"]),
                                       complaints=tuple((c["tracking_code"], c["decision_date"])
                                                        for c in d["substantiated"]))
               for d in inputs["departments"]]
    results = [r.to_dict() for r in scoring.score_campaign(tallies, k=k)]
    aspects = inputs["questionnaire"]["aspects"]
    max_points = max(a["points"] for a in inputs["questionnaire"]["answers"])
    by_code = {d["code"]: d for d in inputs["departments"]}
    for r in results:
        dept = by_code[r["code"]]
        r["complaints"] = dept["substantiated"]
        if r["small_cell"] or not dept["aspect_sums"]:
            r["aspects"] = None  # small-cell protection: no breakdown below k
            continue
        r["aspects"] = [{"key": aspect["key"], "name": aspect["name"],
                         "percent": scoring.percent(got, len(aspect["items"]) * max_points * dept["sections"], 2)}
                        for aspect, got in zip(aspects, dept["aspect_sums"], strict=True)]
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status_label"]] = counts.get(r["status_label"], 0) + 1
    return {"campaign": inputs["campaign"], "turnout": inputs["turnout"], "results": results,
            "grade_counts": counts}


def rendered(payload: dict[str, Any]) -> dict[str, Any]:
    """A results payload as read now: each department's `explanation` rendered from its stored steps by the one
    table (core/explain.py), or, for a version stored before explanations became data, its stored lines read as
    text steps. The stored payload and its digest are untouched."""
    return {**payload, "results": [explain.attach(r) for r in payload["results"]]}


async def preview(year: int) -> dict[str, Any]:
    """The current figures of a campaign in any state, computed and returned, never stored: no snapshot, no
    audit entry. `empty` when no department has a section yet (a draft, or an open campaign before its first
    ballot)."""
    campaign = await evaluation.campaign_row(year)
    payload = rendered(build_payload(to_plain(await compute_inputs(year))))
    return {"payload": payload, "state": campaign["state"],
            "empty": not any(r["section_count"] for r in payload["results"]),
            "can_snapshot": lifecycle.allows_snapshot(campaign["state"]),
            "can_publish": lifecycle.allows_publish(campaign["state"])}


def _no_snapshot_reason(state: str) -> str:
    label = lifecycle.STATE_LABELS.get(state, state)
    return (f"评议活动当前为“{label}”：截止评议后才能生成结果版本（已公布的可生成更正版本）；"
            "在此之前只能预览当前数据，预览不保存。")


async def compute_snapshot(year: int, *, actor: str, reason: str = "") -> dict[str, Any]:
    """Store a new results version: only from a closed campaign, or as a correction (with a reason) of a
    published one."""
    campaign = await evaluation.campaign_row(year)
    if not lifecycle.allows_snapshot(campaign["state"]):
        raise StateError(_no_snapshot_reason(campaign["state"]))
    inputs = to_plain(await compute_inputs(year))
    digest = inputs_digest(inputs)
    payload = build_payload(inputs)
    async with write_transaction():
        last = await repository.latest_version(campaign["id"])
        version = (last + 1) if last else 1
        if last and not reason.strip():
            raise InvalidInput(f"已有第 {last} 版结果：重新计算即为更正，请填写更正理由。")
        entry = await audit.append(actor, "snapshot.compute", f"campaign:{year}",
                                   {"version": version, "digest": digest, "reason": reason.strip()})
        # The audit chain head (including this entry) goes into the snapshot: a copy kept outside the database.
        payload = {**payload, "version": version, "digest": digest,
                   "computed_at": clock.now().isoformat(timespec="seconds"), "reason": reason.strip(),
                   "audit_head": chain.format_head(entry)}
        await repository.insert_snapshot(campaign["id"], version, digest, payload, reason.strip(), actor)
    return payload


async def snapshots(year: int) -> list[SnapshotRecord]:
    campaign = await evaluation.campaign_row(year)
    published = await repository.latest_publication(campaign["id"])
    return await repository.snapshots(campaign["id"], published.snapshot_id if published else None)


async def publish(year: int, version: int, *, actor: str, reason: str = "") -> None:
    campaign = await evaluation.campaign_row(year)
    new_state = lifecycle.transition(campaign["state"], "publish")
    snap_id = await repository.snapshot_id(campaign["id"], version)
    if snap_id is None:
        raise NotFound(f"{year} 年度第 {version} 版结果不存在。")
    previous = await repository.latest_publication(campaign["id"])
    if previous and previous.snapshot_id == snap_id:
        raise Conflict(_already_public(year, version))
    if previous and not reason.strip():
        raise InvalidInput("结果已公布过：公布新版本需要填写更正理由。")
    async with write_transaction():
        entry = await audit.append(actor, "results.publish", f"campaign:{year}", {"version": version,
                                                                                 "reason": reason.strip()})
        # Checked again after the append (which holds the audit lock until commit): a concurrent publish of the
        # same version rolls back here, its audit entry with it.
        now_public = await repository.latest_publication(campaign["id"])
        if now_public and now_public.snapshot_id == snap_id:
            raise Conflict(_already_public(year, version))
        await repository.insert_publication(snap_id, campaign["id"], reason.strip(), actor, chain.format_head(entry))
        await evaluation.update_campaign(campaign["id"], {"state": new_state})


def _already_public(year: int, version: int) -> str:
    return f"{year} 年度第 {version} 版已是当前公布的版本，无需再次公布。"


async def published_results(year: int) -> dict[str, Any]:
    """The public results: the newest published snapshot of the campaign."""
    campaign = await evaluation.campaign_row(year)
    pub = await repository.latest_publication(campaign["id"])
    if pub is None:
        raise NotFound(f"{year} 年度评议结果尚未公布。")
    payload = rendered(await repository.snapshot_payload(pub.snapshot_id))
    return {**payload, "published_at": pub.published_at.isoformat(timespec="seconds"),
            "publication_audit_head": pub.audit_head}


async def published_years() -> list[int]:
    return await repository.published_years()


def publication_order(items: list[str], results: dict[str, Any], department_code: str) -> list[str]:
    """The items (given in content order) in an order fresh per publication and independent of storage: a
    shuffle seeded by the publication (snapshot digest, version, time) and the department (SPEC §3)."""
    seed = f"{results['digest']}:{results['version']}:{results['published_at']}:{department_code}"
    out = sorted(items)
    random.Random(hashlib.sha256(seed.encode()).digest()).shuffle(out)
    return out


async def feedback_page(user: dict[str, Any], year: int | None, department: str | None) -> dict[str, Any]:
    """The feedback page's data: a liaison always gets its own department; the admin picks any."""
    departments = await evaluation.departments()
    if user["role"] == "liaison":
        own = await evaluation.department_code_of(user["department_id"])
        if department and department != own:  # a foreign code in the URL: refused, never silently swapped
            raise Forbidden("联络员只能查看本部门的评议反馈。")
        department = own
    department = department or (departments[0].code if departments else None)
    years = await published_years()
    year = year or (years[0] if years else None)
    feedback = await department_feedback(year, department) if (year and department) else None
    return {"feedback": feedback, "years": years, "year": year, "department": department,
            "departments": departments, "is_admin": user["role"] == "admin", "is_liaison": user["role"] == "liaison",
            "nav_department_name": next((d.name for d in departments if d.code == department), department)}


async def department_feedback(year: int, department_code: str) -> dict[str, Any]:
    """What a department gets back (SPEC §2): its published result and explanation and, unless it had fewer
    than k complete sections, its per-item breakdown and the opinions from ballots and the symposium."""
    results = await published_results(year)
    row = next((r for r in results["results"] if r["code"] == department_code), None)
    if row is None:
        raise NotFound(f"部门 {department_code} 不在 {year} 年度参评名单中。")
    # The symposium's record joins the feedback whatever the section count: it names no enterprise, and the
    # department's own leader sat in the room where each opinion was raised (docs/portal.md).
    out: dict[str, Any] = {"year": year, "k": results["campaign"]["k"], "result": row, "item_rates": None,
                           "opinions": None, "symposia": await symposium.department_symposia(year, department_code)}
    if row["small_cell"] or not row["section_count"]:
        return out
    campaign = await evaluation.campaign_row(year)
    questionnaire = evaluation.questionnaire_from_json(campaign["questionnaire"])
    sums = await evaluation.department_item_sums(campaign["id"], department_code, len(questionnaire.items))
    top = max(a.points for a in questionnaire.answers)
    out["item_rates"] = [{"aspect": aspect.name, "id": item.id, "text": item.text,
                     "percent": scoring.percent(sums[pos], top * row["section_count"], 1)}
                    for pos, (aspect, item) in enumerate((a, i) for a in questionnaire.aspects for i in a.items)]
    out["opinions"] = (await evaluation.opinions(campaign["id"])).get(department_code, [])
    return out
