"""Agent behaviour (SPEC §4, ARCHITECTURE ex. 8–11) on MockFactory pins with a FakeTransport and a FakeClock."""

from __future__ import annotations

import threading

from pingyi_terminal import protocol
from pingyi_terminal.outbox import Outbox
from pingyi_terminal.publisher import FakeTransport

from terminal_helpers import LED, HookPin


def test_press_is_committed_before_the_led_lights(harness, tmp_path):
    """When the LED pin goes high, the row is already in the outbox file (checked on a second connection)."""
    h = harness(transport=FakeTransport(auto_connect=False))
    seen: list[int] = []
    path = h.config.outbox

    def on_led(state: bool) -> None:
        if state:
            with Outbox(path, h.config.terminal_id) as other:  # a separate connection: only committed rows
                seen.append(other.depth())

    h.start()
    h.led_pin.hook = on_led
    h.press(5)
    h.agent.hardware.wait_feedback_done()
    h.led_pin.hook = None
    assert seen and seen[0] == 1
    ev = h.agent.outbox.pending()[0].event
    assert (ev.kind, ev.level, ev.seq, ev.flags) == ("press", 5, 1, ())


def test_no_feedback_when_the_press_cannot_be_stored(harness):
    h = harness(transport=FakeTransport(auto_connect=False)).start()
    lit = threading.Event()
    h.led_pin.hook = lambda state: state and lit.set()
    h.agent.outbox.close()  # storage gone: append raises
    h.press(4)
    assert not lit.is_set()
    assert h.agent.stats.store_errors == 1


def _led_pattern(h, level: int) -> list[bool]:
    h.led_pin.clear_states()
    h.press(level)
    assert h.agent.hardware.wait_feedback_done()
    return [s.state for s in h.led_pin.states]


def test_feedback_is_neutral_for_every_level_and_flag(harness, clock):
    """Every button — and a flagged (repeat) press — gets the same LED pattern."""
    h = harness(transport=FakeTransport(auto_connect=False), repeat=3.0).start()
    patterns = []
    for level in (5, 4, 3, 2, 1):
        clock.advance(10_000)
        patterns.append(_led_pattern(h, level))
    patterns.append(_led_pattern(h, 1))  # within 3 s of the previous press: flagged "repeat"
    assert h.agent.outbox.pending()[-1].event.flags == ("repeat",)
    assert all(p == patterns[0] for p in patterns), patterns
    assert patterns[0][-1] is False and True in patterns[0]


def test_events_carry_clock_and_boot_fields(harness, clock):
    clock.set_wall(1_000, synced=False)
    h = harness().start()
    h.press(2)
    assert h.wait_published(1)
    ev = h.transport.events()[0]
    assert (ev.terminal, ev.boot, ev.wall_ms, ev.mono_ms, ev.synced, ev.scale) == (
        "win-01", "boot-test", 1_000, clock.mono_ms(), False, "five")
    assert ev.epoch == h.agent.outbox.epoch and ev.bad


def test_ack_deletes_only_the_acked_rows(harness):
    h = harness().start()
    for level in (5, 4, 3):
        h.press(level)
    assert h.wait_published(3)
    epoch = h.agent.outbox.epoch
    h.ack(epoch, 2)
    assert h.wait_depth(2)
    assert [r.seq for r in h.agent.outbox.pending()] == [1, 3]
    h.ack("someoneelse", 1, 3)  # another epoch: ignored
    h.ack(epoch, 2)  # duplicate ack: harmless
    h.ack(epoch, 1, 3)
    assert h.wait_depth(0)
    assert h.agent.stats.acked == 3


def test_malformed_or_foreign_acks_are_ignored(harness):
    h = harness().start()
    h.press(5)
    assert h.wait_published(1)
    h.transport.deliver(protocol.ack_topic("win-01"), b'{"v":1,"epoch":"x","seqs":"1"}')
    h.transport.deliver(protocol.ack_topic("win-02"), protocol.encode_ack(protocol.Ack(h.agent.outbox.epoch, (1,))))
    h.transport.deliver("elsewhere/topic", b"{}")
    h.ack(h.agent.outbox.epoch, 1)
    assert h.wait_depth(0)


def test_replay_in_order_after_reconnect(harness):
    """Rows stored while offline, and rows sent but unacked before a disconnect, go out again in seq order."""
    t = FakeTransport()
    h = harness(transport=t).start()
    h.press(5)
    h.press(4)
    assert h.wait_published(2)
    t.go_offline()
    for level in (3, 2, 1):
        h.press(level)
    assert h.agent.outbox.depth() == 5
    t.published.clear()
    t.go_online()
    assert h.wait_published(5)
    assert h.published_seqs() == [1, 2, 3, 4, 5]
    h.ack(h.agent.outbox.epoch, 1, 2, 3, 4, 5)
    assert h.wait_depth(0)


def test_refused_publish_keeps_the_row_and_retries(harness):
    t = FakeTransport(auto_connect=False)
    h = harness(transport=t).start()
    h.press(5)
    t.refuse(1)
    t.go_online()
    assert h.wait_published(1)  # retried after the refusal
    assert h.agent.stats.publish_refused >= 1
    assert h.agent.outbox.depth() == 1
    h.ack(h.agent.outbox.epoch, 1)
    assert h.wait_depth(0)


def test_unacked_rows_are_resent_after_the_ack_timeout(harness):
    h = harness(ack_timeout=0.2).start()
    h.press(3)
    assert h.wait_published(2, timeout=5)
    assert h.published_seqs()[:2] == [1, 1]
    assert h.agent.stats.resent >= 1
    h.ack(h.agent.outbox.epoch, 1)
    assert h.wait_depth(0)


def test_inflight_window_bounds_unacked_publishes(harness):
    h = harness(window=3, transport=FakeTransport(auto_connect=False)).start()
    for level in (5, 4, 3, 2, 1):
        h.press(level)
    h.transport.go_online()
    assert h.wait_published(3)
    assert h.published_seqs() == [1, 2, 3]
    h.ack(h.agent.outbox.epoch, 1, 2)
    assert h.wait_published(5)
    assert h.published_seqs() == [1, 2, 3, 4, 5]
    h.ack(h.agent.outbox.epoch, 3, 4, 5)
    assert h.wait_depth(0)


def test_auto_acking_platform_drains_the_outbox(harness):
    h = harness(transport=FakeTransport(auto_ack=True), repeat=0.0).start()
    for i in range(30):
        h.press((5, 4, 3, 2, 1)[i % 5])
    assert h.wait_depth(0)
    assert sorted(set(h.published_seqs())) == list(range(1, 31))


def test_armed_mode_events(harness, clock):
    """arm → counted press; second press unarmed; arms are sent as their own events without flags."""
    h = harness(armed=True, transport=FakeTransport(auto_ack=True)).start()
    h.arm()
    clock.advance(500)
    h.press(5)
    clock.advance(10_000)
    h.press(1)
    assert h.wait_depth(0)
    kinds = [(e.kind, e.level, e.flags) for e in h.transport.events()]
    assert kinds == [("arm", None, ()), ("press", 5, ()), ("press", 1, ("unarmed",))]


def test_heartbeat_reports_queue_clock_and_version(harness, clock):
    t = FakeTransport(auto_connect=False)
    h = harness(transport=t).start()
    h.press(5)
    t.go_online()  # a heartbeat goes out on every connect
    assert t.wait_for(lambda tr: tr.messages("heartbeat"))
    hb = protocol.decode_heartbeat(t.messages("heartbeat")[0].payload)
    assert (hb.terminal, hb.boot, hb.synced, hb.scale, hb.version) == ("win-01", "boot-test", True, "five", "0.1.0")
    assert hb.queue == 1 and hb.wall_ms == clock.wall_ms()
    assert t.messages("heartbeat")[0].qos == protocol.QOS_HEARTBEAT


def test_fatal_transport_error_stops_the_agent(harness):
    h = harness().start()
    h.transport.fail_fatally("broker refused the connection: Not authorized")
    assert h.agent.wait(5)
    assert "Not authorized" in h.agent.fatal


def test_remote_config_updates_rules(harness, clock):
    h = harness(transport=FakeTransport(auto_ack=True)).start()
    h.transport.deliver(protocol.config_topic("win-01"),
                        protocol.encode_config(protocol.TerminalConfig(repeat_interval_s=0)))
    h.press(5)
    clock.advance(100)
    h.press(5)
    assert h.wait_depth(0)
    assert [e.flags for e in h.transport.events()] == [(), ()]


def test_rows_survive_an_agent_restart(tmp_path, factory, clock):
    """Stop with rows unacked; a new agent on the same outbox keeps the epoch and sends them first."""
    from terminal_helpers import Harness, make_config

    cfg = make_config(tmp_path)
    h1 = Harness(cfg, factory, clock, FakeTransport(auto_connect=False)).start()
    h1.press(5)
    h1.press(1)
    epoch = h1.agent.outbox.epoch
    h1.agent.stop()
    t2 = FakeTransport()
    h2 = Harness(cfg, factory, clock, t2)
    try:
        h2.start()
        h2.press(3)
        assert h2.wait_published(3)
        evs = t2.events()
        assert [(e.epoch, e.seq, e.level) for e in evs] == [(epoch, 1, 5), (epoch, 2, 1), (epoch, 3, 3)]
    finally:
        h2.agent.stop()


def test_stop_publishes_nothing_after_close_and_is_idempotent(harness):
    h = harness().start()
    h.agent.stop()
    h.agent.stop()
    assert h.transport.closed


def test_hook_pin_is_the_led(harness):
    h = harness()
    assert isinstance(h.factory.pin(LED), HookPin)
