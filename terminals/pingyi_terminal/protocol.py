"""Wire protocol (SPEC §4): MQTT topics and JSON payloads shared by the terminal agent and the platform ingest.

Standard library only. This is the one definition of the terminal <-> platform protocol: the platform imports
this module; nothing here may import gpiozero, paho, or anything from the platform.

Topics (``tid`` matches ``TERMINAL_ID_RE``):

=================================  ==================  =====  ========  ===========================
topic                              direction           QoS    retained  payload
=================================  ==================  =====  ========  ===========================
``pingyi/v1/t/{tid}/event``        terminal→platform   1      no        :class:`Event`
``pingyi/v1/t/{tid}/ack``          platform→terminal   1      no        :class:`Ack`
``pingyi/v1/t/{tid}/status``       terminal→platform   1      yes       :class:`Status` (also the will)
``pingyi/v1/t/{tid}/heartbeat``    terminal→platform   0/1    no        :class:`Heartbeat`
``pingyi/v1/t/{tid}/config``       platform→terminal   1      yes       :class:`TerminalConfig`
=================================  ==================  =====  ========  ===========================

Levels: a press carries ``level`` on one numeric axis for both scales, 5 = best, 1 = worst:

* five scale: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意
* three scale: 5 满意, 3 基本满意, 1 不满意 (levels 4 and 2 do not exist on it)

This module is THE definition of the rating rules (docs/rating-rules.md): the scales, their levels and labels
(``SCALES``), which levels are 差评 (``BAD_LEVELS``: 不满意 and 非常不满意) and what is counted (:func:`counted`: a
press without flags). The terminal, the ingest (validate.SHAPES is built by asking this module), the SQL queries
(ratings.repository builds its predicates from it) and the pages (labels) all read it; there is no data file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "PROTOCOL_VERSION",
    "TOPIC_ROOT",
    "TERMINAL_ID_RE",
    "KINDS",
    "EVENT_KINDS",
    "FLAGS",
    "FLAG_UNARMED",
    "FLAG_REPEAT",
    "SCALES",
    "BAD_LEVELS",
    "FLAG_CLOCK",
    "FLAG_LABELS",
    "counted",
    "FIVE_SCALE",
    "THREE_SCALE",
    "SHARED_GROUP",
    "MAX_EVENT_BYTES",
    "MAX_PAYLOAD_BYTES",
    "QOS_EVENT",
    "QOS_ACK",
    "QOS_STATUS",
    "QOS_HEARTBEAT",
    "QOS_CONFIG",
    "ProtocolError",
    "Event",
    "Ack",
    "Heartbeat",
    "Status",
    "TerminalConfig",
    "validate_terminal_id",
    "event_topic",
    "ack_topic",
    "status_topic",
    "heartbeat_topic",
    "config_topic",
    "topic_for",
    "topic_filter",
    "parse_topic",
    "shared",
    "levels",
    "label",
    "is_bad",
    "encode_event",
    "decode_event",
    "encode_ack",
    "decode_ack",
    "encode_heartbeat",
    "decode_heartbeat",
    "encode_status",
    "decode_status",
    "encode_config",
    "decode_config",
]

PROTOCOL_VERSION: Final = 1
TOPIC_ROOT: Final = "pingyi/v1/t"
TERMINAL_ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# epoch and boot ids: uuid4 hex or a Linux boot_id (uuid with dashes); kept short and printable.
_ID_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_VERSION_RE: Final = re.compile(r"^[\x21-\x7e]{1,32}$")

KINDS: Final = ("event", "ack", "status", "heartbeat", "config")
EVENT_KINDS: Final = ("press", "arm")
FLAG_UNARMED: Final = "unarmed"
FLAG_REPEAT: Final = "repeat"
FLAGS: Final = (FLAG_UNARMED, FLAG_REPEAT)

FIVE_SCALE: Final[Mapping[int, str]] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
THREE_SCALE: Final[Mapping[int, str]] = {5: "满意", 3: "基本满意", 1: "不满意"}
SCALES: Final[Mapping[str, Mapping[int, str]]] = {"five": FIVE_SCALE, "three": THREE_SCALE}
# 差评 (bad ratings) per scale: 不满意 and 非常不满意.
BAD_LEVELS: Final[Mapping[str, frozenset[int]]] = {"five": frozenset({2, 1}), "three": frozenset({1})}
# Set by the platform, never by a terminal: the event's time lies outside the bounds against the receive time.
FLAG_CLOCK: Final = "clock"
# What the office pages call each flag (a flagged press is kept, never counted).
FLAG_LABELS: Final[Mapping[str, str]] = {FLAG_UNARMED: "未激活评价", FLAG_REPEAT: "重复按键",
                                         FLAG_CLOCK: "时间超出范围"}

SHARED_GROUP: Final = "pingyi-ingest"

MAX_EVENT_BYTES: Final = 4096  # events, heartbeats, status, config
MAX_PAYLOAD_BYTES: Final = MAX_EVENT_BYTES
MAX_ACK_BYTES: Final = 65536  # an ack may batch many seqs
MAX_ACK_SEQS: Final = 5000
_MAX_INT: Final = 2**63 - 1

QOS_EVENT: Final = 1
QOS_ACK: Final = 1
QOS_STATUS: Final = 1
QOS_HEARTBEAT: Final = 0
QOS_CONFIG: Final = 1


class ProtocolError(ValueError):
    """A topic or payload does not follow the protocol; the message says which field and why."""


# --------------------------------------------------------------------------------------------- scales


def levels(scale: str) -> tuple[int, ...]:
    """Valid levels of a scale, best first."""
    try:
        return tuple(SCALES[scale])
    except (KeyError, TypeError):
        raise ProtocolError(f"scale: unknown scale {scale!r} (expected 'five' or 'three')") from None


def label(level: int, scale: str) -> str:
    """The Chinese label of a level on a scale (e.g. ``label(5, "three") == "满意"``)."""
    labels = SCALES.get(scale) if isinstance(scale, str) else None
    if labels is None:
        raise ProtocolError(f"scale: unknown scale {scale!r} (expected 'five' or 'three')")
    if not _is_int(level) or level not in labels:
        raise ProtocolError(f"level: {level!r} is not a level of the {scale} scale {sorted(labels)}")
    return labels[level]


def is_bad(level: int, scale: str) -> bool:
    """True for 不满意 / 非常不满意 (差评). Raises ProtocolError for a level not on the scale."""
    label(level, scale)
    return level in BAD_LEVELS[scale]


def counted(kind: str, flags: tuple[str, ...] | list[str] | str) -> bool:
    """A press without flags counts as a rating (SPEC §4); a flagged press is kept, not counted."""
    return kind == "press" and not flags


# --------------------------------------------------------------------------------------------- topics


def validate_terminal_id(tid: Any) -> str:
    if not isinstance(tid, str) or not TERMINAL_ID_RE.fullmatch(tid):
        raise ProtocolError(f"terminal: {tid!r} does not match {TERMINAL_ID_RE.pattern}")
    return tid


def topic_for(tid: str, kind: str) -> str:
    if kind not in KINDS:
        raise ProtocolError(f"topic kind: unknown {kind!r} (expected one of {', '.join(KINDS)})")
    return f"{TOPIC_ROOT}/{validate_terminal_id(tid)}/{kind}"


def event_topic(tid: str) -> str:
    return topic_for(tid, "event")


def ack_topic(tid: str) -> str:
    return topic_for(tid, "ack")


def status_topic(tid: str) -> str:
    return topic_for(tid, "status")


def heartbeat_topic(tid: str) -> str:
    return topic_for(tid, "heartbeat")


def config_topic(tid: str) -> str:
    return topic_for(tid, "config")


def topic_filter(kind: str) -> str:
    """Wildcard filter over all terminals for one kind, e.g. ``pingyi/v1/t/+/event``."""
    if kind not in KINDS:
        raise ProtocolError(f"topic kind: unknown {kind!r} (expected one of {', '.join(KINDS)})")
    return f"{TOPIC_ROOT}/+/{kind}"


def shared(filter_or_kind: str, group: str = SHARED_GROUP) -> str:
    """MQTT 5 shared subscription for ingest workers.

    ``shared("pingyi/v1/t/+/event")`` and ``shared("event")`` both give
    ``$share/pingyi-ingest/pingyi/v1/t/+/event``.
    """
    flt = topic_filter(filter_or_kind) if filter_or_kind in KINDS else filter_or_kind
    if not isinstance(flt, str) or not flt.startswith(TOPIC_ROOT + "/"):
        raise ProtocolError(f"shared: {filter_or_kind!r} is not a pingyi topic filter or kind")
    if not group or any(c in group for c in "/+#"):
        raise ProtocolError(f"shared: bad group name {group!r}")
    return f"$share/{group}/{flt}"


def parse_topic(topic: str) -> tuple[str, str]:
    """``pingyi/v1/t/{tid}/{kind}`` -> ``(tid, kind)``; ProtocolError for anything else."""
    if not isinstance(topic, str):
        raise ProtocolError(f"topic: expected str, got {type(topic).__name__}")
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != TOPIC_ROOT:
        raise ProtocolError(f"topic: {topic!r} is not {TOPIC_ROOT}/<terminal>/<kind>")
    tid, kind = parts[3], parts[4]
    validate_terminal_id(tid)
    if kind not in KINDS:
        raise ProtocolError(f"topic: unknown kind {kind!r} in {topic!r}")
    return tid, kind


# --------------------------------------------------------------------------------------------- checks


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(name: str, value: Any, minimum: int = 0) -> int:
    if not _is_int(value):
        raise ProtocolError(f"{name}: expected integer, got {type(value).__name__}")
    if value < minimum or value > _MAX_INT:
        raise ProtocolError(f"{name}: {value} out of range [{minimum}, 2**63-1]")
    return value


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{name}: expected boolean, got {type(value).__name__}")
    return value


def _ident(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise ProtocolError(f"{name}: {value!r} is not 1-64 characters of [A-Za-z0-9_-]")
    return value


def _version(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _VERSION_RE.fullmatch(value):
        raise ProtocolError(f"{name}: {value!r} is not 1-32 printable ASCII characters")
    return value


def _scale(value: Any) -> str:
    if not isinstance(value, str) or value not in SCALES:
        raise ProtocolError(f"scale: unknown scale {value!r} (expected 'five' or 'three')")
    return value


def _loads(data: bytes | bytearray | str, what: str, max_bytes: int = MAX_EVENT_BYTES) -> dict[str, Any]:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ProtocolError(f"{what}: payload must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise ProtocolError(f"{what}: payload of {len(data)} bytes exceeds {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(f"{what}: payload is not UTF-8") from None

    def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for k, v in pairs:
            if k in obj:
                raise ProtocolError(f"{what}: duplicate field {k!r}")
            obj[k] = v
        return obj

    def no_constant(name: str) -> Any:
        raise ProtocolError(f"{what}: {name} is not allowed")

    try:
        obj = json.loads(text, object_pairs_hook=no_dupes, parse_constant=no_constant)
    except ProtocolError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"{what}: payload is not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"{what}: payload must be a JSON object, got {type(obj).__name__}")
    return obj


def _fields(obj: dict[str, Any], what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    if "v" not in obj:
        raise ProtocolError(f"{what}: missing field 'v'")
    if not _is_int(obj["v"]) or obj["v"] != PROTOCOL_VERSION:
        raise ProtocolError(f"{what}: unsupported protocol version v={obj['v']!r} (expected {PROTOCOL_VERSION})")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ProtocolError(f"{what}: missing field {missing[0]!r}")
    unknown = sorted(set(obj) - set(required) - set(optional) - {"v"})
    if unknown:
        raise ProtocolError(f"{what}: unknown field {unknown[0]!r}")


def _dumps(obj: dict[str, Any], what: str, max_bytes: int = MAX_EVENT_BYTES) -> bytes:
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(data) > max_bytes:
        raise ProtocolError(f"{what}: payload of {len(data)} bytes exceeds {max_bytes} bytes")
    return data


# --------------------------------------------------------------------------------------------- event


@dataclass(frozen=True, slots=True)
class Event:
    """One press or arm, as committed to the terminal's outbox and sent on the event topic.

    Validated on construction: an invalid Event cannot exist. ``flags`` is normalised to a sorted tuple.
    A press with no flags is *counted*; a flagged press is kept but not counted (SPEC §4 abuse rules).
    ``wall_ms`` is the Pi's clock (no RTC: only trustworthy when ``synced``); ``boot`` + ``mono_ms`` let the
    platform re-time events recorded before the clock was synchronised.
    """

    terminal: str
    epoch: str
    seq: int
    kind: str
    level: int | None
    scale: str
    flags: tuple[str, ...]
    boot: str
    mono_ms: int
    wall_ms: int
    synced: bool

    def __post_init__(self) -> None:
        validate_terminal_id(self.terminal)
        _ident("epoch", self.epoch)
        _int("seq", self.seq, 1)
        if not isinstance(self.kind, str) or self.kind not in EVENT_KINDS:
            raise ProtocolError(f"kind: unknown event kind {self.kind!r} (expected 'press' or 'arm')")
        _scale(self.scale)
        if self.kind == "press":
            if self.level is None:
                raise ProtocolError("level: a press needs a level")
            label(self.level, self.scale)
        elif self.level is not None:
            raise ProtocolError(f"level: an arm event has no level, got {self.level!r}")
        flags = self.flags
        if not isinstance(flags, (tuple, list)):
            raise ProtocolError(f"flags: expected a list, got {type(flags).__name__}")
        for f in flags:
            if not isinstance(f, str) or f not in FLAGS:
                raise ProtocolError(f"flags: unknown flag {f!r} (expected {', '.join(FLAGS)})")
        if len(set(flags)) != len(flags):
            raise ProtocolError("flags: duplicate flag")
        if flags and self.kind != "press":
            raise ProtocolError("flags: only a press carries flags")
        object.__setattr__(self, "flags", tuple(sorted(flags)))
        _ident("boot", self.boot)
        _int("mono_ms", self.mono_ms)
        _int("wall_ms", self.wall_ms)
        _bool("synced", self.synced)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.terminal, self.epoch, self.seq)

    @property
    def idempotency_key(self) -> str:
        return f"{self.terminal}:{self.epoch}:{self.seq}"

    @property
    def counted(self) -> bool:
        """A press without flags counts as a rating."""
        return counted(self.kind, self.flags)

    @property
    def bad(self) -> bool:
        """A press rated 不满意 / 非常不满意 (差评), counted or not."""
        return self.kind == "press" and self.level is not None and is_bad(self.level, self.scale)

    @property
    def label(self) -> str | None:
        return label(self.level, self.scale) if self.level is not None else None


_EVENT_FIELDS = ("terminal", "epoch", "seq", "kind", "level", "scale", "flags", "boot", "mono_ms", "wall_ms", "synced")


def encode_event(ev: Event) -> bytes:
    if not isinstance(ev, Event):
        raise ProtocolError(f"event: expected Event, got {type(ev).__name__}")
    obj: dict[str, Any] = {"v": PROTOCOL_VERSION}
    for name in _EVENT_FIELDS:
        value = getattr(ev, name)
        obj[name] = list(value) if name == "flags" else value
    return _dumps(obj, "event")


def decode_event(data: bytes | bytearray | str) -> Event:
    obj = _loads(data, "event")
    _fields(obj, "event", _EVENT_FIELDS)
    if not isinstance(obj["flags"], list):
        raise ProtocolError(f"flags: expected a list, got {type(obj['flags']).__name__}")
    kwargs = {name: obj[name] for name in _EVENT_FIELDS}
    kwargs["flags"] = tuple(obj["flags"])
    return Event(**kwargs)


# --------------------------------------------------------------------------------------------- ack


@dataclass(frozen=True, slots=True)
class Ack:
    """Application acknowledgement: the platform stored these seqs of this epoch (idempotently).

    Sent on the terminal's ack topic only after the rating rows are committed; duplicates are harmless.
    """

    epoch: str
    seqs: tuple[int, ...]

    def __post_init__(self) -> None:
        _ident("epoch", self.epoch)
        seqs = self.seqs
        if not isinstance(seqs, (tuple, list)):
            raise ProtocolError(f"seqs: expected a list, got {type(seqs).__name__}")
        if not seqs:
            raise ProtocolError("seqs: empty")
        if len(seqs) > MAX_ACK_SEQS:
            raise ProtocolError(f"seqs: {len(seqs)} seqs exceed {MAX_ACK_SEQS}")
        for s in seqs:
            _int("seqs[]", s, 1)
        object.__setattr__(self, "seqs", tuple(seqs))


def encode_ack(ack: Ack) -> bytes:
    if not isinstance(ack, Ack):
        raise ProtocolError(f"ack: expected Ack, got {type(ack).__name__}")
    return _dumps({"v": PROTOCOL_VERSION, "epoch": ack.epoch, "seqs": list(ack.seqs)}, "ack", MAX_ACK_BYTES)


def decode_ack(data: bytes | bytearray | str) -> Ack:
    obj = _loads(data, "ack", MAX_ACK_BYTES)
    _fields(obj, "ack", ("epoch", "seqs"))
    if not isinstance(obj["seqs"], list):
        raise ProtocolError(f"seqs: expected a list, got {type(obj['seqs']).__name__}")
    return Ack(epoch=obj["epoch"], seqs=tuple(obj["seqs"]))


# --------------------------------------------------------------------------------------------- heartbeat


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Periodic liveness and health: outbox depth, uptime, agent version, clock state."""

    terminal: str
    boot: str
    mono_ms: int
    wall_ms: int
    synced: bool
    queue: int
    uptime_s: int
    version: str
    scale: str

    def __post_init__(self) -> None:
        validate_terminal_id(self.terminal)
        _ident("boot", self.boot)
        _int("mono_ms", self.mono_ms)
        _int("wall_ms", self.wall_ms)
        _bool("synced", self.synced)
        _int("queue", self.queue)
        _int("uptime_s", self.uptime_s)
        _version("version", self.version)
        _scale(self.scale)


_HEARTBEAT_FIELDS = ("terminal", "boot", "mono_ms", "wall_ms", "synced", "queue", "uptime_s", "version", "scale")


def encode_heartbeat(hb: Heartbeat) -> bytes:
    if not isinstance(hb, Heartbeat):
        raise ProtocolError(f"heartbeat: expected Heartbeat, got {type(hb).__name__}")
    obj: dict[str, Any] = {"v": PROTOCOL_VERSION}
    obj.update({name: getattr(hb, name) for name in _HEARTBEAT_FIELDS})
    return _dumps(obj, "heartbeat")


def decode_heartbeat(data: bytes | bytearray | str) -> Heartbeat:
    obj = _loads(data, "heartbeat")
    _fields(obj, "heartbeat", _HEARTBEAT_FIELDS)
    return Heartbeat(**{name: obj[name] for name in _HEARTBEAT_FIELDS})


# --------------------------------------------------------------------------------------------- status

STATUS_STATES: Final = ("online", "offline")


@dataclass(frozen=True, slots=True)
class Status:
    """Retained presence. ``offline`` is also the MQTT last will, registered at connect."""

    state: str
    boot: str
    version: str

    def __post_init__(self) -> None:
        if not isinstance(self.state, str) or self.state not in STATUS_STATES:
            raise ProtocolError(f"state: {self.state!r} is not 'online' or 'offline'")
        _ident("boot", self.boot)
        _version("version", self.version)


def encode_status(st: Status) -> bytes:
    if not isinstance(st, Status):
        raise ProtocolError(f"status: expected Status, got {type(st).__name__}")
    return _dumps({"v": PROTOCOL_VERSION, "state": st.state, "boot": st.boot, "version": st.version}, "status")


def decode_status(data: bytes | bytearray | str) -> Status:
    obj = _loads(data, "status")
    _fields(obj, "status", ("state", "boot", "version"))
    return Status(state=obj["state"], boot=obj["boot"], version=obj["version"])


# --------------------------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """Optional retained platform→terminal settings; ``None`` fields leave the local config unchanged."""

    armed_mode: bool | None = None
    repeat_interval_s: float | None = None
    scale: str | None = None

    def __post_init__(self) -> None:
        if self.armed_mode is not None:
            _bool("armed_mode", self.armed_mode)
        if self.repeat_interval_s is not None:
            v = self.repeat_interval_s
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v <= 3600):
                raise ProtocolError(f"repeat_interval_s: {v!r} is not a number of seconds in [0, 3600]")
        if self.scale is not None:
            _scale(self.scale)


_CONFIG_FIELDS = ("armed_mode", "repeat_interval_s", "scale")


def encode_config(cfg: TerminalConfig) -> bytes:
    if not isinstance(cfg, TerminalConfig):
        raise ProtocolError(f"config: expected TerminalConfig, got {type(cfg).__name__}")
    obj: dict[str, Any] = {"v": PROTOCOL_VERSION}
    obj.update({k: getattr(cfg, k) for k in _CONFIG_FIELDS if getattr(cfg, k) is not None})
    return _dumps(obj, "config")


def decode_config(data: bytes | bytearray | str) -> TerminalConfig:
    obj = _loads(data, "config")
    _fields(obj, "config", (), _CONFIG_FIELDS)
    return TerminalConfig(**{k: obj[k] for k in _CONFIG_FIELDS if k in obj})
