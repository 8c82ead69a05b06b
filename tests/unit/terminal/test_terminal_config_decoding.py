"""Terminal config (SPEC §4) decoded with msgspec: whole one-line messages for what the structs reject, and
values the old hand validation accepted or refused are still accepted or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingyi_terminal.config import ConfigError, load_config

MINIMAL = """
terminal_id = "win-01"
[mqtt]
host = "127.0.0.1"
[pins]
led = 17
[pins.buttons]
5 = 5
4 = 6
3 = 13
2 = 19
1 = 26
"""


def load(tmp_path: Path, old: str, new: str):
    assert old in MINIMAL, f"test setup: {old!r}"
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL.replace(old, new, 1))
    return load_config(path)


@pytest.mark.parametrize("old,new,message", [
    ('host = "127.0.0.1"', 'host = "h"\nport = "1883"', "mqtt.port: expected an integer in 1..65535, got '1883'"),
    ('host = "127.0.0.1"', 'host = "h"\nkeepalive = 30.0', "mqtt.keepalive: expected an integer in 5..3600, got 30.0"),
    ('host = "127.0.0.1"', 'host = "h"\nprotocol = 5', 'mqtt.protocol: expected "5" or "3.1.1", got 5'),
    ('host = "127.0.0.1"', 'host = "h"\nhots = "x"', "mqtt.hots: unknown setting"),
    ('led = 17', 'led = 17\nbounce_s = true', "pins.bounce_s: expected a number in 0.0..1.0, got True"),
    ('led = 17', 'led = 17\narm = "x"', "pins.arm: expected an integer in 0..27, got 'x'"),
    ('[pins.buttons]', '[pins.knobs]', "pins.knobs: unknown setting"),
    ('1 = 26', '1 = 26\n[pins.extra]', "pins.extra: unknown setting"),
    ('terminal_id = "win-01"', 'terminal_id = "win-01"\nscale = 5', "scale: expected 'five' or 'three', got 5"),
    ('terminal_id = "win-01"', 'terminal_id = "win-01"\nrules = 1', "rules: expected a table [rules]"),
    ('terminal_id = "win-01"', 'terminal_id = "win-01"\n[rules]\nfoo = 1', "rules.foo: unknown setting"),
    ('terminal_id = "win-01"', 'terminal_id = "win-01\\n"',
     "terminal_id: 'win-01\\n' must match ^[a-z0-9][a-z0-9-]{1,62}$"),
    ('5 = 5\n4 = 6\n3 = 13\n2 = 19\n1 = 26\n', '', "pins.buttons.5: missing (the five scale needs levels "
                                                   "[5, 4, 3, 2, 1])"),
    ('[pins.buttons]\n5 = 5\n4 = 6\n3 = 13\n2 = 19\n1 = 26\n', '',
     "pins.buttons: missing table [pins.buttons] (level = GPIO pin)"),
])
def test_whole_message(tmp_path, old, new, message):
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, old, new)
    assert str(exc.value) == message


def test_password_is_never_echoed(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, 'host = "127.0.0.1"', 'host = "h"\nusername = "u"\npassword = 987654321')
    assert str(exc.value) == "mqtt.password: expected a string"
    assert "987654321" not in str(exc.value)


def test_defaults_and_optional_values(tmp_path):
    cfg = load(tmp_path, 'host = "127.0.0.1"', 'host = "h"\nusername = "u"\npassword = ""\ntls = true')
    assert cfg.mqtt.password == "" and cfg.mqtt.port == 8883  # an empty password is allowed; TLS port by default
    assert cfg.rules.armed_mode is False and cfg.pins.bounce_s == 0.05 and cfg.pins.arm is None
    cfg = load(tmp_path, 'led = 17', 'led = 17\nbounce_s = 0')  # an integer is a number
    assert cfg.pins.bounce_s == 0.0 and isinstance(cfg.pins.bounce_s, float)
