"""Infrastructure layer: argon2 password hashing, run in a worker thread off the serving loop (SPEC §7, §8)."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("pingyi-no-such-user-dummy-password")


def _verify_dummy(password: str) -> None:
    verify_password(_dummy_hash(), password)


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(stored_hash: str | None, password: str) -> bool:
    """Verify in a worker thread. Without a stored hash (unknown user) a dummy hash is verified instead, so the
    answer takes as long as for a wrong password, and is False."""
    if stored_hash is None:
        await asyncio.to_thread(_verify_dummy, password)
        return False
    return await asyncio.to_thread(verify_password, stored_hash, password)
