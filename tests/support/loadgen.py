"""Test support layer: a replaying terminal publisher that follows pingyi_terminal.protocol (SPEC §4).

Not the Raspberry Pi agent: a compact stand-in for many terminals on one paho client, used by the fault tests and
bench/ingest.py. Like the agent it keeps every event until the platform's application ack names it, re-sends
events unacknowledged after `ack_timeout_s`, limits unacknowledged events per terminal to `window`, and checks
every publish() return code (paho returns an error instead of raising when its queue is full).
"""

from __future__ import annotations

import threading
import time
from collections import deque

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from pingyi_terminal import protocol

BOOT = "boot-loadgen"


class _Term:
    __slots__ = ("tid", "epoch", "next_seq", "pending", "unsent", "inflight")

    def __init__(self, tid: str, epoch: str) -> None:
        self.tid, self.epoch, self.next_seq = tid, epoch, 1
        self.pending: set[int] = set()  # the outbox: pressed, not yet acknowledged
        self.unsent: deque[int] = deque()
        self.inflight: dict[int, float] = {}  # seq → time sent


class ReplayingPublisher:
    def __init__(self, host: str, port: int, terminal_ids: list[str], *, client_id: str = "pingyi-loadgen",
                 username: str | None = None, password: str | None = None, epoch: str = "ep1",
                 window: int = 200, ack_timeout_s: float = 5.0, synced: bool = True, replay: bool = True,
                 wall_base_ms: int | None = None) -> None:
        self.host, self.port = host, port
        self.terms = {t: _Term(t, epoch) for t in terminal_ids}
        self.window, self.ack_timeout_s, self.synced, self.replay = window, ack_timeout_s, synced, replay
        self.wall_base_ms = wall_base_ms if wall_base_ms is not None else time.time_ns() // 1_000_000
        self.lock = threading.Lock()
        self.published = self.resent = self.acked = self.publish_errors = self.duplicate_acks = 0
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if username:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.on_message = self._on_message

    # ------------------------------------------------------------------------------------------ terminal side
    def event_for(self, term: _Term, seq: int) -> protocol.Event:
        level = (5, 4, 3, 2, 1)[seq % 5]
        return protocol.Event(terminal=term.tid, epoch=term.epoch, seq=seq, kind="press", level=level, scale="five",
                              flags=(), boot=BOOT, mono_ms=1_000 + seq * 10, wall_ms=self.wall_base_ms + seq * 10,
                              synced=self.synced)

    def press(self, tid: str, n: int = 1) -> None:
        """Commit n presses to the outbox (they are sent when connected, within the window)."""
        with self.lock:
            t = self.terms[tid]
            for _ in range(n):
                t.pending.add(t.next_seq)
                t.unsent.append(t.next_seq)
                t.next_seq += 1

    def outstanding(self) -> int:
        with self.lock:
            return sum(len(t.pending) for t in self.terms.values())

    def pressed(self) -> int:
        return sum(t.next_seq - 1 for t in self.terms.values())

    # ------------------------------------------------------------------------------------------ MQTT
    def start(self) -> ReplayingPublisher:
        self._stop.clear()
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=True)
        self.client.loop_start()
        self._pump = threading.Thread(target=self._pump_loop, daemon=True)
        self._pump.start()
        return self

    def stop(self) -> None:
        """Cut the terminal off: disconnect; unacknowledged events stay in the outbox for the next start()."""
        self._stop.set()
        if self._pump:
            self._pump.join()
        self.client.disconnect()
        self.client.loop_stop()
        with self.lock:  # whatever was in flight is replayed after reconnect
            for t in self.terms.values():
                for seq in sorted(t.inflight, reverse=True):
                    t.unsent.appendleft(seq)
                t.inflight.clear()

    def _on_connect(self, client: mqtt.Client, _u, _f, reason, _p) -> None:
        if reason.is_failure:
            return
        client.subscribe([(protocol.ack_topic(t), 1) for t in self.terms])
        self.connected.set()

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:
        tid = msg.topic.split("/")[3]
        ack = protocol.decode_ack(msg.payload)
        with self.lock:
            t = self.terms.get(tid)
            if t is None or ack.epoch != t.epoch:
                return
            for seq in ack.seqs:
                if seq in t.pending:
                    t.pending.discard(seq)
                    t.inflight.pop(seq, None)
                    self.acked += 1
                else:
                    self.duplicate_acks += 1

    def _pump_loop(self) -> None:
        last_scan = 0.0
        while not self._stop.is_set():
            if not self.connected.wait(0.05):
                continue
            sent = 0
            now = time.monotonic()
            scan = now - last_scan > 0.5  # look for overdue acks twice a second, not on every pass
            if scan:
                last_scan = now
            with self.lock:
                for t in self.terms.values():
                    if not scan:
                        pass
                    elif self.replay:
                        for seq, at in list(t.inflight.items()):
                            if seq not in t.pending:
                                del t.inflight[seq]
                            elif now - at > self.ack_timeout_s and self._send(t, seq):
                                t.inflight[seq] = now
                                self.resent += 1
                    else:
                        for seq in [s for s in t.inflight if s not in t.pending]:
                            del t.inflight[seq]
                    while t.unsent and len(t.inflight) < self.window:
                        seq = t.unsent[0]
                        if seq not in t.pending:
                            t.unsent.popleft()
                            continue
                        if not self._send(t, seq):
                            break
                        t.unsent.popleft()
                        t.inflight[seq] = now
                        sent += 1
            if not sent:
                time.sleep(0.005)

    def _send(self, t: _Term, seq: int) -> bool:
        info = self.client.publish(protocol.event_topic(t.tid), protocol.encode_event(self.event_for(t, seq)),
                                   qos=protocol.QOS_EVENT)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.published += 1
            return True
        self.publish_errors += 1  # not sent: stays unsent and is tried again
        return False

    def wait_all_acked(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.outstanding() == 0:
                return True
            time.sleep(0.05)
        return self.outstanding() == 0
