"""Integration test: a terminal cannot flood quarantine (SPEC §4; issue 9, docs/mqtt-ingest.md "Quarantine bounds").

Real Mosquitto from deploy/mosquitto/mosquitto.conf (auth on, the terminals' own credentials), real PostgreSQL, the
worker as its own process. Before: 2,000 × 97 KB garbage in 0.8 s → +140 MB of quarantine. Now each row keeps a
4 KB prefix with the full length, rows are bounded per terminal per hour and for all terminals per hour, the excess
is counted per terminal, every message is acknowledged (a restarted worker gets nothing redelivered) and a genuine
press sent after the flood is stored.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from pingyi.ratings import provisioning, service
from pingyi.ratings.ingest.validate import QUARANTINE_RAW_BYTES
from pingyi_terminal import protocol
from tests.support.broker import Mosquitto

_spec = importlib.util.spec_from_file_location("_ingest_harness", Path(__file__).with_name("test_ingest_faults.py"))
_harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_harness)
Worker, drop_database, counts = _harness.Worker, _harness.drop_database, _harness.counts
make_database, run = _harness.make_database, _harness.run

pytestmark = [pytest.mark.pg, pytest.mark.mqtt]
SIZE = 97 * 1024
FLOOD = 300  # per attacking terminal


def _client(port: int, user: str, password: str) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user, protocol=mqtt.MQTTv5)
    c.username_pw_set(user, password)
    c.max_inflight_messages_set(100)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def _state(url: str) -> dict:
    async def q():
        from pingyi.ratings.tables import QuarantineOverflow as Q  # Quarantine.raw is its column, not the method

        rows = await Q.raw("SELECT terminal_id, length(raw) AS kept, raw_length FROM quarantine")
        over = await Q.raw("SELECT terminal_id, dropped, dropped_bytes FROM quarantine_overflow")
        size = await Q.raw("SELECT pg_total_relation_size('quarantine') AS n")
        listed = await service.quarantine_overflow()
        return {"rows": rows, "over": {r["terminal_id"]: r for r in over}, "bytes": int(size[0]["n"]),
                "listed": listed}

    return run(url, q)


def test_quarantine_flood_is_bounded_counted_and_acknowledged(tmp_path):
    broker = Mosquitto(tmp_path / "broker", auth=True)
    files = service.BrokerFiles(password_file=broker.password_file, acl_file=broker.acl_file)
    configs: dict[str, str] = {}

    async def provision():
        for tid in ("t-q", "t-r", "t-ok"):
            configs[tid] = await service.provision_terminal(tid, "W01", actor="test", files=files,
                                                            broker_host="127.0.0.1", broker_port=broker.port)

    url = make_database([])
    env = {"PINGYI_MQTT_USERNAME": provisioning.INGEST_USER, "PINGYI_MQTT_PASSWORD": "ingest-pw",
           "PINGYI_QUARANTINE_PER_TERMINAL_HOUR": "60", "PINGYI_QUARANTINE_TOTAL_HOUR": "100"}
    try:
        run(url, provision)
        provisioning.set_password(broker.password_file, provisioning.INGEST_USER, "ingest-pw")
        broker.start()
        pw = {t: c.split('password = "')[1].split('"')[0] for t, c in configs.items()}
        worker = Worker(url, broker.port, tmp_path, client_id="ingest-a", env=env).start()
        try:
            attackers = [_client(broker.port, t, pw[t]) for t in ("t-q", "t-r")]
            junk = b"x" * SIZE
            infos = [a.publish(protocol.event_topic(t), junk, qos=1)
                     for _ in range(FLOOD) for a, t in zip(attackers, ("t-q", "t-r"), strict=True)]
            for info in infos:
                info.wait_for_publish(30)
            good = _client(broker.port, "t-ok", pw["t-ok"])
            ev = protocol.Event(terminal="t-ok", epoch="e1", seq=1, kind="press", level=1, scale="five", flags=(),
                                boot="b1", mono_ms=5, wall_ms=int(time.time() * 1000), synced=True)
            good.publish(protocol.event_topic("t-ok"), protocol.encode_event(ev), qos=1).wait_for_publish(5)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                st = _state(url)
                dropped = sum(int(o["dropped"]) for o in st["over"].values())
                if len(st["rows"]) + dropped >= 2 * FLOOD and counts(url)["rows"] == 1:
                    break
                time.sleep(0.3)
            for c in (*attackers, good):
                c.disconnect()
        finally:
            worker.stop()
        st = _state(url)
        assert counts(url)["rows"] == 1  # the genuine press, after the flood, stored
        assert len(st["rows"]) == 100  # the total bound …
        per = {t: sum(1 for r in st["rows"] if r["terminal_id"] == t) for t in ("t-q", "t-r")}
        assert max(per.values()) <= 60  # … and the per-terminal bound
        assert all(r["kept"] <= QUARANTINE_RAW_BYTES and r["raw_length"] == SIZE for r in st["rows"])
        assert {t: int(st["over"][t]["dropped"]) for t in per} == {t: FLOOD - per[t] for t in per}
        assert all(int(st["over"][t]["dropped_bytes"]) == (FLOOD - per[t]) * SIZE for t in per)
        assert st["bytes"] < 4_000_000, st["bytes"]  # was +140 MB for 2,000 messages
        assert {o.terminal_id: o.dropped for o in st["listed"]} == {t: FLOOD - per[t] for t in per}

        # every message was acknowledged: a restarted worker (same client id, same session) gets none again
        worker = Worker(url, broker.port, tmp_path, client_id="ingest-a", env=env).start()
        time.sleep(3)
        worker.stop()
        again = _state(url)
        assert len(again["rows"]) == 100 and again["over"] == st["over"]
    finally:
        broker.stop()
        drop_database(url)
