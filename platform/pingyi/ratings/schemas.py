"""Web layer: request schemas of the windows office pages (SPEC §4)."""

from __future__ import annotations

from msgspec import Struct


class DismissForm(Struct):
    reason: str = ""
