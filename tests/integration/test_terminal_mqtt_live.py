"""Agent ↔ real Mosquitto (SPEC §4): end-to-end acks, replay across a broker restart, refused credentials.

Marked ``mqtt``: the shared broker at 127.0.0.1:1883 must be up; when it is not, these tests FAIL (never skip).
The restart and credential tests start their own ``mosquitto -c FILE`` on a free port and stop it by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from gpiozero.pins.mock import MockFactory
from paho.mqtt.enums import CallbackAPIVersion

from pingyi_terminal import protocol
from pingyi_terminal.agent import Agent, make_mqtt_transport
from pingyi_terminal.clock import SystemClock
from pingyi_terminal.config import Config, MqttConfig, PinsConfig, RulesConfig

pytestmark = pytest.mark.mqtt

PINS = {5: 5, 4: 6, 3: 13, 2: 19, 1: 26}


def require_broker(host: str = "127.0.0.1", port: int = 1883) -> None:
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        pytest.fail(f"the MQTT broker at {host}:{port} is not reachable ({exc}); start it: "
                    f"mosquitto -d -c /etc/mosquitto/mosquitto.conf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(tmp_path: Path, tid: str, port: int = 1883, **mqtt_kw) -> Config:
    return Config(terminal_id=tid, mqtt=MqttConfig(host="127.0.0.1", port=port, reconnect_min_s=1,
                                                   reconnect_max_s=2, **mqtt_kw),
                  pins=PinsConfig(buttons=dict(PINS), led=17, bounce_s=0.0),
                  rules=RulesConfig(repeat_interval_s=0), outbox=str(tmp_path / f"{tid}.sqlite3"),
                  ack_timeout_s=5, heartbeat_interval_s=5)


class FakePlatform:
    """A plain paho subscriber acting as the platform's ingest: records events, acks every one."""

    def __init__(self, tid: str, port: int = 1883, ack: bool = True) -> None:
        self.tid = tid
        self.ack = ack
        self.seqs: list[int] = []
        self.status: list[str] = []
        self.cond = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fake-platform-{tid}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, rc, props):
        client.subscribe(protocol.event_topic(self.tid), qos=1)
        client.subscribe(protocol.status_topic(self.tid), qos=1)
        with self.cond:
            self.cond.notify_all()

    def _on_message(self, client, userdata, msg):
        _, kind = protocol.parse_topic(msg.topic)
        with self.cond:
            if kind == "event":
                ev = protocol.decode_event(msg.payload)
                self.seqs.append(ev.seq)
                if self.ack:
                    client.publish(protocol.ack_topic(self.tid),
                                   protocol.encode_ack(protocol.Ack(ev.epoch, (ev.seq,))), qos=1)
            elif kind == "status" and msg.payload:
                self.status.append(protocol.decode_status(msg.payload).state)
            self.cond.notify_all()

    def wait(self, pred, timeout: float = 30) -> bool:
        with self.cond:
            return self.cond.wait_for(pred, timeout)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def start_agent(cfg: Config) -> tuple[Agent, MockFactory]:
    factory = MockFactory()
    agent = Agent(cfg, make_mqtt_transport(cfg, "boot-live"), clock=SystemClock(use_timedatectl=False),
                  pin_factory=factory, boot="boot-live")
    agent.start()
    return agent, factory


def press(factory: MockFactory, level: int) -> None:
    pin = factory.pin(PINS[level])
    pin.drive_low()
    pin.drive_high()


def clear_retained(tid: str, port: int = 1883) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cleanup-{tid}")
    c.connect("127.0.0.1", port)
    c.loop_start()
    c.publish(protocol.status_topic(tid), b"", qos=1, retain=True).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


def test_fifty_presses_acked_end_to_end(tmp_path):
    require_broker()
    tid = f"live-{uuid.uuid4().hex[:8]}"
    platform = FakePlatform(tid)
    agent = None
    try:
        agent, factory = start_agent(config(tmp_path, tid))
        assert platform.wait(lambda: "online" in platform.status, 15), "no retained online status"
        for i in range(50):
            press(factory, (5, 4, 3, 2, 1)[i % 5])
        assert agent.wait_stored(50)
        assert agent.wait_drained(30), f"outbox still holds {agent.outbox.depth()} rows"
        assert agent.outbox.depth() == 0
        assert set(platform.seqs) >= set(range(1, 51))
        assert agent.stats.stored == 50 and agent.stats.acked == 50
    finally:
        if agent is not None:
            agent.stop()
        assert platform.wait(lambda: platform.status[-1:] == ["offline"], 10), "no offline status on stop"
        platform.close()
        clear_retained(tid)


# ------------------------------------------------------------------------------------------- own broker


class OwnBroker:
    def __init__(self, tmp_path: Path, *, password: tuple[str, str] | None = None) -> None:
        assert shutil.which("mosquitto"), "mosquitto is not installed"
        self.port = free_port()
        self.dir = tmp_path / "broker"
        self.dir.mkdir()
        lines = [f"listener {self.port} 127.0.0.1", "user root", "persistence true",
                 f"persistence_location {self.dir}/", "max_queued_messages 100000"]
        if password:
            pw = self.dir / "passwd"
            subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), *password], check=True, timeout=30)
            lines += ["allow_anonymous false", f"password_file {pw}"]
        else:
            lines += ["allow_anonymous true"]
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError as exc:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("own mosquitto did not start") from exc
                time.sleep(0.05)  # polling a port that is coming up; bounded by the deadline

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)


def test_replay_across_a_broker_restart(tmp_path):
    """Presses made while the broker is down are stored, then delivered and acked once it is back."""
    broker = OwnBroker(tmp_path)
    tid = "live-restart"
    platform = FakePlatform(tid, broker.port)
    agent = None
    try:
        agent, factory = start_agent(config(tmp_path, tid, broker.port))
        assert platform.wait(lambda: "online" in platform.status, 15)
        for _ in range(10):
            press(factory, 5)
        assert agent.wait_stored(10)
        assert agent.wait_drained(30)
        broker.stop()
        for _ in range(20):
            press(factory, 1)
        assert agent.wait_stored(30)
        assert agent.outbox.depth() == 20  # durable while the broker is away
        broker.start()
        assert agent.wait_drained(60), f"{agent.outbox.depth()} rows left after the restart"
        assert set(platform.seqs) >= set(range(1, 31))
    finally:
        if agent is not None:
            agent.stop()
        platform.close()
        broker.stop()


def test_refused_credentials_are_fatal(tmp_path):
    broker = OwnBroker(tmp_path, password=("win-09", "right"))
    agent = None
    try:
        agent, _ = start_agent(config(tmp_path, "win-09", broker.port, username="win-09", password="wrong"))
        assert agent.wait(15), "the agent kept running with refused credentials"
        assert agent.fatal and "refused" in agent.fatal
    finally:
        if agent is not None:
            agent.stop()
        broker.stop()


def test_good_credentials_connect(tmp_path):
    broker = OwnBroker(tmp_path, password=("win-10", "right"))
    agent = None
    try:
        agent, factory = start_agent(config(tmp_path, "win-10", broker.port, username="win-10", password="right",
                                            protocol="3.1.1"))
        press(factory, 3)
        assert agent.wait_stored(1)
        # nobody acks here: wait until the event was handed to the broker at least once
        with agent.idle:
            agent.idle.wait_for(lambda: agent.stats.published >= 1, 15)
        assert agent.stats.published >= 1 and agent.fatal is None
    finally:
        if agent is not None:
            agent.stop()
        broker.stop()


def test_simulate_command_with_an_acking_platform(tmp_path):
    """`pingyi-terminal simulate` runs 3 agents on mock pins; a fake platform acks; everything drains (exit 0)."""
    require_broker()
    prefix = f"simt{uuid.uuid4().hex[:6]}"
    acked: set[str] = set()
    lock = threading.Lock()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fake-platform-{prefix}", protocol=mqtt.MQTTv5)
    subscribed = threading.Event()

    def on_message(c, u, msg):
        tid, _ = protocol.parse_topic(msg.topic)
        if tid.startswith(prefix + "-"):
            ev = protocol.decode_event(msg.payload)
            c.publish(protocol.ack_topic(tid), protocol.encode_ack(protocol.Ack(ev.epoch, (ev.seq,))), qos=1)
            with lock:
                acked.add(ev.idempotency_key)

    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    client.subscribe("pingyi/v1/t/+/event", qos=1)
    assert subscribed.wait(10)
    try:
        r = subprocess.run([sys.executable, "-m", "pingyi_terminal", "--log-level", "WARNING", "simulate",
                            "--count", "3", "--rate", "40", "--duration", "1", "--prefix", prefix,
                            "--dir", str(tmp_path), "--seed", "1", "--drain-timeout", "20"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "still queued 0" in r.stdout
        assert len(acked) >= 30
        assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == [f"{prefix}-000{i}.sqlite3" for i in (1, 2, 3)]
    finally:
        client.disconnect()
        client.loop_stop()
        for i in (1, 2, 3):
            clear_retained(f"{prefix}-000{i}")
