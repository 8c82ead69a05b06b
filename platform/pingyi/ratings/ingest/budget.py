"""Service layer: how many quarantine rows the ingest keeps — per terminal per hour and in total per hour (issue 9).

No I/O. A terminal with valid credentials could flood quarantine (seen: 2,000 × 97 KB in 0.8 s → +140 MB). Each
row keeps at most `validate.QUARANTINE_RAW_BYTES` of the payload (with its full length); beyond
`per_terminal_hour` rows of one terminal, or `total_hour` rows of all terminals together, in one clock hour of the
platform's receive time, a message is not stored but counted per terminal (`quarantine_overflow`) — and, like every
message of a committed batch, acknowledged, so the broker does not redeliver it. The counts live in the worker's
memory: each worker process has its own budget (n workers keep at most n × the bound), and a restart starts the
hour afresh — both are bounded, and neither is in a terminal's power.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validate import QuarantineRow

HOUR_MS = 3_600_000


@dataclass(slots=True)
class Overflow:
    """Messages of one terminal not stored in quarantine (over the bound) in one batch."""

    messages: int = 0
    bytes: int = 0
    last_ms: int = 0


@dataclass(slots=True)
class QuarantineBudget:
    per_terminal_hour: int
    total_hour: int
    _hour: int = -1
    _per: dict[str, int] = field(default_factory=dict)
    _total: int = 0

    def admit(self, rows: list[QuarantineRow]) -> tuple[list[QuarantineRow], dict[str, Overflow]]:
        """Split a batch's quarantine rows into those to store and the overflow per terminal id ("" = none)."""
        kept: list[QuarantineRow] = []
        over: dict[str, Overflow] = {}
        for q in rows:
            hour = q.received_ms // HOUR_MS
            if hour != self._hour:
                self._hour, self._per, self._total = hour, {}, 0
            n = self._per.get(q.terminal_id, 0)
            if n >= self.per_terminal_hour or self._total >= self.total_hour:
                o = over.setdefault(q.terminal_id, Overflow())
                o.messages += 1
                o.bytes += q.raw_length
                o.last_ms = max(o.last_ms, q.received_ms)
                continue
            self._per[q.terminal_id] = n + 1
            self._total += 1
            kept.append(q)
        return kept, over
