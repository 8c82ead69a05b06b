"""Transport (SPEC §4, ARCHITECTURE ex. 10): a small interface, the real paho-mqtt 2.x client, a hand-written fake.

paho keeps its queue in memory: it is transport, not storage. The agent's outbox is the storage; the transport
only has to say whether a publish was accepted (``publish() -> bool``) and to report connects, disconnects,
incoming messages and fatal refusals to a :class:`Listener`.
"""

from __future__ import annotations

import logging
import ssl
import threading
from dataclasses import dataclass
from typing import Protocol

from . import protocol

log = logging.getLogger("pingyi_terminal.publisher")

# CONNACK reasons that no retry will fix: bad user name or password / not authorised (3.1.1 rc 4 and 5 map
# to these), plus client identifier not valid, banned, bad authentication method.
FATAL_REASONS = {133, 134, 135, 138, 140}
_V311_FATAL = {2, 4, 5}


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


class Listener(Protocol):
    def on_connected(self) -> None: ...
    def on_disconnected(self, reason: str) -> None: ...
    def on_message(self, topic: str, payload: bytes) -> None: ...
    def on_fatal(self, reason: str) -> None: ...


class Transport(Protocol):
    def connect(self, listener: Listener) -> None:
        """Start connecting in the background; keep reconnecting (capped backoff) until close()."""

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Hand one message to the client; False when it was not accepted (the caller keeps it and retries)."""

    def close(self) -> None:
        """Publish the offline status (best effort), disconnect and stop."""


# ------------------------------------------------------------------------------------------------ paho


class MqttTransport:
    """paho-mqtt 2.x: fixed client id, persistent session, QoS 1, retained status + last will.

    Subscriptions are made on every connect (cheap and correct whether or not the broker kept the session).
    The ``birth`` message (online status) is published retained on every connect; ``will`` (offline status) is
    the last will and is also published on a clean close().
    """

    def __init__(self, mqtt_cfg, client_id: str, *, subscriptions: list[tuple[str, int]], will: Message | None,
                 birth: Message | None, max_inflight: int = 50, persistent: bool = True) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self._mqtt = mqtt
        self._cfg = mqtt_cfg
        self._subscriptions = subscriptions
        self._will = will
        self._birth = birth
        self._listener: Listener | None = None
        self._fatal = False
        self._closed = False
        self._lock = threading.Lock()
        self._v5 = mqtt_cfg.protocol == "5"
        self._persistent = persistent
        kwargs = dict(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                      protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311, reconnect_on_failure=True)
        if not self._v5:
            kwargs["clean_session"] = not persistent
        self._client = mqtt.Client(**kwargs)
        c = self._client
        if mqtt_cfg.username is not None:
            c.username_pw_set(mqtt_cfg.username, mqtt_cfg.password)
        if mqtt_cfg.tls:
            c.tls_set(ca_certs=mqtt_cfg.ca_file, cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        if will is not None:
            c.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        c.reconnect_delay_set(min_delay=mqtt_cfg.reconnect_min_s, max_delay=mqtt_cfg.reconnect_max_s)
        c.max_inflight_messages_set(max_inflight)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_connect_fail = self._on_connect_fail

    # -- interface ---------------------------------------------------------------------------------
    def connect(self, listener: Listener) -> None:
        self._listener = listener
        c, cfg = self._client, self._cfg
        if self._v5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = cfg.session_expiry_s if self._persistent else 0
            c.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive, clean_start=not self._persistent,
                            properties=props)
        else:
            c.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive)
        c.loop_start()
        log.info("connecting to %s:%s as %s (tls=%s)", cfg.host, cfg.port, cfg.username or "anonymous", cfg.tls)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        if self._closed or self._fatal or not self._client.is_connected():
            return False
        try:
            info = self._client.publish(topic, payload, qos=qos, retain=retain)
        except (ValueError, RuntimeError) as exc:  # payload too large, bad topic, queue trouble
            log.warning("publish to %s raised: %s", topic, exc)
            return False
        if info.rc != self._mqtt.MQTT_ERR_SUCCESS:
            log.warning("publish to %s not accepted: %s", topic, self._mqtt.error_string(info.rc))
            return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        c = self._client
        if self._will is not None and c.is_connected() and not self._fatal:
            try:
                info = c.publish(self._will.topic, self._will.payload, qos=self._will.qos, retain=True)
                info.wait_for_publish(timeout=2.0)
            except (ValueError, RuntimeError):
                pass
        c.disconnect()
        c.loop_stop()

    # -- paho callbacks ----------------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        value = getattr(reason_code, "value", reason_code)
        failure = getattr(reason_code, "is_failure", value != 0)
        if failure:
            fatal = value in FATAL_REASONS or (not self._v5 and value in _V311_FATAL)
            if fatal:
                self._fatal = True
                reason = f"broker refused the connection: {reason_code} (check mqtt.username/password)"
                log.error("%s", reason)
                client.disconnect()
                if self._listener:
                    self._listener.on_fatal(reason)
            else:
                log.warning("broker refused the connection: %s; will retry", reason_code)
            return
        for topic, qos in self._subscriptions:
            client.subscribe(topic, qos=qos)
        if self._birth is not None:
            client.publish(self._birth.topic, self._birth.payload, qos=self._birth.qos, retain=self._birth.retain)
        log.info("connected (session present: %s)", getattr(flags, "session_present", None))
        if self._listener:
            self._listener.on_connected()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._listener and not self._fatal:
            self._listener.on_disconnected(str(reason_code))
        if not self._closed and not self._fatal:
            log.warning("disconnected: %s; reconnecting", reason_code)

    def _on_connect_fail(self, client, userdata) -> None:
        log.warning("cannot reach the broker at %s:%s; retrying", self._cfg.host, self._cfg.port)

    def _on_message(self, client, userdata, msg) -> None:
        if self._listener:
            self._listener.on_message(msg.topic, bytes(msg.payload))


# ------------------------------------------------------------------------------------------------ fake


class FakeTransport:
    """Hand-written fake for unit tests: records publishes, can refuse them, connect/disconnect on demand.

    * ``auto_connect``: connect() immediately calls ``on_connected``.
    * ``auto_ack``: every accepted event publish is acknowledged right away (on the caller's thread).
    * ``refuse(n)``: the next n publishes return False (as paho's rc != 0 would).
    """

    def __init__(self, *, auto_connect: bool = True, auto_ack: bool = False) -> None:
        self.auto_connect = auto_connect
        self.auto_ack = auto_ack
        self.published: list[Message] = []
        self.connected = False
        self.closed = False
        self.listener: Listener | None = None
        self._refuse = 0
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)

    def connect(self, listener: Listener) -> None:
        self.listener = listener
        if self.auto_connect:
            self.go_online()

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        with self._lock:
            if not self.connected or self.closed:
                return False
            if self._refuse > 0:
                self._refuse -= 1
                return False
            self.published.append(Message(topic, bytes(payload), qos, retain))
            self.changed.notify_all()
        if self.auto_ack and topic.endswith("/event"):
            ev = protocol.decode_event(payload)
            self.deliver(protocol.ack_topic(ev.terminal), protocol.encode_ack(protocol.Ack(ev.epoch, (ev.seq,))))
        return True

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self.connected = False
            self.changed.notify_all()

    # -- test controls -------------------------------------------------------------------------------
    def refuse(self, n: int) -> None:
        with self._lock:
            self._refuse = n

    def go_online(self) -> None:
        with self._lock:
            self.connected = True
        if self.listener:
            self.listener.on_connected()

    def go_offline(self, reason: str = "test") -> None:
        with self._lock:
            self.connected = False
        if self.listener:
            self.listener.on_disconnected(reason)

    def fail_fatally(self, reason: str = "not authorised") -> None:
        with self._lock:
            self.connected = False
        if self.listener:
            self.listener.on_fatal(reason)

    def deliver(self, topic: str, payload: bytes) -> None:
        if self.listener:
            self.listener.on_message(topic, payload)

    def events(self) -> list[protocol.Event]:
        with self._lock:
            return [protocol.decode_event(m.payload) for m in self.published if m.topic.endswith("/event")]

    def messages(self, kind: str) -> list[Message]:
        with self._lock:
            return [m for m in self.published if m.topic.endswith("/" + kind)]

    def wait_for(self, predicate, timeout: float = 5.0) -> bool:
        """Wait until predicate(self) is true (re-evaluated on every publish or state change)."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout=timeout)
