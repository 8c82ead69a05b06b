"""Integration tests: broker security from `provision` — passwords and ACL on a real Mosquitto (SPEC §4).

Terminal A cannot publish as terminal B; a forged payload on A's own topic claiming to be B is quarantined;
a revoked terminal can no longer connect. Own broker (project conf, auth on) on a free port; real PostgreSQL.
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
_spec.loader.exec_module(_harness)  # the shared harness (database, worker process) of the fault tests
Worker, drop_database = _harness.Worker, _harness.drop_database
make_database, run = _harness.make_database, _harness.run

pytestmark = [pytest.mark.pg, pytest.mark.mqtt]


def client(port: int, user: str, password: str) -> tuple[mqtt.Client, dict]:
    state: dict = {"rc": None, "acks": []}
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"c-{user}", protocol=mqtt.MQTTv5)
    c.username_pw_set(user, password)
    c.on_connect = lambda cl, u, f, rc, p: state.__setitem__("rc", rc)
    c.on_message = lambda cl, u, m: state["acks"].append((m.topic, m.payload))
    c.on_publish = lambda cl, u, mid, rc, p: state.setdefault("puback", {}).__setitem__(mid, rc)
    c.connect("127.0.0.1", port)
    c.loop_start()
    deadline = time.monotonic() + 5
    while state["rc"] is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return c, state


def event(tid: str, seq: int) -> bytes:
    return protocol.encode_event(protocol.Event(terminal=tid, epoch="e1", seq=seq, kind="press", level=2, scale="five",
                                                flags=(), boot="b1", mono_ms=10, wall_ms=1_700_000_000_000,
                                                synced=True))


def test_acl_and_forged_payload(tmp_path):
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
        provisioning.set_password(broker.password_file, provisioning.INGEST_USER, "ingest-pw")
        broker.start()
        pw = {t: c.split('password = "')[1].split('"')[0] for t, c in configs.items()}
        worker = Worker(url, broker.port, tmp_path, env={"PINGYI_MQTT_USERNAME": provisioning.INGEST_USER,
                                                           "PINGYI_MQTT_PASSWORD": "ingest-pw"}).start()
        try:
            bad, st = client(broker.port, "t-a", "wrong")
            assert st["rc"] is not None and st["rc"].is_failure, "wrong password accepted"
            bad.loop_stop()
            a, sa = client(broker.port, "t-a", pw["t-a"])
            assert sa["rc"] is not None and not sa["rc"].is_failure
            a.subscribe(protocol.ack_topic("t-a"), qos=1)
            a.subscribe(protocol.ack_topic("t-b"), qos=1)  # not allowed: must receive nothing
            time.sleep(0.3)
            a.publish(protocol.event_topic("t-b"), event("t-b", 1), qos=1)  # A publishing as B: denied by ACL
            a.publish(protocol.event_topic("t-a"), event("t-b", 2), qos=1)  # forged payload on A's topic
            a.publish(protocol.event_topic("t-a"), event("t-a", 1), qos=1)  # legitimate
            deadline = time.monotonic() + 10
            while not sa["acks"] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [t for t, _ in sa["acks"]] == [protocol.ack_topic("t-a")]
            assert protocol.decode_ack(sa["acks"][0][1]).seqs == (1,)
            time.sleep(0.5)

            async def state():
                from pingyi.ratings.tables import Quarantine, Rating

                return (await Rating.raw("SELECT event_key FROM rating"),
                        await Quarantine.select(Quarantine.topic, Quarantine.reason, Quarantine.terminal_id))

            ratings, quarantined = run(url, state)
            assert [r["event_key"] for r in ratings] == ["t-a:e1:1"]
            assert len(quarantined) == 1 and "mismatch" in quarantined[0]["reason"]
            assert quarantined[0]["topic"] == protocol.event_topic("t-a")
            a.loop_stop()

            async def revoke():
                await service.revoke_terminal("t-a", actor="test", files=files)

            run(url, revoke)
            assert "t-a" not in broker.password_file.read_text() and "user t-a" not in broker.acl_file.read_text()
            broker.reload()
            time.sleep(0.5)
            gone, sg = client(broker.port, "t-a", pw["t-a"])
            assert sg["rc"] is not None and sg["rc"].is_failure
            gone.loop_stop()
        finally:
            worker.stop()
    finally:
        broker.stop()
        drop_database(url)
