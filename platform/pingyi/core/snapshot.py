"""Core layer: canonical JSON and the inputs digest of a results snapshot (SPEC §6, used by the audit chain §7).

Canonical form: sorted keys, no whitespace, UTF-8 characters kept (ensure_ascii=False), Decimal → its string
(scale kept: "1.50" and "1.5" differ on purpose, they are different recorded figures), Fraction → "n/d",
date/datetime/time → isoformat, tuple/list → list, set/frozenset → sorted list, dataclass → dict of fields,
Enum → value. Floats must be finite. Dict keys must be strings (or dates / ints, turned into strings; a clash
between them is refused).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import hashlib
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any


def _plain(obj: object) -> Any:
    """Convert to JSON-native values (dict/list/str/int/float/bool/None)."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise ValueError("canonical JSON refuses NaN and infinity")
        return obj
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError("canonical JSON refuses non-finite Decimal")
        return f"{obj:f}"
    if isinstance(obj, Fraction):
        return f"{obj.numerator}/{obj.denominator}"
    if isinstance(obj, (_dt.date, _dt.datetime, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return _plain(obj.value)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if isinstance(key, str):
                skey = key
            elif isinstance(key, (int, _dt.date, Decimal)) and not isinstance(key, bool):
                skey = _plain(key) if not isinstance(key, int) else str(key)
            else:
                raise TypeError(f"canonical JSON needs string keys, got {type(key).__name__}")
            if skey in out:
                raise ValueError(f"canonical JSON: two keys map to {skey!r}")
            out[skey] = _plain(value)
        return out
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        items = [_plain(v) for v in obj]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    raise TypeError(f"canonical JSON cannot encode {type(obj).__name__}")


def to_plain(obj: object) -> Any:
    """The JSON-native value that `canonical_json` encodes (what a JSON column gives back when reloaded)."""
    return _plain(obj)


def canonical_json(obj: object) -> str:
    """One text per value: equal inputs give equal text on every machine."""
    return json.dumps(_plain(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def inputs_digest(obj: object) -> str:
    """sha256 hex of the canonical JSON of `obj`: identical inputs, identical digest; any change alters it."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()
