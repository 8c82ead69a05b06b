"""Unit tests for pingyi.core.snapshot (SPEC §6): canonical JSON and the inputs digest."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from pingyi.core.scoring import tally_from_totals
from pingyi.core.snapshot import canonical_json, inputs_digest

INPUTS = {
    "campaign": 2024,
    "window": {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31)},
    "tallies": [tally_from_totals("A", "县招商局", [100, 86, 71], 1)],
    "k": 5,
    "threshold": Decimal("85.00"),
}


def test_identical_inputs_identical_digest_regardless_of_key_order():
    reordered = dict(reversed(list(INPUTS.items())))
    assert inputs_digest(INPUTS) == inputs_digest(reordered)
    assert len(inputs_digest(INPUTS)) == 64


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.update(k=6), id="k changed"),
        pytest.param(lambda d: d["window"].update(end=dt.date(2024, 12, 30)), id="window end changed"),
        pytest.param(lambda d: d.update(tallies=[tally_from_totals("A", "县招商局", [100, 86, 71], 2)]),
                     id="one more substantiated complaint"),
        pytest.param(lambda d: d.update(threshold=Decimal("85.0")), id="Decimal scale changed"),
        pytest.param(lambda d: d.update(extra=None), id="key added"),
    ],
)
def test_any_change_alters_digest(change):
    import copy

    changed = copy.deepcopy(INPUTS)
    change(changed)
    assert inputs_digest(changed) != inputs_digest(INPUTS)


def test_canonical_form():
    text = canonical_json({"b": Decimal("1.50"), "a": [dt.date(2024, 1, 2), Fraction(1, 3)], "名": {"x", "y"}})
    assert text == '{"a":["2024-01-02","1/3"],"b":"1.50","名":["x","y"]}'


@pytest.mark.parametrize("bad", [float("nan"), {1: "a", "1": "b"}, object(), {(1, 2): 3}])
def test_refuses_unencodable(bad):
    with pytest.raises((TypeError, ValueError)):
        canonical_json(bad)
