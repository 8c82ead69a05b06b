"""Unit: the exports round exact figures once, half-up (SPEC §2 "84.995 → 85.00"; issue 11 "one rounding path")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pingyi.publication.exports import _exact, _pct
from pingyi.render.spreadsheet import Column, Sheet, to_csv


@pytest.mark.parametrize(("exact", "shown"), [
    ("16999/200", "85.00"),   # 84.995 → 85.00 (half-up; banker's rounding would give 85.00 too, see next)
    ("16997/200", "84.99"),   # 84.985 → 84.99 (banker's rounding would give 84.98)
    ("257/3", "85.67"),       # SPEC worked example: 85.666… → 85.67
    ("197/3", "65.67"),
    ("169/2", "84.50"),       # 84.5 keeps its two decimals
    ("0/1", "0.00"),
])
def test_exact_fractions_are_rounded_half_up_to_two_places(exact, shown):
    assert _exact(exact) == Decimal(shown) and f"{_exact(exact):f}" == shown
    assert to_csv(Sheet("t", (Column("分", "dec2"),), [[_exact(exact)]])).decode("utf-8-sig").splitlines()[1] == shown


def test_shares_are_percent_half_up_and_none_without_ratings():
    assert _pct(1, 32) == Decimal("3.13")   # 3.125 % → 3.13 (banker's: 3.12)
    assert _pct(73, 80) == Decimal("91.25")  # the liaison page once showed 91.2
    assert _pct(1, 2) == Decimal("50.00") and _pct(0, 0) is None
