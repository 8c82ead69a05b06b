"""Service layer: the symposium (座谈会) record — date and place, each department's main-leader attendance, the
opinions raised per department; every change audited in its transaction (SPEC §2 "Opinions", seed 篇3).

The record joins each department's feedback (publication reads `department_symposia`). It is kept apart from
the anonymous ballot rows: nothing here names a ballot, section, opinion, receipt or card (docs/portal.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pingyi import clock
from pingyi.audit import service as audit
from pingyi.core import campaigns as lifecycle
from pingyi.core import symposium as rules
from pingyi.core.errors import InvalidInput, NotFound, StateError
from pingyi.db import write_transaction

from . import repository as repo
from . import symposium_repository as store
from .schemas import AttendanceRecord, SymposiumNoteRecord, SymposiumRecord

RECORDING_STATES = frozenset({"open", "closed", "published"})


@dataclass(frozen=True)
class Meeting:
    """One symposium with its attendance (department code → record) and notes (code → notes)."""

    symposium: SymposiumRecord
    attendance: dict[str, AttendanceRecord] = field(default_factory=dict)
    notes: dict[str, list[SymposiumNoteRecord]] = field(default_factory=dict)

    def leaders_missing(self, codes: list[str]) -> list[str]:
        return rules.leaders_missing(codes, {c: a.status for c, a in self.attendance.items()})


async def _campaign(year: int) -> dict[str, Any]:
    return await repo.campaign_row(year)


def _check_recording(campaign: dict[str, Any]) -> None:
    if campaign["state"] not in RECORDING_STATES:
        label = lifecycle.STATE_LABELS.get(campaign["state"], campaign["state"])
        raise StateError(f"评议活动当前为“{label}”：开始评议后才能登记座谈会。")


async def _meeting_of(year: int, symposium_id: int) -> tuple[dict[str, Any], SymposiumRecord]:
    """The campaign and the symposium, refusing a symposium of another year (a forged id)."""
    campaign = await _campaign(year)
    meeting = await store.symposium(symposium_id)
    if meeting is None or meeting.year != year:
        raise NotFound(f"{year} 年度没有这次座谈会记录。")
    return campaign, meeting


async def _department_id(campaign: dict[str, Any], code: str) -> int:
    if code not in campaign["department_codes"]:
        raise InvalidInput(f"部门 {code or '（未选择）'} 不在 {campaign['year']} 年度参评名单中。")
    return (await repo.department_ids([code]))[code]


async def meetings(year: int) -> list[Meeting]:
    """The campaign's symposia, oldest first, each with its attendance and notes."""
    campaign = await _campaign(year)
    found = await store.symposia(campaign["id"])
    ids = [m.id for m in found]
    by_id = {m.id: Meeting(m) for m in found}
    for a in await store.attendance(ids):
        by_id[a.symposium_id].attendance[a.department_code] = a
    for n in await store.notes(ids):
        by_id[n.symposium_id].notes.setdefault(n.department_code, []).append(n)
    return [by_id[i] for i in ids]


async def page(year: int) -> dict[str, Any]:
    """The office page's data: the campaign, its departments (code → name, in campaign order), the meetings."""
    campaign = await _campaign(year)
    codes = list(campaign["department_codes"])
    names = {d.code: d.name for d in await repo.departments(codes)}
    return {"campaign": campaign, "codes": codes, "names": names, "meetings": await meetings(year),
            "can_record": campaign["state"] in RECORDING_STATES}


async def record_symposium(year: int, held_on: str | date | None, place: str, *, actor: str) -> int:
    """A symposium as held: its date (not after today, in the office's time zone) and place. Audited."""
    campaign = await _campaign(year)
    _check_recording(campaign)
    fields = rules.meeting_fields(held_on, place, clock.today())
    async with write_transaction():
        symposium_id = await store.insert_symposium(campaign["id"], fields.held_on, fields.place)
        await audit.append(actor, "symposium.record", f"campaign:{year}",
                           {"symposium": symposium_id, "held_on": fields.held_on.isoformat(), "place": fields.place})
    return symposium_id


async def set_attendance(year: int, symposium_id: int, department_code: str, status: str, attendee: str = "",
                         note: str = "", *, actor: str) -> bool:
    """Record who came for a department; True when something changed. Audited with the old and new value."""
    campaign, meeting = await _meeting_of(year, symposium_id)
    _check_recording(campaign)
    fields = rules.attendance_fields(status, attendee, note)
    department_id = await _department_id(campaign, department_code)
    new = {"status": fields.status, "attendee": fields.attendee, "note": fields.note}
    async with write_transaction():
        old = await store.upsert_attendance(meeting.id, department_id, new)
        if old == new:
            return False
        await audit.append(actor, "symposium.attendance", f"campaign:{year}",
                           {"symposium": meeting.id, "held_on": meeting.held_on.isoformat(),
                            "department": department_code, "old": old, "new": new})
    return True


async def add_note(year: int, symposium_id: int, department_code: str, text: str, *, actor: str) -> int:
    """An opinion raised at the symposium about one department (no speaker recorded). Audited."""
    campaign, meeting = await _meeting_of(year, symposium_id)
    _check_recording(campaign)
    body = rules.note_text(text)
    department_id = await _department_id(campaign, department_code)
    async with write_transaction():
        note_id = await store.insert_note(meeting.id, department_id, body)
        await audit.append(actor, "symposium.note", f"campaign:{year}",
                           {"symposium": meeting.id, "held_on": meeting.held_on.isoformat(),
                            "department": department_code, "note": note_id, "length": len(body)})
    return note_id


async def department_symposia(year: int, department_code: str) -> list[dict[str, Any]]:
    """What one department gets back of the symposia (its feedback, SPEC §2): per symposium its attendance and
    the opinions raised about it — nothing about any other department."""
    campaign = await _campaign(year)
    found = await store.symposia(campaign["id"])
    ids = [m.id for m in found]
    attendance = {a.symposium_id: a for a in await store.attendance(ids, department_code)}
    notes: dict[int, list[str]] = {}
    for n in await store.notes(ids, department_code):
        notes.setdefault(n.symposium_id, []).append(n.text)
    out = []
    for m in found:
        a = attendance.get(m.id)
        out.append({"held_on": m.held_on.isoformat(), "place": m.place, "status": a.status if a else None,
                    "status_label": rules.attendance_label(a.status if a else None),
                    "attendee": a.attendee if a else "", "note": a.note if a else "",
                    "leader_attended": rules.leader_attended(a.status if a else None),
                    "notes": notes.get(m.id, [])})
    return out
