"""Web layer: the public JSON documents — results and bulletin — as explicit msgspec schemas (SPEC §3, §6).

The API and the OpenAPI document describe exactly these shapes; the stored snapshot payload is converted into them
(a payload that no longer fits fails loudly instead of leaking an unknown shape).
"""

from __future__ import annotations

import msgspec


class CampaignInfo(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    title: str
    k: int
    complaint_window: list[str | None]


class Turnout(msgspec.Struct, frozen=True, kw_only=True):
    cards_issued: int
    cards_used: int
    ballots: int


class ComplaintRef(msgspec.Struct, frozen=True, kw_only=True):
    """A substantiated complaint counted against the department: tracking code and decision date."""

    tracking_code: str
    decision_date: str
    severity: str | None = None


class AspectShare(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    name: str
    percent: str


class DepartmentResult(msgspec.Struct, frozen=True, kw_only=True):
    """One department's published figures: exact inside (`*_exact` fractions), `published` rounded half-up."""

    code: str
    name: str
    section_count: int
    section_sum: int
    raw: str | None
    raw_exact: str | None
    substantiated: int
    penalty: int
    unfloored: str | None
    unfloored_exact: str | None
    final: str | None
    final_exact: str | None
    published: str | None
    grade: str | None
    grade_label: str | None
    status: str
    status_label: str
    rank: int | None
    small_cell: bool
    consequences: list[str]
    consequence_labels: list[str]
    explanation: list[str]
    complaints: list[ComplaintRef]
    aspects: list[AspectShare] | None


class ResultsDocument(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/results/{year}`: the newest published version of a campaign's results."""

    campaign: CampaignInfo
    turnout: Turnout
    results: list[DepartmentResult]
    grade_counts: dict[str, int]
    version: int
    digest: str
    computed_at: str
    reason: str
    published_at: str
    audit_head: str | None = None  # "<seq>:<hash>" of the audit chain when the version was computed
    publication_audit_head: str | None = None  # … and when it was published


class BulletinDepartment(msgspec.Struct, frozen=True, kw_only=True):
    """A department on the bulletin; `sections` (one points digit per item) only at k or more sections."""

    code: str
    name: str
    section_count: int
    substantiated: int
    published: str | None
    small_cell: bool
    sections: list[str] | None = None


class BulletinDocument(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/bulletin/{year}`: every receipt code, and each department's shuffled sections."""

    year: int
    version: int
    digest: str
    receipts: list[str]
    departments: list[BulletinDepartment]
    turnout: Turnout
    k: int


class SnapshotRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A stored result version (internal; the payload is the computed document)."""

    id: int
    version: int
    digest: str
    payload: dict[str, object]
    reason: str
    created_by: str
    created_at: object  # datetime
    is_public: bool = False


class PublicationRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    snapshot_id: int
    reason: str
    published_by: str
    published_at: object  # datetime
    audit_head: str = ""
