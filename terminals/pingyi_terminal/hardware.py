"""Terminal hardware (SPEC §4, ARCHITECTURE ex. 8): gpiozero buttons, LED and buzzer behind an injected pin factory.

Button callbacks run on gpiozero's threads (synchronously in MockFactory): they stamp the time, put an
:class:`Input` on a queue and return. Feedback is neutral: the same "thank you" pattern for every button, so
neither the citizen nor anyone watching learns how a press was rated or whether it was flagged.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from gpiozero import LED, Button, Buzzer

from .clock import Clock
from .config import PinsConfig

# "thank you": two short blinks (and one short beep when a buzzer is fitted), identical for every button.
BLINK_ON_S = 0.12
BLINK_OFF_S = 0.08
BLINK_N = 2
BEEP_S = 0.06


@dataclass(frozen=True)
class Input:
    kind: str  # "press" | "arm"
    level: int | None
    mono_ms: int
    wall_ms: int
    synced: bool
    t_ns: int  # time.perf_counter_ns() at the callback, for latency measurement only


class Hardware:
    """Owns the gpiozero devices. ``close()`` releases the pins."""

    def __init__(self, pins: PinsConfig, inputs: queue.Queue[Input], clock: Clock,
                 pin_factory: Any | None = None) -> None:
        self._inputs = inputs
        self._clock = clock
        self._devices: list[Any] = []
        self._feedback_lock = threading.Lock()
        try:
            self.buttons: dict[int, Button] = {}
            for level, pin in pins.buttons.items():
                b = Button(pin, pull_up=pins.pull_up, bounce_time=pins.bounce_s or None, pin_factory=pin_factory)
                b.when_pressed = self._make_callback("press", level)
                self._devices.append(b)
                self.buttons[level] = b
            self.arm: Button | None = None
            if pins.arm is not None:
                self.arm = Button(pins.arm, pull_up=pins.pull_up, bounce_time=pins.bounce_s or None,
                                  pin_factory=pin_factory)
                self.arm.when_pressed = self._make_callback("arm", None)
                self._devices.append(self.arm)
            self.led = LED(pins.led, pin_factory=pin_factory)
            self._devices.append(self.led)
            self.buzzer: Buzzer | None = None
            if pins.buzzer is not None:
                self.buzzer = Buzzer(pins.buzzer, pin_factory=pin_factory)
                self._devices.append(self.buzzer)
        except Exception:
            self.close()
            raise

    def _make_callback(self, kind: str, level: int | None):
        inputs, clock = self._inputs, self._clock

        def callback(*_: object) -> None:
            t_ns = time.perf_counter_ns()
            inputs.put(Input(kind, level, clock.mono_ms(), clock.wall_ms(), clock.synced(), t_ns))

        return callback

    def feedback(self) -> None:
        """The neutral "thank you": the LED lights now (on the caller's thread), then blinks in the background."""
        with self._feedback_lock:
            self.led.on()
            self.led.blink(on_time=BLINK_ON_S, off_time=BLINK_OFF_S, n=BLINK_N, background=True)
            if self.buzzer is not None:
                self.buzzer.beep(on_time=BEEP_S, off_time=BEEP_S, n=1, background=True)

    def wait_feedback_done(self, timeout: float = 2.0) -> bool:
        """Wait until the blink pattern finished (tests, selftest)."""
        deadline = time.monotonic() + timeout
        for dev in (self.led, self.buzzer):
            if dev is None:
                continue
            thread = getattr(dev, "_blink_thread", None)
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    return False
        return True

    def close(self) -> None:
        for dev in reversed(self._devices):
            with contextlib.suppress(Exception):  # closing is best effort
                dev.close()
        self._devices.clear()
