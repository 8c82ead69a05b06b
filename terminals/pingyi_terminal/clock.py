"""Terminal clock (SPEC §4, ARCHITECTURE ex. 11): wall time, monotonic time and NTP state, injected everywhere.

A Raspberry Pi has no RTC: after a power cut its wall clock starts wherever fake-hwclock left it until NTP syncs.
Every event therefore carries ``boot`` + ``mono_ms`` (monotonic since boot) + ``wall_ms`` + ``synced`` so the
platform can re-time unsynchronised events from a later synchronised heartbeat of the same boot.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Protocol

SYNC_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    def wall_ms(self) -> int: ...
    def mono_ms(self) -> int: ...
    def synced(self) -> bool: ...


class SystemClock:
    """time.time / time.monotonic; NTP state from systemd-timesyncd's flag file or ``timedatectl``.

    ``synced()`` never blocks on a subprocess: it returns the cached value. ``refresh()`` (called from the
    agent's sender loop, off the press path) re-checks while unsynchronised; once synchronised the value sticks
    for this boot.
    """

    def __init__(self, flag: Path = SYNC_FLAG, recheck_s: float = 30.0, use_timedatectl: bool = True) -> None:
        self._flag = flag
        self._recheck_s = recheck_s
        self._use_timedatectl = use_timedatectl
        self._synced = False
        self._checked_at: float | None = None
        self._lock = threading.Lock()
        self.refresh(force=True)

    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def mono_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

    def synced(self) -> bool:
        return self._synced

    def refresh(self, force: bool = False) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._synced or (not force and self._checked_at is not None
                                and now - self._checked_at < self._recheck_s):
                return self._synced
            self._checked_at = now
            self._synced = self._detect()
            return self._synced

    def _detect(self) -> bool:
        try:
            if self._flag.exists():
                return True
        except OSError:
            pass
        if not self._use_timedatectl:
            return False
        try:
            out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                                 capture_output=True, text=True, timeout=3, check=False)
        except (OSError, subprocess.SubprocessError):
            return False
        return out.returncode == 0 and out.stdout.strip() == "yes"


class FakeClock:
    """A settable clock for tests: ``advance(ms)`` moves both wall and monotonic time."""

    def __init__(self, wall_ms: int = 1_700_000_000_000, mono_ms: int = 1_000, synced: bool = True) -> None:
        self._wall = wall_ms
        self._mono = mono_ms
        self._synced = synced
        self._lock = threading.Lock()

    def wall_ms(self) -> int:
        with self._lock:
            return self._wall

    def mono_ms(self) -> int:
        with self._lock:
            return self._mono

    def synced(self) -> bool:
        return self._synced

    def refresh(self, force: bool = False) -> bool:
        return self._synced

    def advance(self, ms: int) -> None:
        with self._lock:
            self._wall += ms
            self._mono += ms

    def set_wall(self, wall_ms: int, synced: bool | None = None) -> None:
        with self._lock:
            self._wall = wall_ms
            if synced is not None:
                self._synced = synced


def boot_id(path: Path = BOOT_ID) -> str:
    """The kernel's boot id (changes on every boot); a random id where /proc does not provide one."""
    try:
        value = path.read_text().strip()
        if value:
            return value
    except OSError:
        pass
    return "x" + uuid.uuid4().hex[:31] + str(os.getpid() % 10)
