"""Web layer: explicit request/response schemas of the evaluation API (SPEC §2–3)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta, Struct


class BallotSubmission(Struct, forbid_unknown_fields=True):
    """A ballot: the card code, answers per department code (item id → answer key) and optional opinions."""

    token: Annotated[str, Meta(min_length=20, max_length=64, description="评议卡卡号（二维码中的令牌）")]
    answers: Annotated[dict[str, dict[str, str]], Meta(description="部门代码 → {题目编号 → 答案键}")]
    opinions: dict[str, str] = {}


class BallotReceipt(Struct):
    receipt: Annotated[str, Meta(description="回执码：结果公布后可在公告中核验")]
    departments: Annotated[int, Meta(description="本次评议的部门数")]
    message: str = "提交成功"


class CampaignCreate(Struct, forbid_unknown_fields=True):
    year: int
    title: str
    department_codes: list[str] | None = None
    k: int = 5


class CardJobStatus(Struct, frozen=True, kw_only=True):
    """`GET /office/campaigns/{year}/cards/{job}/status`: progress of a card sheet drawn in a worker thread.

    state: queued | running | done | failed. `done` counts the cards drawn so far; times are UTC, ISO 8601."""

    job: str
    year: int
    batch: int
    count: int
    done: int
    state: str
    error: str
    created_by: str
    created_at: str
    updated_at: str
    finished_at: str | None


class Turnout(Struct):
    cards_issued: int
    cards_used: int
    ballots: int


class SymposiumRecord(Struct, frozen=True, kw_only=True):
    """A symposium (座谈会) as held (SPEC §2, seed 篇3)."""

    id: int
    year: int
    held_on: date
    place: str


class AttendanceRecord(Struct, frozen=True, kw_only=True):
    """Who came for one department to one symposium: status leader | deputy | absent (core/symposium.py)."""

    symposium_id: int
    department_code: str
    department_name: str
    status: str
    attendee: str
    note: str


class SymposiumNoteRecord(Struct, frozen=True, kw_only=True):
    """An opinion raised at a symposium about one department (no speaker is stored)."""

    id: int
    symposium_id: int
    department_code: str
    department_name: str
    text: str
