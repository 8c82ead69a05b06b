"""The README's "Checking the published bulletin" runs as written on a fresh data folder (issue 11 "the README
shows how to verify it"): the lines are taken from README.md itself and run with bash in a scratch folder that
holds only links to `.venv` and `platform/`; the verifier is the system's python3."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bulletin_lines() -> list[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Checking the published bulletin", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's bulletin section has no ```sh block"
    return [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_the_readme_bulletin_lines_run_verbatim_and_verify(tmp_path) -> None:
    lines = bulletin_lines()
    assert any("verify_bulletin.py" in line and "--key" in line for line in lines)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "platform").symlink_to(ROOT / "platform")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGYI_")}
    env.update(PINGYI_DATA_DIR=str(tmp_path / "var"), PINGYI_SECRET_KEY="0" * 64)
    outputs = []
    for line in lines:
        done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        outputs.append(done.stdout)
    assert "核验通过" in outputs[-1], outputs[-1]
    assert any("公告已签名" in out for out in outputs)
