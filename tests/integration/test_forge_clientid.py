"""Integration test: a provisioned terminal cannot take over the ingest worker's client id (SPEC §4; issue 9).

Real Mosquitto from deploy/mosquitto/mosquitto.conf (auth on): `use_username_as_clientid true` makes the broker use
the username as client id, so a terminal connecting with the worker's client id is just itself and kicks no one.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from pingyi.ratings import provisioning, service
from tests.support.broker import Mosquitto

_spec = importlib.util.spec_from_file_location("_ingest_harness", Path(__file__).with_name("test_ingest_faults.py"))
_harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_harness)
Worker, drop_database = _harness.Worker, _harness.drop_database
make_database, run = _harness.make_database, _harness.run

pytestmark = [pytest.mark.pg, pytest.mark.mqtt]


def test_terminal_cannot_kick_the_ingest_worker(tmp_path):
    broker = Mosquitto(tmp_path / "broker", auth=True)
    files = service.BrokerFiles(password_file=broker.password_file, acl_file=broker.acl_file)
    configs: dict[str, str] = {}

    async def provision():
        configs["t-a"] = await service.provision_terminal("t-a", "W01", actor="test", files=files,
                                                          broker_host="127.0.0.1", broker_port=broker.port)

    url = make_database([])
    try:
        run(url, provision)
        provisioning.set_password(broker.password_file, provisioning.INGEST_USER, "ingest-pw")
        broker.start()
        pw = configs["t-a"].split('password = "')[1].split('"')[0]
        worker = Worker(url, broker.port, tmp_path, client_id="ingest-a",
                        env={"PINGYI_MQTT_USERNAME": provisioning.INGEST_USER,
                             "PINGYI_MQTT_PASSWORD": "ingest-pw"}).start()
        try:
            for _ in range(5):  # the attack: connect with the worker's client id, again and again
                c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ingest-a", protocol=mqtt.MQTTv5)
                c.username_pw_set("t-a", pw)
                c.connect("127.0.0.1", broker.port)
                c.loop_start()
                time.sleep(0.3)
                c.disconnect()
                c.loop_stop()
            time.sleep(0.5)
            log = worker.log.read_text()
            assert "disconnected" not in log, log[-2000:]
            assert log.count("connected as") == 1
        finally:
            worker.stop()
    finally:
        broker.stop()
        drop_database(url)
