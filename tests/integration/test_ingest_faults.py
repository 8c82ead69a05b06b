"""Integration tests: the ingest path under faults — every press stored once, none lost (SPEC §4).

Real PostgreSQL and real Mosquitto: each test runs its own broker from deploy/mosquitto/mosquitto.conf (its queue
limits and persistence) on a free port, and the ingest worker as its own process (`python -m pingyi.ratings.ingest`).
A broker or database that cannot be reached fails the test.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pingyi import db
from pingyi.hall import service as hall_service
from pingyi.ratings import service
from pingyi.settings import Settings
from tests.support.broker import Mosquitto
from tests.support.loadgen import ReplayingPublisher

pytestmark = [pytest.mark.pg, pytest.mark.mqtt]
PG = "postgresql://postgres@127.0.0.1:5432/"
TERMINALS = [f"t-f{i}" for i in range(4)]


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-qh", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", sql], check=True,
                   capture_output=True)


async def _with_db(url: str, work):
    engine = db.make_engine(Settings.from_env({"PINGYI_DATABASE_URL": url}).database)
    db.use_engine(engine)
    return await work()


def run(url: str, work):
    return asyncio.run(_with_db(url, work))


def make_database(terminals: list[str], extra=None) -> str:
    name = f"pingyi_t_{uuid.uuid4().hex[:10]}"
    _psql(f"CREATE DATABASE {name}")
    url = PG + name

    async def setup():
        from pingyi.hall.tables import Department

        await db.migrate(db.current_engine())
        await Department.insert(Department(code="D01", name="测试局"))
        await hall_service.add_window("W01", "一号窗", "D01", "test")
        for tid in terminals:
            await service.provision_terminal(tid, "W01", actor="test", files=service.BrokerFiles(),
                                             broker_host="127.0.0.1", broker_port=1883)
        if extra:
            await extra()

    run(url, setup)
    return url


def drop_database(url: str) -> None:
    _psql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def counts(url: str) -> dict[str, object]:
    async def q():
        from pingyi.ratings.tables import Rating

        rows = await Rating.raw("SELECT event_key FROM rating")
        return [r["event_key"] for r in rows]

    keys = run(url, q)
    return {"rows": len(keys), "distinct": len(set(keys)), "keys": set(keys)}


def expected_keys(pub: ReplayingPublisher) -> set[str]:
    return {f"{t.tid}:{t.epoch}:{s}" for t in pub.terms.values() for s in range(1, t.next_seq)}


class Worker:
    """The ingest worker as a child process, stopped by its pid."""

    def __init__(self, url: str, port: int, workdir: Path, client_id: str = "ingest-a", env: dict | None = None):
        self.log = workdir / f"{client_id}.{uuid.uuid4().hex[:6]}.log"
        self.url, self.port, self.client_id, self.extra = url, port, client_id, env or {}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> Worker:
        env = dict(os.environ, PINGYI_DATABASE_URL=self.url, PINGYI_MQTT_PORT=str(self.port),
                   PINGYI_DATA_DIR=str(self.log.parent), **self.extra)
        self.proc = subprocess.Popen([sys.executable, "-m", "pingyi.ratings.ingest", "--client-id", self.client_id,
                                      "--batch-wait-ms", "20"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=self.log.open("w"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "connected as" in self.log.read_text():
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"ingest worker exited: {self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"ingest worker did not connect: {self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(30)

    def received(self) -> int:
        text = self.log.read_text()
        return int(text.rsplit("received=", 1)[1].split(",", 1)[0]) if "received=" in text else 0


@pytest.fixture
def env(tmp_path):
    url = make_database(TERMINALS)
    broker = Mosquitto(tmp_path / "broker").start()
    workers: list[Worker] = []
    pubs: list[ReplayingPublisher] = []
    yield url, broker, tmp_path, workers, pubs
    for p in pubs:
        p.stop()
    for w in workers:
        if w.proc and w.proc.poll() is None:
            w.stop(signal.SIGKILL)
    broker.stop()
    drop_database(url)


def assert_exact(url: str, pub: ReplayingPublisher) -> None:
    c = counts(url)
    want = expected_keys(pub)
    assert pub.outstanding() == 0, f"{pub.outstanding()} presses never acknowledged"
    assert c["rows"] == c["distinct"] == len(want), (c["rows"], c["distinct"], len(want))
    assert c["keys"] == want, f"lost: {len(want - c['keys'])}, unexpected: {len(c['keys'] - want)}"


def test_broker_stopped_and_restarted_mid_stream(env):
    url, broker, tmp, workers, pubs = env
    workers.append(Worker(url, broker.port, tmp).start())
    pub = ReplayingPublisher("127.0.0.1", broker.port, TERMINALS, ack_timeout_s=3.0).start()
    pubs.append(pub)
    for _ in range(10):
        for t in TERMINALS:
            pub.press(t, 100)
        time.sleep(0.05)
    time.sleep(0.3)
    broker.stop()  # mid-stream: some events in flight, some queued, acks pending
    for t in TERMINALS:
        pub.press(t, 250)  # presses while the broker is down stay in the outbox
    time.sleep(1.0)
    broker.start()
    assert pub.wait_all_acked(90), f"outstanding {pub.outstanding()}"
    assert_exact(url, pub)  # 4 × (1000 + 250) = 5000 stored once each
    assert pub.pressed() == 5000


def test_backlog_over_1000_to_stopped_worker_is_kept_by_the_broker(env):
    """5,000 events queued for the stopped worker's persistent session (project conf, not the default 1,000);
    the publisher never re-sends, so every stored row proves the broker queued it."""
    url, broker, tmp, workers, pubs = env
    Worker(url, broker.port, tmp).start().stop()  # creates the persistent session and its subscription
    pub = ReplayingPublisher("127.0.0.1", broker.port, TERMINALS, window=10_000, replay=False).start()
    pubs.append(pub)
    for t in TERMINALS:
        pub.press(t, 1250)
    deadline = time.monotonic() + 60
    while pub.published < 5000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pub.published == 5000
    time.sleep(0.5)
    workers.append(Worker(url, broker.port, tmp).start())
    assert pub.wait_all_acked(90), f"outstanding {pub.outstanding()} (broker dropped queued messages?)"
    assert pub.resent == 0
    assert_exact(url, pub)


def test_worker_killed_mid_batch_and_restarted(env):
    url, broker, tmp, workers, pubs = env
    w = Worker(url, broker.port, tmp).start()
    workers.append(w)
    pub = ReplayingPublisher("127.0.0.1", broker.port, TERMINALS, window=500, ack_timeout_s=5.0).start()
    pubs.append(pub)
    for t in TERMINALS:
        pub.press(t, 2000)
    time.sleep(0.8)
    assert w.stop(signal.SIGKILL) == -signal.SIGKILL
    mid = counts(url)["rows"]
    assert 0 < mid < 8000, mid  # really mid-stream
    workers.append(Worker(url, broker.port, tmp).start())
    assert pub.wait_all_acked(120), f"outstanding {pub.outstanding()}"
    assert_exact(url, pub)


def test_terminal_cut_off_for_1000_presses_then_reconnected(env):
    url, broker, tmp, workers, pubs = env
    workers.append(Worker(url, broker.port, tmp).start())
    pub = ReplayingPublisher("127.0.0.1", broker.port, TERMINALS[:1], synced=False).start()
    pubs.append(pub)
    pub.press(TERMINALS[0], 20)
    assert pub.wait_all_acked(30)
    pub.stop()  # network cut
    pub.press(TERMINALS[0], 1000)
    time.sleep(0.5)
    assert counts(url)["rows"] == 20
    pub.start()
    assert pub.wait_all_acked(60), f"outstanding {pub.outstanding()}"
    assert_exact(url, pub)


def test_two_workers_share_the_subscription(env):
    url, broker, tmp, workers, pubs = env
    a = Worker(url, broker.port, tmp, client_id="ingest-a").start()
    b = Worker(url, broker.port, tmp, client_id="ingest-b").start()
    workers += [a, b]
    pub = ReplayingPublisher("127.0.0.1", broker.port, TERMINALS).start()
    pubs.append(pub)
    for t in TERMINALS:
        pub.press(t, 1000)
    assert pub.wait_all_acked(90), f"outstanding {pub.outstanding()}"
    assert a.stop() == 0 and b.stop() == 0
    assert a.received() > 500 and b.received() > 500, (a.received(), b.received())
    assert_exact(url, pub)
