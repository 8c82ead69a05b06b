"""Web layer: the audit chain head as the CLI and snapshots state it (SPEC §7)."""

from __future__ import annotations

import msgspec


class ChainHead(msgspec.Struct, frozen=True, kw_only=True):
    """The newest entry's sequence number and hash: kept elsewhere, it detects deleted or rewritten entries."""

    seq: int
    hash: str
