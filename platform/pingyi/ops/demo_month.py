"""Operations: the demo's last month — window terminals replay a month of presses through MQTT (SPEC §4).

The demo county needs a closed and published monthly assessment with a top 3, a last place and a ladder step. Its
ratings take the real path: one terminal per department publishes last month's arm and press events on its event
topic at QoS 1, the running ingest worker validates, stores and deduplicates them and sends the application ack;
the month is closed only after every event was acknowledged (= committed). This is what a terminal does when it
comes back after a long outage and replays its outbox, with synchronised wall times of last month.

Decision: the ingest bounds an event's age (PINGYI_MAX_OFFLINE_DAYS, default 45 days); last month's first day can
be up to 62 days before today, so the demo's ingest worker runs with a bound of 70 days (ops/demo_terminals.py).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pingyi_terminal import protocol

EPOCH_PREFIX = "demo-month"
BOOT = "demo-month-boot"
ACK_TIMEOUT_S = 90.0
RESEND_AFTER_S = 5.0


@dataclass(frozen=True)
class Plan:
    """Per department: how many served, what share rate, how often 差评 (deterministic from the seed)."""

    terminal: str
    served: int
    participation: float
    bad_share: float


def month_days(first: date, nxt: date, holidays: frozenset[date], workdays: frozenset[date]) -> list[date]:
    days = []
    d = first
    while d < nxt:
        if d in workdays or (d.weekday() < 5 and d not in holidays):
            days.append(d)
        d += timedelta(days=1)
    return days


def month_events(plans: list[Plan], month: str, days: list[date], timezone: str,
                 seed: int) -> list[protocol.Event]:
    """The month's arm and press events of every terminal, at 09:00–17:00 local time on working days."""
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    epoch = f"{EPOCH_PREFIX}-{month}"
    events: list[protocol.Event] = []
    for plan in plans:
        seq = 0
        stamps = sorted(datetime.combine(rng.choice(days), datetime.min.time(), zone)
                        + timedelta(hours=9, seconds=rng.randrange(8 * 3600)) for _ in range(plan.served))
        for at in stamps:
            wall = int(at.timestamp() * 1000)
            seq += 1
            events.append(protocol.Event(terminal=plan.terminal, epoch=epoch, seq=seq, kind="arm", level=None,
                                         scale="five", flags=(), boot=BOOT, mono_ms=seq * 1000, wall_ms=wall,
                                         synced=True))
            if rng.random() >= plan.participation:
                continue
            bad = rng.random() < plan.bad_share
            level = rng.choice((1, 2)) if bad else rng.choice((3, 4, 5, 5, 5))
            seq += 1
            events.append(protocol.Event(terminal=plan.terminal, epoch=epoch, seq=seq, kind="press", level=level,
                                         scale="five", flags=(), boot=BOOT, mono_ms=seq * 1000,
                                         wall_ms=wall + 40_000, synced=True))
    return events


def replay(events: list[protocol.Event], host: str, port: int, *, timeout_s: float = ACK_TIMEOUT_S) -> int:
    """Publish every event (QoS 1) and wait for the platform's application ack of each; return how many acked.

    Unacknowledged events are re-sent every few seconds, as the terminal agent does; duplicates are harmless.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    pending = {(e.terminal, e.epoch, e.seq): e for e in events}
    lock = threading.Lock()
    connected = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="pingyi-demo-month", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)

    def on_connect(c, _userdata, _flags, reason, _props):  # type: ignore[no-untyped-def]
        if not reason.is_failure:
            c.subscribe(protocol.topic_filter("ack"), qos=protocol.QOS_ACK)
            connected.set()

    def on_message(_c, _userdata, msg):  # type: ignore[no-untyped-def]
        try:
            tid, _kind = protocol.parse_topic(msg.topic)
            ack = protocol.decode_ack(msg.payload)
        except protocol.ProtocolError:
            return
        with lock:
            for s in ack.seqs:
                pending.pop((tid, ack.epoch, s), None)

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(host, port)
    client.loop_start()
    try:
        if not connected.wait(10):
            return 0
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with lock:
                todo = list(pending.values())
            if not todo:
                break
            for ev in todo:
                client.publish(protocol.event_topic(ev.terminal), protocol.encode_event(ev), qos=protocol.QOS_EVENT)
            waited = 0.0
            while waited < RESEND_AFTER_S:
                time.sleep(0.2)
                waited += 0.2
                with lock:
                    if not pending:
                        break
    finally:
        client.loop_stop()
        client.disconnect()
    with lock:
        return len(events) - len(pending)


# ---------------------------------------------------------------------------------------------- the demo's month


def plans_for(departments: list, terminals: dict[str, str], bias: dict[str, float]) -> list[Plan]:
    """Participation and 差评 follow the demo's bias of each department (ops/demo.py)."""
    plans = []
    for d in departments:
        b = bias[d.code]
        if d.code in terminals:
            plans.append(Plan(terminals[d.code], served=30, participation=0.3 + 0.65 * b, bad_share=(1 - b) * 0.25))
    return plans


DEMO_HALL = ("H01", "县政务服务中心")


async def _demo_hall(window_codes: list[str]) -> None:
    """The demo county's one hall, holding every demo window (the live dashboard groups by hall)."""
    from pingyi.hall import repository as hall_repository
    from pingyi.hall import service as hall_service

    code, name = DEMO_HALL
    if await hall_repository.hall_by_code(code) is None:
        await hall_service.add_hall(code, name, "demo")
    for window_code in window_codes:
        window = await hall_repository.window_by_code(window_code)
        if window is not None and window.hall_id is None:
            await hall_service.assign_window(window_code, code, "demo")


async def prepare(settings, month: str) -> tuple[list[Plan], list[date]] | None:  # type: ignore[no-untyped-def]
    """Windows and terminals for every department; None when the month is already closed (nothing to do)."""
    from pingyi.assessment import service as assessment
    from pingyi.catalog import load_catalog
    from pingyi.core.assessment import month_first_days
    from pingyi.ratings.service import seed_demo_windows
    from pingyi.workcalendar import for_surveys

    from .demo import _biases

    if await assessment.state_name(month) != assessment.OPEN:
        return None
    departments = list(load_catalog(settings.surveys_dir).departments)
    pairs = await seed_demo_windows([d.code for d in departments], count=len(departments), prefix="demo")
    await _demo_hall([w for _, w in pairs])
    by_window = {w: t for t, w in pairs}
    terminals = {d.code: by_window[f"W-{d.code}"[:16]] for d in departments if f"W-{d.code}"[:16] in by_window}
    first, nxt = month_first_days(month)
    cal = for_surveys(settings.surveys_dir)
    return plans_for(departments, terminals, _biases(departments)), month_days(first, nxt, cal.holidays,
                                                                               cal.workdays)


async def finish(settings, month: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The inspectors' month (deductions, bonus, a veto, the online-processing import), then close and publish."""
    from pingyi.assessment import service as assessment
    from pingyi.catalog import load_catalog

    from .demo import _biases, weakest

    departments = list(load_catalog(settings.surveys_dir).departments)
    bias = _biases(departments)
    rubric = assessment.rubric_from(settings.surveys_dir)
    weak = weakest(departments, 2)
    strong = sorted(departments, key=lambda d: (-bias[d.code], d.code))
    for dept in weak:
        await assessment.add_entry(month, dept.code, "1.1", "5", "督查时发现窗口空岗 1 次。", actor="inspector",
                                   rubric=rubric)
        await assessment.add_entry(month, dept.code, "2.1", "3", "1 件业务超承诺时限办结。", actor="inspector",
                                   rubric=rubric)
    rng = random.Random(int(month.replace("-", "")))
    findings = (("1.2", "上班时间准备工作未完毕 1 人次。"), ("1.3", "台面不整洁。"), ("1.5", "未按时报送材料 1 次。"),
                ("2.2", "一件材料退回补正。"), ("2.6", "一次回复不及时。"))
    for dept in departments:  # ordinary inspection findings: small, varied deductions
        for item_id, reason in rng.sample(findings, rng.randint(0, 2)):
            points = rng.choice(("0.5", "1", "1.5", "2"))
            await assessment.add_entry(month, dept.code, item_id, points, reason, actor="inspector", rubric=rubric)
    for n, dept in enumerate(strong[:5]):
        await assessment.add_entry(month, dept.code, "3.1", str(8 - n), "收到群众锦旗、表扬信。", actor="inspector",
                                   rubric=rubric)
    if len(strong) > 3:
        await assessment.set_veto(month, strong[0].code, "call_skipping", "督查发现窗口压号不叫 1 次（录像核实）。",
                                  actor="inspector")
    rows = ["单位编码,月份,网上办件数,办件总数,超时红牌数"]
    for d in departments:
        processed = 200
        online = int(processed * bias[d.code] * 0.9)
        red = 1 if d.code == weak[0].code else 0
        rows.append(f"{d.code},{month},{online},{processed},{red}")
    await assessment.import_online(("\n".join(rows) + "\n").encode("utf-8"), "demo-online.csv", month,
                                   actor="inspector")
    payload = await assessment.close_month(month, "admin")
    await assessment.publish_month(month, "admin")
    result = payload["result"]
    top = [r["name"] for r in result["rows"] if r["award"] == "excellent"]
    poor = [r["name"] for r in result["rows"] if r["award"] == "poor"]
    return [f"{month} 月度窗口考核：已结账并公布（优秀窗口单位 {'、'.join(top)}；"
            f"较差窗口单位 {'、'.join(poor) or '无'}）",
            f"  月度排名：{settings.http.public_base_url}/monthly/{month}"]


def run_demo_month(settings, clock=None) -> list[str]:  # type: ignore[no-untyped-def]
    """Last month for the demo: replay its presses through MQTT (the ingest must be running), close, publish."""
    from pingyi.cli import run_db
    from pingyi.clock import SystemClock, today_in
    from pingyi.core.assessment import month_of, previous_month

    clock = clock or SystemClock(settings.timezone)
    month = previous_month(month_of(today_in(clock, settings.timezone)))
    prep = run_db(settings, lambda: prepare(settings, month), clock=clock)
    if prep is None:
        return [f"{month} 月度窗口考核：已结账"]
    plans, days = prep
    events = month_events(plans, month, days, settings.timezone, seed=int(month.replace("-", "")))
    acked = replay(events, settings.mqtt.host, settings.mqtt.port)
    if acked < len(events):
        return [f"{month} 月度窗口考核：{len(events) - acked} 条评价器数据未获确认，本次未结账（下次启动时续传）"]
    lines = [f"{month} 评价器数据：{len(plans)} 台评价器经 MQTT 补传 {len(events)} 条（全部确认入库）"]
    return lines + run_db(settings, lambda: finish(settings, month), clock=clock)
