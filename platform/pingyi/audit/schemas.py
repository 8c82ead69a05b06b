"""Web layer: what the audit page shows (SPEC §7)."""

from __future__ import annotations

import msgspec

from pingyi.core.audit import AuditRecord


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """The newest entries, the problems found in the whole chain, and the head to keep elsewhere."""

    entries: list[AuditRecord]
    problems: list[str]
    head: str
