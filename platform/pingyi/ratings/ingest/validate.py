"""Service layer: sort a batch of raw MQTT messages into events, terminal updates, clock samples, quarantine (SPEC §4).

No I/O: the terminal directory is passed in. Anything that does not decode, whose topic and payload disagree, or
that comes from an unknown or revoked terminal becomes a quarantine row carrying the reason and the raw bytes.

Fast path for events (the hot path): `FastEventDecoder` decodes with msgspec into a Struct *derived* from
`protocol.Event` (same fields, same order, same types) and accepts only what `protocol.decode_event` would accept
with the same values: the payload must be the canonical encoding (re-encoding the Struct gives the same bytes: no
duplicate or unknown field, no float for an int, no whitespace), the (kind, level, scale, flags) combination must
be one protocol.Event accepts (table built by asking protocol.Event), integers in protocol's ranges, and the terminal,
epoch and boot ids already seen valid by protocol. Anything else goes through `protocol.decode_event`, the one
definition of the format, which accepts it or says why not. tests/contracts/test_ingest_contract.py checks both agree.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from pingyi.core import clockfix
from pingyi_terminal import protocol
from pingyi_terminal.protocol import Event, ProtocolError

from .budget import Overflow

MAX_RAW_BYTES = 65536
QUARANTINE_RAW_BYTES = 4096  # a quarantine row keeps this prefix of the payload, and the payload's full length
MAX_WALL_MS = 4_102_444_800_000  # 2100-01-01: clamp absurd wall clocks of unsynchronised terminals


# --------------------------------------------------------------------------------------------- fast event decoder
_EVENT_HINTS = typing.get_type_hints(Event)
# The wire struct: "v" then protocol.Event's fields in declaration order (encode_event writes them in that order).
WireEvent = msgspec.defstruct("WireEvent", [("v", int)] + [(f.name, _EVENT_HINTS[f.name])
                                                           for f in dataclasses.fields(Event)],
                              forbid_unknown_fields=True, array_like=False)
_MAX_INT = 2**63 - 1


def _shape_table() -> dict[tuple[str, int | None, str, tuple[str, ...]], tuple[str, bool, bool]]:
    """(kind, level, scale, flags as sent) → (flags stored, counted, bad), for every combination protocol.Event
    accepts — asked of protocol.Event itself, so the table cannot drift from the format's definition."""
    table = {}
    flag_sets = [p for r in range(len(protocol.FLAGS) + 1) for p in itertools.permutations(protocol.FLAGS, r)]
    for kind in protocol.EVENT_KINDS:
        for scale in protocol.SCALES:
            for level in (None, *range(0, 7)):
                for flags in flag_sets:
                    try:
                        ev = Event(terminal="t-x", epoch="e", seq=1, kind=kind, level=level, scale=scale,
                                   flags=flags, boot="b", mono_ms=0, wall_ms=0, synced=False)
                    except ProtocolError:
                        continue
                    table[(kind, level, scale, tuple(flags))] = (",".join(ev.flags), ev.counted, ev.bad)
    return table


SHAPES = _shape_table()


def _clock_shapes() -> dict[tuple[str, int | None, str, tuple[str, ...]], tuple[str, bool, bool]]:
    """The same keys → (flags stored, counted, bad) of the event stored with the platform's flag "clock" added
    (its time is out of bounds, core/clockfix.TimeBounds): counted as protocol.counted says of those flags."""
    table = {}
    for (kind, level, scale, sent), (_flags, _counted, bad) in SHAPES.items():
        flags = tuple(sorted({*sent, protocol.FLAG_CLOCK}))
        table[(kind, level, scale, sent)] = (",".join(flags), protocol.counted(kind, flags), bad)
    return table


CLOCK_SHAPES = _clock_shapes()


class FastEventDecoder:
    """decode(payload) → a WireEvent identical to what protocol.decode_event gives, or None: use protocol's."""

    def __init__(self) -> None:
        self._decoder = msgspec.json.Decoder(WireEvent)
        self._encode = msgspec.json.Encoder().encode
        self._ids: set[tuple[str, str, str]] = set()  # (terminal, epoch, boot) protocol.decode_event accepted

    def learn(self, ev: Any) -> None:
        if len(self._ids) > 100_000:
            self._ids.clear()
        self._ids.add((ev.terminal, ev.epoch, ev.boot))

    def decode(self, payload: bytes) -> Any | None:
        try:
            w = self._decoder.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        if (w.v != protocol.PROTOCOL_VERSION or (w.kind, w.level, w.scale, w.flags) not in SHAPES
                or not 1 <= w.seq <= _MAX_INT or not 0 <= w.mono_ms <= _MAX_INT or not 0 <= w.wall_ms <= _MAX_INT
                or (w.terminal, w.epoch, w.boot) not in self._ids or len(payload) > protocol.MAX_EVENT_BYTES
                or self._encode(w) != payload):
            return None
        return w


def event_facts(ev: Any) -> tuple[str, bool, bool]:
    """(flags as stored, counted, bad) of a protocol.Event or a WireEvent."""
    return SHAPES[(ev.kind, ev.level, ev.scale, tuple(ev.flags))]


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
    raw: bytes  # at most QUARANTINE_RAW_BYTES
    raw_length: int = 0  # the payload's full length


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event: Any  # protocol.Event or the identical WireEvent (fast path): terminal, epoch, seq, kind, level, …
    terminal: KnownTerminal
    received_ms: int


@dataclass(slots=True)
class SortedBatch:
    events: dict[str, StoredEvent] = field(default_factory=dict)  # idempotency key → first copy in the batch
    updates: dict[int, TerminalUpdate] = field(default_factory=dict)  # terminal pk → update
    samples: dict[tuple[int, str], list[tuple[int, bool]]] = field(default_factory=dict)  # (pk, boot) → samples
    last_seen: dict[int, int] = field(default_factory=dict)  # terminal pk → newest receive time (ms)
    quarantine: list[QuarantineRow] = field(default_factory=list)
    overflow: dict[str, Overflow] = field(default_factory=dict)  # terminal id → refused, not stored (budget.py)
    duplicates_in_batch: int = 0
    unknown: bool = False  # a message came from a terminal not in the directory

    def acks(self) -> dict[tuple[str, str], list[int]]:
        """(terminal id, epoch) → seqs to acknowledge once the batch is committed."""
        out: dict[tuple[str, str], list[int]] = {}
        for se in self.events.values():
            out.setdefault((se.event.terminal, se.event.epoch), []).append(se.event.seq)
        for seqs in out.values():
            seqs.sort()
        return out


Directory = Callable[[str], "KnownTerminal | None"]


_DEFAULT_DECODER = FastEventDecoder()
_TOPICS: dict[str, tuple[str, str] | str] = {}  # topic → (terminal id, kind), or the ProtocolError text


def _parse_topic(topic: str) -> tuple[str, str]:
    hit = _TOPICS.get(topic)
    if hit is None:
        try:
            hit = protocol.parse_topic(topic)
        except ProtocolError as exc:
            hit = str(exc)
        if len(_TOPICS) > 50_000:
            _TOPICS.clear()
        _TOPICS[topic] = hit
    if isinstance(hit, str):
        raise ProtocolError(hit)
    return hit


def sort_batch(messages: list[RawMessage], directory: Directory, decoder: FastEventDecoder | None = None,
               bounds: clockfix.TimeBounds = clockfix.DEFAULT_BOUNDS) -> SortedBatch:
    out = SortedBatch()
    dec = decoder or _DEFAULT_DECODER
    for m in messages:
        _sort_one(m, directory, out, dec, bounds)
    return out


def sort_items(items: list[tuple[str, bytes, int, int, int]], directory: Directory,
               decoder: FastEventDecoder | None = None,
               bounds: clockfix.TimeBounds = clockfix.DEFAULT_BOUNDS) -> SortedBatch:
    """sort_batch over the worker's inbox tuples (topic, payload, received_ms, mid, qos): events take the fast
    path inline; everything else goes through _sort_one."""
    out = SortedBatch()
    dec = decoder or _DEFAULT_DECODER
    fast = dec.decode
    events = out.events
    for topic, payload, received_ms, mid, qos in items:
        hit = _TOPICS.get(topic)
        if hit is not None and hit.__class__ is tuple and hit[1] == "event":
            known = directory(hit[0])
            if known is not None and not known.revoked:
                w = fast(payload)
                if w is not None and w.terminal == known.terminal_id:
                    key = f"{w.terminal}:{w.epoch}:{w.seq}"
                    if key in events:
                        out.duplicates_in_batch += 1
                        continue
                    events[key] = StoredEvent(w, known, received_ms)
                    pk = known.pk
                    if received_ms > out.last_seen.get(pk, 0):
                        out.last_seen[pk] = received_ms
                    _sample(out, pk, w.boot, received_ms, w.mono_ms, min(w.wall_ms, MAX_WALL_MS), w.synced, bounds)
                    continue
        _sort_one(RawMessage(topic, payload, received_ms, mid, qos), directory, out, dec, bounds)
    return out


def _quarantine(out: SortedBatch, m: RawMessage, reason: str, tid: str = "") -> None:
    out.quarantine.append(QuarantineRow(m.received_ms, m.topic[:255], reason[:1000], tid[:64],
                                        bytes(m.payload[:QUARANTINE_RAW_BYTES]), len(m.payload)))


def _sort_one(m: RawMessage, directory: Directory, out: SortedBatch, dec: FastEventDecoder,
              bounds: clockfix.TimeBounds = clockfix.DEFAULT_BOUNDS) -> None:
    try:
        tid, kind = _parse_topic(m.topic)
    except ProtocolError as exc:
        _quarantine(out, m, f"topic: {exc}")
        return
    known = directory(tid)
    if known is None:
        out.unknown = True
        _quarantine(out, m, f"unknown terminal {tid!r}", tid)
        return
    if known.revoked:
        _quarantine(out, m, f"revoked terminal {tid!r}", tid)
        return
    try:
        if kind == "event":
            ev = dec.decode(m.payload)
            if ev is None:
                ev = protocol.decode_event(m.payload)  # the definition: accepts, or raises with the reason
                dec.learn(ev)
            if ev.terminal != tid:
                _quarantine(out, m, f"terminal mismatch: topic says {tid!r}, payload says {ev.terminal!r}", tid)
                return
            _add_event(out, known, ev, m.received_ms, bounds)
        elif kind == "heartbeat":
            hb = protocol.decode_heartbeat(m.payload)
            if hb.terminal != tid:
                _quarantine(out, m, f"terminal mismatch: topic says {tid!r}, payload says {hb.terminal!r}", tid)
                return
            up = _update(out, known.pk, m.received_ms)
            up.online, up.boot, up.version, up.queue = True, hb.boot, hb.version, hb.queue
            up.synced, up.uptime_s = hb.synced, hb.uptime_s
            _sample(out, known.pk, hb.boot, m.received_ms, hb.mono_ms, hb.wall_ms, hb.synced, bounds)
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


def _sample(out: SortedBatch, pk: int, boot: str, received_ms: int, mono_ms: int, wall_ms: int, synced: bool,
            bounds: clockfix.TimeBounds = clockfix.DEFAULT_BOUNDS) -> None:
    # a "synchronised" clock outside the bounds (far ahead of ours, or far back) is not trusted as exact
    out.samples.setdefault((pk, boot), []).append(clockfix.candidate(received_ms, mono_ms, wall_ms, synced, bounds))


def _add_event(out: SortedBatch, known: KnownTerminal, ev: Any, received_ms: int,
               bounds: clockfix.TimeBounds = clockfix.DEFAULT_BOUNDS) -> None:
    key = f"{ev.terminal}:{ev.epoch}:{ev.seq}"
    if key in out.events:
        out.duplicates_in_batch += 1
        return
    out.events[key] = StoredEvent(ev, known, received_ms)
    seen = out.last_seen.get(known.pk, 0)
    if received_ms > seen:
        out.last_seen[known.pk] = received_ms
    _sample(out, known.pk, ev.boot, received_ms, ev.mono_ms, min(ev.wall_ms, MAX_WALL_MS), ev.synced, bounds)
