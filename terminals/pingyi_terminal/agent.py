"""Terminal agent (SPEC §4, ARCHITECTURE ex. 8–11): input loop, durable outbox, sender loop, heartbeats.

Input loop (one thread): take an :class:`~.hardware.Input` from the queue → rules → ``outbox.append`` (committed,
fsync'd) → THEN the neutral LED feedback → wake the sender. A press that cannot be stored gets no feedback.

Sender loop (one thread): publishes pending outbox rows in seq order, at most ``inflight_window`` unacknowledged
at a time; a row is re-sent when no ack came within ``ack_timeout_s`` and after every reconnect; a row is deleted
only when the platform's application ack names it. A refused publish keeps the row and is retried. Heartbeats go
out every ``heartbeat_interval_s`` while connected. The sender also pings the systemd watchdog while both loops
are alive.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import protocol, rules, sdnotify
from ._version import __version__
from .clock import Clock, SystemClock, boot_id
from .config import Config
from .hardware import Hardware, Input
from .outbox import Outbox
from .publisher import Message, MqttTransport, Transport

log = logging.getLogger("pingyi_terminal.agent")

_STOP = object()
PUBLISH_RETRY_S = 1.0
LOOP_TICK_S = 1.0


@dataclass
class Stats:
    presses: int = 0
    arms: int = 0
    stored: int = 0
    store_errors: int = 0
    published: int = 0
    publish_refused: int = 0
    resent: int = 0
    acked: int = 0
    heartbeats: int = 0


class Agent:
    """One terminal. ``start()`` → running; ``stop()`` → clean shutdown; ``wait()`` blocks until stopped.

    Everything with a side effect is injected: transport, clock, pin factory, outbox, hardware.
    ``on_feedback`` (optional) is called right after the LED lit, with the Input — used by the bench.
    """

    def __init__(self, config: Config, transport: Transport, *, clock: Clock | None = None,
                 pin_factory: Any | None = None, outbox: Outbox | None = None, boot: str | None = None,
                 hardware: Hardware | None = None,
                 on_feedback: Callable[[Input], None] | None = None) -> None:
        self.config = config
        self.transport = transport
        self.clock: Clock = clock or SystemClock()
        self.boot = boot or boot_id()
        self.inputs: queue.Queue[Any] = queue.Queue()
        self.outbox = outbox or Outbox(config.outbox, config.terminal_id)
        self.hardware = hardware or Hardware(config.pins, self.inputs, self.clock, pin_factory=pin_factory)
        self.rules = rules.Rules(armed_mode=config.rules.armed_mode,
                                 repeat_interval_s=config.rules.repeat_interval_s)
        self.stats = Stats()
        self.on_feedback = on_feedback
        self.fatal: str | None = None
        self._rules_state = rules.RulesState()
        self._started_mono = time.monotonic()
        self._wake = threading.Event()
        self._stopping = threading.Event()  # stop requested (signal, fatal error, stop())
        self._stopped = threading.Event()
        self._shutdown_lock = threading.Lock()
        self._shutdown = False
        self._acks: queue.SimpleQueue[protocol.Ack] = queue.SimpleQueue()
        self._connected = False
        self._reconnected = False
        self._conn_lock = threading.Lock()
        self._inflight: dict[int, float] = {}
        self._input_alive_at = time.monotonic()
        self._threads: list[threading.Thread] = []
        self._tid = config.terminal_id
        self._topics = {k: protocol.topic_for(self._tid, k) for k in protocol.KINDS}
        self.idle = threading.Condition()  # notified whenever the outbox depth may have changed

    # ------------------------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        for name, target in (("input", self._input_loop), ("sender", self._sender_loop)):
            t = threading.Thread(target=target, name=f"pingyi-{name}-{self._tid}", daemon=True)
            t.start()
            self._threads.append(t)
        self.transport.connect(self)
        sdnotify.notify("READY=1")
        log.info("terminal %s started (epoch %s, %d pending, scale %s)", self._tid, self.outbox.epoch,
                 self.outbox.depth(), self.config.scale)

    def stop(self, timeout: float = 5.0) -> None:
        with self._shutdown_lock:
            already, self._shutdown = self._shutdown, True
        if already:
            self._stopped.wait(timeout)
            return
        sdnotify.notify("STOPPING=1")
        self._stopping.set()
        self.inputs.put(_STOP)
        self._wake.set()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout)
        try:
            self.transport.close()
        finally:
            self.hardware.close()
            self.outbox.close()
            self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the agent is asked to stop (signal, fatal transport error); True if it was."""
        return self._stopping.wait(timeout)

    def request_stop(self) -> None:
        """Signal-safe: ask the agent to stop; the owner then calls stop()."""
        self._stopping.set()
        self._wake.set()

    # ------------------------------------------------------------------------------------ input loop
    def _input_loop(self) -> None:
        while True:
            try:
                item = self.inputs.get(timeout=LOOP_TICK_S)
            except queue.Empty:
                self._input_alive_at = time.monotonic()
                if self._stopping.is_set():
                    return
                continue
            self._input_alive_at = time.monotonic()
            if item is _STOP:
                return
            try:
                self.handle_input(item)
            except Exception:  # keep the terminal alive; the press had no feedback
                log.exception("input %r not handled", item)

    def handle_input(self, inp: Input) -> protocol.Event | None:
        flags, self._rules_state = rules.decide(self._rules_state, self.rules, inp.kind, inp.mono_ms)

        def build(epoch: str, seq: int) -> protocol.Event:
            return protocol.Event(terminal=self._tid, epoch=epoch, seq=seq, kind=inp.kind, level=inp.level,
                                  scale=self.config.scale, flags=flags, boot=self.boot, mono_ms=inp.mono_ms,
                                  wall_ms=inp.wall_ms, synced=inp.synced)

        try:
            event = self.outbox.append_new(build)
        except Exception:
            self.stats.store_errors += 1
            log.exception("could not store %s; no feedback given", inp.kind)
            self._notify_progress()
            return None
        self.stats.stored += 1
        if inp.kind == "press":
            self.stats.presses += 1
            self.hardware.feedback()  # durable first, then the light
            if self.on_feedback is not None:
                self.on_feedback(inp)
        else:
            self.stats.arms += 1
        self._wake.set()
        self._notify_progress()
        return event

    def _notify_progress(self) -> None:
        with self.idle:
            self.idle.notify_all()

    # ------------------------------------------------------------------------------------ transport listener
    def on_connected(self) -> None:
        with self._conn_lock:
            self._connected = True
            self._reconnected = True
        self._wake.set()

    def on_disconnected(self, reason: str) -> None:
        with self._conn_lock:
            self._connected = False
        self._wake.set()

    def on_fatal(self, reason: str) -> None:
        self.fatal = reason
        log.error("fatal: %s; stopping", reason)
        self.request_stop()

    def on_message(self, topic: str, payload: bytes) -> None:
        try:
            tid, kind = protocol.parse_topic(topic)
            if tid != self._tid:
                raise protocol.ProtocolError(f"message for terminal {tid!r}")
            if kind == "ack":
                self._acks.put(protocol.decode_ack(payload))
                self._wake.set()
            elif kind == "config":
                self._apply_remote_config(protocol.decode_config(payload))
        except protocol.ProtocolError as exc:
            log.warning("ignored message on %s: %s", topic, exc)

    def _apply_remote_config(self, cfg: protocol.TerminalConfig) -> None:
        r = self.rules
        self.rules = rules.Rules(
            armed_mode=r.armed_mode if cfg.armed_mode is None else cfg.armed_mode,
            repeat_interval_s=r.repeat_interval_s if cfg.repeat_interval_s is None else float(cfg.repeat_interval_s),
        )
        if cfg.scale is not None and cfg.scale != self.config.scale:
            log.warning("remote config asks for the %s scale; the buttons are wired for %s: ignored",
                        cfg.scale, self.config.scale)
        log.info("rules now %s", self.rules)

    # ------------------------------------------------------------------------------------ sender loop
    def _sender_loop(self) -> None:
        hb_every = self.config.heartbeat_interval_s
        next_hb = time.monotonic()
        wd_every = sdnotify.watchdog_interval_s()
        next_wd = time.monotonic()
        retry_at = 0.0
        tick = min(LOOP_TICK_S, self.config.ack_timeout_s / 2)
        while not self._stopping.is_set():
            until_retry = retry_at - time.monotonic()
            self._wake.wait(min(tick, until_retry) if until_retry > 0 else tick)
            self._wake.clear()
            if self._stopping.is_set():
                break
            now = time.monotonic()
            try:
                self._drain_acks()
                with self._conn_lock:
                    connected = self._connected
                    if self._reconnected:
                        self._reconnected = False
                        self._inflight.clear()  # re-send everything unacked after a reconnect
                        retry_at = 0.0
                        next_hb = now
                if connected and now >= retry_at and not self._send_pending(now):
                    retry_at = now + PUBLISH_RETRY_S
                if connected and now >= next_hb:
                    self._heartbeat()
                    next_hb = now + hb_every
                refresh = getattr(self.clock, "refresh", None)
                if refresh is not None:
                    refresh()
            except Exception:
                log.exception("sender loop error")
                retry_at = now + PUBLISH_RETRY_S
            if wd_every is not None and now >= next_wd and now - self._input_alive_at < 3 * LOOP_TICK_S + wd_every:
                sdnotify.notify("WATCHDOG=1")
                next_wd = now + wd_every

    def _drain_acks(self) -> None:
        deleted = 0
        while True:
            try:
                ack = self._acks.get_nowait()
            except queue.Empty:
                break
            n = self.outbox.ack(ack.epoch, ack.seqs)
            deleted += n
            if ack.epoch == self.outbox.epoch:
                for s in ack.seqs:
                    self._inflight.pop(s, None)
        if deleted:
            self.stats.acked += deleted
            with self.idle:
                self.idle.notify_all()
            self._wake.set()  # the window has room again

    def _send_pending(self, now: float) -> bool:
        """Publish due rows within the window, in seq order; False if the transport refused one."""
        timeout = self.config.ack_timeout_s
        rows = self.outbox.pending(limit=self.config.inflight_window)
        # The window only slides forward, so an in-flight seq missing from it was acknowledged and deleted.
        pending_seqs = {r.seq for r in rows}
        self._inflight = {s: t for s, t in self._inflight.items() if s in pending_seqs}
        topic = self._topics["event"]
        sent = 0
        try:
            for row in rows:
                sent_at = self._inflight.get(row.seq)
                if sent_at is not None and now - sent_at < timeout:
                    continue
                if not self.transport.publish(topic, row.payload, protocol.QOS_EVENT, False):
                    self.stats.publish_refused += 1
                    return False
                if sent_at is not None:
                    self.stats.resent += 1
                self.stats.published += 1
                sent += 1
                self._inflight[row.seq] = now
            return True
        finally:
            if sent:
                self._notify_progress()

    def _heartbeat(self) -> None:
        hb = protocol.Heartbeat(terminal=self._tid, boot=self.boot, mono_ms=self.clock.mono_ms(),
                                wall_ms=self.clock.wall_ms(), synced=self.clock.synced(),
                                queue=self.outbox.depth(), uptime_s=int(time.monotonic() - self._started_mono),
                                version=__version__, scale=self.config.scale)
        if self.transport.publish(self._topics["heartbeat"], protocol.encode_heartbeat(hb),
                                  protocol.QOS_HEARTBEAT, False):
            self.stats.heartbeats += 1

    # ------------------------------------------------------------------------------------ helpers
    def wait_stored(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` inputs were stored (or failed to store) since start."""
        with self.idle:
            return self.idle.wait_for(lambda: self.stats.stored + self.stats.store_errors >= count, timeout)

    def wait_drained(self, timeout: float = 10.0) -> bool:
        """Wait until the outbox is empty (every stored event acknowledged)."""
        deadline = time.monotonic() + timeout
        with self.idle:
            while self.outbox.depth() > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.idle.wait(min(left, 0.5))
        return True


def status_message(terminal_id: str, boot: str, state: str) -> Message:
    payload = protocol.encode_status(protocol.Status(state=state, boot=boot, version=__version__))
    return Message(protocol.status_topic(terminal_id), payload, protocol.QOS_STATUS, True)


def make_mqtt_transport(config: Config, boot: str) -> MqttTransport:
    """The real transport for an agent: ack + config subscriptions, retained online birth, offline will."""
    tid = config.terminal_id
    return MqttTransport(config.mqtt, config.client_id,
                         subscriptions=[(protocol.ack_topic(tid), protocol.QOS_ACK),
                                        (protocol.config_topic(tid), protocol.QOS_CONFIG)],
                         will=status_message(tid, boot, "offline"), birth=status_message(tid, boot, "online"),
                         max_inflight=config.inflight_window)
