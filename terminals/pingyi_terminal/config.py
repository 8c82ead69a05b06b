"""Terminal agent configuration (SPEC §4): one TOML file, decoded with msgspec into frozen settings; errors name
the field.

The file's tables are msgspec Structs (types, ranges, unknown keys); a thin layer (`_explain`) turns msgspec's
error and its path (``$.mqtt.port``) into one line ``mqtt.port: expected an integer in 1..65535, got 70000``.
Rules between settings (buttons per scale level, GPIO pins used once, TLS files) are checked after decoding.
Standard library and msgspec only: the terminal does not import the platform.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import msgspec
import msgspec.inspect as mi

from . import protocol

DEFAULT_OUTBOX = "/var/lib/pingyi-terminal/outbox.sqlite3"
_GPIO_MAX = 27  # BCM GPIO numbers on the 40-pin header


class ConfigError(ValueError):
    """The configuration is invalid; str() is one line naming the field."""


@dataclass(frozen=True)
class MqttConfig:
    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs or reprs
    tls: bool = False
    ca_file: str | None = None
    keepalive: int = 30
    protocol: str = "5"  # "5" (MQTT 5) or "3.1.1"
    client_id: str | None = None  # default: pingyi-t-<terminal_id>
    session_expiry_s: int = 7 * 24 * 3600
    reconnect_min_s: int = 1
    reconnect_max_s: int = 60


@dataclass(frozen=True)
class PinsConfig:
    buttons: Mapping[int, int]  # level -> GPIO (BCM) pin
    led: int
    arm: int | None = None
    buzzer: int | None = None
    pull_up: bool = True  # buttons wired to ground
    bounce_s: float = 0.05


@dataclass(frozen=True)
class RulesConfig:
    armed_mode: bool = False
    repeat_interval_s: float = 3.0


@dataclass(frozen=True)
class Config:
    terminal_id: str
    mqtt: MqttConfig
    pins: PinsConfig
    scale: str = "five"
    rules: RulesConfig = RulesConfig()
    outbox: str = DEFAULT_OUTBOX
    heartbeat_interval_s: float = 60.0
    ack_timeout_s: float = 15.0
    inflight_window: int = 50

    @property
    def client_id(self) -> str:
        return self.mqtt.client_id or f"pingyi-t-{self.terminal_id}"


# ------------------------------------------------------------------------------------------- the file's schema

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Gpio = Annotated[int, msgspec.Meta(ge=0, le=_GPIO_MAX)]
Seconds = Annotated[int, msgspec.Meta(ge=1, le=3600)]


class _Table(msgspec.Struct, forbid_unknown_fields=True):
    """A table of the file: a misspelt setting is an error, not silently ignored."""


class _MqttTable(_Table):
    host: NonEmpty
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] | None = None  # default 8883 with TLS, else 1883
    username: NonEmpty | None = None
    password: Annotated[str, msgspec.Meta(extra={"secret": True})] | None = None  # may be empty
    tls: bool = False
    ca_file: NonEmpty | None = None
    keepalive: Annotated[int, msgspec.Meta(ge=5, le=3600)] = 30
    protocol: Annotated[Literal["5", "3.1.1"], msgspec.Meta(extra={"expected": 'expected "5" or "3.1.1"'})] = "5"
    client_id: NonEmpty | None = None
    session_expiry_s: Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)] = 7 * 24 * 3600
    reconnect_min_s: Seconds = 1
    reconnect_max_s: Seconds = 60


class _PinsTable(_Table):
    # level -> GPIO pin; TOML keys are text, so keys and pins are checked against the scale after decoding
    buttons: Annotated[dict[str, Any], msgspec.Meta(extra={
        "missing": "missing table [pins.buttons] (level = GPIO pin)"})]
    led: Gpio
    arm: Gpio | None = None
    buzzer: Gpio | None = None
    pull_up: bool = True
    bounce_s: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.05


class _RulesTable(_Table):
    armed_mode: bool = False
    repeat_interval_s: Annotated[float, msgspec.Meta(ge=0.0, le=3600.0)] = 3.0


class _ConfigFile(_Table):
    terminal_id: NonEmpty  # its pattern is checked by protocol.validate_terminal_id (one source)
    mqtt: _MqttTable
    pins: _PinsTable
    scale: Literal[tuple(protocol.SCALES)] = "five"  # type: ignore[valid-type]
    rules: _RulesTable = msgspec.field(default_factory=_RulesTable)
    outbox: NonEmpty = DEFAULT_OUTBOX
    heartbeat_interval_s: Annotated[float, msgspec.Meta(ge=1.0, le=86400.0)] = 60.0
    ack_timeout_s: Annotated[float, msgspec.Meta(ge=0.1, le=3600.0)] = 15.0
    inflight_window: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 50


# ------------------------------------------------------------------------------------------- parse


def parse_config(data: Mapping[str, Any], base_dir: Path | None = None) -> Config:
    """Validate a parsed TOML document into a Config. Raises ConfigError naming the field."""
    doc = _convert(data, _ConfigFile, "")
    try:
        protocol.validate_terminal_id(doc.terminal_id)
    except protocol.ProtocolError:
        _fail("terminal_id", f"{doc.terminal_id!r} must match {protocol.TERMINAL_ID_RE.pattern}")
    outbox = doc.outbox
    if base_dir is not None and not Path(outbox).is_absolute():
        outbox = str(base_dir / outbox)

    m = doc.mqtt
    if m.password is not None and m.username is None:
        _fail("mqtt.password", "set without mqtt.username")
    ca_file = m.ca_file
    if ca_file is not None:
        if not m.tls:
            _fail("mqtt.ca_file", "set but mqtt.tls is false")
        if base_dir is not None and not Path(ca_file).is_absolute():
            ca_file = str(base_dir / ca_file)
        if not Path(ca_file).is_file():
            _fail("mqtt.ca_file", f"no such file {ca_file}")
    if m.reconnect_max_s < m.reconnect_min_s:
        _fail("mqtt.reconnect_max_s", "smaller than mqtt.reconnect_min_s")
    mqtt = MqttConfig(
        host=m.host, port=m.port if m.port is not None else (8883 if m.tls else 1883), username=m.username,
        password=m.password, tls=m.tls, ca_file=ca_file, keepalive=m.keepalive, protocol=m.protocol,
        client_id=m.client_id, session_expiry_s=m.session_expiry_s, reconnect_min_s=m.reconnect_min_s,
        reconnect_max_s=m.reconnect_max_s,
    )

    p = doc.pins
    buttons = _buttons(p.buttons, doc.scale)
    used: dict[int, str] = {}
    for name, pin in [*((f"buttons.{lv}", pn) for lv, pn in buttons.items()),
                      ("led", p.led), ("arm", p.arm), ("buzzer", p.buzzer)]:
        if pin is None:
            continue
        if pin in used:
            _fail(f"pins.{name}", f"GPIO {pin} already used by pins.{used[pin]}")
        used[pin] = name
    pins = PinsConfig(buttons=dict(sorted(buttons.items(), reverse=True)), led=p.led, arm=p.arm, buzzer=p.buzzer,
                      pull_up=p.pull_up, bounce_s=p.bounce_s)

    rules = RulesConfig(armed_mode=doc.rules.armed_mode, repeat_interval_s=doc.rules.repeat_interval_s)
    if rules.armed_mode and p.arm is None:
        _fail("rules.armed_mode", "true but pins.arm is not set")

    return Config(terminal_id=doc.terminal_id, mqtt=mqtt, pins=pins, scale=doc.scale, rules=rules, outbox=outbox,
                  heartbeat_interval_s=doc.heartbeat_interval_s, ack_timeout_s=doc.ack_timeout_s,
                  inflight_window=doc.inflight_window)


def _buttons(table: Mapping[str, Any], scale: str) -> dict[int, int]:
    """[pins.buttons]: one GPIO pin per level of the scale, keyed by the level number."""
    expected = set(protocol.levels(scale))
    buttons: dict[int, int] = {}
    for key, pin in table.items():
        try:
            level = int(key)
        except ValueError:
            _fail(f"pins.buttons.{key}", "key must be a level number")
        if level not in expected:
            _fail(f"pins.buttons.{key}", f"level {level} is not on the {scale} scale {sorted(expected, reverse=True)}")
        buttons[level] = _convert(pin, Gpio, f"pins.buttons.{key}")
    missing = sorted(expected - set(buttons), reverse=True)
    if missing:
        _fail(f"pins.buttons.{missing[0]}", f"missing (the {scale} scale needs levels "
                                            f"{sorted(expected, reverse=True)})")
    return buttons


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path}: not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: invalid TOML ({exc})") from None
    return parse_config(data, base_dir=path.parent)


# ------------------------------------------------------------------------------------------- msgspec errors

T = TypeVar("T")
_MESSAGE_RE = re.compile(r"^(?P<text>.*?)(?: - at `(?P<path>[^`]*)`(?: in `(?P<outer>[^`]*)`)?)?$", re.S)


def _fail(name: str, problem: str) -> NoReturn:
    raise ConfigError(f"{name}: {problem}")


def _convert(data: Any, schema: Any, at: str) -> Any:
    """`data` (the setting or table at `at`) converted into `schema`; a problem raises ConfigError naming it."""
    try:
        return msgspec.convert(data, schema, str_keys=True)
    except msgspec.ValidationError as exc:
        _fail(*_explain(str(exc), schema, data, at))


def _explain(message: str, schema: Any, data: Any, at: str) -> tuple[str, str]:
    """(setting, problem) for msgspec's `message`, e.g. ("mqtt.port", "expected an integer in 1..65535, got 0")."""
    match = _MESSAGE_RE.match(message)
    assert match is not None  # the pattern matches any text
    names = [n for n in re.findall(r"\.([^.\[]+)", match["outer"] or match["path"] or "") if n]
    info, extra = _unwrap(mi.type_info(schema))
    for name in names:
        if not isinstance(info, mi.StructType):
            break
        info, extra = _unwrap(next(f.type for f in info.fields if f.encode_name == name))
        data = data.get(name) if isinstance(data, Mapping) else None
    setting = ".".join([at, *names] if at else names)
    named = re.match(r"Object (missing required|contains unknown) field `([^`]*)`", match["text"])
    if named:
        setting = f"{setting}.{named[2]}" if setting else named[2]
        if named[1] == "contains unknown":
            return setting, "unknown setting"
        missing, missing_extra = _unwrap(next(f.type for f in info.fields if f.encode_name == named[2]))
        if "missing" in missing_extra:
            return setting, missing_extra["missing"]
        return setting, f"missing section [{setting}]" if isinstance(missing, mi.StructType) else "missing"
    return setting, _expected(info, extra, data, setting)


def _expected(info: Any, extra: Mapping[str, Any], value: Any, setting: str) -> str:
    got = "" if extra.get("secret") else f", got {value!r}"
    if "expected" in extra:
        return f"{extra['expected']}{got}"
    if isinstance(info, mi.IntType):
        return f"expected an integer in {info.ge}..{info.le}{got}"
    if isinstance(info, mi.FloatType):
        return f"expected a number in {info.ge}..{info.le}{got}"
    if isinstance(info, mi.BoolType):
        return f"expected true or false{got}"
    if isinstance(info, mi.LiteralType):
        return f"expected {' or '.join(repr(v) for v in info.values)}{got}"
    if isinstance(info, (mi.StructType, mi.DictType)):
        return f"expected a table [{setting}]"
    if isinstance(info, mi.StrType):
        return "expected a non-empty string" if info.min_length else "expected a string"
    return f"invalid value{got}"


def _unwrap(info: Any) -> tuple[Any, Mapping[str, Any]]:
    """The type without its Metadata wrapper and without None (TOML has no null), and the Meta's extra."""
    extra: Mapping[str, Any] = {}
    if isinstance(info, mi.Metadata):
        extra, info = info.extra or {}, info.type
    if isinstance(info, mi.UnionType):
        others = [t for t in info.types if not isinstance(t, mi.NoneType)]
        info = others[0] if len(others) == 1 else info
    if isinstance(info, mi.Metadata):
        extra, info = info.extra or {}, info.type
    return info, extra
