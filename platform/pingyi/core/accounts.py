"""Core layer: account rules — password policy, login lockout, session lifetime, contact masking (SPEC §5, §8). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_PASSWORD_LENGTH = 10


def password_problem(username: str, password: str) -> str | None:
    """Why `password` is refused for `username` (a message the user can act on), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 个字符。"
    if password.strip().lower() == username.strip().lower():
        return "密码不能与用户名相同。"
    return None


@dataclass(frozen=True)
class LockoutPolicy:
    """`max_failures` failed logins within `window` lock the username for `lock` (counted from the last one)."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


def locked_until(failures: Sequence[datetime], policy: LockoutPolicy) -> datetime | None:
    """The end of the newest lock that `failures` (failed-login times, any order) impose, or None.

    A lock starts at the failure that completes `max_failures` failures within `window` and lasts `lock`.
    Compare the result with now: a lock that ended in the past no longer applies.
    """
    times = sorted(failures)
    n = policy.max_failures
    until: datetime | None = None
    for i in range(len(times) - n + 1):
        if times[i + n - 1] - times[i] <= policy.window:
            until = times[i + n - 1] + policy.lock
    return until


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=8)


def session_end_reason(created_at: datetime, last_seen_at: datetime, now: datetime,
                       policy: SessionPolicy) -> str | None:
    """Why a session is over at `now` ("lifetime" or "idle"), or None while it is alive."""
    if now - created_at >= policy.lifetime:
        return "lifetime"
    if now - last_seen_at >= policy.idle:
        return "idle"
    return None


def mask_contact(contact: str) -> str:
    """A contact detail as the office admin sees it: the first 3 and last 2 characters, the rest hidden.
    Short values (6 characters or fewer) are hidden entirely."""
    text = contact.strip()
    if not text:
        return ""
    if len(text) <= 6:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]
