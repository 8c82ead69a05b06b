"""Integration tests: a terminal cannot date ratings outside the bounds (SPEC §4; issue 9, docs/mqtt-ingest.md).

Real Mosquitto (deploy/mosquitto/mosquitto.conf), real PostgreSQL, the ingest worker as its own process. The attacks:
events dated 2020 or a year ahead (were accepted and counted), and one forged clock sample that re-dated genuine
差评 to 2019-12-31. Now an event whose time is earlier than received − PINGYI_MAX_OFFLINE_DAYS or later than
received + PINGYI_CLOCK_SKEW_S is stored with the flag "clock" and not counted, at its receive time; a synchronised
clock sample outside the bounds is not believed, and re-timing never moves a stored rating out of the window.
"""

from __future__ import annotations

import importlib.util
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from pingyi.ratings import repository
from pingyi_terminal import protocol
from tests.support.broker import Mosquitto

_spec = importlib.util.spec_from_file_location("_ingest_harness", Path(__file__).with_name("test_ingest_faults.py"))
_harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_harness)
Worker, drop_database = _harness.Worker, _harness.drop_database
make_database, run = _harness.make_database, _harness.run

pytestmark = [pytest.mark.pg, pytest.mark.mqtt]
DAY = 86_400_000
TID = "t-clk"


def now_ms() -> int:
    return int(time.time() * 1000)


def press(seq: int, *, wall: int = 0, synced: bool = True, mono: int | None = None, level: int = 5,
          boot: str = "b1", kind: str = "press") -> bytes:
    return protocol.encode_event(protocol.Event(
        terminal=TID, epoch="e1", seq=seq, kind=kind, level=level if kind == "press" else None, scale="five",
        flags=(), boot=boot, mono_ms=mono if mono is not None else 1000 + seq, wall_ms=wall, synced=synced))


def heartbeat(*, mono: int, wall: int, synced: bool, boot: str = "b1") -> bytes:
    return protocol.encode_heartbeat(protocol.Heartbeat(terminal=TID, boot=boot, mono_ms=mono, wall_ms=wall,
                                                        synced=synced, queue=0, uptime_s=mono // 1000,
                                                        version="1.0", scale="five"))


def rows(url: str) -> dict[int, dict]:
    async def q():
        from pingyi.ratings.tables import Rating

        found = await Rating.raw("SELECT seq, kind, flags, counted, bad, occurred_at, received_at, time_source "
                                 "FROM rating ORDER BY seq")
        return {r["seq"]: r for r in found}

    return run(url, q)


class Setup:
    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.url = make_database([TID])
        self.broker = Mosquitto(tmp_path / "broker").start()
        self.worker = Worker(self.url, self.broker.port, tmp_path, env=env).start()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="forger", protocol=mqtt.MQTTv5)
        self.c.connect("127.0.0.1", self.broker.port)
        self.c.loop_start()

    def send(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(5)

    def wait_rows(self, n: int, timeout: float = 10.0) -> dict[int, dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = rows(self.url)
            if len(got) >= n:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{len(rows(self.url))} of {n} rows stored: {self.worker.log.read_text()[-2000:]}")

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()
        self.worker.stop()
        self.broker.stop()
        drop_database(self.url)


@pytest.fixture
def setup(tmp_path):
    s = Setup(tmp_path)
    yield s
    s.close()


def _ts(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def test_events_dated_outside_the_bounds_are_flagged_not_counted(setup):
    t = now_ms()
    cases = {  # seq → (wall time the terminal claims, counted?)
        1: (_ts(datetime(2020, 1, 1, 9, tzinfo=UTC)), False),  # 2020
        2: (t + 365 * DAY, False),  # a year ahead
        3: (t - 60_000, True),  # a minute ago
        4: (t - 44 * DAY, True),  # a replay after a 44-day outage: inside the 45 days
        5: (t - 46 * DAY, False),  # 46 days: outside
        6: (t + 200_000, True),  # a clock 200 s fast: inside the 300 s skew
        7: (t + 400_000, False),  # 400 s fast: outside
    }
    for seq, (wall, _) in cases.items():
        setup.send(protocol.event_topic(TID), press(seq, wall=wall, level=1))
    setup.send(protocol.event_topic(TID), press(8, wall=_ts(datetime(2020, 1, 1, tzinfo=UTC)), kind="arm"))
    got = setup.wait_rows(8)
    for seq, (_wall, counted) in cases.items():
        r = got[seq]
        assert r["counted"] is counted, (seq, r)
        assert ("clock" in r["flags"].split(",")) is (not counted), (seq, r)
        assert r["bad"] is True  # still a 差评 as pressed; just not counted
        if not counted:  # stored at the platform's receive time, not at the claimed one
            assert r["occurred_at"] == r["received_at"] and r["time_source"] == "received"
    assert got[8]["flags"] == "clock"  # an arm dated 2020: no served transaction

    async def month():
        now = datetime.now(UTC)
        facts = await repository.month_rating_facts(now - timedelta(days=50), now + timedelta(days=400), "2099-01")
        return facts

    facts = run(setup.url, month)
    assert sum(f.arm_events for f in facts) == 0
    assert sum(c.bad for f in facts for c in f.by_channel) == 3  # seqs 3, 4, 6 only


def test_forged_synchronised_sample_does_not_redate_genuine_bad_ratings(setup):
    """Five genuine unsynchronised 差评 (Pi without RTC, boot b1), then a heartbeat of the same boot claiming a
    synchronised clock at 2019-12-31: before, the exact offset re-dated all five to 2019-12-31."""
    for seq in range(1, 6):
        setup.send(protocol.event_topic(TID), press(seq, synced=False, wall=0, mono=10_000 + seq, level=1))
    before = setup.wait_rows(5)
    setup.send(protocol.heartbeat_topic(TID), heartbeat(mono=20_000, wall=_ts(datetime(2019, 12, 31, tzinfo=UTC)),
                                                        synced=True))
    setup.send(protocol.event_topic(TID), press(6, synced=False, wall=0, mono=20_001, level=1))
    after = setup.wait_rows(6)
    time.sleep(0.3)
    after = rows(setup.url)
    recent = datetime.now(UTC) - timedelta(hours=1)
    for seq in range(1, 7):
        assert after[seq]["occurred_at"] > recent, after[seq]
        assert after[seq]["counted"] is True and after[seq]["flags"] == ""
        assert after[seq]["time_source"] == "received"  # the forged sample was not taken as exact
    assert [after[s]["occurred_at"] for s in range(1, 6)] <= [before[s]["occurred_at"] for s in range(1, 6)]


def test_forged_monotonic_time_cannot_push_stored_ratings_out_of_the_window(setup):
    """A heartbeat whose monotonic time claims ten years of uptime (received − mono = 2016): the offset it gives is
    a valid upper bound only if true. Stored ratings keep their time (re-timing stays within the bounds); the
    boot's later unsynchronised presses, dated by that offset, are out of bounds: flagged, not counted."""
    for seq in range(1, 6):
        setup.send(protocol.event_topic(TID), press(seq, synced=False, wall=0, mono=10_000 + seq, level=1))
    before = setup.wait_rows(5)
    setup.send(protocol.heartbeat_topic(TID), heartbeat(mono=3650 * DAY, wall=0, synced=False))
    setup.send(protocol.event_topic(TID), press(6, synced=False, wall=0, mono=20_000, level=1))
    after = setup.wait_rows(6)
    time.sleep(0.3)
    after = rows(setup.url)
    for seq in range(1, 6):
        assert after[seq]["occurred_at"] == before[seq]["occurred_at"]
        assert after[seq]["counted"] is True
    assert after[6]["flags"] == "clock" and after[6]["counted"] is False


def test_bounds_are_settings(tmp_path):
    """PINGYI_MAX_OFFLINE_DAYS (the demo uses 70) and PINGYI_CLOCK_SKEW_S reach the worker."""
    s = Setup(tmp_path, env={"PINGYI_MAX_OFFLINE_DAYS": "70", "PINGYI_CLOCK_SKEW_S": "10"})
    try:
        t = now_ms()
        s.send(protocol.event_topic(TID), press(1, wall=t - 62 * DAY))
        s.send(protocol.event_topic(TID), press(2, wall=t + 60_000))
        got = s.wait_rows(2)
        assert got[1]["counted"] is True
        assert got[2]["flags"] == "clock"
    finally:
        s.close()
