"""Unit: account rules — password policy, lockout window, session lifetime, contact masking (SPEC §5, §8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingyi.core.accounts import (
    LockoutPolicy,
    SessionPolicy,
    locked_until,
    mask_contact,
    password_problem,
    session_end_reason,
)

T0 = datetime(2026, 12, 15, 8, 0, tzinfo=UTC)
POLICY = LockoutPolicy()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize("username, password, problem", [
    ("inv", "123456789", "密码至少 10 个字符。"),          # 9 characters
    ("inv", "1234567890", None),                          # exactly 10
    ("zhangsan01", "ZhangSan01", "密码不能与用户名相同。"),  # the username, case aside
    ("zhangsan01", "zhangsan01!", None),
])
def test_password_policy(username, password, problem):
    assert password_problem(username, password) == problem


@pytest.mark.parametrize("failures, until", [
    ([0, 1, 2, 3], None),                   # 4 failures: no lock
    ([0, 1, 2, 3, 4], at(4 + 15)),          # the 5th within 15 minutes locks for 15 minutes after it
    ([0, 4, 8, 12, 15], at(15 + 15)),       # 5 within exactly 15 minutes still locks
    ([0, 4, 8, 12, 16], None),              # spread over 16 minutes: no lock
    ([0, 4, 8, 12, 16, 17], at(17 + 15)),   # failures 2..6 span 13 minutes: lock from the 6th
])
def test_lockout_window(failures, until):
    assert locked_until([at(m) for m in reversed(failures)], POLICY) == until


def test_session_lifetime_and_idle():
    policy = SessionPolicy()
    assert session_end_reason(at(0), at(0), at(29.9), policy) is None
    assert session_end_reason(at(0), at(0), at(30), policy) == "idle"          # 30 minutes idle
    assert session_end_reason(at(0), at(470), at(480), policy) == "lifetime"   # 8 hours after login, though busy
    assert session_end_reason(at(0), at(470), at(479), policy) is None


@pytest.mark.parametrize("contact, shown", [
    ("13812345678", "138******78"),
    ("  zhang@example.cn ", "zha" + "*" * 11 + "cn"),   # 16 characters: 3 shown, 11 hidden, 2 shown
    ("123456", "******"),
    ("", ""),
])
def test_contact_masking(contact, shown):
    assert mask_contact(contact) == shown
