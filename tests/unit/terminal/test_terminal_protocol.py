"""Wire protocol (SPEC §4): topics, round trips, the scale mappings and every rejection."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pingyi_terminal import protocol as p
from pingyi_terminal.protocol import ProtocolError

GOOD = {"v": 1, "terminal": "win-01", "epoch": "e1", "seq": 7, "kind": "press", "level": 5, "scale": "five",
        "flags": [], "boot": "b0f1-22", "mono_ms": 1234, "wall_ms": 1_700_000_000_000, "synced": True}


def enc(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def with_(**changes):
    d = dict(GOOD)
    d.update(changes)
    return d


def without(key):
    d = dict(GOOD)
    del d[key]
    return d


# ------------------------------------------------------------------------------------------ topics


def test_topics():
    assert p.event_topic("win-01") == "pingyi/v1/t/win-01/event"
    assert p.ack_topic("win-01") == "pingyi/v1/t/win-01/ack"
    assert p.status_topic("win-01") == "pingyi/v1/t/win-01/status"
    assert p.heartbeat_topic("win-01") == "pingyi/v1/t/win-01/heartbeat"
    assert p.config_topic("win-01") == "pingyi/v1/t/win-01/config"
    assert p.parse_topic("pingyi/v1/t/win-01/heartbeat") == ("win-01", "heartbeat")


def test_shared_subscriptions():
    assert p.SHARED_GROUP == "pingyi-ingest"
    assert p.shared("pingyi/v1/t/+/event") == "$share/pingyi-ingest/pingyi/v1/t/+/event"
    assert p.shared("heartbeat") == "$share/pingyi-ingest/pingyi/v1/t/+/heartbeat"
    assert p.shared(p.topic_filter("status")) == "$share/pingyi-ingest/pingyi/v1/t/+/status"
    with pytest.raises(ProtocolError):
        p.shared("other/+/event")


@pytest.mark.parametrize("tid", ["", "a", "Win-01", "-win", "win_01", "w" * 64, "win 1", None, 5])
def test_bad_terminal_ids(tid):
    with pytest.raises(ProtocolError, match="terminal"):
        p.event_topic(tid)


@pytest.mark.parametrize("topic", [
    "pingyi/v1/t/win-01", "pingyi/v1/t/win-01/event/x", "pingyi/v2/t/win-01/event", "pingyi/v1/t/WIN/event",
    "pingyi/v1/t/win-01/press", "x/v1/t/win-01/event", "", "pingyi/v1/t/+/event",
])
def test_parse_topic_rejects(topic):
    with pytest.raises(ProtocolError):
        p.parse_topic(topic)


# ------------------------------------------------------------------------------------------ scales


@pytest.mark.parametrize("scale,level,label,bad", [
    ("five", 5, "非常满意", False), ("five", 4, "满意", False), ("five", 3, "基本满意", False),
    ("five", 2, "不满意", True), ("five", 1, "非常不满意", True),
    ("three", 5, "满意", False), ("three", 3, "基本满意", False), ("three", 1, "不满意", True),
])
def test_scale_mapping(scale, level, label, bad):
    assert p.label(level, scale) == label
    assert p.is_bad(level, scale) is bad


@pytest.mark.parametrize("scale,level", [("three", 4), ("three", 2), ("five", 0), ("five", 6), ("seven", 5),
                                         ("five", True), ("five", 5.0)])
def test_scale_rejects(scale, level):
    with pytest.raises(ProtocolError):
        p.is_bad(level, scale)


# ------------------------------------------------------------------------------------------ events


@pytest.mark.parametrize("changes", [
    {}, {"scale": "three", "level": 3}, {"kind": "arm", "level": None},
    {"flags": ["unarmed", "repeat"], "level": 1}, {"synced": False, "wall_ms": 0, "mono_ms": 0},
])
def test_event_round_trip(changes):
    ev = p.decode_event(enc(with_(**changes)))
    data = p.encode_event(ev)
    assert p.decode_event(data) == ev
    assert json.loads(data)["v"] == 1
    assert b" " not in data  # compact


def test_event_keys_and_properties():
    ev = p.decode_event(enc(with_(level=2, flags=["repeat"])))
    assert ev.key == ("win-01", "e1", 7)
    assert ev.idempotency_key == "win-01:e1:7"
    assert ev.flags == ("repeat",)
    assert ev.bad and not ev.counted and ev.label == "不满意"
    good = p.decode_event(enc(GOOD))
    assert good.counted and not good.bad


@pytest.mark.parametrize("field", [k for k in GOOD if k != "v"] + ["v"])
def test_event_missing_field(field):
    with pytest.raises(ProtocolError, match=field):
        p.decode_event(enc(without(field)))


@pytest.mark.parametrize("changes,field", [
    ({"v": 2}, "version"), ({"v": "1"}, "version"), ({"v": True}, "version"),
    ({"terminal": "Bad"}, "terminal"), ({"terminal": 1}, "terminal"),
    ({"epoch": ""}, "epoch"), ({"epoch": "a b"}, "epoch"), ({"epoch": "x" * 65}, "epoch"), ({"epoch": 3}, "epoch"),
    ({"seq": 0}, "seq"), ({"seq": -1}, "seq"), ({"seq": "1"}, "seq"), ({"seq": 1.0}, "seq"), ({"seq": True}, "seq"),
    ({"seq": 2**63}, "seq"),
    ({"kind": "hold"}, "kind"), ({"kind": None}, "kind"),
    ({"level": 6}, "level"), ({"level": 0}, "level"), ({"level": None}, "level"), ({"level": "5"}, "level"),
    ({"level": True}, "level"), ({"scale": "three", "level": 4}, "level"), ({"kind": "arm", "level": 5}, "level"),
    ({"scale": "ten"}, "scale"), ({"scale": None}, "scale"),
    ({"flags": ["late"]}, "flags"), ({"flags": "repeat"}, "flags"), ({"flags": ["repeat", "repeat"]}, "flags"),
    ({"flags": [1]}, "flags"), ({"kind": "arm", "level": None, "flags": ["repeat"]}, "flags"),
    ({"boot": ""}, "boot"), ({"boot": None}, "boot"),
    ({"mono_ms": -1}, "mono_ms"), ({"mono_ms": 1.5}, "mono_ms"),
    ({"wall_ms": "now"}, "wall_ms"), ({"wall_ms": None}, "wall_ms"),
    ({"synced": 1}, "synced"), ({"synced": "yes"}, "synced"),
    ({"extra": 1}, "unknown field"),
])
def test_event_rejections(changes, field):
    with pytest.raises(ProtocolError, match=field):
        p.decode_event(enc(with_(**changes)))


@pytest.mark.parametrize("data,reason", [
    (b"not json", "not JSON"), (b"[1,2]", "JSON object"), (b"\xff\xfe", "UTF-8"), (b"", "not JSON"),
    (b'{"v":1,"v":1}', "duplicate"), (b'{"v":NaN}', "NaN"), (b"x" * 4097, "exceeds 4096"),
    (enc(with_(epoch="x" * 60, boot="y" * 60)).replace(b"}", b"," + b'"pad":"' + b"z" * 4000 + b'"}'), "exceeds"),
])
def test_event_rejects_malformed_payloads(data, reason):
    with pytest.raises(ProtocolError, match=reason):
        p.decode_event(data)


def test_event_construction_validates():
    with pytest.raises(ProtocolError, match="level"):
        p.Event("win-01", "e", 1, "press", None, "five", (), "b", 0, 0, True)
    with pytest.raises(ProtocolError):
        p.encode_event({"v": 1})


# ------------------------------------------------------------------------------------------ ack


def test_ack_round_trip():
    ack = p.Ack("e1", (1, 2, 9))
    data = p.encode_ack(ack)
    assert json.loads(data) == {"v": 1, "epoch": "e1", "seqs": [1, 2, 9]}
    assert p.decode_ack(data) == ack


@pytest.mark.parametrize("obj,field", [
    ({"v": 1, "epoch": "e1"}, "seqs"), ({"v": 1, "seqs": [1]}, "epoch"), ({"epoch": "e", "seqs": [1]}, "'v'"),
    ({"v": 1, "epoch": "e", "seqs": []}, "empty"), ({"v": 1, "epoch": "e", "seqs": [0]}, "seqs"),
    ({"v": 1, "epoch": "e", "seqs": ["1"]}, "seqs"), ({"v": 1, "epoch": "e", "seqs": 1}, "seqs"),
    ({"v": 1, "epoch": "e", "seqs": [True]}, "seqs"), ({"v": 1, "epoch": "", "seqs": [1]}, "epoch"),
    ({"v": 1, "epoch": "e", "seqs": [1], "x": 0}, "unknown"),
    ({"v": 1, "epoch": "e", "seqs": list(range(1, 6000))}, "exceed"),
])
def test_ack_rejections(obj, field):
    with pytest.raises(ProtocolError, match=field):
        p.decode_ack(enc(obj))


# ------------------------------------------------------------------------------------------ heartbeat, status, config

HB = {"terminal": "win-01", "boot": "b1", "mono_ms": 5, "wall_ms": 6, "synced": False, "queue": 3,
      "uptime_s": 60, "version": "0.1.0", "scale": "three"}


def test_heartbeat_round_trip():
    hb = p.Heartbeat(**HB)
    assert p.decode_heartbeat(p.encode_heartbeat(hb)) == hb


@pytest.mark.parametrize("changes,field", [
    ({"queue": -1}, "queue"), ({"uptime_s": 1.5}, "uptime_s"), ({"version": ""}, "version"),
    ({"version": "1 0"}, "version"), ({"scale": "x"}, "scale"), ({"synced": 0}, "synced"),
    ({"terminal": "A"}, "terminal"), ({"other": 1}, "unknown"),
])
def test_heartbeat_rejections(changes, field):
    obj = {"v": 1, **HB, **changes}
    with pytest.raises(ProtocolError, match=field):
        p.decode_heartbeat(enc(obj))


def test_heartbeat_missing_field():
    obj = {"v": 1, **HB}
    del obj["queue"]
    with pytest.raises(ProtocolError, match="queue"):
        p.decode_heartbeat(enc(obj))


def test_status_round_trip_and_rejections():
    for state in ("online", "offline"):
        st = p.Status(state, "b1", "0.1.0")
        assert p.decode_status(p.encode_status(st)) == st
        assert json.loads(p.encode_status(st)) == {"v": 1, "state": state, "boot": "b1", "version": "0.1.0"}
    for obj, field in [({"v": 1, "state": "away", "boot": "b", "version": "1"}, "state"),
                       ({"v": 1, "state": "online", "version": "1"}, "boot"),
                       ({"v": 1, "state": "online", "boot": "b", "version": 1}, "version")]:
        with pytest.raises(ProtocolError, match=field):
            p.decode_status(enc(obj))


def test_config_round_trip_and_rejections():
    cfg = p.TerminalConfig(armed_mode=True, repeat_interval_s=5, scale="three")
    assert p.decode_config(p.encode_config(cfg)) == cfg
    assert p.decode_config(b'{"v":1}') == p.TerminalConfig()
    for obj, field in [({"v": 1, "armed_mode": "yes"}, "armed_mode"), ({"v": 1, "repeat_interval_s": -1},
                       "repeat_interval_s"), ({"v": 1, "scale": "x"}, "scale"), ({"v": 1, "led": 3}, "unknown")]:
        with pytest.raises(ProtocolError, match=field):
            p.decode_config(enc(obj))


# ------------------------------------------------------------------------------------------ dependencies


def test_protocol_imports_only_the_standard_library():
    src = Path(p.__file__).read_text()
    mods = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mods.add(node.module.split(".")[0])
    assert mods <= set(sys.stdlib_module_names), mods - set(sys.stdlib_module_names)


def test_agent_does_not_import_the_platform():
    """The Pi has only the `terminal` extra: gpiozero (with colorzero), paho-mqtt and msgspec (config decoding)."""
    code = ("import sys, pingyi_terminal.__main__, pingyi_terminal.agent, pingyi_terminal.simulate, "
            "pingyi_terminal.selftest, pingyi_terminal.publisher, pingyi_terminal.config\n"
            "allowed = {'pingyi_terminal', 'gpiozero', 'colorzero', 'paho', 'msgspec', 'typing_extensions'}\n"
            "top = {m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)\n"
            "bad = sorted(m for m in top - allowed if not m.startswith('_'))\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
