"""Web and repository layer: the monthly assessment's records and public JSON shapes (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class EntryRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One stored version of an inspector entry; `points` is the exact decimal text ("1.50")."""

    entry_key: str
    version: int
    month: str
    department_code: str
    item_id: str
    points: str
    reason: str
    evidence: str
    withdrawn: bool
    change_reason: str
    created_by: str
    created_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.entry_key}v{self.version}"


class VetoRecord(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    department_code: str
    version: int
    vetoed: bool
    reason: str
    created_by: str
    created_at: datetime


class OnlineRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An imported online-share row: online / processed items and overtime red cards, with its file row."""

    department_code: str
    month: str
    online: int
    processed: int
    red_cards: int
    source: str
    source_row: int

    @property
    def ref(self) -> str:
        return f"{self.source}#第{self.source_row}行"


class MonthStateRecord(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    state: str  # open | closed | published
    correction_reason: str
    updated_by: str
    updated_at: datetime


class MonthSnapshotRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    month: str
    version: int
    digest: str
    reason: str
    created_by: str
    created_at: datetime


class MonthPublicationRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    snapshot_id: int
    month: str
    version: int
    published_by: str
    audit_head: str
    published_at: datetime


# ---------------------------------------------------------------- public JSON (/api/v1/monthly/…)


Figure = str | int | None


class ExplanationStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of an explanation (core/explain.py): the rule applied and its figures — exact decimals as strings,
    integers, or a list of small records (e.g. the complaints counted). A version stored before explanations became
    data gives each of its lines as a step of rule "text" with the line in `figures.text`."""

    rule: str
    figures: dict[str, Figure | list[dict[str, Figure]]]


class PublicCategory(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    name: str
    max_points: int
    points: str  # published figure, 2 decimals


class PublicItem(msgspec.Struct, frozen=True, kw_only=True):
    item_id: str
    name: str
    max_points: int
    points: str
    explanation: list[str]  # the steps rendered
    explanation_steps: list[ExplanationStep]


class LadderStep(msgspec.Struct, frozen=True, kw_only=True):
    """One month of a 较差 department's run: its step (1 通报批评, 2 扣绩效 200 元, 3 约谈) in that month."""

    month: str
    step: int
    label: str


class PublicRow(msgspec.Struct, frozen=True, kw_only=True):
    """One department's published month: rank by published total, categories and items, marks, ladder."""

    rank: int
    code: str
    name: str
    total: str
    categories: list[PublicCategory]
    items: list[PublicItem]
    vetoed: bool
    veto_reason: str | None
    award: str | None  # "excellent" | "poor" | None
    award_label: str
    ladder_run: int
    ladder_step: int
    ladder_label: str
    ladder_history: list[LadderStep]
    notes: list[str]  # the note steps rendered
    note_steps: list[ExplanationStep]


class PublicVersion(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    digest: str
    reason: str
    published_at: str | None


class MonthlyDocument(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/monthly/{month}`: the latest published version of a month's assessment."""

    month: str
    version: int
    digest: str
    reason: str
    published_at: str
    audit_head: str
    excellent_cutoff: str | None
    excellent_bonus_yuan: int
    rows: list[PublicRow]
    notes: list[str]  # the month's note steps rendered
    note_steps: list[ExplanationStep]
    versions: list[PublicVersion]


class MonthlyIndex(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/monthly`: the published months, newest first."""

    months: list[str]


def plain(value: Any) -> Any:
    """msgspec struct → builtins (for templates and the CLI's JSON)."""
    return msgspec.to_builtins(value)
