"""Service layer: a month's facts, its live preview, close (immutable snapshot), correction, publication, the
public monthly document and the escalation ladder read from published snapshots (SPEC §4).

Facts come from the other contexts through their repositories (ratings: one GROUP BY over the month's local-time
bounds; complaints: substantiated ones decided in the month) and from this context's entries, vetoes and imports;
the pure core (`pingyi.core.assessment`) scores and ranks. A snapshot stores the canonical inputs, their digest and
the result; the ladder of a month reads the previous month's published snapshot.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.complaints import repository as complaints
from pingyi.core import assessment as core
from pingyi.core import audit as chain
from pingyi.core import explain
from pingyi.core.complaints import SERIOUS
from pingyi.core.errors import Conflict, InvalidInput, NotFound, StateError
from pingyi.core.rubric import Rubric
from pingyi.core.snapshot import inputs_digest, to_plain
from pingyi.db import write_transaction
from pingyi.ratings import repository as ratings
from pingyi.ratings.channels import CHANNEL_LABELS

from . import repository, service
from .schemas import (
    ExplanationStep,
    LadderStep,
    MonthlyDocument,
    PublicCategory,
    PublicItem,
    PublicRow,
    PublicVersion,
)


def bounds(month: str) -> tuple[Any, Any]:
    """[first day 00:00, next month's first day 00:00) in the office's time zone, as UTC instants."""
    first, next_first = core.month_first_days(month)
    return clock.start_of_local_day(first), clock.start_of_local_day(next_first)


async def previous_runs(month: str) -> dict[str, int]:
    """code → consecutive-较差 run ending at the previous calendar month, from that month's latest published
    snapshot (nothing when it was not published: the run breaks)."""
    payload = await published_payload(core.previous_month(month))
    if payload is None:
        return {}
    return {r["code"]: int(r["ladder_run"]) for r in payload["result"]["rows"] if r.get("award") == "poor"}


async def gather(month: str) -> tuple[list[core.DepartmentMonth], dict[str, int]]:
    """The facts of every assessed department for `month`, and the previous month's ladder runs."""
    start, end = bounds(month)
    first, next_first = core.month_first_days(month)
    rating_facts = {r.department_code: r for r in await ratings.month_rating_facts(start, end, month)}
    last_day = next_first.fromordinal(next_first.toordinal() - 1)
    decided: dict[str, list[core.ComplaintFact]] = {}
    for c in await complaints.substantiated_between(first, last_day):
        decided.setdefault(c.department_code, []).append(core.ComplaintFact(
            ref=c.tracking_code, serious=c.severity == SERIOUS, decided_on=c.decision_date.isoformat()))
    entries: dict[str, list[core.Entry]] = {}
    for e in repository.current(await repository.entry_versions(month)):
        entries.setdefault(e.department_code, []).append(core.Entry(
            item_id=e.item_id, points=Decimal(e.points), reason=e.reason, evidence=e.evidence, ref=e.ref))
    vetoes = await repository.vetoes(month)
    online = await repository.online_rows(month)
    out: list[core.DepartmentMonth] = []
    for d in await service.departments():
        rf = rating_facts.get(d.code)
        facts = core.RatingFacts(
            counted=sum(c.counted for c in rf.by_channel) if rf else 0,
            bad=sum(c.bad for c in rf.by_channel) if rf else 0,
            arm_events=rf.arm_events if rf else 0,
            served_import=rf.served if rf else None,
            by_channel=tuple((c.channel, c.counted, c.bad) for c in rf.by_channel) if rf else (),
            bad_refs=rf.bad_refs if rf else (),
            import_refs=rf.served_refs if rf else ())
        o = online.get(d.code)
        veto = vetoes.get(d.code)
        out.append(core.DepartmentMonth(
            code=d.code, name=d.name, entries=tuple(entries.get(d.code, ())),
            veto_reason=veto.reason if veto and veto.vetoed else None, ratings=facts,
            complaints=tuple(sorted(decided.get(d.code, []), key=lambda c: c.ref)),
            online=core.OnlineFacts(online=o.online, processed=o.processed, red_cards=o.red_cards, refs=(o.ref,))
            if o else None))
    return out, await previous_runs(month)


def canonical_inputs(rubric: Rubric, month: str, departments: list[core.DepartmentMonth],
                     runs: dict[str, int]) -> Any:
    """Everything the month's result depends on, as canonical plain data (what the digest covers)."""
    return to_plain({"month": month, "rubric": rubric, "departments": departments,
                     "previous_runs": dict(sorted(runs.items()))})


async def preview(month: str, rubric: Rubric) -> tuple[core.MonthAssessment, str]:
    """The month computed now from the current data, stored nowhere; with the digest its inputs would have."""
    month = service.month_arg(month)
    departments, runs = await gather(month)
    return core.assess_month(rubric, month, departments, runs, CHANNEL_LABELS), inputs_digest(
        canonical_inputs(rubric, month, departments, runs))


async def close_month(month: str, actor: str, *, rubric: Rubric | None = None, reason: str = "") -> dict[str, Any]:
    """Close a month (admin): gather the facts, score and rank with the core, store snapshot version n (inputs,
    digest, result; insert-only), make the month read-only. The first close needs no reason; a later one (after a
    correction reopened the month) takes the correction's reason or `reason`. Audited. Returns the payload.

    Three steps, so that no write lock is held while a million ratings are read: (1) a short transaction marks the
    month "closing" (entries, vetoes and imports are refused from then on); (2) the facts are read and scored;
    (3) a short transaction stores the snapshot and marks the month closed. A failure in (2) or (3) puts the
    month back to open; a month left "closing" by a crash can be closed again."""
    month = service.month_arg(month)
    rubric = rubric or service.rubric_from()
    if not service.ended(month):
        raise StateError(f"{month} 尚未结束（按本地时区），月末之后才能结账。")
    async with write_transaction():
        state = await repository.month_state(month)
        last = await repository.latest_snapshot(month)
        if state is not None and state.state not in (service.OPEN, service.CLOSING):
            raise Conflict(f"{month} 已结账（第 {last.version if last else 1} 版）；如需更正，请先发起更正并填写理由。")
        pending = state.correction_reason if state else ""
        why = (reason or pending).strip()
        if last and not why:
            raise InvalidInput(f"{month} 已有第 {last.version} 版：重新结账即为更正，请填写更正理由。")
        await repository.set_month_state(month, service.CLOSING, actor, correction_reason=pending)
    try:
        departments, runs = await gather(month)
        result = core.assess_month(rubric, month, departments, runs, CHANNEL_LABELS)
        inputs = canonical_inputs(rubric, month, departments, runs)
        digest = inputs_digest(inputs)
        version = (last.version + 1) if last else 1
        async with write_transaction():
            now = await repository.latest_snapshot(month)
            if (now.version if now else 0) != (last.version if last else 0):
                raise Conflict(f"{month} 刚刚已由他人结账（第 {now.version if now else 0} 版）。")
            entry = await audit.append(actor, "assessment.month.close", f"month:{month}",
                                       {"version": version, "digest": digest, "reason": why}, in_transaction=True)
            payload = {"month": month, "version": version, "digest": digest, "reason": why,
                       "computed_at": clock.now().isoformat(timespec="seconds"), "computed_by": actor,
                       "audit_head": chain.format_head(entry), "inputs": inputs, "result": to_plain(result)}
            await repository.insert_snapshot(month, version, digest, payload, why, actor)
            await repository.set_month_state(month, service.CLOSED, actor)
    except BaseException:
        async with write_transaction():
            current = await repository.month_state(month)
            if current is not None and current.state == service.CLOSING:
                await repository.set_month_state(month, service.OPEN, actor, correction_reason=pending)
        raise
    return payload


async def reopen_month(month: str, reason: str, *, actor: str) -> None:
    """Start a correction of a closed (or published) month (admin): the month is open again for entries; the next
    close makes a new version carrying `reason`. The published version stays public until a new one is published.
    Audited."""
    month = service.month_arg(month)
    reason = service._text(reason, "更正理由", service.MAX_REASON, required=True)
    async with write_transaction():
        state = await repository.month_state(month)
        if state is None or state.state == service.OPEN:
            raise StateError(f"{month} 尚未结账，可直接录入，无需更正。")
        await repository.set_month_state(month, service.OPEN, actor, correction_reason=reason)
        await audit.append(actor, "assessment.month.reopen", f"month:{month}", {"reason": reason, "from": state.state},
                           in_transaction=True)


async def publish_month(month: str, actor: str) -> int:
    """Publish the month's latest version (admin); returns its version. Re-publishing the version already public is
    refused (409); a month reopened for correction must be closed again first. Audited."""
    month = service.month_arg(month)
    async with write_transaction():
        state = await repository.month_state(month)
        last = await repository.latest_snapshot(month)
        if last is None or state is None:
            raise StateError(f"{month} 尚未结账，不能公布。")
        if state.state == service.CLOSING:
            raise StateError(f"{month} 正在结账，请稍后再公布。")
        if state.state == service.OPEN:
            raise StateError(f"{month} 正在更正（{state.correction_reason}）：请先重新结账，再公布新版本。")
        pubs = await repository.publications(month)
        if pubs and pubs[0].snapshot_id == last.id:
            raise Conflict(f"{month} 第 {last.version} 版已公布，不能重复公布。")
        entry = await audit.append(actor, "assessment.month.publish", f"month:{month}",
                                   {"version": last.version, "digest": last.digest, "reason": last.reason},
                                   in_transaction=True)
        await repository.insert_publication(last.id, month, last.version, actor, chain.format_head(entry))
        await repository.set_month_state(month, service.PUBLISHED, actor)
    return last.version


async def latest_payload(month: str) -> dict[str, Any] | None:
    """The month's newest snapshot (published or not)."""
    last = await repository.latest_snapshot(month)
    return await repository.snapshot_payload(last.id) if last else None


async def published_payload(month: str) -> dict[str, Any] | None:
    pubs = await repository.publications(month)
    if not pubs:
        return None
    payload = await repository.snapshot_payload(pubs[0].snapshot_id)
    return {**payload, "published_at": pubs[0].published_at.isoformat(timespec="seconds"),
            "publication_audit_head": pubs[0].audit_head}


async def ladder_history(month: str, row: dict[str, Any]) -> list[LadderStep]:
    """The months of a 较差 department's run ending at `month`, oldest first, each with the step its published
    snapshot gave (the current month's from `row`)."""
    if row.get("award") != "poor":
        return []
    run = int(row["ladder_run"])
    steps: list[LadderStep] = []
    m = month
    for back in range(run):
        if back == 0:
            step, label = int(row["ladder_step"]), str(row["ladder_label"])
        else:
            payload = await published_payload(m)
            old = next((r for r in (payload or {}).get("result", {}).get("rows", []) if r["code"] == row["code"]), None)
            step = int(old["ladder_step"]) if old else min(run - back, 3)
            label = str(old["ladder_label"]) if old else core.LADDER_LABELS[step]
        steps.append(LadderStep(month=m, step=step, label=label))
        m = core.previous_month(m)
    return list(reversed(steps))


def rendered_result(result: dict[str, Any]) -> dict[str, Any]:
    """A month's stored (or previewed) result as read now: every item's `explanation`, every row's and the month's
    `notes` rendered from their steps by the one table (core/explain.py); a version stored before explanations
    became data keeps its stored lines, read as text steps. The stored payload and its digest are untouched."""
    rows = [{**explain.attach(r, "note_steps", "notes"), "items": [explain.attach(i) for i in r.get("items", ())]}
            for r in result.get("rows", ())]
    return {**explain.attach(result, "note_steps", "notes"), "rows": rows}


def _steps(value: list[dict[str, Any]]) -> list[ExplanationStep]:
    return [ExplanationStep(rule=s["rule"], figures=s["figures"]) for s in value]


def _public_row(r: dict[str, Any], history: list[LadderStep]) -> PublicRow:
    return PublicRow(
        rank=int(r["rank"]), code=r["code"], name=r["name"], total=r["published_total"],
        categories=[PublicCategory(key=c["key"], name=c["name"], max_points=int(c["max_points"]),
                                   points=c["published"]) for c in r["categories"]],
        items=[PublicItem(item_id=i["item_id"], name=i["name"], max_points=int(i["max_points"]),
                          points=i["published"], explanation=list(i["explanation"]),
                          explanation_steps=_steps(i["explanation_steps"])) for i in r["items"]],
        vetoed=bool(r["vetoed"]), veto_reason=r.get("veto_reason"), award=r.get("award"),
        award_label=core.AWARD_LABELS.get(r.get("award") or "", ""), ladder_run=int(r["ladder_run"]),
        ladder_step=int(r["ladder_step"]), ladder_label=str(r.get("ladder_label") or ""), ladder_history=history,
        notes=list(r["notes"]), note_steps=_steps(r["note_steps"]))


async def monthly_document(month: str) -> MonthlyDocument:
    """The public month: its latest published version, with the earlier versions listed."""
    month = service.month_arg(month)
    payload = await published_payload(month)
    if payload is None:
        raise NotFound(f"{month} 的月度考核结果尚未公布。")
    result = rendered_result(payload["result"])
    rows = [_public_row(r, await ladder_history(month, r)) for r in result["rows"]]
    published = {p.snapshot_id: p for p in await repository.publications(month)}
    versions = [PublicVersion(version=s.version, digest=s.digest, reason=s.reason,
                              published_at=published[s.id].published_at.isoformat(timespec="seconds")
                              if s.id in published else None)
                for s in await repository.snapshots(month) if s.id in published]
    cutoff = payload["result"].get("excellent_cutoff")
    return MonthlyDocument(
        month=month, version=int(payload["version"]), digest=payload["digest"], reason=payload["reason"],
        published_at=payload["published_at"], audit_head=payload["publication_audit_head"],
        excellent_cutoff=str(cutoff) if cutoff is not None else None,
        excellent_bonus_yuan=int(core.EXCELLENT_BONUS_YUAN), rows=rows,
        notes=list(result["notes"]), note_steps=_steps(result["note_steps"]), versions=versions)


async def year_publications(year: int) -> list[tuple[str, int, int]]:
    """(month, publication id, snapshot id) of each published month of `year`, newest publication of each: what
    identifies the year's public monthly figures (a correction published anew is a new publication id)."""
    return [(p.month, p.id, p.snapshot_id) for p in await repository.year_publications(year)]


async def published_snapshot(snapshot_id: int) -> dict[str, Any]:
    """A published month's snapshot payload by id (the caller took the id from `year_publications`)."""
    return await repository.snapshot_payload(snapshot_id)


async def published_months() -> list[str]:
    return await repository.published_months()
