"""Test helper: a throwaway PostgreSQL cluster (initdb/pg_ctl under /tmp, on a free port) and the operator's attack
on the data folder of the stopped server: heap position and xmin of each row version, first offset in pg_wal."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .attacker import Observation, Rows, observe_pg
from .voting import Copy


def _bin() -> Path:
    """Debian's server binaries (initdb, pg_ctl), newest major version installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    assert found, "PostgreSQL's server binaries (initdb) are needed: apt-get install postgresql"
    return found[-1].parent


BIN = _bin()
PAGE = 8192
ANONYMOUS = ("receipt", "section", "opinion", "spent_token", "ballot", "card")


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def cluster(port: int) -> Iterator[tuple[str, Path]]:
    """(admin DSN, data folder) of a fresh cluster; the caller stops it with `stop` before reading files."""
    folder = Path(tempfile.mkdtemp(prefix="pingyi-pgdata-", dir="/tmp"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    subprocess.run(_as_postgres([str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                 "--no-sync"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
                                 f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}", data
    finally:
        stop(data)
        shutil.rmtree(folder, ignore_errors=True)


def stop(data: Path) -> None:
    subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                   capture_output=True)


def _tuples(heap: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """(block, line pointer, xmin, bytes) of every stored tuple version, live or dead."""
    for block in range(len(heap) // PAGE):
        page = heap[block * PAGE:(block + 1) * PAGE]
        lower = int.from_bytes(page[12:14], "little")
        for lp in range(24, lower, 4):
            word = int.from_bytes(page[lp:lp + 4], "little")
            off, flags, length = word & 0x7FFF, (word >> 15) & 3, word >> 17
            if flags == 1 and length:
                yield block, (lp - 24) // 4, int.from_bytes(page[off:off + 4], "little"), page[off:off + length]


def observe_data_folder(label: str, dump: str, heaps: dict[str, bytes], wal: bytes) -> Observation:
    """Rows as the dump lists them; their keys from the stopped server's files."""
    base = observe_pg(Copy(label, 0, dump=dump))
    orders = ["heap position", "xmin (oldest version)", "pg_wal offset"]
    versions: list[tuple[str, int, int, int, bytes]] = [(t, *v) for t, heap in heaps.items() for v in _tuples(heap)]

    def keys(needle: str) -> dict[str, float]:
        raw = needle.encode("utf-8")
        found = [(b, lp, xmin) for _, b, lp, xmin, data in versions if raw in data]
        out = {"pg_wal offset": float(wal.find(raw))}
        if found:
            out["heap position"] = float(min(b * 1000 + lp for b, lp, _ in found))
            out["xmin (oldest version)"] = float(min(x for _, _, x in found))
        return out

    def rekey(rows: Rows, needle_of) -> Rows:
        return Rows({identity: keys(needle_of(identity)) for identity in rows.keys}, rows.links)

    return Observation(label, orders, rekey(base.sections, lambda i: i.split(":", 1)[1]),
                       rekey(base.opinions, lambda i: i), rekey(base.receipts, lambda i: i),
                       rekey(base.spent_cards, lambda i: i), rekey(base.spent_tags, lambda i: i),
                       rekey(base.ballots, lambda i: i))
