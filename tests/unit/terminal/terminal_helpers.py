"""Helpers and fixtures for the terminal agent tests (SPEC §4): MockFactory pins, fake clock, fake transport."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from pingyi_terminal.agent import Agent
from pingyi_terminal.clock import FakeClock
from pingyi_terminal.config import Config, MqttConfig, PinsConfig, RulesConfig
from pingyi_terminal.publisher import FakeTransport

FIVE_PINS = {5: 5, 4: 6, 3: 13, 2: 19, 1: 26}
THREE_PINS = {5: 5, 3: 13, 1: 26}
LED = 17
ARM = 22
BUZZER = 27


class HookPin(MockPin):
    """A MockPin that calls ``hook(state)`` on every change — lets a test look at the world when the LED lights."""

    hook = None

    def _change_state(self, value):
        changed = super()._change_state(value)
        if changed and self.hook is not None:
            self.hook(value)
        return changed


@pytest.fixture
def factory():
    f = MockFactory()
    old = Device.pin_factory
    Device.pin_factory = f
    yield f
    f.reset()
    Device.pin_factory = old


@pytest.fixture
def clock():
    return FakeClock()


def make_config(tmp_path: Path, *, scale: str = "five", armed: bool = False, repeat: float = 3.0,
                ack_timeout: float = 15.0, window: int = 50, heartbeat: float = 3600.0,
                buzzer: bool = False, name: str = "win-01") -> Config:
    return Config(
        terminal_id=name,
        mqtt=MqttConfig(host="127.0.0.1"),
        pins=PinsConfig(buttons=dict(FIVE_PINS if scale == "five" else THREE_PINS), led=LED,
                        arm=ARM if armed else None, buzzer=BUZZER if buzzer else None, bounce_s=0.0),
        scale=scale,
        rules=RulesConfig(armed_mode=armed, repeat_interval_s=repeat),
        outbox=str(tmp_path / f"{name}.sqlite3"),
        heartbeat_interval_s=heartbeat,
        ack_timeout_s=ack_timeout,
        inflight_window=window,
    )


class Harness:
    """An agent on mock pins with a fake transport; ``press(level)`` waits until the press was handled."""

    def __init__(self, config: Config, factory: MockFactory, clock: FakeClock, transport: FakeTransport) -> None:
        self.config = config
        self.factory = factory
        self.clock = clock
        self.transport = transport
        self.led_pin = factory.pin(LED, pin_class=HookPin)
        self._handled = threading.Semaphore(0)
        self.agent = Agent(config, transport, clock=clock, pin_factory=factory, boot="boot-test",
                           on_feedback=lambda inp: None)
        original = self.agent.handle_input

        def handle(inp):
            try:
                return original(inp)
            finally:
                self._handled.release()

        self.agent.handle_input = handle  # instance attribute: the input loop calls this one

    def start(self) -> Harness:
        self.agent.start()
        return self

    def _push(self, pin: int) -> None:
        p = self.factory.pin(pin)
        p.drive_low()
        p.drive_high()
        assert self._handled.acquire(timeout=5), "input not handled within 5 s"

    def press(self, level: int) -> None:
        pins = FIVE_PINS if self.config.scale == "five" else THREE_PINS
        self._push(pins[level])

    def arm(self) -> None:
        self._push(ARM)

    def ack(self, epoch: str, *seqs: int) -> None:
        from pingyi_terminal import protocol

        self.transport.deliver(protocol.ack_topic(self.config.terminal_id),
                               protocol.encode_ack(protocol.Ack(epoch, seqs)))

    def published_seqs(self) -> list[int]:
        return [e.seq for e in self.transport.events()]

    def wait_published(self, n: int, timeout: float = 5.0) -> bool:
        return self.transport.wait_for(lambda t: len(t.messages("event")) >= n, timeout)

    def wait_depth(self, depth: int, timeout: float = 5.0) -> bool:
        with self.agent.idle:
            return self.agent.idle.wait_for(lambda: self.agent.outbox.depth() == depth, timeout)


@pytest.fixture
def harness(tmp_path, factory, clock):
    made: list[Harness] = []

    def make(transport: FakeTransport | None = None, **kw) -> Harness:
        h = Harness(make_config(tmp_path, **kw), factory, clock, transport or FakeTransport())
        made.append(h)
        return h

    yield make
    for h in made:
        h.agent.stop()
