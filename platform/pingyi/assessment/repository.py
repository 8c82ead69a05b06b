"""Infrastructure layer: queries of the assessment context; rows become the records of schemas.py here (SPEC §4)."""

from __future__ import annotations

import json
from typing import Any

from pingyi import clock

from .schemas import (
    EntryRecord,
    MonthPublicationRecord,
    MonthSnapshotRecord,
    MonthStateRecord,
    OnlineRecord,
    VetoRecord,
)
from .tables import AssessmentEntry, AssessmentMonth, AssessmentVeto, MonthPublication, MonthSnapshot, OnlineImport

_ENTRY_COLUMNS = (AssessmentEntry.entry_key, AssessmentEntry.version, AssessmentEntry.month,
                  AssessmentEntry.department.code, AssessmentEntry.item_id, AssessmentEntry.points,
                  AssessmentEntry.reason, AssessmentEntry.evidence, AssessmentEntry.withdrawn,
                  AssessmentEntry.change_reason, AssessmentEntry.created_by, AssessmentEntry.created_at)


def _entry(r: dict[str, Any]) -> EntryRecord:
    return EntryRecord(entry_key=r["entry_key"], version=r["version"], month=r["month"],
                       department_code=r["department.code"], item_id=r["item_id"], points=r["points"],
                       reason=r["reason"], evidence=r["evidence"], withdrawn=bool(r["withdrawn"]),
                       change_reason=r["change_reason"], created_by=r["created_by"], created_at=r["created_at"])


async def entry_versions(month: str, department_id: int | None = None) -> list[EntryRecord]:
    """Every stored version of the month's entries (oldest first), optionally for one department."""
    query = AssessmentEntry.select(*_ENTRY_COLUMNS).where(AssessmentEntry.month == month)
    if department_id is not None:
        query = query.where(AssessmentEntry.department == department_id)
    rows = await query.order_by(AssessmentEntry.entry_key).order_by(AssessmentEntry.version)
    return [_entry(r) for r in rows]


def current(versions: list[EntryRecord]) -> list[EntryRecord]:
    """The newest version of each entry, withdrawn ones left out, in the order they were first made."""
    latest: dict[str, EntryRecord] = {}
    first: dict[str, Any] = {}
    for v in versions:
        first.setdefault(v.entry_key, (v.created_at, v.entry_key))
        if v.entry_key not in latest or v.version > latest[v.entry_key].version:
            latest[v.entry_key] = v
    return [latest[k] for k in sorted(latest, key=lambda k: first[k]) if not latest[k].withdrawn]


async def latest_entry(entry_key: str) -> EntryRecord | None:
    row = await AssessmentEntry.select(*_ENTRY_COLUMNS).where(AssessmentEntry.entry_key == entry_key)\
        .order_by(AssessmentEntry.version, ascending=False).first()
    return _entry(row) if row else None


async def insert_entry(*, entry_key: str, version: int, month: str, department_id: int, item_id: str, points: str,
                       reason: str, evidence: str, withdrawn: bool, change_reason: str, actor: str) -> None:
    await AssessmentEntry(version_key=f"{entry_key}:{version}", entry_key=entry_key, version=version, month=month,
                          department=department_id, item_id=item_id, points=points, reason=reason, evidence=evidence,
                          withdrawn=withdrawn, change_reason=change_reason, created_by=actor,
                          created_at=clock.now()).save()


async def vetoes(month: str) -> dict[str, VetoRecord]:
    """The veto flag in force per department code (the newest version; absent = never set)."""
    rows = await AssessmentVeto.select(
        AssessmentVeto.month, AssessmentVeto.department.code, AssessmentVeto.version, AssessmentVeto.vetoed,
        AssessmentVeto.reason, AssessmentVeto.created_by, AssessmentVeto.created_at,
    ).where(AssessmentVeto.month == month).order_by(AssessmentVeto.version)
    out: dict[str, VetoRecord] = {}
    for r in rows:
        out[r["department.code"]] = VetoRecord(
            month=r["month"], department_code=r["department.code"], version=r["version"], vetoed=bool(r["vetoed"]),
            reason=r["reason"], created_by=r["created_by"], created_at=r["created_at"])
    return out


async def insert_veto(*, month: str, department_id: int, version: int, vetoed: bool, reason: str,
                      actor: str) -> None:
    await AssessmentVeto(version_key=f"{month}:{department_id}:{version}", month=month, department=department_id,
                         version=version, vetoed=vetoed, reason=reason, created_by=actor,
                         created_at=clock.now()).save()


async def online_rows(month: str) -> dict[str, OnlineRecord]:
    rows = await OnlineImport.select(
        OnlineImport.department.code, OnlineImport.month, OnlineImport.online, OnlineImport.processed,
        OnlineImport.red_cards, OnlineImport.source, OnlineImport.source_row).where(OnlineImport.month == month)
    return {r["department.code"]: OnlineRecord(
        department_code=r["department.code"], month=r["month"], online=r["online"], processed=r["processed"],
        red_cards=r["red_cards"], source=r["source"], source_row=r["source_row"]) for r in rows}


async def replace_online(*, department_id: int, month: str, online: int, processed: int, red_cards: int, source: str,
                         source_row: int, actor: str) -> None:
    """Insert or replace the department's row for the month (call inside a write transaction)."""
    key = f"{department_id}:{month}"
    await OnlineImport.delete().where(OnlineImport.import_key == key)
    await OnlineImport(import_key=key, department=department_id, month=month, online=online, processed=processed,
                       red_cards=red_cards, source=source[:200], source_row=source_row, imported_by=actor,
                       imported_at=clock.now()).save()


async def month_state(month: str) -> MonthStateRecord | None:
    r = await AssessmentMonth.select().where(AssessmentMonth.month == month).first()
    if r is None:
        return None
    return MonthStateRecord(month=r["month"], state=r["state"], correction_reason=r["correction_reason"],
                            updated_by=r["updated_by"], updated_at=r["updated_at"])


async def month_states() -> list[MonthStateRecord]:
    rows = await AssessmentMonth.select().order_by(AssessmentMonth.month, ascending=False)
    return [MonthStateRecord(month=r["month"], state=r["state"], correction_reason=r["correction_reason"],
                             updated_by=r["updated_by"], updated_at=r["updated_at"]) for r in rows]


async def set_month_state(month: str, state: str, actor: str, correction_reason: str = "") -> None:
    """Upsert (call inside a write transaction)."""
    values = {AssessmentMonth.state: state, AssessmentMonth.correction_reason: correction_reason,
              AssessmentMonth.updated_by: actor, AssessmentMonth.updated_at: clock.now()}
    if await AssessmentMonth.exists().where(AssessmentMonth.month == month):
        await AssessmentMonth.update(values).where(AssessmentMonth.month == month)
    else:
        await AssessmentMonth(month=month, state=state, correction_reason=correction_reason, updated_by=actor,
                              updated_at=clock.now()).save()


def _load(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else raw


def _snapshot(r: dict[str, Any]) -> MonthSnapshotRecord:
    return MonthSnapshotRecord(id=r["id"], month=r["month"], version=r["version"], digest=r["digest"],
                               reason=r["reason"], created_by=r["created_by"], created_at=r["created_at"])


async def latest_snapshot(month: str) -> MonthSnapshotRecord | None:
    row = await MonthSnapshot.select(MonthSnapshot.id, MonthSnapshot.month, MonthSnapshot.version,
                                     MonthSnapshot.digest, MonthSnapshot.reason, MonthSnapshot.created_by,
                                     MonthSnapshot.created_at).where(MonthSnapshot.month == month)\
        .order_by(MonthSnapshot.version, ascending=False).first()
    return _snapshot(row) if row else None


async def snapshots(month: str) -> list[MonthSnapshotRecord]:
    rows = await MonthSnapshot.select(MonthSnapshot.id, MonthSnapshot.month, MonthSnapshot.version,
                                      MonthSnapshot.digest, MonthSnapshot.reason, MonthSnapshot.created_by,
                                      MonthSnapshot.created_at).where(MonthSnapshot.month == month)\
        .order_by(MonthSnapshot.version, ascending=False)
    return [_snapshot(r) for r in rows]


async def insert_snapshot(month: str, version: int, digest: str, payload: dict[str, Any], reason: str,
                          actor: str) -> None:
    await MonthSnapshot(snapshot_key=f"{month}:{version}", month=month, version=version, digest=digest,
                        payload=json.dumps(payload, ensure_ascii=False), reason=reason, created_by=actor,
                        created_at=clock.now()).save()


async def snapshot_payload(snapshot_id: int) -> dict[str, Any]:
    row = await MonthSnapshot.select(MonthSnapshot.payload).where(MonthSnapshot.id == snapshot_id).first()
    return dict(_load(row["payload"])) if row else {}


def _publication(r: dict[str, Any]) -> MonthPublicationRecord:
    return MonthPublicationRecord(id=r["id"], snapshot_id=r["snapshot"], month=r["month"], version=r["version"],
                                  published_by=r["published_by"], audit_head=r["audit_head"],
                                  published_at=r["published_at"])


async def publications(month: str) -> list[MonthPublicationRecord]:
    """The month's publications, newest first."""
    rows = await MonthPublication.select().where(MonthPublication.month == month)\
        .order_by(MonthPublication.id, ascending=False)
    return [_publication(r) for r in rows]


async def year_publications(year: int) -> list[MonthPublicationRecord]:
    """The newest publication of each published month of `year`, in month order (one small query)."""
    rows = await MonthPublication.select().where(MonthPublication.month.like(f"{year:04d}-%"))\
        .order_by(MonthPublication.id)
    newest = {r["month"]: r for r in rows}  # ascending ids: the last one of a month is its newest
    return [_publication(newest[m]) for m in sorted(newest)]


async def insert_publication(snapshot_id: int, month: str, version: int, actor: str, audit_head: str) -> None:
    await MonthPublication(snapshot=snapshot_id, month=month, version=version, published_by=actor,
                           audit_head=audit_head, published_at=clock.now()).save()


async def published_months() -> list[str]:
    rows = await MonthPublication.select(MonthPublication.month).distinct()
    return sorted({r["month"] for r in rows}, reverse=True)
