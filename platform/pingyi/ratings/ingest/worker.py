"""Infrastructure layer: the `pingyi ingest` worker — paho MQTT 5 shared subscription → batches → acks (SPEC §4).

paho's network thread only appends (topic, payload, receive time, mid) to a deque; the asyncio loop takes batches
(size- and time-bounded), sorts them (validate.py), commits them in one transaction (store.py), then sends the
MQTT PUBACKs (manual acks) and keeps the application acks, published per terminal and epoch at most every
ACK_MERGE_S: a worker killed mid-batch leaves its messages unacknowledged in its persistent broker session, to be
redelivered on restart; one killed after COMMIT but before its application acks went out leaves the terminal to
replay them (stored already: a no-op, acknowledged then).

Throughput (bench/ingest.py; docs/mqtt-ingest.md "Where the time goes"): paho's receive path reads from a 64 KB
buffer and skips the MQTT 5 properties of QoS 1 PUBLISHes (BufferedClient); a backlog is taken in batches of up
to `batch_size × BACKLOG_FACTOR`; application acks are merged over ACK_MERGE_S; the batch's PUBACKs go to the
socket as one write; events decode on validate.py's msgspec fast path; PostgreSQL gets the batch as one json
parameter (store.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from pingyi import clock
from pingyi.core import clockfix
from pingyi.db import current_engine
from pingyi.settings import MqttSettings
from pingyi_terminal import protocol

from .budget import QuarantineBudget
from .store import BatchStore
from .validate import FastEventDecoder, KnownTerminal, sort_items

log = logging.getLogger("pingyi.ingest")

FATAL_REASONS = {134, 135, 138}  # bad user name or password, not authorized, banned
DIRECTORY_REFRESH_S = 10.0
UNKNOWN_REFRESH_S = 1.0
BACKLOG_FACTOR = 10  # a backlog is taken in batches of up to batch_size × this
RECEIVE_MAXIMUM = 65535  # messages the broker may have in flight to us (unacked until their batch commits)
PUBACK = 0x40
# Our QoS 1 ack publishes in flight: the project broker's Receive Maximum (max_inflight_messages 100); paho scans
# its in-flight messages on every PUBACK, so a large window costs CPU without speeding anything up.
ACK_INFLIGHT = 100
# Backpressure: no new batch while this many ack messages wait in paho's queue. Without it a fast drain queued
# ack messages faster than the broker took them, until paho ran out of packet ids (65,535) and refused acks.
ACK_BACKLOG_MAX = 5000
# Application acks of committed batches are merged: one ack message per terminal and epoch per this many seconds
# (at a high rate a batch held ~2 presses per terminal, so one ack publish per 2 presses). Still only after COMMIT.
ACK_MERGE_S = 0.25
_PUBACK = struct.Struct("!BBH")
RECV_CHUNK = 65536  # bytes read from the socket at once (paho reads each packet's header byte by byte)


class BufferedClient(mqtt.Client):
    """paho's client with a receive buffer: one recv() of up to 64 KB serves many packets.

    paho 2.2 reads a packet with 3-4 recv() calls (command byte, each remaining-length byte, the rest) and returns
    to select() after each packet; every call releases and re-takes the GIL, which the asyncio thread (sorting and
    storing batches) holds most of the time. Profiled: half the worker's samples were in that receive path
    (docs/mqtt-ingest.md, "Where the time goes"). Here `_sock_recv` serves from the buffer and `loop_read` goes on
    while buffered bytes remain (they are invisible to select()). The buffer is dropped with the socket."""

    _rbuf: bytes = b""
    _rpos: int = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        buf, pos = self._rbuf, self._rpos
        if pos >= len(buf):
            buf = super()._sock_recv(RECV_CHUNK)  # BlockingIOError (nothing there) propagates as paho expects
            if not buf:
                return buf  # connection closed
            self._rbuf, pos = buf, 0
        self._rpos = pos + bufsize
        return buf[pos:pos + bufsize]

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while rc == mqtt.MQTT_ERR_SUCCESS and self._rpos < len(self._rbuf) and self._sock is not None:
            rc = super().loop_read(max_packets)
        return rc

    def _sock_close(self) -> None:
        self._rbuf, self._rpos = b"", 0
        super()._sock_close()

    # Set by the worker: (topic, payload, mid) of each QoS 1 PUBLISH, instead of building an MQTTMessage.
    on_qos1_publish: Callable[[str, bytes, int], None] | None = None

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        """The hot path of an MQTT 5 QoS 1 PUBLISH with manual acks: topic, packet id, payload — its properties are
        skipped, not parsed (the worker uses none; it announces no topic aliases). paho's own decoding built a
        Properties object per message, the largest cost left in its thread (profiled). Anything else, or anything
        that does not parse here, goes to paho's own handler (which raises MalformedPacket where due)."""
        sink = self.on_qos1_publish
        pkt = self._in_packet
        if sink is None or (pkt["command"] & 0x06) != 0x02 or self._protocol != mqtt.MQTTv5 or not self._manual_ack:
            return super()._handle_publish()
        data = pkt["packet"]
        try:
            tlen = (data[0] << 8) | data[1]
            pos = 2 + tlen
            topic = data[2:pos].decode("utf-8")
            mid = (data[pos] << 8) | data[pos + 1]
            pos += 2
            plen, shift = 0, 0
            while True:  # properties length: a variable byte integer
                b = data[pos]
                pos += 1
                plen |= (b & 0x7F) << shift
                if not b & 0x80:
                    break
                shift += 7
                if shift > 21:
                    raise ValueError("properties length")
            pos += plen
            if pos > len(data) or not topic:
                raise ValueError("short packet")
        except (IndexError, ValueError, UnicodeDecodeError):
            return super()._handle_publish()
        sink(topic, bytes(data[pos:]), mid)
        return mqtt.MQTT_ERR_SUCCESS

    def reconnect(self) -> mqtt.MQTTErrorCode:
        self._rbuf, self._rpos = b"", 0  # bytes of an old connection never reach the new one
        return super().reconnect()


@dataclass
class IngestStats:
    received: int = 0
    inserted: int = 0
    acked_events: int = 0
    quarantined: int = 0
    quarantine_dropped: int = 0
    batches: int = 0
    ack_publish_failures: int = 0
    db_failures: int = 0
    connects: int = 0
    started: float = field(default_factory=time.monotonic)


class IngestWorker:
    def __init__(self, mqtt_settings: MqttSettings, *, client_id: str = "pingyi-ingest-1",
                 group: str = protocol.SHARED_GROUP, session_expiry_s: int = 7 * 24 * 3600,
                 batch_size: int | None = None, batch_wait_ms: int | None = None) -> None:
        self.cfg = mqtt_settings
        self.client_id = client_id
        self.group = group
        self.session_expiry_s = session_expiry_s
        self.batch_size = batch_size or mqtt_settings.batch_size
        self.max_batch = self.batch_size * BACKLOG_FACTOR
        self.decoder = FastEventDecoder()
        self.batch_wait_s = (batch_wait_ms if batch_wait_ms is not None else mqtt_settings.batch_wait_ms) / 1000
        self.stats = IngestStats()
        self.bounds = clockfix.TimeBounds.of(mqtt_settings.max_offline_days, mqtt_settings.clock_skew_s)
        self.budget = QuarantineBudget(mqtt_settings.quarantine_per_terminal_hour, mqtt_settings.quarantine_total_hour)
        self.inbox: deque[tuple[str, bytes, int, int, int]] = deque()
        self.connected = False
        self.fatal: str | None = None
        self._stop = asyncio.Event()
        self._directory: dict[str, KnownTerminal] = {}
        self._acks: dict[tuple[str, str], list[int]] = {}  # committed, not yet published (merged, ACK_MERGE_S)
        self._acks_since = 0.0
        self._directory_at = 0.0
        self._client = self._make_client()

    # ------------------------------------------------------------------------------------------ MQTT side
    def _make_client(self) -> mqtt.Client:
        c = BufferedClient(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5,
                           manual_ack=True)
        # A callback that raises must not kill paho's network thread (the worker would live on, deaf): log it.
        # Unacknowledged messages are redelivered by the broker, so nothing is lost.
        c.suppress_exceptions = True
        c.enable_logger(log)
        if self.cfg.username:
            c.username_pw_set(self.cfg.username, self.cfg.password)
        if self.cfg.tls_ca:
            c.tls_set(ca_certs=self.cfg.tls_ca)
        c.max_inflight_messages_set(ACK_INFLIGHT)
        c.max_queued_messages_set(0)
        c.reconnect_delay_set(min_delay=1, max_delay=30)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_qos1_publish = self._on_qos1_publish
        return c

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            if reason.value in FATAL_REASONS:
                self.fatal = f"broker refused the credentials ({reason})"
                log.error("ingest: %s; stopping", self.fatal)
                client.disconnect()
                self._stop_threadsafe()
            else:
                log.warning("ingest: connect refused: %s (retrying)", reason)
            return
        self.connected = True
        self.stats.connects += 1
        opts = SubscribeOptions(qos=1)
        client.subscribe([(protocol.shared(k, self.group), opts) for k in ("event", "status", "heartbeat")])
        log.info("ingest: connected as %s (session present: %s)", self.client_id, flags.session_present)

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected = False
        if not self._stop.is_set():
            log.warning("ingest: disconnected (%s); reconnecting with backoff", reason)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.inbox.append((msg.topic, bytes(msg.payload), clock.wall_ms(), msg.mid, msg.qos))

    def _on_qos1_publish(self, topic: str, payload: bytes, mid: int) -> None:
        self.inbox.append((topic, payload, clock.wall_ms(), mid, 1))

    def _stop_threadsafe(self) -> None:
        loop = getattr(self, "_loop", None)
        if loop is not None:
            loop.call_soon_threadsafe(self._stop.set)

    def stop(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------------------------------ loop
    async def run(self, install_signals: bool = True) -> int:
        self._loop = asyncio.get_running_loop()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stop.set)
        store = BatchStore(current_engine(), self.bounds)
        await self._refresh_directory(store)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry_s
        props.ReceiveMaximum = min(RECEIVE_MAXIMUM, max(1000, self.max_batch * 3))
        self._client.connect_async(self.cfg.host, self.cfg.port, keepalive=30, clean_start=False, properties=props)
        self._client.loop_start()
        last_report = time.monotonic()
        try:
            while not self._stop.is_set():
                batch = None if self._ack_backlog() > ACK_BACKLOG_MAX else self._take_batch(final=False)
                if batch is None:
                    await asyncio.sleep(0.002)
                else:
                    await self._process(store, batch)
                self._flush_acks()
                if time.monotonic() - last_report > 30:
                    last_report = time.monotonic()
                    log.info("ingest: %s", self.stats)
            deadline = time.monotonic() + 5.0  # drain what is already here, then leave the rest to the session
            while self.inbox and self.fatal is None and time.monotonic() < deadline:
                await self._process(store, self._take_batch(final=True) or [])
            self._flush_acks(force=True)
        finally:
            self._client.disconnect()
            self._client.loop_stop()
        return 3 if self.fatal else 0

    def _ack_backlog(self) -> int:
        """Ack messages published but not yet acknowledged by the broker (paho keeps no public count)."""
        return len(getattr(self._client, "_out_messages", ()))

    def _take_batch(self, final: bool) -> list[tuple[str, bytes, int, int, int]] | None:
        inbox = self.inbox
        n = len(inbox)
        if n == 0:
            return None
        if not final and n < self.batch_size and clock.wall_ms() - inbox[0][2] < self.batch_wait_s * 1000:
            return None
        take = min(n, self.max_batch)
        pop = inbox.popleft
        return [pop() for _ in range(take)]

    async def _refresh_directory(self, store: BatchStore) -> None:
        self._directory = await store.load_terminals()
        self._directory_at = time.monotonic()

    async def _process(self, store: BatchStore, items: list[tuple[str, bytes, int, int, int]]) -> None:
        if not items:
            return
        batch = sort_items(items, self._directory.get, self.decoder, self.bounds)
        if batch.unknown and time.monotonic() - self._directory_at > UNKNOWN_REFRESH_S:
            await self._refresh_directory(store)  # maybe provisioned since: look again before quarantining
            batch = sort_items(items, self._directory.get, self.decoder, self.bounds)
        elif time.monotonic() - self._directory_at > DIRECTORY_REFRESH_S:
            await self._refresh_directory(store)  # revocations and changes, for the next batches
        if batch.quarantine:  # bounded per terminal and in total; the rest is counted, not stored (budget.py)
            batch.quarantine, batch.overflow = self.budget.admit(batch.quarantine)
        delay = 0.2
        while True:
            try:
                inserted = await store.write(batch)
                break
            except Exception as exc:  # database down or busy: keep the batch, retry; nothing is acked meanwhile
                self.stats.db_failures += 1
                log.error("ingest: storing a batch of %d failed (%s); retrying in %d ms", len(items),
                          type(exc).__name__, int(delay * 1000))
                if self._stop.is_set() and self.stats.db_failures > 50:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.stats.batches += 1
        self.stats.received += len(items)
        self.stats.inserted += inserted
        self.stats.quarantined += len(batch.quarantine)
        for q in batch.quarantine:
            log.warning("ingest: quarantined a message on %s: %s", q.topic, q.reason)
        for tid, over in batch.overflow.items():  # one line per terminal and batch, not one per message
            self.stats.quarantine_dropped += over.messages
            log.warning("ingest: quarantine bound reached for %r: %d messages (%d bytes) acknowledged, counted, "
                        "not stored", tid, over.messages, over.bytes)
        self._queue_acks(batch.acks())
        self._send_pubacks([mid for _t, _p, _r, mid, qos in items if qos == 1])

    def _send_pubacks(self, mids: list[int]) -> None:
        """MQTT PUBACK for every QoS 1 message of the committed batch. paho's ack(mid) queues one packet and writes
        one wake-up byte per message; here the PUBACKs are one buffer written once (the same bytes: fixed header
        0x40, length 2, packet id — a v5 PUBACK with reason Success may omit the reason code)."""
        if not mids:
            return
        client = self._client
        queue = getattr(client, "_packet_queue", None)
        if queue is None:  # a paho without the internal queue: the public, slower way
            for mid in mids:
                client.ack(mid, 1)
            return
        pack = _PUBACK.pack
        queue(PUBACK, b"".join([pack(PUBACK, 2, mid) for mid in mids]), 0, 0)

    def _queue_acks(self, acks: dict[tuple[str, str], list[int]]) -> None:
        """Keep the committed batch's acks for the next flush (the batch is already committed)."""
        if acks and not self._acks:
            self._acks_since = time.monotonic()
        for key, seqs in acks.items():
            self._acks.setdefault(key, []).extend(seqs)

    def _flush_acks(self, force: bool = False) -> None:
        if self._acks and (force or time.monotonic() - self._acks_since >= ACK_MERGE_S):
            acks, self._acks = self._acks, {}
            self._publish_acks({key: sorted(set(seqs)) for key, seqs in acks.items()})

    def _publish_acks(self, acks: dict[tuple[str, str], list[int]]) -> None:
        for (tid, epoch), seqs in acks.items():
            topic = protocol.ack_topic(tid)
            for i in range(0, len(seqs), protocol.MAX_ACK_SEQS):
                chunk = seqs[i:i + protocol.MAX_ACK_SEQS]
                info = self._client.publish(topic, protocol.encode_ack(protocol.Ack(epoch, tuple(chunk))),
                                            qos=protocol.QOS_ACK)
                if info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):  # NO_CONN: queued, sent on reconnect
                    self.stats.acked_events += len(chunk)
                else:  # the terminal replays unacknowledged events; they are acked again then
                    self.stats.ack_publish_failures += 1
                    log.error("ingest: ack publish to %s failed: %s", topic, mqtt.error_string(info.rc))
