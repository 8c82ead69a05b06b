"""Terminal simulator (SPEC §4 demos and load tests): N real agents on gpiozero MockFactory pins, random presses.

Each simulated terminal is a full :class:`~.agent.Agent` (own MockFactory, own outbox file, own MQTT client):
only the buttons are fake. Presses are spread over the terminals at ``rate`` presses per second *in total*;
levels are mostly good, some bad (差评). Without a platform acking, rows stay in the outboxes — as designed.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from . import protocol
from .agent import Agent, make_mqtt_transport
from .clock import SystemClock, boot_id
from .config import Config, MqttConfig, PinsConfig, RulesConfig
from .publisher import Transport

FIVE_PINS = {5: 5, 4: 6, 3: 13, 2: 19, 1: 26}
THREE_PINS = {5: 5, 3: 13, 1: 26}
LED_PIN = 17
ARM_PIN = 27
# mostly good, some bad: 非常满意 60 %, 满意 22 %, 基本满意 10 %, 不满意 5 %, 非常不满意 3 %
FIVE_WEIGHTS = {5: 60, 4: 22, 3: 10, 2: 5, 1: 3}
THREE_WEIGHTS = {5: 80, 3: 14, 1: 6}


@dataclass
class SimTerminal:
    agent: Agent
    factory: MockFactory
    lock: threading.Lock

    def press(self, pin: int) -> None:
        with self.lock:
            p = self.factory.pin(pin)
            p.drive_low()
            p.drive_high()


def sim_config(tid: str, host: str, port: int, outbox: Path, *, scale: str = "five", armed: bool = False,
               repeat_interval_s: float = 3.0, heartbeat_s: float = 30.0) -> Config:
    return Config(
        terminal_id=tid,
        mqtt=MqttConfig(host=host, port=port, keepalive=30, reconnect_max_s=10),
        pins=PinsConfig(buttons=dict(FIVE_PINS if scale == "five" else THREE_PINS), led=LED_PIN,
                        arm=ARM_PIN if armed else None, bounce_s=0.0),
        scale=scale,
        rules=RulesConfig(armed_mode=armed, repeat_interval_s=repeat_interval_s),
        outbox=str(outbox),
        heartbeat_interval_s=heartbeat_s,
    )


def make_terminal(cfg: Config, transport: Transport | None = None) -> SimTerminal:
    factory = MockFactory()
    boot = boot_id()
    transport = transport or make_mqtt_transport(cfg, boot)
    agent = Agent(cfg, transport, clock=SystemClock(use_timedatectl=False), pin_factory=factory, boot=boot)
    return SimTerminal(agent, factory, threading.Lock())


def simulate(*, count: int, rate: float, duration: float, host: str, port: int, prefix: str = "sim",
             directory: str | None = None, scale: str = "five", armed: bool = False,
             repeat_interval_s: float = 3.0, drain_timeout: float = 30.0, seed: int | None = None,
             out: Callable[[str], None] = print) -> int:
    rng = random.Random(seed)
    tmp = None
    if directory is None:
        tmp = tempfile.TemporaryDirectory(prefix="pingyi-sim-")
        directory = tmp.name
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    weights = FIVE_WEIGHTS if scale == "five" else THREE_WEIGHTS
    pins = FIVE_PINS if scale == "five" else THREE_PINS
    levels, w = list(weights), list(weights.values())
    terminals: list[SimTerminal] = []
    try:
        for i in range(1, count + 1):
            tid = f"{prefix}-{i:04d}"
            cfg = sim_config(tid, host, port, base / f"{tid}.sqlite3", scale=scale, armed=armed,
                             repeat_interval_s=repeat_interval_s)
            term = make_terminal(cfg)
            term.agent.start()
            terminals.append(term)
        out(f"simulating {count} terminal(s) {prefix}-0001… at {rate:g} presses/s for {duration:g} s "
            f"→ {host}:{port} (outboxes in {base})")
        interval = 1.0 / rate if rate > 0 else duration
        start = time.monotonic()
        t_next = start
        presses = bad = 0
        while time.monotonic() - start < duration:
            delay = t_next - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t_next += interval
            term = rng.choice(terminals)
            if armed and rng.random() < 0.9:
                term.press(ARM_PIN)
            level = rng.choices(levels, weights=w)[0]
            term.press(pins[level])
            presses += 1
            bad += protocol.is_bad(level, "five")
        elapsed = time.monotonic() - start
        out(f"pressed {presses} times in {elapsed:.1f} s ({presses / max(elapsed, 1e-9):.1f}/s), {bad} 差评")
        deadline = time.monotonic() + drain_timeout
        for term in terminals:
            term.agent.wait_drained(max(0.0, deadline - time.monotonic()))
        depth = sum(t.agent.outbox.depth() for t in terminals)
        acked = sum(t.agent.stats.acked for t in terminals)
        fatal = [t.agent.fatal for t in terminals if t.agent.fatal]
        out(f"stored {sum(t.agent.stats.stored for t in terminals)}, published "
            f"{sum(t.agent.stats.published for t in terminals)}, acked {acked}, still queued {depth}"
            + ("" if depth == 0 else " (no platform acking? rows stay in the outboxes, by design)"))
        if fatal:
            out(f"fatal: {fatal[0]}")
            return 1
        return 0 if depth == 0 else 3
    finally:
        for term in terminals:
            term.agent.stop()
        if tmp is not None:
            tmp.cleanup()
