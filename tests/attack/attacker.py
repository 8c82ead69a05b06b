"""Test helper: the operator's attack on one copy of the database (SPEC §3). It knows only what it can read from
the copy (and the roster's order of cards); the scoring against the truth happens in the tests.

For each kind of anonymous row it finds every row it can identify and gives it one key per stored order it can
read: SQLite — rowid, byte offset of the row in the database file (first and last occurrence: page number and
cell position), index of the first WAL frame holding the row; PostgreSQL — the row's position in `pg_dump`
(heap order). It also reads any stored link (a column naming another row).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .voting import Copy, copy_files_to, remove

WAL_HEADER = 32
FRAME_HEADER = 24


@dataclass
class Rows:
    """Rows of one kind: identity → {order name → key}; links: identity → identity of another kind."""

    keys: dict[str, dict[str, float]] = field(default_factory=dict)
    links: dict[str, dict[str, str]] = field(default_factory=dict)  # link name → {identity → other identity}


@dataclass
class Observation:
    label: str
    orders: list[str]
    sections: Rows  # identity "D01:5353…" (department code, answers)
    opinions: Rows  # identity = text
    receipts: Rows  # identity = code
    spent_cards: Rows  # identity = token hash (only cards the copy shows as spent)
    spent_tags: Rows  # identity = stored tag
    ballots: Rows  # identity = ballot id (kept only when a stored link ties it to sections)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _wal_frames(wal: bytes) -> Iterator[bytes]:
    if len(wal) < WAL_HEADER:
        return
    page_size = int.from_bytes(wal[8:12], "big")
    pos = WAL_HEADER
    while pos + FRAME_HEADER + page_size <= len(wal):
        yield wal[pos + FRAME_HEADER:pos + FRAME_HEADER + page_size]
        pos += FRAME_HEADER + page_size


class _Bytes:
    """Physical keys from the raw files: byte offsets in the database file, first WAL frame."""

    def __init__(self, copy: Copy) -> None:
        self.db = copy.files.get("db", b"")
        self.frames = list(_wal_frames(copy.files.get("-wal", b"")))

    def keys(self, needle: str) -> dict[str, float]:
        raw = needle.encode("utf-8")
        first = self.db.find(raw)
        last = self.db.rfind(raw)
        frame = next((i for i, f in enumerate(self.frames) if raw in f), -1)
        return {"file offset (first)": float(first), "file offset (last)": float(last), "WAL frame": float(frame)}


def observe_sqlite(copy: Copy, scratch: Path) -> Observation:
    path = copy_files_to(copy, scratch)
    physical = _Bytes(copy)
    conn = sqlite3.connect(path)
    try:
        obs = Observation(copy.label, ["rowid", "file offset (first)", "file offset (last)", "WAL frame"],
                          Rows(), Rows(), Rows(), Rows(), Rows(), Rows())
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        depts = dict(conn.execute("SELECT id, code FROM department"))

        def add(rows: Rows, identity: str, rowid: float | None, needle: str) -> None:
            keys = physical.keys(needle)
            keys["rowid"] = float(rowid) if rowid is not None else -1.0
            rows.keys[identity] = keys

        cols = _columns(conn, "section")
        extra = ", ".join(c for c in ("ballot", "opinion") if c in cols)
        for row in conn.execute(f"SELECT rowid, department, answers{', ' + extra if extra else ''} FROM section"):
            identity = f"{depts[row[1]]}:{row[2]}"
            add(obs.sections, identity, row[0], row[2])
            named = dict(zip([c for c in ("ballot", "opinion") if c in cols], row[3:], strict=False))
            if "ballot" in named:
                obs.sections.links.setdefault("ballot", {})[identity] = str(named["ballot"])
            if named.get("opinion"):
                add(obs.opinions, named["opinion"], row[0], named["opinion"])
                obs.opinions.links.setdefault("section", {})[named["opinion"]] = identity
        if "opinion" in tables:
            for rowid, text in conn.execute("SELECT rowid, text FROM opinion"):
                add(obs.opinions, text, rowid, text)
        for rowid, code in conn.execute("SELECT rowid, code FROM receipt"):
            add(obs.receipts, code, rowid, code)
        if "spent" in _columns(conn, "card"):
            for rowid, h in conn.execute("SELECT rowid, token_hash FROM card WHERE spent"):
                add(obs.spent_cards, h, rowid, h)
        if "spent_token" in tables:
            tags = {r[1]: r[0] for r in conn.execute("SELECT rowid, tag FROM spent_token")}
            for tag, rowid in tags.items():
                add(obs.spent_tags, tag, rowid, tag)
            for rowid, h in conn.execute("SELECT rowid, token_hash FROM card"):
                if h in tags:  # a tag equal to the card's own hash names the card
                    add(obs.spent_cards, h, rowid, h)
        if "ballot" in obs.sections.links and "ballot" in tables:
            for rowid, bid in conn.execute("SELECT rowid, id FROM ballot"):
                add(obs.ballots, str(bid), rowid, str(bid))
        return obs
    finally:
        conn.close()
        remove(scratch)


COPY_BLOCK = re.compile(r"^COPY public\.(\w+) \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$", re.M | re.S)


def _dump_tables(dump: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for match in COPY_BLOCK.finditer(dump):
        cols = [c.strip().strip('"') for c in match.group(2).split(",")]
        rows = [dict(zip(cols, line.split("\t"), strict=False)) for line in match.group(3).splitlines() if line]
        out[match.group(1)] = rows
    return out


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def observe_pg(copy: Copy) -> Observation:
    tables = _dump_tables(copy.dump)
    order = "pg_dump row order"
    obs = Observation(copy.label, [order], Rows(), Rows(), Rows(), Rows(), Rows(), Rows())
    depts = {r["id"]: r["code"] for r in tables.get("department", [])}
    for pos, row in enumerate(tables.get("section", [])):
        identity = f"{depts[row['department']]}:{row['answers']}"
        obs.sections.keys[identity] = {order: float(pos)}
        if "ballot" in row:
            obs.sections.links.setdefault("ballot", {})[identity] = row["ballot"]
        if row.get("opinion"):
            text = _unescape(row["opinion"])
            obs.opinions.keys[text] = {order: float(pos)}
            obs.opinions.links.setdefault("section", {})[text] = identity
    for pos, row in enumerate(tables.get("opinion", [])):
        obs.opinions.keys[_unescape(row["text"])] = {order: float(pos)}
    for pos, row in enumerate(tables.get("receipt", [])):
        obs.receipts.keys[row["code"]] = {order: float(pos)}
    tags = {row["tag"]: pos for pos, row in enumerate(tables.get("spent_token", []))}
    for tag, pos in tags.items():
        obs.spent_tags.keys[tag] = {order: float(pos)}
    for pos, row in enumerate(tables.get("card", [])):
        if row.get("spent") == "t" or row["token_hash"] in tags:
            obs.spent_cards.keys[row["token_hash"]] = {order: float(pos)}
    if "ballot" in obs.sections.links:
        for pos, row in enumerate(tables.get("ballot", [])):
            obs.ballots.keys[row["id"]] = {order: float(pos)}
    return obs


def observe(copy: Copy, scratch: Path) -> Observation:
    return observe_sqlite(copy, scratch) if copy.files else observe_pg(copy)
