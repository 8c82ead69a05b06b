"""End to end: the REAL terminal agent (pingyi_terminal) on gpiozero MockFactory pins → a private Mosquitto from the
project's config → the real `pingyi ingest` worker process → PostgreSQL (SPEC §4, issue 3 "Done when").

The agent runs in its own process (DRIVER below): pingyi_terminal's own load_config, Agent and MQTT transport, with
only the pins mocked; it reads "press <level>" commands on stdin and answers once the press is durable in its
outbox. That process can be killed with SIGKILL like a terminal losing power. A broker or database that cannot be
reached fails the test (never skips).
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pingyi.ratings import provisioning
from pingyi.settings import REPO_ROOT
from tests.support.broker import Mosquitto

_spec = importlib.util.spec_from_file_location("_ingest_harness_e2e", Path(__file__).with_name("test_ingest_faults.py"))
_harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_harness)  # the shared harness (database, worker process) of the fault tests
Worker, drop_database = _harness.Worker, _harness.drop_database
make_database, run = _harness.make_database, _harness.run

pytestmark = [pytest.mark.pg, pytest.mark.mqtt]

DRIVER = r"""
import json, sys, threading
from gpiozero.pins.mock import MockFactory
from pingyi_terminal.agent import Agent, make_mqtt_transport
from pingyi_terminal.clock import boot_id
from pingyi_terminal.config import load_config

cfg = load_config(sys.argv[1])
factory = MockFactory()
boot = boot_id()
agent = Agent(cfg, make_mqtt_transport(cfg, boot), boot=boot, pin_factory=factory)
agent.start()
print(json.dumps({"ready": True, "epoch": agent.outbox.epoch, "depth": agent.outbox.depth()}), flush=True)
stored = 0
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "press":
        pin = cfg.pins.buttons[int(cmd[1])]
        factory.pin(pin).drive_low()
        factory.pin(pin).drive_high()
        stored += 1
        ok = agent.wait_stored(stored, 10)
        print(json.dumps({"stored": ok, "seq_count": stored}), flush=True)
    elif cmd[0] == "drained":
        ok = agent.wait_drained(float(cmd[1]))
        print(json.dumps({"drained": ok, "depth": agent.outbox.depth(), "fatal": agent.fatal}), flush=True)
    elif cmd[0] == "stop":
        break
agent.stop()
"""


class Terminal:
    """The real agent in a child process; `kill()` is a power cut."""

    def __init__(self, config: Path, log: Path) -> None:
        env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock",
                   PYTHONPATH=os.pathsep.join([str(REPO_ROOT / "terminals"), os.environ.get("PYTHONPATH", "")]))
        self.log = log
        self.proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(config)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log.open("a"), text=True, env=env)
        self.hello = self._read(20)
        assert self.hello.get("ready"), self.hello

    def _read(self, timeout: float) -> dict:
        assert self.proc.stdout is not None
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if r else ""
        if not line:
            tail = self.log.read_text()[-3000:]
            raise AssertionError(f"terminal agent silent or gone (rc {self.proc.poll()}): {tail}")
        return json.loads(line)

    def send(self, cmd: str, timeout: float = 20) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self._read(timeout)

    def press(self, level: int) -> None:
        assert self.send(f"press {level}")["stored"], "press not stored in the outbox"

    def drained(self, timeout: float = 30) -> dict:
        return self.send(f"drained {timeout}", timeout + 10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("stop\n")  # type: ignore[union-attr]
                self.proc.stdin.flush()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def terminal_config(path: Path, text: str, outbox: Path) -> Path:
    """A provisioned config, with the outbox moved from /var/lib to the test's folder; faster heartbeats/acks."""
    lines = []
    for ln in text.splitlines():
        if ln.startswith("outbox = "):
            ln = f'outbox = "{outbox}"\nheartbeat_interval_s = 2\nack_timeout_s = 3'
        elif ln.startswith("repeat_interval_s"):
            ln = "repeat_interval_s = 0"
        lines.append(ln)
    path.write_text("\n".join(lines) + "\n")
    return path


def ratings(url: str) -> list[dict]:
    async def q():
        from pingyi.ratings.tables import Rating

        return await Rating.raw("SELECT event_key, level, counted FROM rating ORDER BY event_key")

    return run(url, q)


def outbox_rows(outbox: Path) -> int:
    con = sqlite3.connect(outbox)
    try:
        return con.execute("SELECT count(*) FROM outbox").fetchone()[0]  # pingyi_terminal.outbox's table
    finally:
        con.close()


def wait_for(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def anon(tmp_path):
    """PostgreSQL database with terminal t-e2e on window W01; own anonymous broker from the project's config."""
    url = make_database(["t-e2e"])
    broker = Mosquitto(tmp_path / "broker").start()
    text = provisioning.terminal_toml("t-e2e", "unused", host="127.0.0.1", port=broker.port)
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("username", "password")))
    cfg = terminal_config(tmp_path / "t-e2e.toml", text, tmp_path / "outbox.sqlite3")
    procs: list = []
    yield url, broker, tmp_path, cfg, procs
    for p in procs:
        if isinstance(p, Terminal):
            if p.proc.poll() is None:
                p.kill()
        elif p.proc and p.proc.poll() is None:
            p.stop(signal.SIGKILL)
    broker.stop()
    drop_database(url)


def test_presses_become_ratings_exactly_once_and_outbox_empties(anon):
    url, broker, tmp, cfg, procs = anon
    worker = Worker(url, broker.port, tmp).start()
    procs.append(worker)
    term = Terminal(cfg, tmp / "terminal.log")
    procs.append(term)
    levels = [5, 4, 3, 2, 1, 5, 5, 4, 1, 3]
    for lv in levels:
        term.press(lv)
    d = term.drained(30)
    assert d["drained"] and d["depth"] == 0, d
    epoch = term.hello["epoch"]
    rows = ratings(url)
    assert [r["event_key"] for r in rows] == sorted(f"t-e2e:{epoch}:{s}" for s in range(1, 11))
    by_seq = {int(r["event_key"].rsplit(":", 1)[1]): r["level"] for r in rows}
    assert [by_seq[s] for s in range(1, 11)] == levels
    assert all(r["counted"] for r in rows)
    term.stop()
    assert outbox_rows(tmp / "outbox.sqlite3") == 0


def test_terminal_killed_right_after_a_press_keeps_it_and_stores_it_once(anon):
    url, broker, tmp, cfg, procs = anon
    worker = Worker(url, broker.port, tmp).start()
    procs.append(worker)
    term = Terminal(cfg, tmp / "terminal.log")
    procs.append(term)
    for lv in (5, 4):
        term.press(lv)
    assert term.drained(30)["drained"]
    worker.stop()  # the platform is down: nothing more is acknowledged
    for lv in (1, 2, 3):
        term.press(lv)
    term.kill()  # power cut right after the last press was committed (and its LED lit)
    assert outbox_rows(tmp / "outbox.sqlite3") == 3, "the outbox lost presses on SIGKILL"
    procs.append(Worker(url, broker.port, tmp).start())
    again = Terminal(cfg, tmp / "terminal.log")  # same outbox file: replays its 3 rows
    procs.append(again)
    assert again.hello["epoch"] == term.hello["epoch"] and again.hello["depth"] == 3
    d = again.drained(40)
    assert d["drained"] and d["depth"] == 0, d
    epoch = term.hello["epoch"]
    rows = ratings(url)
    keys = [r["event_key"] for r in rows]
    assert len(keys) == len(set(keys)) == 5, keys  # each press once, though some were sent twice
    assert sorted(keys) == sorted(f"t-e2e:{epoch}:{s}" for s in range(1, 6))
    again.stop()


def test_provisioned_terminal_connects_shows_online_and_its_presses_are_ratings(tmp_path):
    """`pingyi terminals provision` (the CLI) writes the broker's password/ACL and prints the config; the agent
    run from that config connects with its credentials, shows online with a heartbeat, and its presses count."""
    url = make_database([])
    broker = Mosquitto(tmp_path / "broker", auth=True)
    procs: list = []
    try:
        provisioning.set_password(broker.password_file, provisioning.INGEST_USER, "ingest-pw")
        broker.start()
        env = dict(os.environ, PINGYI_DATABASE_URL=url, PINGYI_DATA_DIR=str(tmp_path))
        out = subprocess.run([sys.executable, "-m", "pingyi", "terminals", "provision", "--terminal-id", "t-prov",
                              "--window", "W01", "--broker-host", "127.0.0.1", "--broker-port", str(broker.port),
                              "--password-file", str(broker.password_file), "--acl-file", str(broker.acl_file),
                              "--reload-pid-file", str(broker.pid_file)],
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "username = \"t-prov\"" in out.stdout and "password = " in out.stdout
        time.sleep(0.5)  # the broker reloads its password and ACL files on SIGHUP
        procs.append(Worker(url, broker.port, tmp_path, env={"PINGYI_MQTT_USERNAME": provisioning.INGEST_USER,
                                                              "PINGYI_MQTT_PASSWORD": "ingest-pw"}).start())
        cfg = terminal_config(tmp_path / "t-prov.toml", out.stdout, tmp_path / "outbox.sqlite3")
        term = Terminal(cfg, tmp_path / "terminal.log")
        procs.append(term)

        async def fleet():
            from pingyi.ratings.tables import Terminal as T

            return await T.select(T.online, T.last_seen, T.outbox_depth, T.version, T.boot) \
                .where(T.terminal_id == "t-prov").first()

        row = wait_for(lambda: (r := run(url, fleet)) and r["online"] and r["last_seen"] and r["version"] and r,
                       20, "t-prov online with a heartbeat in the Terminal table")
        assert row["online"] is True and row["boot"]
        for lv in (5, 1, 3):
            term.press(lv)
        d = term.drained(30)
        assert d["drained"] and d["fatal"] is None, d
        epoch = term.hello["epoch"]
        assert [(r["event_key"], r["level"]) for r in ratings(url)] == [
            (f"t-prov:{epoch}:{s}", lv) for s, lv in ((1, 5), (2, 1), (3, 3))]
        term.stop()  # clean stop: the retained status says offline
        wait_for(lambda: run(url, fleet)["online"] is False, 20, "t-prov offline after a clean stop")
    finally:
        for p in procs:
            if isinstance(p, Terminal):
                if p.proc.poll() is None:
                    p.kill()
            elif p.proc and p.proc.poll() is None:
                p.stop(signal.SIGKILL)
        broker.stop()
        drop_database(url)
