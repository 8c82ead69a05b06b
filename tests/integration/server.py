"""Test helper: run `pingyi serve` as a real process on a free port, with its own access log."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from pingyi.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PINGYI_DATA_DIR": str(settings.data_dir), "PINGYI_DATABASE_URL": settings.database.url,
           "PINGYI_PORT": str(port), "PINGYI_SECRET_KEY": "0" * 64,
           "PINGYI_ACCESS_LOG": str(settings.http.access_log)}
    log = Path(settings.data_dir) / "server.out"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pingyi", "serve"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
