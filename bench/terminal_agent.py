"""Terminal agent bench (SPEC §4): press→feedback latency with the durable outbox, and the agent's resident memory.

    .venv/bin/python bench/terminal_agent.py [--presses 2000] [--broker 127.0.0.1:1883] [--transport mqtt|fake]

1. Latency: one agent on gpiozero MockFactory pins, SQLite outbox (WAL, synchronous=FULL) in a temp dir; each
   press is made on the mock pin and timed from the button callback to the moment the LED has been switched on
   (after the commit). Presses are made one after another (each waits for its feedback), while the sender
   publishes and a fake platform acks in the background — so commits, deletes and publishes all compete.
2. Memory: the same agent in a subprocess (GPIOZERO_PIN_FACTORY=mock, real MQTT), after 500 presses acked;
   VmRSS and VmHWM are read from /proc/<pid>/status.

Targets: p99 < 30 ms, RSS < 40 MB. Figures drift with machine load: compare within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from pingyi_terminal import protocol
from pingyi_terminal.agent import Agent, make_mqtt_transport
from pingyi_terminal.clock import SystemClock
from pingyi_terminal.config import Config, MqttConfig, PinsConfig, RulesConfig
from pingyi_terminal.publisher import FakeTransport

PINS = {5: 5, 4: 6, 3: 13, 2: 19, 1: 26}


def make_config(tid: str, outbox: Path, host: str, port: int) -> Config:
    return Config(terminal_id=tid, mqtt=MqttConfig(host=host, port=port),
                  pins=PinsConfig(buttons=dict(PINS), led=17, bounce_s=0.0),
                  rules=RulesConfig(repeat_interval_s=0), outbox=str(outbox))


class AckingPlatform:
    """A paho subscriber that acks every event of one terminal (stands in for the platform's ingest)."""

    def __init__(self, tid: str, host: str, port: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-platform-{tid}")
        self.tid = tid

        def on_connect(c, u, f, rc, p):
            c.subscribe(protocol.event_topic(tid), qos=1)

        def on_subscribe(c, u, mid, rcs, p):
            self.ready.set()

        def on_message(c, u, msg):
            ev = protocol.decode_event(msg.payload)
            c.publish(protocol.ack_topic(tid), protocol.encode_ack(protocol.Ack(ev.epoch, (ev.seq,))), qos=1)

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.connect(host, port)
        self.client.loop_start()
        if not self.ready.wait(10):
            raise SystemExit("bench: the acking subscriber could not subscribe")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run_presses(agent: Agent, factory: MockFactory, n: int, rate: float | None = None) -> list[float]:
    """Press n times, one after another; return press→feedback latencies in ms."""
    done = threading.Semaphore(0)
    lat: list[float] = []

    def on_feedback(inp) -> None:
        lat.append((time.perf_counter_ns() - inp.t_ns) / 1e6)
        done.release()

    agent.on_feedback = on_feedback
    levels = (5, 5, 4, 5, 3, 4, 5, 2, 5, 1)
    for i in range(n):
        pin = factory.pin(PINS[levels[i % len(levels)]])
        pin.drive_low()
        pin.drive_high()
        if not done.acquire(timeout=10):
            raise SystemExit(f"bench: press {i} got no feedback within 10 s")
        if rate:
            time.sleep(1 / rate)
    return lat


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def bench_latency(n: int, host: str, port: int, transport: str) -> None:
    with tempfile.TemporaryDirectory(prefix="pingyi-bench-") as d:
        tid = f"bench-{uuid.uuid4().hex[:8]}"
        cfg = make_config(tid, Path(d) / "outbox.sqlite3", host, port)
        platform = None
        if transport == "mqtt":
            platform = AckingPlatform(tid, host, port)
            t = make_mqtt_transport(cfg, "bench-boot")
        else:
            t = FakeTransport(auto_ack=True)
        factory = MockFactory()
        agent = Agent(cfg, t, clock=SystemClock(use_timedatectl=False), pin_factory=factory, boot="bench-boot")
        agent.start()
        try:
            t0 = time.perf_counter()
            lat = run_presses(agent, factory, n)
            elapsed = time.perf_counter() - t0
            drained = agent.wait_drained(60)
            print(f"press→feedback latency, {n} presses, durable outbox (WAL, synchronous=FULL), "
                  f"transport={transport}:")
            print(f"  p50 {statistics.median(lat):.2f} ms   p90 {pct(lat, 90):.2f} ms   p99 {pct(lat, 99):.2f} ms"
                  f"   max {max(lat):.2f} ms   ({n / elapsed:.0f} presses/s back to back)")
            print(f"  outbox drained: {drained}; published {agent.stats.published}, acked {agent.stats.acked}, "
                  f"resent {agent.stats.resent}")
            print(f"  target p99 < 30 ms: {'PASS' if pct(lat, 99) < 30 else 'FAIL'}")
        finally:
            agent.stop()
            if platform:
                platform.close()


def child(config_path: str, n: int) -> None:
    """Subprocess mode: an agent on mock pins (GPIOZERO_PIN_FACTORY=mock) with real MQTT."""
    from gpiozero import Device

    from pingyi_terminal.clock import boot_id
    from pingyi_terminal.config import load_config

    cfg = load_config(config_path)
    boot = boot_id()
    agent = Agent(cfg, make_mqtt_transport(cfg, boot), boot=boot)
    agent.start()
    factory = Device.pin_factory
    run_presses(agent, factory, n, rate=200)
    ok = agent.wait_drained(60)
    print(f"done drained={ok} acked={agent.stats.acked}", flush=True)
    sys.stdin.readline()  # the parent reads /proc, then closes our stdin
    agent.stop()


def bench_memory(host: str, port: int, n: int = 500) -> None:
    with tempfile.TemporaryDirectory(prefix="pingyi-bench-") as d:
        tid = f"bench-{uuid.uuid4().hex[:8]}"
        conf = Path(d) / "config.toml"
        conf.write_text(f'terminal_id = "{tid}"\noutbox = "{d}/outbox.sqlite3"\n[mqtt]\nhost = "{host}"\n'
                        f'port = {port}\n[pins]\nled = 17\n[pins.buttons]\n5 = 5\n4 = 6\n3 = 13\n2 = 19\n1 = 26\n'
                        f'[rules]\nrepeat_interval_s = 0\n')
        platform = AckingPlatform(tid, host, port)
        env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock")
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(conf), str(n)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=env, text=True)
        try:
            line = proc.stdout.readline().strip()
            status = Path(f"/proc/{proc.pid}/status").read_text()
            fields = {k: v.strip() for k, v in (ln.split(":", 1) for ln in status.splitlines() if ":" in ln)}
            rss_kb = int(fields["VmRSS"].split()[0])
            hwm_kb = int(fields["VmHWM"].split()[0])
            print(f"agent process (subprocess, mock pins, real MQTT, after {n} presses: {line}):")
            print(f"  VmRSS {rss_kb / 1024:.1f} MB   VmHWM (peak) {hwm_kb / 1024:.1f} MB   threads {fields['Threads']}")
            print(f"  target RSS < 40 MB: {'PASS' if rss_kb < 40 * 1024 else 'FAIL'}")
        finally:
            proc.stdin.close()
            proc.wait(30)
            platform.close()


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=2000)
    ap.add_argument("--broker", default="127.0.0.1:1883")
    ap.add_argument("--transport", choices=["mqtt", "fake"], default="mqtt")
    args = ap.parse_args()
    host, _, port = args.broker.rpartition(":")
    bench_latency(args.presses, host, int(port), args.transport)
    bench_memory(host, int(port))


if __name__ == "__main__":
    main()
