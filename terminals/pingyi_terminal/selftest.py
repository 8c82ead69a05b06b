"""Terminal self-test (SPEC §4 installation): walk the LED and buzzer, ask for every button in turn, try the broker.

Run on the Pi with the service stopped (the pins are in use otherwise): ``pingyi-terminal selftest --config F``
or ``firmware_scripts/selftest``. On mock pins a ``prompt`` hook presses the requested button.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from . import protocol
from .clock import SystemClock
from .config import Config
from .hardware import Hardware, Input

Prompt = Callable[[str, "int | None", int], None]  # (kind, level, gpio) -> None


def run_selftest(config: Config, *, pin_factory: Any | None = None, out: Callable[[str], None] = print,
                 timeout_s: float = 30.0, led_s: float = 1.0, prompt: Prompt | None = None,
                 check_mqtt: bool = True, mqtt_timeout_s: float = 10.0) -> int:
    """Returns 0 when every step passed, 1 otherwise."""
    inputs: queue.Queue[Input] = queue.Queue()
    failures: list[str] = []
    hw = Hardware(config.pins, inputs, SystemClock(use_timedatectl=False), pin_factory=pin_factory)
    try:
        out(f"pingyi terminal self-test: {config.terminal_id}, {config.scale} scale")
        out(f"LED (GPIO {config.pins.led}): on for {led_s:g} s, then the thank-you pattern — watch it")
        hw.led.on()
        time.sleep(led_s)
        hw.led.off()
        hw.feedback()
        hw.wait_feedback_done(timeout=5)
        if hw.buzzer is not None:
            out(f"buzzer (GPIO {config.pins.buzzer}): one beep")
            hw.buzzer.beep(on_time=0.2, off_time=0.1, n=1, background=False)
        steps: list[tuple[str, int | None, int]] = [("press", lv, pin) for lv, pin in config.pins.buttons.items()]
        if config.pins.arm is not None:
            steps.append(("arm", None, config.pins.arm))
        for kind, level, pin in steps:
            name = protocol.label(level, config.scale) if level is not None else "服务开始 (arm)"
            what = f"level {level}" if level is not None else "arm"
            out(f"press {name} ({what}, GPIO {pin}) within {timeout_s:g} s …")
            while not inputs.empty():
                inputs.get_nowait()
            if prompt is not None:
                threading.Thread(target=prompt, args=(kind, level, pin), daemon=True).start()
            try:
                got = inputs.get(timeout=timeout_s)
            except queue.Empty:
                failures.append(f"{what}: no press seen on GPIO {pin}")
                out(f"  FAIL: nothing on GPIO {pin}")
                continue
            if got.kind == kind and got.level == level:
                out("  ok")
                hw.feedback()
            else:
                seen = f"level {got.level}" if got.level is not None else "arm"
                failures.append(f"{what}: got {seen} instead (wiring swapped?)")
                out(f"  FAIL: got {seen} instead — check the wiring")
    finally:
        hw.wait_feedback_done(timeout=2)
        hw.close()
    if check_mqtt:
        ok, detail = _check_mqtt(config, mqtt_timeout_s)
        out(f"broker {config.mqtt.host}:{config.mqtt.port}: {'ok' if ok else 'FAIL: ' + detail}")
        if not ok:
            failures.append(f"broker: {detail}")
    out("self-test passed" if not failures else f"self-test FAILED ({len(failures)}): " + "; ".join(failures))
    return 0 if not failures else 1


def _check_mqtt(config: Config, timeout_s: float) -> tuple[bool, str]:
    from .publisher import MqttTransport

    done = threading.Event()
    result: dict[str, str] = {}

    class L:
        def on_connected(self) -> None:
            result["ok"] = "connected"
            done.set()

        def on_disconnected(self, reason: str) -> None:
            pass

        def on_message(self, topic: str, payload: bytes) -> None:
            pass

        def on_fatal(self, reason: str) -> None:
            result["fatal"] = reason
            done.set()

    # a distinct client id: the self-test must not take over the agent's persistent session; no will, no birth
    t = MqttTransport(config.mqtt, config.client_id + "-selftest", subscriptions=[], will=None, birth=None,
                      persistent=False)
    try:
        t.connect(L())
        done.wait(timeout_s)
    finally:
        t.close()
    if "ok" in result:
        return True, ""
    return False, result.get("fatal", f"no connection within {timeout_s:g} s")
