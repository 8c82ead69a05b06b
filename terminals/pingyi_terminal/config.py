"""Terminal agent configuration (SPEC §4): one TOML file, validated into frozen settings; errors name the field."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import protocol

DEFAULT_OUTBOX = "/var/lib/pingyi-terminal/outbox.sqlite3"


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


# ------------------------------------------------------------------------------------------- helpers


def _take(table: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{prefix}{key}: unknown setting")


def _str(t: Mapping[str, Any], key: str, prefix: str, default: Any = ..., *, optional: bool = False) -> Any:
    if key not in t:
        if default is ...:
            raise ConfigError(f"{prefix}{key}: missing")
        return default
    v = t[key]
    if not isinstance(v, str) or (not v and not optional):
        raise ConfigError(f"{prefix}{key}: expected a non-empty string")
    return v


def _int(t: Mapping[str, Any], key: str, prefix: str, lo: int, hi: int, default: Any = ...) -> Any:
    if key not in t:
        if default is ...:
            raise ConfigError(f"{prefix}{key}: missing")
        return default
    v = t[key]
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ConfigError(f"{prefix}{key}: expected an integer in {lo}..{hi}, got {v!r}")
    return v


def _num(t: Mapping[str, Any], key: str, prefix: str, lo: float, hi: float, default: Any) -> float:
    if key not in t:
        return default
    v = t[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise ConfigError(f"{prefix}{key}: expected a number in {lo}..{hi}, got {v!r}")
    return float(v)


def _bool(t: Mapping[str, Any], key: str, prefix: str, default: bool) -> bool:
    if key not in t:
        return default
    v = t[key]
    if not isinstance(v, bool):
        raise ConfigError(f"{prefix}{key}: expected true or false, got {v!r}")
    return v


def _table(t: Mapping[str, Any], key: str, required: bool = True) -> Mapping[str, Any]:
    if key not in t:
        if required:
            raise ConfigError(f"{key}: missing section [{key}]")
        return {}
    v = t[key]
    if not isinstance(v, dict):
        raise ConfigError(f"{key}: expected a table [{key}]")
    return v


_GPIO_MAX = 27  # BCM GPIO numbers on the 40-pin header


# ------------------------------------------------------------------------------------------- parse


def parse_config(data: Mapping[str, Any], base_dir: Path | None = None) -> Config:
    """Validate a parsed TOML document into a Config. Raises ConfigError naming the field."""
    _take(data, "", {"terminal_id", "scale", "outbox", "heartbeat_interval_s", "ack_timeout_s",
                     "inflight_window", "mqtt", "pins", "rules"})
    tid = _str(data, "terminal_id", "")
    try:
        protocol.validate_terminal_id(tid)
    except protocol.ProtocolError:
        raise ConfigError(f"terminal_id: {tid!r} must match {protocol.TERMINAL_ID_RE.pattern}") from None
    scale = _str(data, "scale", "", "five")
    if scale not in protocol.SCALES:
        raise ConfigError(f"scale: expected 'five' or 'three', got {scale!r}")
    outbox = _str(data, "outbox", "", DEFAULT_OUTBOX)
    if base_dir is not None and not Path(outbox).is_absolute():
        outbox = str(base_dir / outbox)

    m = _table(data, "mqtt")
    p = "mqtt."
    _take(m, p, {"host", "port", "username", "password", "tls", "ca_file", "keepalive", "protocol",
                 "client_id", "session_expiry_s", "reconnect_min_s", "reconnect_max_s"})
    username = _str(m, "username", p, None)
    password = _str(m, "password", p, None, optional=True)
    if password is not None and username is None:
        raise ConfigError("mqtt.password: set without mqtt.username")
    tls = _bool(m, "tls", p, False)
    ca_file = _str(m, "ca_file", p, None)
    if ca_file is not None:
        if not tls:
            raise ConfigError("mqtt.ca_file: set but mqtt.tls is false")
        if base_dir is not None and not Path(ca_file).is_absolute():
            ca_file = str(base_dir / ca_file)
        if not Path(ca_file).is_file():
            raise ConfigError(f"mqtt.ca_file: no such file {ca_file}")
    proto = m.get("protocol", "5")
    if proto not in ("5", "3.1.1"):
        raise ConfigError(f"mqtt.protocol: expected \"5\" or \"3.1.1\", got {proto!r}")
    client_id = _str(m, "client_id", p, None)
    rmin = _int(m, "reconnect_min_s", p, 1, 3600, 1)
    rmax = _int(m, "reconnect_max_s", p, 1, 3600, 60)
    if rmax < rmin:
        raise ConfigError("mqtt.reconnect_max_s: smaller than mqtt.reconnect_min_s")
    mqtt = MqttConfig(
        host=_str(m, "host", p),
        port=_int(m, "port", p, 1, 65535, 8883 if tls else 1883),
        username=username,
        password=password,
        tls=tls,
        ca_file=ca_file,
        keepalive=_int(m, "keepalive", p, 5, 3600, 30),
        protocol=proto,
        client_id=client_id,
        session_expiry_s=_int(m, "session_expiry_s", p, 0, 2**32 - 1, 7 * 24 * 3600),
        reconnect_min_s=rmin,
        reconnect_max_s=rmax,
    )

    pt = _table(data, "pins")
    p = "pins."
    _take(pt, p, {"buttons", "led", "arm", "buzzer", "pull_up", "bounce_s"})
    bt = _table(pt, "buttons") if "buttons" in pt else None
    if bt is None:
        raise ConfigError("pins.buttons: missing table [pins.buttons] (level = GPIO pin)")
    expected = set(protocol.levels(scale))
    buttons: dict[int, int] = {}
    for key in bt:
        try:
            level = int(key)
        except ValueError:
            raise ConfigError(f"pins.buttons.{key}: key must be a level number") from None
        if level not in expected:
            raise ConfigError(f"pins.buttons.{key}: level {level} is not on the {scale} scale "
                              f"{sorted(expected, reverse=True)}")
        buttons[level] = _int(bt, key, "pins.buttons.", 0, _GPIO_MAX)
    missing = sorted(expected - set(buttons), reverse=True)
    if missing:
        raise ConfigError(f"pins.buttons.{missing[0]}: missing (the {scale} scale needs levels "
                          f"{sorted(expected, reverse=True)})")
    led = _int(pt, "led", p, 0, _GPIO_MAX)
    arm = _int(pt, "arm", p, 0, _GPIO_MAX, None)
    buzzer = _int(pt, "buzzer", p, 0, _GPIO_MAX, None)
    used: dict[int, str] = {}
    for name, pin in [*((f"buttons.{lv}", pn) for lv, pn in buttons.items()),
                      ("led", led), ("arm", arm), ("buzzer", buzzer)]:
        if pin is None:
            continue
        if pin in used:
            raise ConfigError(f"pins.{name}: GPIO {pin} already used by pins.{used[pin]}")
        used[pin] = name
    pins = PinsConfig(buttons=dict(sorted(buttons.items(), reverse=True)), led=led, arm=arm, buzzer=buzzer,
                      pull_up=_bool(pt, "pull_up", p, True), bounce_s=_num(pt, "bounce_s", p, 0.0, 1.0, 0.05))

    rt = _table(data, "rules", required=False)
    p = "rules."
    _take(rt, p, {"armed_mode", "repeat_interval_s"})
    rules = RulesConfig(armed_mode=_bool(rt, "armed_mode", p, False),
                        repeat_interval_s=_num(rt, "repeat_interval_s", p, 0.0, 3600.0, 3.0))
    if rules.armed_mode and arm is None:
        raise ConfigError("rules.armed_mode: true but pins.arm is not set")

    return Config(
        terminal_id=tid,
        mqtt=mqtt,
        pins=pins,
        scale=scale,
        rules=rules,
        outbox=outbox,
        heartbeat_interval_s=_num(data, "heartbeat_interval_s", "", 1.0, 86400.0, 60.0),
        ack_timeout_s=_num(data, "ack_timeout_s", "", 0.1, 3600.0, 15.0),
        inflight_window=_int(data, "inflight_window", "", 1, 10000, 50),
    )


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
