"""Terminal config (SPEC §4): the example parses; every bad setting is named; the CLI exits 2 with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pingyi_terminal.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "firmware_scripts" / "config.example.toml"

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


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_example_config_parses(tmp_path):
    text = EXAMPLE.read_text().replace('ca_file = "/etc/pingyi-terminal/ca.pem"', 'ca_file = "ca.pem"')
    (tmp_path / "ca.pem").write_text("dummy")
    cfg = load_config(write(tmp_path, text))
    assert cfg.terminal_id == "hall1-w03" and cfg.scale == "five"
    assert cfg.mqtt.tls and cfg.mqtt.port == 8883 and cfg.mqtt.ca_file == str(tmp_path / "ca.pem")
    assert cfg.pins.buttons == {5: 5, 4: 6, 3: 13, 2: 19, 1: 26}
    assert (cfg.pins.led, cfg.pins.arm, cfg.pins.buzzer) == (17, 27, 22)
    assert cfg.rules.repeat_interval_s == 3.0 and not cfg.rules.armed_mode
    assert "change-me" not in repr(cfg)  # the password stays out of reprs (and so out of logs)


def test_minimal_config_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.mqtt.port == 1883 and cfg.mqtt.keepalive == 30 and cfg.mqtt.protocol == "5"
    assert cfg.client_id == "pingyi-t-win-01"
    assert cfg.heartbeat_interval_s == 60 and cfg.rules.repeat_interval_s == 3
    assert cfg.outbox == "/var/lib/pingyi-terminal/outbox.sqlite3"


def test_three_scale(tmp_path):
    text = MINIMAL.replace("4 = 6\n", "").replace("2 = 19\n", "")
    text = text.replace('terminal_id = "win-01"', 'terminal_id = "win-01"\nscale = "three"')
    cfg = load_config(write(tmp_path, text))
    assert cfg.pins.buttons == {5: 5, 3: 13, 1: 26}


@pytest.mark.parametrize("edit,field", [
    (('terminal_id = "win-01"', 'terminal_id = "Win 01"'), "terminal_id"),
    (('terminal_id = "win-01"', ''), "terminal_id: missing"),
    (('terminal_id = "win-01"', 'terminal_id = "win-01"\nscale = "seven"'), "scale"),
    (('host = "127.0.0.1"', 'host = ""'), "mqtt.host"),
    (('host = "127.0.0.1"', 'host = "h"\nport = 70000'), "mqtt.port"),
    (('host = "127.0.0.1"', 'host = "h"\nport = "1883"'), "mqtt.port"),
    (('host = "127.0.0.1"', 'host = "h"\npassword = "x"'), "mqtt.password"),
    (('host = "127.0.0.1"', 'host = "h"\ntls = "yes"'), "mqtt.tls"),
    (('host = "127.0.0.1"', 'host = "h"\ntls = true\nca_file = "/nonexistent/ca.pem"'), "mqtt.ca_file"),
    (('host = "127.0.0.1"', 'host = "h"\nca_file = "x.pem"'), "mqtt.ca_file"),
    (('host = "127.0.0.1"', 'host = "h"\nkeepalive = 1'), "mqtt.keepalive"),
    (('host = "127.0.0.1"', 'host = "h"\nprotocol = "4"'), "mqtt.protocol"),
    (('host = "127.0.0.1"', 'host = "h"\nhots = "x"'), "mqtt.hots: unknown"),
    (('led = 17', 'led = 40'), "pins.led"),
    (('led = 17', ''), "pins.led: missing"),
    (('led = 17', 'led = 5'), "pins.led: GPIO 5 already used"),
    (('led = 17', 'led = 17\narm = 6'), "pins.arm: GPIO 6 already used"),
    (('1 = 26', ''), "pins.buttons.1: missing"),
    (('1 = 26', '1 = 26\n6 = 21'), "pins.buttons.6"),
    (('1 = 26', '1 = "26"'), "pins.buttons.1"),
    (('1 = 26', '1 = 26\nx = 21'), "pins.buttons.x"),
    (('[pins.buttons]', '[pins.knobs]'), "pins.knobs: unknown"),
    (('[mqtt]', '[mqtt2]'), "mqtt2: unknown"),
    (('terminal_id = "win-01"', 'terminal_id = "win-01"\nheartbeat_interval_s = 0'), "heartbeat_interval_s"),
    (('terminal_id = "win-01"', 'terminal_id = "win-01"\n[rules]\narmed_mode = 1'), "rules.armed_mode"),
    (('terminal_id = "win-01"', 'terminal_id = "win-01"\n[rules]\narmed_mode = true'), "rules.armed_mode"),
    (('terminal_id = "win-01"', 'terminal_id = "win-01"\n[rules]\nrepeat_interval_s = -1'),
     "rules.repeat_interval_s"),
    (('terminal_id = "win-01"', 'terminal_id = "win-01"\ninflight_window = 0'), "inflight_window"),
])
def test_config_errors_name_the_field(tmp_path, edit, field):
    old, new = edit
    assert old in MINIMAL
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, MINIMAL.replace(old, new, 1)))
    assert str(exc.value).startswith(field), str(exc.value)
    assert "\n" not in str(exc.value)


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(write(tmp_path, "terminal_id = "))
    with pytest.raises(ConfigError, match="config file"):
        load_config(tmp_path / "nope.toml")


def test_missing_sections():
    with pytest.raises(ConfigError, match=r"mqtt: missing section"):
        parse_config({"terminal_id": "win-01"})
    with pytest.raises(ConfigError, match=r"pins: missing section"):
        parse_config({"terminal_id": "win-01", "mqtt": {"host": "h"}})


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pingyi_terminal", *args], capture_output=True, text=True,
                          timeout=60)


def test_cli_bad_config_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, MINIMAL.replace("led = 17", "led = 99"))
    for cmd in ("run", "selftest", "check-config"):
        r = _cli(cmd, "--config", str(path))
        assert r.returncode == 2, (cmd, r.stderr)
        assert r.stderr.strip().count("\n") == 0
        assert r.stderr.startswith("pingyi-terminal: config error: pins.led")


def test_cli_check_config_ok(tmp_path):
    r = _cli("check-config", "--config", str(write(tmp_path, MINIMAL)))
    assert r.returncode == 0 and "win-01" in r.stdout
