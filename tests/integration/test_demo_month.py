"""The demo's last month, the way `pingyi run` makes it (issue 9 "Done when"): one terminal per department replays
last month's presses through a real Mosquitto to the real `pingyi ingest` worker process; the month is closed and
published with a top 3, a last place and a ladder step; running it again changes nothing."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from pingyi import db
from pingyi.clock import SystemClock, today_in
from pingyi.core.assessment import month_of, previous_month
from pingyi.settings import Settings
from tests.integration.helpers import run
from tests.integration.webclient import client_for
from tests.support.broker import Mosquitto

pytestmark = [pytest.mark.mqtt]


def test_demo_closes_and_publishes_last_month_from_presses_that_went_through_mqtt(tmp_path, monkeypatch) -> None:
    from pingyi.ops.demo import load_demo
    from pingyi.ops.demo_month import EPOCH_PREFIX, run_demo_month
    from pingyi.ops.demo_terminals import start_terminal_demo

    data = tmp_path / "data"
    data.mkdir()
    with Mosquitto(tmp_path / "broker") as broker:
        env = {"PINGYI_DATA_DIR": str(data), "PINGYI_DATABASE_URL": f"sqlite:///{data / 'pingyi.sqlite3'}",
               "PINGYI_SECRET_KEY": "0" * 64, "PINGYI_MQTT_HOST": "127.0.0.1", "PINGYI_MQTT_PORT": str(broker.port)}
        for key, value in env.items():
            monkeypatch.setenv(key, value)  # the ingest worker child process reads the same settings
        settings = Settings.from_env(env)
        asyncio.run(db.migrate(db.make_engine(settings.database)))
        run(settings, lambda: load_demo(settings))
        children = start_terminal_demo(settings)
        assert children, "the broker is running: the ingest worker and the simulated terminals must start"
        try:
            lines = run_demo_month(settings)
            again = run_demo_month(settings)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(10)

    month = previous_month(month_of(today_in(SystemClock(settings.timezone), settings.timezone)))
    text = "\n".join(lines)
    assert "全部确认入库" in text and "已结账并公布" in text, text
    assert again == [f"{month} 月度窗口考核：已结账"]

    with sqlite3.connect(data / "pingyi.sqlite3") as conn:
        stored = conn.execute("SELECT count(*), sum(kind = 'arm'), sum(counted) FROM rating WHERE event_key LIKE ?",
                              (f"%:{EPOCH_PREFIX}-{month}:%",)).fetchone()
    replayed = int(text.split("补传 ")[1].split(" 条")[0])
    assert stored[0] == replayed  # every replayed event stored once, none twice
    assert stored[1] > 0 and stored[2] > 0

    client = client_for(settings)
    doc = client.get(f"/api/v1/monthly/{month}").json()
    rows = doc["rows"]
    excellent = [r for r in rows if r["award"] == "excellent"]
    poor = [r for r in rows if r["award"] == "poor"]
    assert len(excellent) >= 3 and len(poor) >= 1
    assert all(r["ladder_step"] == 1 for r in poor)
    vetoed = [r for r in rows if r["vetoed"]]
    assert vetoed and vetoed[0]["award"] is None
    page = client.get(f"/monthly/{month}").text
    assert "优秀窗口单位" in page and "较差窗口单位" in page and "通报批评" in page and "压号不叫" in page
