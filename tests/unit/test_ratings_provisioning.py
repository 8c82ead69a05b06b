"""Unit tests: broker password hashes, ACL, terminal config, 办件量 CSV parsing (SPEC §4)."""

import subprocess
import tomllib

import pytest

from pingyi.core.errors import InvalidInput
from pingyi.ratings import provisioning
from pingyi.ratings.service import parse_served_csv
from pingyi_terminal.config import parse_config


def test_hash_round_trip_and_mosquitto_format():
    h = provisioning.hash_password("s3cret")
    assert h.startswith("$7$101$") and provisioning.verify_password("s3cret", h)
    assert not provisioning.verify_password("wrong", h)


def test_hash_verifies_mosquitto_passwd_output(tmp_path):
    f = tmp_path / "pw"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(f), "u1", "pw-123"], check=True)
    assert provisioning.verify_password("pw-123", f.read_text().strip().split(":", 1)[1])


def test_password_file_edit(tmp_path):
    f = tmp_path / "passwd"
    provisioning.set_password(f, "t-a", "x")
    provisioning.set_password(f, "t-b", "y")
    provisioning.set_password(f, "t-a", "z")
    users = [ln.split(":")[0] for ln in f.read_text().splitlines()]
    assert users == ["t-b", "t-a"]
    assert provisioning.remove_password(f, "t-b") and not provisioning.remove_password(f, "t-b")


def test_acl_limits_terminal_to_its_topics():
    acl = provisioning.render_acl(["t-b", "t-a"])
    block = acl.split("user t-a\n")[1].split("\n\n")[0].splitlines()
    assert block == ["topic write pingyi/v1/t/t-a/event", "topic write pingyi/v1/t/t-a/status",
                     "topic write pingyi/v1/t/t-a/heartbeat", "topic read pingyi/v1/t/t-a/ack",
                     "topic read pingyi/v1/t/t-a/config"]
    assert "topic read pingyi/v1/t/+/event" in acl and "topic write pingyi/v1/t/+/ack" in acl


@pytest.mark.parametrize("scale,armed", [("five", False), ("three", True)])
def test_terminal_toml_is_valid_agent_config(scale, armed):
    text = provisioning.terminal_toml("t-w01", "pw", host="broker", port=8883, scale=scale, armed=armed)
    cfg = parse_config(tomllib.loads(text))
    assert (cfg.terminal_id, cfg.scale, cfg.rules.armed_mode, cfg.mqtt.username) == ("t-w01", scale, armed, "t-w01")


def test_served_csv_ok_and_errors_name_the_row():
    assert parse_served_csv("window_code,month,count\nW01,2026-03,120\nW02,2026-03,0\n") == [
        (2, "W01", "2026-03", 120), (3, "W02", "2026-03", 0)]
    for text, row in [("window_code,month,count\nW01,2026-13,1\n", "第 2 行"),
                      ("window_code,month,count\nW01,2026-03,1\nW01,2026-03,2\n", "第 3 行"),
                      ("window_code,month,count\nW01,2026-03,-4\n", "第 2 行"),
                      ("code,month,count\n", "第 1 行")]:
        with pytest.raises(InvalidInput, match=row):
            parse_served_csv(text)
