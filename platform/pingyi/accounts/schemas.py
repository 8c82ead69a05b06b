"""Web and repository layer: office users as typed records (SPEC §1, §7)."""

from __future__ import annotations

import msgspec


class UserRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An office account as stored, with its department's code for liaisons (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    department_code: str | None
    active: bool


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    """What authentication reads: the record and its password hash (never leaves the accounts service)."""

    user: UserRecord
    password_hash: str
