"""Integration test: a provisioned terminal cannot join the ingest's shared subscription (SPEC §4; issue 9).

Real Mosquitto from deploy/mosquitto/mosquitto.conf (auth on), real PostgreSQL, the worker as its own process.
Mosquitto 2.0's ACL file is not checked on SUBSCRIBE, so a terminal may subscribe to `$share/<group>/…`; the broker
then hands it its turn of the group's messages, finds its read ACL refuses them, and drops them: the ingest silently
misses a share of every terminal's events and heartbeats. The fix: the group name is a secret of the installation
(DATA_DIR/ingest_group), never in a terminal's config. The second test shows the attack with a known group name.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from pingyi.ratings import provisioning, service
from pingyi_terminal import protocol
from tests.support.broker import Mosquitto

_spec = importlib.util.spec_from_file_location("_ingest_harness", Path(__file__).with_name("test_ingest_faults.py"))
_harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_harness)
Worker, drop_database, counts = _harness.Worker, _harness.drop_database, _harness.counts
make_database, run = _harness.make_database, _harness.run

pytestmark = [pytest.mark.pg, pytest.mark.mqtt]
N = 40


def _client(port: int, user: str, password: str, received: list) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=mqtt.MQTTv5)
    c.username_pw_set(user, password)
    c.on_message = lambda _c, _u, m: received.append(m.topic)
    connected: list = []
    c.on_connect = lambda _c, _u, _f, rc, _p: connected.append(rc)
    c.connect("127.0.0.1", port)
    c.loop_start()
    deadline = time.monotonic() + 5
    while not connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert connected and not connected[0].is_failure, connected
    return c


def _event(tid: str, seq: int) -> bytes:
    return protocol.encode_event(protocol.Event(
        terminal=tid, epoch="e1", seq=seq, kind="press", level=2, scale="five", flags=(), boot="b1",
        mono_ms=10 + seq, wall_ms=int(time.time() * 1000) - 60_000, synced=True))


def _attack(tmp_path: Path, worker_env: dict[str, str]) -> tuple[int, list, str]:
    """t-a subscribes to the ingest's group as published in protocol.py (and to plain and guessed filters), t-b
    sends N presses once (no replay). Returns (rows stored, what t-a received, the worker's group file)."""
    broker = Mosquitto(tmp_path / "broker", auth=True)
    files = service.BrokerFiles(password_file=broker.password_file, acl_file=broker.acl_file)
    configs: dict[str, str] = {}

    async def provision():
        for tid in ("t-a", "t-b"):
            configs[tid] = await service.provision_terminal(tid, "W01", actor="test", files=files,
                                                            broker_host="127.0.0.1", broker_port=broker.port)

    url = make_database([])
    try:
        run(url, provision)
        assert "$share" not in configs["t-a"] and "group" not in configs["t-a"]
        provisioning.set_password(broker.password_file, provisioning.INGEST_USER, "ingest-pw")
        broker.start()
        pw = {t: c.split('password = "')[1].split('"')[0] for t, c in configs.items()}
        worker = Worker(url, broker.port, tmp_path, client_id="ingest-a",
                        env={"PINGYI_MQTT_USERNAME": provisioning.INGEST_USER, "PINGYI_MQTT_PASSWORD": "ingest-pw",
                             **worker_env}).start()
        stolen: list = []
        try:
            attacker = _client(broker.port, "t-a", pw["t-a"], stolen)
            for group in (protocol.SHARED_GROUP, "pingyi", "ingest", "pingyi-ingest-1"):
                attacker.subscribe([(protocol.shared(k, group), 1) for k in ("event", "status", "heartbeat")])
            attacker.subscribe([(protocol.topic_filter(k), 1) for k in ("event", "status", "heartbeat")])
            attacker.subscribe("#", qos=1)
            time.sleep(0.5)
            sender = _client(broker.port, "t-b", pw["t-b"], [])
            for seq in range(1, N + 1):
                sender.publish(protocol.event_topic("t-b"), _event("t-b", seq), qos=1).wait_for_publish(5)
            deadline = time.monotonic() + 10
            while counts(url)["rows"] < N and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(0.5)
            stored = counts(url)["rows"]
            sender.disconnect()
            attacker.disconnect()
        finally:
            worker.stop()
        group_file = tmp_path / provisioning.GROUP_FILE
        return stored, stolen, group_file.read_text() if group_file.exists() else ""
    finally:
        broker.stop()
        drop_database(url)


def test_terminal_cannot_take_a_share_of_the_ingest(tmp_path):
    stored, stolen, group = _attack(tmp_path, {})
    assert stored == N, f"only {stored} of {N} presses reached the ingest"
    assert stolen == []
    assert group.startswith("pingyi-ingest-") and len(group) >= 40  # the secret, generated on the first start
    assert (tmp_path / provisioning.GROUP_FILE).stat().st_mode & 0o077 == 0


def test_known_group_name_loses_messages(tmp_path):
    """Why the group is a secret: with the name the protocol publishes, the terminal's turn of the group is dropped
    by the broker (its read ACL refuses delivery), so the ingest misses messages and nobody is told."""
    stored, stolen, _ = _attack(tmp_path, {"PINGYI_INGEST_GROUP": protocol.SHARED_GROUP})
    assert stolen == []  # the ACL does refuse delivery to the terminal …
    assert stored < N  # … after the broker gave it its turn: lost for the ingest


def test_ingest_group_file(tmp_path):
    first = provisioning.ingest_group(tmp_path / "data")
    assert provisioning.ingest_group(tmp_path / "data") == first  # every worker of an installation: one group
    assert provisioning.ingest_group(tmp_path / "other") != first  # another installation: another secret
    assert provisioning.ingest_group(tmp_path / "data", "my-group") == "my-group"
    with pytest.raises(Exception, match="共享订阅组名"):
        provisioning.ingest_group(tmp_path / "data", "a/b")
