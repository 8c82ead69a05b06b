"""Pi install scripts (SPEC §4): shellcheck-clean; the unit restarts always, uses the watchdog; config mode 600."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

FW = Path(__file__).resolve().parents[3] / "firmware_scripts"
SCRIPTS = ["install.sh", "uninstall.sh", "selftest"]


def test_shellcheck_passes():
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed (apt-get install -y shellcheck)"
    r = subprocess.run([shellcheck, "--shell=sh", *SCRIPTS], cwd=FW, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_scripts_are_executable_posix_sh():
    for name in SCRIPTS:
        path = FW / name
        assert os.access(path, os.X_OK), name
        assert path.read_text().startswith("#!/bin/sh\n"), name
        assert "set -eu" in path.read_text(), name


def test_systemd_unit():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(FW / "pingyi-terminal.service")
    svc = unit["Service"]
    assert svc["Type"] == "notify"
    assert svc["Restart"] == "always"
    assert int(svc["WatchdogSec"]) > 0
    assert svc["ExecStart"].endswith("pingyi-terminal run --config /etc/pingyi-terminal/config.toml")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_install_script_protects_the_config_and_enables_the_unit():
    text = (FW / "install.sh").read_text()
    assert 'install -m 0600 -o "$USER_NAME" -g "$USER_NAME" "$CONFIG" "$ETC/config.toml"' in text
    assert "systemctl enable pingyi-terminal.service" in text
    assert "systemctl restart pingyi-terminal.service" in text
    assert "check-config" in text
