"""Infrastructure layer: queries of the symposium (座谈会) record; rows become records here (SPEC §2, seed 篇3).

These tables are office work in the open and stand apart from the anonymous ballot rows (docs/portal.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .schemas import AttendanceRecord, SymposiumNoteRecord, SymposiumRecord
from .tables import Symposium, SymposiumAttendance, SymposiumNote


def _symposium(r: dict[str, Any]) -> SymposiumRecord:
    return SymposiumRecord(id=r["id"], year=r["campaign.year"], held_on=r["held_on"], place=r["place"])


_SYMPOSIUM = (Symposium.id, Symposium.campaign.year, Symposium.held_on, Symposium.place)


async def symposia(campaign_id: int) -> list[SymposiumRecord]:
    """The campaign's symposia, oldest first."""
    rows = await Symposium.select(*_SYMPOSIUM).where(Symposium.campaign == campaign_id) \
        .order_by(Symposium.held_on).order_by(Symposium.id)
    return [_symposium(r) for r in rows]


async def symposium(symposium_id: int) -> SymposiumRecord | None:
    row = await Symposium.select(*_SYMPOSIUM).where(Symposium.id == symposium_id).first()
    return _symposium(row) if row else None


async def insert_symposium(campaign_id: int, held_on: date, place: str) -> int:
    """Call inside a write transaction."""
    row = Symposium(campaign=campaign_id, held_on=held_on, place=place)
    await row.save()
    return int(row.id)


def _attendance(r: dict[str, Any]) -> AttendanceRecord:
    return AttendanceRecord(symposium_id=r["symposium"], department_code=r["department.code"],
                            department_name=r["department.name"], status=r["status"], attendee=r["attendee"],
                            note=r["note"])


async def attendance(symposium_ids: list[int], department_code: str | None = None) -> list[AttendanceRecord]:
    if not symposium_ids:
        return []
    query = SymposiumAttendance.select(
        SymposiumAttendance.symposium, SymposiumAttendance.department.code, SymposiumAttendance.department.name,
        SymposiumAttendance.status, SymposiumAttendance.attendee, SymposiumAttendance.note,
    ).where(SymposiumAttendance.symposium.is_in(symposium_ids))
    if department_code is not None:
        query = query.where(SymposiumAttendance.department.code == department_code)
    return [_attendance(r) for r in await query]


async def upsert_attendance(symposium_id: int, department_id: int, values: dict[str, str]) -> dict[str, str] | None:
    """Set one department's attendance; return what it was before (None: first record). Call inside a write
    transaction. The unique `slot` keeps one record per symposium and department under any concurrency."""
    slot = f"{symposium_id}:{department_id}"
    old = await SymposiumAttendance.select(SymposiumAttendance.status, SymposiumAttendance.attendee,
                                           SymposiumAttendance.note).where(SymposiumAttendance.slot == slot).first()
    if old is None:  # a concurrent first record of the same slot makes this a no-op, then both update
        await SymposiumAttendance.insert(
            SymposiumAttendance(symposium=symposium_id, department=department_id, slot=slot, **values),
        ).on_conflict(target=SymposiumAttendance.slot, action="DO NOTHING")
    await SymposiumAttendance.update(values).where(SymposiumAttendance.slot == slot)
    return None if old is None else {k: str(v) for k, v in old.items()}


async def insert_note(symposium_id: int, department_id: int, text: str) -> int:
    """Call inside a write transaction."""
    row = SymposiumNote(symposium=symposium_id, department=department_id, text=text)
    await row.save()
    return int(row.id)


async def notes(symposium_ids: list[int], department_code: str | None = None) -> list[SymposiumNoteRecord]:
    """Notes in the order they were recorded (office work: the order says nothing about a ballot)."""
    if not symposium_ids:
        return []
    query = SymposiumNote.select(SymposiumNote.id, SymposiumNote.symposium, SymposiumNote.department.code,
                                 SymposiumNote.department.name, SymposiumNote.text) \
        .where(SymposiumNote.symposium.is_in(symposium_ids)).order_by(SymposiumNote.id)
    if department_code is not None:
        query = query.where(SymposiumNote.department.code == department_code)
    return [SymposiumNoteRecord(id=r["id"], symposium_id=r["symposium"], department_code=r["department.code"],
                                department_name=r["department.name"], text=r["text"]) for r in await query]


async def campaign_id_of(symposium_id: int) -> int | None:
    row = await Symposium.select(Symposium.campaign).where(Symposium.id == symposium_id).first()
    return int(row["campaign"]) if row else None

