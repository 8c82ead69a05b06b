"""The README's "Quick start for the office" runs as written on a fresh data folder (issue 7, SPEC §8).

The lines are taken from README.md itself (the first ```sh block under the heading), not copied here, so the
README cannot drift from what works. They run in a scratch folder (holding only a link to `.venv`) with
PINGYI_DATA_DIR pointing at a new, empty `var/` there: no demo, nothing loaded beforehand. `pingyi serve` is
started in the background on a free port and asked for its pages, then stopped.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quickstart_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start for the office", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's office quick start has no ```sh block"
    lines = []
    for raw in block.group(1).splitlines():
        line = raw.split("  #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read().decode("utf-8")


def test_the_readme_quickstart_runs_verbatim_on_a_fresh_data_folder(tmp_path):
    lines = quickstart_lines()
    assert any("departments sync --apply" in line for line in lines) and any(" serve" in line for line in lines)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGYI_")}
    env.update({"PINGYI_PORT": str(port), "PINGYI_DATA_DIR": str(tmp_path / "var")})
    for line in lines:
        if line.endswith("pingyi serve"):
            server = subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=tmp_path, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        status, _ = _get(f"http://127.0.0.1:{port}/health")
                        break
                    except OSError:
                        assert server.poll() is None, server.stdout.read().decode()
                        assert time.monotonic() < deadline, "pingyi serve did not answer within 60 s"
                        time.sleep(0.3)
                assert status == 200
                status, page = _get(f"http://127.0.0.1:{port}/complaints/new")  # the departments reached the form
                assert status == 200 and "县招商局" in page
            finally:
                server.terminate()
                server.wait(timeout=20)
            continue
        done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"README line failed: {line}\n{done.stdout}\n{done.stderr}"
    published = subprocess.run([".venv/bin/pingyi", "results", "--campaign", "2026", "--format", "json"],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert published.returncode == 0 and '"code": "D01"' in published.stdout.replace('":"', '": "')
    assert list((tmp_path / "cards").glob("*.pdf")), "the card sheet was not written"
    assert (tmp_path / "var" / "pingyi.sqlite3").exists()
