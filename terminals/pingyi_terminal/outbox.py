"""Durable outbox (SPEC §4, ARCHITECTURE ex. 9): SQLite, WAL, synchronous=FULL; a row leaves only on an app ack.

The epoch is minted once, when the file is created, and stored in ``meta``; seqs of an epoch only grow (the last
seq is kept in ``meta`` too, so deleting acked rows never lets a seq be reused). A new file (SD card replaced,
file removed) gets a new epoch, so ``(terminal, epoch, seq)`` never collides on the platform.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import protocol
from .protocol import Event

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);
"""


class OutboxError(RuntimeError):
    pass


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    payload: bytes

    @property
    def event(self) -> Event:
        return protocol.decode_event(self.payload)


class Outbox:
    """Thread-safe (one connection behind a lock): the input loop appends, the sender reads and deletes."""

    def __init__(self, path: str | Path, terminal: str) -> None:
        protocol.validate_terminal_id(terminal)
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        with self._tx():
            meta = dict(self._db.execute("SELECT key, value FROM meta"))
            if "epoch" not in meta:
                meta = {"epoch": uuid.uuid4().hex, "terminal": terminal, "last_seq": "0"}
                self._db.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", meta.items())
        if meta["terminal"] != terminal:
            self._db.close()
            raise OutboxError(f"outbox {path} belongs to terminal {meta['terminal']!r}, not {terminal!r}")
        self.terminal = terminal
        self.epoch: str = meta["epoch"]
        self._last_seq = int(meta["last_seq"])
        self._closed = False

    # -- transactions ------------------------------------------------------------------------------
    def _tx(self) -> _Tx:
        return _Tx(self._db)

    # -- writes --------------------------------------------------------------------------------------
    @property
    def last_seq(self) -> int:
        return self._last_seq

    def next_seq(self) -> int:
        return self._last_seq + 1

    def append(self, event: Event) -> None:
        """Store one event durably; returns only after the commit (fsync'd: synchronous=FULL)."""
        if event.terminal != self.terminal or event.epoch != self.epoch:
            raise OutboxError(f"event {event.idempotency_key} is not of this outbox ({self.terminal}:{self.epoch})")
        payload = protocol.encode_event(event)
        with self._lock:
            if event.seq != self._last_seq + 1:
                raise OutboxError(f"event seq {event.seq} is not the next seq {self._last_seq + 1}")
            with self._tx():
                self._db.execute("INSERT INTO outbox(seq, payload) VALUES (?, ?)", (event.seq, payload))
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'last_seq'", (str(event.seq),))
            self._last_seq = event.seq

    def append_new(self, build: Callable[[str, int], Event]) -> Event:
        """Build the next event from (epoch, seq) and append it atomically with respect to other appenders."""
        with self._lock:
            event = build(self.epoch, self._last_seq + 1)
            self.append(event)
        return event

    def ack(self, epoch: str, seqs: Iterable[int]) -> int:
        """Delete acknowledged rows of this epoch; returns how many rows were deleted (others: no-op)."""
        if epoch != self.epoch:
            return 0
        seqs = [int(s) for s in seqs]
        if not seqs:
            return 0
        with self._lock, self._tx():
            before = self._db.total_changes
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", ((s,) for s in seqs))
            return self._db.total_changes - before

    # -- reads --------------------------------------------------------------------------------------
    def pending(self, limit: int = 100, after_seq: int = 0) -> list[OutboxRow]:
        with self._lock:
            rows = self._db.execute("SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (after_seq, limit)).fetchall()
        return [OutboxRow(seq, bytes(payload)) for seq, payload in rows]

    def depth(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
