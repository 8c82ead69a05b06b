"""Unit: the clock, account settings, and argon2 off the event loop (SPEC §8)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime

import pytest

from pingyi.accounts import passwords
from pingyi.clock import FixedClock, SystemClock, today_in
from pingyi.settings import Settings, SettingsError


def test_today_is_in_the_office_time_zone():
    clock = FixedClock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 07:30 on 1 January in Beijing
    assert today_in(clock, "Asia/Shanghai") == date(2027, 1, 1)
    assert today_in(clock, "UTC") == date(2026, 12, 31)
    clock.advance(hours=1)
    assert clock.now() == datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    assert SystemClock().now().tzinfo is not None
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


def test_account_settings_from_the_environment():
    s = Settings.from_env({"PINGYI_SESSION_IDLE_MINUTES": "10", "PINGYI_SESSION_MAX_HOURS": "4",
                           "PINGYI_LOGIN_MAX_FAILURES": "3", "PINGYI_LOGIN_WINDOW_MINUTES": "5",
                           "PINGYI_LOGIN_LOCK_MINUTES": "60"})
    a = s.accounts
    assert (a.session_idle_minutes, a.session_max_hours, a.login_max_failures, a.login_window_minutes,
            a.login_lock_minutes) == (10, 4, 3, 5, 60)
    d = Settings.from_env({}).accounts
    assert (d.session_idle_minutes, d.session_max_hours, d.login_max_failures) == (30, 8, 5)
    with pytest.raises(SettingsError, match="PINGYI_SESSION_IDLE_MINUTES"):
        Settings.from_env({"PINGYI_SESSION_IDLE_MINUTES": "0"})


class _RecordingHasher:
    """A fake argon2 hasher that notes the thread each call runs on."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def hash(self, password: str) -> str:
        self.threads.append(threading.get_ident())
        return "h:" + password

    def verify(self, stored: str, password: str) -> bool:
        self.threads.append(threading.get_ident())
        return stored == "h:" + password


def test_argon2_runs_in_a_worker_thread(monkeypatch):
    fake = _RecordingHasher()
    monkeypatch.setattr(passwords, "_hasher", fake)
    passwords._dummy_hash.cache_clear()

    async def work():
        loop_thread = threading.get_ident()
        hashed = await passwords.hash_password_async("correct-horse")
        ok = await passwords.verify_password_async(hashed, "correct-horse")
        unknown = await passwords.verify_password_async(None, "correct-horse")
        return loop_thread, ok, unknown

    loop_thread, ok, unknown = asyncio.run(work())
    passwords._dummy_hash.cache_clear()
    assert ok is True and unknown is False
    assert len(fake.threads) == 4 and loop_thread not in fake.threads  # hash, verify, dummy hash, dummy verify
