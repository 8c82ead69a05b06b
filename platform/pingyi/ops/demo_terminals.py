"""Operations: the demo's living window terminals — the ingest worker and simulated terminals (SPEC §4).

Decision: the demo uses the machine's Mosquitto (PINGYI_MQTT_HOST/PORT, anonymous on localhost as Debian ships
it); without a reachable broker it prints how to install one and serves the rest. No embedded broker: a county
runs Mosquitto in production anyway, and one broker configuration is tested.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from pingyi.catalog import load_catalog
from pingyi.cli import run_db
from pingyi.ratings.service import seed_demo_windows
from pingyi.settings import Settings

DEMO_TERMINALS = 4
PREFIX = "demo"
DEMO_MAX_AGE_DAYS = 70


def broker_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """Linux: deliver SIGTERM to this child when the parent dies, even by SIGKILL (no orphaned demo processes)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_terminal_demo(settings: Settings) -> list[subprocess.Popen]:
    host, port = settings.mqtt.host, settings.mqtt.port
    if not broker_reachable(host, port):
        print(f"未检测到 MQTT 服务器 {host}:{port}：好差评评价器演示未启动。"
              "安装 Mosquitto（sudo apt-get install mosquitto）后重新运行即可看到评价器数据。")
        return []
    catalog = load_catalog(settings.surveys_dir)
    pairs = run_db(settings, lambda: seed_demo_windows([d.code for d in catalog.departments],
                                                       count=DEMO_TERMINALS, prefix=PREFIX))
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    # The demo replays last month through this worker (ops/demo_month.py): its first day may be 62 days back.
    env = {**os.environ, "PINGYI_MAX_OFFLINE_DAYS": os.environ.get("PINGYI_MAX_OFFLINE_DAYS", str(DEMO_MAX_AGE_DAYS))}
    ingest = subprocess.Popen(
        [sys.executable, "-m", "pingyi", "ingest", "--client-id", "demo-ingest-1", "--session-expiry", "3600"],
        stdout=(logs / "ingest.log").open("ab"), stderr=subprocess.STDOUT, preexec_fn=_die_with_parent, env=env)
    terminal_cmd = str(bindir / "pingyi-terminal") if (bindir / "pingyi-terminal").exists() \
        else shutil.which("pingyi-terminal") or "pingyi-terminal"
    simulator = subprocess.Popen(
        [terminal_cmd, "simulate", "--count", str(DEMO_TERMINALS), "--rate", "0.5", "--duration", "86400",
         "--prefix", PREFIX, "--dir", str(settings.data_dir / "demo-terminals"), "--broker", f"{host}:{port}",
         "--seed", "7"],
        stdout=(logs / "terminals.log").open("ab"), stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    print(f"好差评演示：{len(pairs)} 台模拟评价器（{', '.join(t for t, _ in pairs)}）经 MQTT {host}:{port} 上报，"
          "接入服务已启动；日志在 " + str(logs))
    return [ingest, simulator]
