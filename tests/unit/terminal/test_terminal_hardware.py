"""Hardware, clock, systemd notify and self-test (SPEC §4) on MockFactory pins; no sleeps, bounded waits only."""

from __future__ import annotations

import os
import queue
import socket

import pytest

from pingyi_terminal import sdnotify
from pingyi_terminal.clock import FakeClock, SystemClock, boot_id
from pingyi_terminal.hardware import Hardware, Input
from pingyi_terminal.selftest import run_selftest

from terminal_helpers import ARM, BUZZER, FIVE_PINS, LED, make_config


def test_callbacks_only_enqueue_stamped_inputs(factory, tmp_path):
    cfg = make_config(tmp_path, armed=True, buzzer=True)
    clock = FakeClock(wall_ms=42, mono_ms=7, synced=False)
    q: queue.Queue[Input] = queue.Queue()
    hw = Hardware(cfg.pins, q, clock, pin_factory=factory)
    try:
        factory.pin(FIVE_PINS[2]).drive_low()
        factory.pin(FIVE_PINS[2]).drive_high()
        factory.pin(ARM).drive_low()
        factory.pin(ARM).drive_high()
        a, b = q.get_nowait(), q.get_nowait()
        assert (a.kind, a.level, a.wall_ms, a.mono_ms, a.synced) == ("press", 2, 42, 7, False)
        assert (b.kind, b.level) == ("arm", None)
        assert q.empty()
        assert not factory.pin(LED).state  # no feedback from the callback itself
    finally:
        hw.close()


def test_feedback_blinks_and_beeps_then_turns_off(factory, tmp_path):
    cfg = make_config(tmp_path, buzzer=True)
    hw = Hardware(cfg.pins, queue.Queue(), FakeClock(), pin_factory=factory)
    try:
        hw.feedback()
        assert factory.pin(LED).state  # lit synchronously
        assert hw.wait_feedback_done()
        assert [s.state for s in factory.pin(LED).states] == [False, True, False, True, False]
        assert [s.state for s in factory.pin(BUZZER).states] == [False, True, False]
    finally:
        hw.close()


def test_close_releases_the_pins(factory, tmp_path):
    cfg = make_config(tmp_path)
    Hardware(cfg.pins, queue.Queue(), FakeClock(), pin_factory=factory).close()
    Hardware(cfg.pins, queue.Queue(), FakeClock(), pin_factory=factory).close()  # no "pin in use"


def test_fake_clock_and_boot_id(tmp_path):
    c = FakeClock(wall_ms=1000, mono_ms=5, synced=False)
    c.advance(250)
    assert (c.wall_ms(), c.mono_ms(), c.synced()) == (1250, 255, False)
    c.set_wall(9, synced=True)
    assert (c.wall_ms(), c.synced()) == (9, True)
    bid = tmp_path / "boot_id"
    bid.write_text("0b5c7f6e-1111-2222-3333-444455556666\n")
    assert boot_id(bid) == "0b5c7f6e-1111-2222-3333-444455556666"
    assert boot_id(tmp_path / "missing")  # a random id instead


def test_system_clock_sync_detection_is_cached(tmp_path):
    flag = tmp_path / "synchronized"
    c = SystemClock(flag=flag, recheck_s=3600, use_timedatectl=False)
    assert c.synced() is False
    flag.touch()
    assert c.synced() is False  # cached: no check on the press path
    assert c.refresh() is False  # rechecked only after recheck_s
    assert c.refresh(force=True) is True
    flag.unlink()
    assert c.refresh(force=True) is True  # once synchronised, it stays so for this boot
    assert abs(c.wall_ms() - SystemClock(flag=flag, use_timedatectl=False).wall_ms()) < 5_000
    assert c.mono_ms() > 0


def test_sd_notify_sends_datagrams(tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind(path)
        srv.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert sdnotify.notify("WATCHDOG=1")
        assert srv.recv(100) == b"WATCHDOG=1"
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert sdnotify.notify("READY=1") is False


def test_watchdog_interval(monkeypatch):
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert sdnotify.watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert sdnotify.watchdog_interval_s() is None


def test_agent_pings_the_watchdog(harness, tmp_path, monkeypatch):
    path = str(tmp_path / "wd.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind(path)
        srv.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        monkeypatch.setenv("WATCHDOG_USEC", "1000000")
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        harness().start()
        got = {srv.recv(100), srv.recv(100)}
        assert got == {b"READY=1", b"WATCHDOG=1"}


def test_selftest_passes_when_every_button_answers(factory, tmp_path):
    cfg = make_config(tmp_path, armed=True, buzzer=True)
    lines: list[str] = []

    def press(kind, level, pin):
        factory.pin(pin).drive_low()
        factory.pin(pin).drive_high()

    rc = run_selftest(cfg, pin_factory=factory, out=lines.append, timeout_s=5, led_s=0, prompt=press,
                      check_mqtt=False)
    assert rc == 0, lines
    assert sum(line.strip() == "ok" for line in lines) == 6
    assert any("非常满意" in line for line in lines) and lines[-1] == "self-test passed"


def test_selftest_reports_swapped_and_dead_buttons(factory, tmp_path):
    cfg = make_config(tmp_path)
    lines: list[str] = []

    def press(kind, level, pin):
        if level == 4:
            return  # dead button: nothing happens
        target = FIVE_PINS[1] if level == 2 else pin  # 2 and 1 swapped on the wiring
        factory.pin(target).drive_low()
        factory.pin(target).drive_high()

    rc = run_selftest(cfg, pin_factory=factory, out=lines.append, timeout_s=0.3, led_s=0, prompt=press,
                      check_mqtt=False)
    assert rc == 1
    assert "FAILED (2)" in lines[-1] and "level 4" in lines[-1] and "level 2: got level 1" in lines[-1]


@pytest.mark.parametrize("scale", ["five", "three"])
def test_selftest_walks_every_level_of_the_scale(factory, tmp_path, scale):
    cfg = make_config(tmp_path, scale=scale)
    asked = []

    def press(kind, level, pin):
        asked.append(level)
        factory.pin(pin).drive_low()
        factory.pin(pin).drive_high()

    assert run_selftest(cfg, pin_factory=factory, out=lambda s: None, timeout_s=5, led_s=0, prompt=press,
                        check_mqtt=False) == 0
    assert asked == ([5, 4, 3, 2, 1] if scale == "five" else [5, 3, 1])
