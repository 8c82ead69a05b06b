"""Service layer: sort one batch of raw MQTT messages into events, terminal updates, clock samples, quarantine (SPEC §4).

No I/O: the terminal directory is passed in. Anything that does not decode, whose topic and payload disagree, or
that comes from an unknown or revoked terminal becomes a quarantine row carrying the reason and the raw bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pingyi_terminal import protocol
from pingyi_terminal.protocol import Event, ProtocolError

from pingyi.core import clockfix

MAX_RAW_BYTES = 65536
MAX_WALL_MS = 4_102_444_800_000  # 2100-01-01: clamp absurd wall clocks of unsynchronised terminals


@dataclass(frozen=True, slots=True)
class RawMessage:
    topic: str
    payload: bytes
    received_ms: int
    mid: int = 0
    qos: int = 1


@dataclass(frozen=True, slots=True)
class KnownTerminal:
    pk: int
    terminal_id: str
    window_pk: int
    department_pk: int
    scale: str
    revoked: bool = False


@dataclass(slots=True)
class TerminalUpdate:
    """The latest status/heartbeat facts of one terminal in a batch (None: unchanged)."""

    online: bool | None = None
    boot: str | None = None
    version: str | None = None
    queue: int | None = None
    synced: bool | None = None
    uptime_s: int | None = None
    last_seen_ms: int = 0


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    received_ms: int
    topic: str
    reason: str
    terminal_id: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event: Event
    terminal: KnownTerminal
    received_ms: int


@dataclass(slots=True)
class SortedBatch:
    events: dict[str, StoredEvent] = field(default_factory=dict)  # idempotency key → first copy in the batch
    updates: dict[int, TerminalUpdate] = field(default_factory=dict)  # terminal pk → update
    samples: dict[tuple[int, str], list[tuple[int, bool]]] = field(default_factory=dict)  # (pk, boot) → samples
    last_seen: dict[int, int] = field(default_factory=dict)  # terminal pk → newest receive time (ms)
    quarantine: list[QuarantineRow] = field(default_factory=list)
    duplicates_in_batch: int = 0

    def acks(self) -> dict[tuple[str, str], list[int]]:
        """(terminal id, epoch) → seqs to acknowledge once the batch is committed."""
        out: dict[tuple[str, str], list[int]] = {}
        for se in self.events.values():
            out.setdefault((se.event.terminal, se.event.epoch), []).append(se.event.seq)
        for seqs in out.values():
            seqs.sort()
        return out


Directory = Callable[[str], "KnownTerminal | None"]


def sort_batch(messages: list[RawMessage], directory: Directory) -> SortedBatch:
    out = SortedBatch()
    for m in messages:
        _sort_one(m, directory, out)
    return out


def _quarantine(out: SortedBatch, m: RawMessage, reason: str, tid: str = "") -> None:
    out.quarantine.append(QuarantineRow(m.received_ms, m.topic[:255], reason[:1000], tid[:64],
                                        bytes(m.payload[:MAX_RAW_BYTES])))


def _sort_one(m: RawMessage, directory: Directory, out: SortedBatch) -> None:
    try:
        tid, kind = protocol.parse_topic(m.topic)
    except ProtocolError as exc:
        _quarantine(out, m, f"topic: {exc}")
        return
    known = directory(tid)
    if known is None:
        _quarantine(out, m, f"unknown terminal {tid!r}", tid)
        return
    if known.revoked:
        _quarantine(out, m, f"revoked terminal {tid!r}", tid)
        return
    try:
        if kind == "event":
            ev = protocol.decode_event(m.payload)
            if ev.terminal != tid:
                _quarantine(out, m, f"terminal mismatch: topic says {tid!r}, payload says {ev.terminal!r}", tid)
                return
            _add_event(out, known, ev, m.received_ms)
        elif kind == "heartbeat":
            hb = protocol.decode_heartbeat(m.payload)
            if hb.terminal != tid:
                _quarantine(out, m, f"terminal mismatch: topic says {tid!r}, payload says {hb.terminal!r}", tid)
                return
            up = _update(out, known.pk, m.received_ms)
            up.online, up.boot, up.version, up.queue = True, hb.boot, hb.version, hb.queue
            up.synced, up.uptime_s = hb.synced, hb.uptime_s
            _sample(out, known.pk, hb.boot, m.received_ms, hb.mono_ms, hb.wall_ms, hb.synced)
        elif kind == "status":
            st = protocol.decode_status(m.payload)
            up = _update(out, known.pk, m.received_ms)
            up.online, up.boot, up.version = st.state == "online", st.boot, st.version
        else:
            _quarantine(out, m, f"topic: kind {kind!r} is not sent by terminals", tid)
    except ProtocolError as exc:
        _quarantine(out, m, f"payload: {exc}", tid)


def _update(out: SortedBatch, pk: int, received_ms: int) -> TerminalUpdate:
    up = out.updates.get(pk)
    if up is None:
        up = out.updates[pk] = TerminalUpdate()
    up.last_seen_ms = max(up.last_seen_ms, received_ms)
    return up


def _sample(out: SortedBatch, pk: int, boot: str, received_ms: int, mono_ms: int, wall_ms: int, synced: bool) -> None:
    if synced and not 0 < wall_ms <= received_ms + 300_000:
        synced = False  # a "synchronised" clock far ahead of ours is not trusted as exact
    out.samples.setdefault((pk, boot), []).append(clockfix.candidate(received_ms, mono_ms, wall_ms, synced))


def _add_event(out: SortedBatch, known: KnownTerminal, ev: Event, received_ms: int) -> None:
    key = ev.idempotency_key
    if key in out.events:
        out.duplicates_in_batch += 1
        return
    out.events[key] = StoredEvent(ev, known, received_ms)
    seen = out.last_seen.get(known.pk, 0)
    if received_ms > seen:
        out.last_seen[known.pk] = received_ms
    _sample(out, known.pk, ev.boot, received_ms, ev.mono_ms, min(ev.wall_ms, MAX_WALL_MS), ev.synced)
