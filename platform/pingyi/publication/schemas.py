"""Web layer: the public JSON documents — results and bulletin — as explicit msgspec schemas (SPEC §3, §6).

The API and the OpenAPI document describe exactly these shapes; the stored snapshot payload is converted into them
(a payload that no longer fits fails loudly instead of leaking an unknown shape).
"""

from __future__ import annotations

import msgspec

from pingyi.assessment.schemas import ExplanationStep


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
    explanation: list[str]  # the steps rendered (core/explain.py)
    explanation_steps: list[ExplanationStep]
    complaints: list[ComplaintRef]
    aspects: list[AspectShare] | None


class ResultsDocument(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/results/{year}`: the newest published version of a campaign's results. `schema_version`
    changes only with an incompatible change of this shape (fields are only ever added within a version)."""

    schema_version: int = 1
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
    """A department on the bulletin: its published figures, and `sections` (one points digit per item, shuffled
    per publication) only at k or more sections — below k only the figures (SPEC §3 small-cell protection)."""

    code: str
    name: str
    section_count: int
    section_sum: int  # the sum of its sections' totals (also in the results: the score reveals it anyway)
    substantiated: int
    published: str | None
    grade: str | None
    grade_label: str  # the grade's label, or 未获评议
    rank: int | None
    small_cell: bool
    sections: list[str] | None = None


class GradeBand(msgspec.Struct, frozen=True, kw_only=True):
    grade: str
    label: str
    min: str | None  # the lowest published figure of the band; null for the last band


class ScoringRules(msgspec.Struct, frozen=True, kw_only=True):
    """The rules the bulletin's figures follow, stated in the file (`pingyi.core.bulletin_check.scoring_rules`)."""

    section_points: str
    raw: str
    penalty_per_substantiated: int
    floor: str
    rounding: str
    places: int
    grade_bands: list[GradeBand]
    ranking: str
    k: int


class QuestionnaireAnswer(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    points: int


class QuestionnaireItem(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    text: str


class QuestionnaireAspect(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    name: str
    items: list[QuestionnaireItem]


class QuestionnaireDocument(msgspec.Struct, frozen=True, kw_only=True):
    """The campaign's frozen questionnaire; a section's digits follow its items in this order."""

    title: str
    answers: list[QuestionnaireAnswer]
    aspects: list[QuestionnaireAspect]


class BulletinDocument(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/bulletin/{year}` and the signed download `bulletin-YEAR-vN.json` (docs/bulletin.md): every
    receipt code, each department's figures and shuffled sections, the rules, the questionnaire and its
    fingerprint, the snapshot digest and the audit chain heads. `schema_version` changes only with an
    incompatible change of this shape (fields are only ever added within a version)."""

    format: str  # "pingyi.bulletin"
    schema_version: int
    year: int
    title: str
    version: int
    digest: str  # the snapshot's inputs digest
    computed_at: str
    published_at: str
    audit_head: str | None  # "<seq>:<hash>" of the audit chain when the version was computed
    publication_audit_head: str | None  # … and when it was published
    k: int
    rules: ScoringRules
    questionnaire_fingerprint: str  # sha256 of the questionnaire's canonical JSON
    questionnaire: QuestionnaireDocument
    turnout: Turnout
    receipts: list[str]
    departments: list[BulletinDepartment]


class BulletinKey(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str
    algorithm: str
    public_key: str  # base64 of the 32 raw bytes
    created_at: str
    retired_at: str | None
    line: str  # the office-key.pub line: "pingyi-ed25519 <base64> <key id>"


class BulletinKeys(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/v1/bulletin/keys`: every key the office has signed bulletins with, the current one first."""

    current: str
    keys: list[BulletinKey]


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
