"""Durable outbox (SPEC §4, ARCHITECTURE ex. 9): epoch, seqs, acks, survival across reopen and process kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from pingyi_terminal.outbox import Outbox, OutboxError
from pingyi_terminal.protocol import Event


def ev(box: Outbox, seq: int | None = None, level: int = 5) -> Event:
    return Event("win-01", box.epoch, seq or box.next_seq(), "press", level, "five", (), "b", 1, 2, True)


def test_pragmas_wal_and_full_sync(tmp_path):
    with Outbox(tmp_path / "o.db", "win-01") as box:
        assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_epoch_is_minted_once_and_survives_reopen(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path, "win-01") as box:
        epoch = box.epoch
        box.append(ev(box))
        box.append(ev(box, level=1))
    with Outbox(path, "win-01") as box:
        assert box.epoch == epoch
        assert [r.seq for r in box.pending()] == [1, 2]
        assert box.pending()[1].event.level == 1
    with Outbox(tmp_path / "other.db", "win-01") as other:
        assert other.epoch != epoch


def test_seqs_never_reused_after_acks_and_reopen(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path, "win-01") as box:
        for _ in range(3):
            box.append(ev(box))
        assert box.ack(box.epoch, [1, 2, 3]) == 3
        assert box.depth() == 0
    with Outbox(path, "win-01") as box:
        assert box.next_seq() == 4


def test_pending_order_limit_and_ack_semantics(tmp_path):
    with Outbox(tmp_path / "o.db", "win-01") as box:
        for _ in range(10):
            box.append(ev(box))
        assert [r.seq for r in box.pending(limit=4)] == [1, 2, 3, 4]
        assert [r.seq for r in box.pending(limit=3, after_seq=8)] == [9, 10]
        assert box.ack("not-this-epoch", [1, 2]) == 0
        assert box.ack(box.epoch, [2, 4, 99]) == 2  # unknown seqs: no-op
        assert box.ack(box.epoch, [2]) == 0  # duplicate ack: no-op
        assert [r.seq for r in box.pending(limit=4)] == [1, 3, 5, 6]
        assert box.depth() == 8


def test_append_rejects_foreign_or_out_of_order_events(tmp_path):
    with Outbox(tmp_path / "o.db", "win-01") as box:
        with pytest.raises(OutboxError, match="next seq"):
            box.append(ev(box, seq=5))
        with pytest.raises(OutboxError, match="not of this outbox"):
            box.append(Event("win-01", "other", 1, "press", 5, "five", (), "b", 1, 2, True))
        assert box.depth() == 0


def test_outbox_belongs_to_one_terminal(tmp_path):
    Outbox(tmp_path / "o.db", "win-01").close()
    with pytest.raises(OutboxError, match="belongs to terminal"):
        Outbox(tmp_path / "o.db", "win-02")


def test_committed_rows_survive_sigkill(tmp_path):
    """A child appends 20 events, prints 'done' and is SIGKILLed; all 20 are in the file afterwards."""
    path = tmp_path / "o.db"
    code = textwrap.dedent(f"""
        import sys, time
        from pingyi_terminal.outbox import Outbox
        from pingyi_terminal.protocol import Event
        box = Outbox({str(path)!r}, "win-01")
        for _ in range(20):
            box.append(Event("win-01", box.epoch, box.next_seq(), "press", 4, "five", (), "b", 1, 2, True))
        print(box.epoch, flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        epoch = proc.stdout.readline().strip()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with Outbox(path, "win-01") as box:
        assert box.epoch == epoch
        assert box.depth() == 20
        assert [r.seq for r in box.pending(limit=100)] == list(range(1, 21))
    # the rows are in the database proper (WAL checkpointed on open), readable by plain sqlite
    assert sqlite3.connect(path).execute("SELECT count(*) FROM outbox").fetchone()[0] == 20


def test_append_new_builds_from_epoch_and_seq(tmp_path):
    with Outbox(tmp_path / "o.db", "win-01") as box:
        e = box.append_new(lambda epoch, seq: Event("win-01", epoch, seq, "arm", None, "three", (), "b", 0, 0,
                                                    False))
        assert (e.seq, e.epoch, box.depth()) == (1, box.epoch, 1)
