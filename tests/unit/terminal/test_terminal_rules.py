"""Abuse rules (SPEC §4): unarmed, repeat, one arm → one counted rating. Pure functions, table-driven."""

from __future__ import annotations

import pytest

from pingyi_terminal.rules import Rules, RulesState, decide


def run(rules: Rules, script: list[tuple[str, int]]) -> list[tuple[str, ...]]:
    """Feed (kind, mono_ms) inputs; return the flags of each input."""
    state = RulesState()
    out = []
    for kind, t in script:
        flags, state = decide(state, rules, kind, t)
        out.append(flags)
    return out


@pytest.mark.parametrize("name,rules,script,expected", [
    ("open mode: presses 5 s apart are all counted",
     Rules(), [("press", 0), ("press", 5_000), ("press", 10_000)], [(), (), ()]),
    ("open mode: 2.999 s after the previous press is a repeat; 3.000 s is not",
     Rules(), [("press", 0), ("press", 2_999), ("press", 5_999)], [(), ("repeat",), ()]),
    ("a repeat restarts the window: mashing stays flagged",
     Rules(), [("press", 0), ("press", 2_000), ("press", 4_000), ("press", 6_000)],
     [(), ("repeat",), ("repeat",), ("repeat",)]),
    ("repeat interval 0 disables the repeat rule",
     Rules(repeat_interval_s=0), [("press", 0), ("press", 1)], [(), ()]),
    ("armed mode: a press without an arm is unarmed",
     Rules(armed_mode=True), [("press", 0)], [("unarmed",)]),
    ("armed mode: arm → one counted press; the next is unarmed (一次一评)",
     Rules(armed_mode=True), [("arm", 0), ("press", 1_000), ("press", 10_000)], [(), (), ("unarmed",)]),
    ("armed mode: unarmed and repeat together",
     Rules(armed_mode=True), [("arm", 0), ("press", 100), ("press", 200)], [(), (), ("repeat", "unarmed")]),
    ("an arm resets the repeat window: the next customer may rate right away",
     Rules(armed_mode=True), [("arm", 0), ("press", 100), ("arm", 500), ("press", 900)], [(), (), (), ()]),
    ("two arms in a row still admit one counted press",
     Rules(armed_mode=True), [("arm", 0), ("arm", 10), ("press", 5_000), ("press", 10_000)],
     [(), (), (), ("unarmed",)]),
    ("open mode: arms are recorded and never flagged; presses are not unarmed",
     Rules(), [("arm", 0), ("arm", 1), ("press", 2)], [(), (), ()]),
])
def test_rules(name, rules, script, expected):
    assert run(rules, script) == expected, name


def test_unknown_kind():
    with pytest.raises(ValueError):
        decide(RulesState(), Rules(), "hold", 0)
