"""Explanations as data (issue 11): the core emits steps, the one table in core/explain.py words them.

Rendering today's steps gives exactly the lines the prose-building core wrote (the fixture was captured from that
code, tests/unit/core/explain_scenarios.py); every rule the core emits has a template; a wording change reaches every
rendering; a legacy line renders as itself; an unknown rule or broken figures render a fallback, never raise.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pingyi.core import explain
from pingyi.core.snapshot import canonical_json, to_plain
from tests.unit.core import explain_scenarios as scenarios


def _all_steps() -> list[explain.Step]:
    out: list[explain.Step] = []
    for results in scenarios.annual_campaigns().values():
        out += [s for r in results for s in r.explanation_steps]
    for m in scenarios.monthly_months().values():
        out += list(m.note_steps)
        for row in m.rows:
            out += list(row.note_steps)
            out += [s for i in row.items for s in i.explanation_steps]
    return out


def test_rendering_todays_steps_gives_the_lines_the_prose_code_wrote() -> None:
    expected = json.loads(scenarios.FIXTURE.read_text(encoding="utf-8"))
    assert scenarios.lines_of(scenarios.annual_campaigns(), scenarios.monthly_months()) == expected


def test_the_same_lines_come_back_from_the_stored_json_form() -> None:
    """What a snapshot stores (canonical JSON, reloaded) renders the same as the live steps."""
    steps = _all_steps()
    stored = json.loads(canonical_json(steps))
    assert explain.read(stored) == tuple(steps)
    assert explain.lines(stored) == [explain.render(s) for s in steps]
    assert len({hash(s) for s in steps}) > 1 and hash(explain.read(stored)) == hash(tuple(steps))


def test_every_rule_the_core_emits_has_a_template_and_the_scenarios_reach_every_template() -> None:
    emitted = {s.rule for s in _all_steps()}
    assert emitted <= set(explain.TEMPLATES), emitted - set(explain.TEMPLATES)
    assert set(explain.TEMPLATES) - emitted == {explain.TEXT}  # every other template is exercised above
    for s in _all_steps():
        assert not explain.render(s).startswith("（无法显示的说明"), s


def test_figures_are_exact_strings_or_integers_never_floats() -> None:
    def check(value: Any) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for v in value.values():
                check(v)
        if isinstance(value, list):
            for v in value:
                check(v)

    for s in _all_steps():
        check(to_plain(s))


def test_a_wording_change_reaches_every_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = to_plain(explain.step("annual.rank", rank=3))
    assert explain.render(stored) == "排名第 3 位"
    monkeypatch.setitem(explain.TEMPLATES, "annual.rank", "名次：第 {rank} 名")
    assert explain.render(stored) == "名次：第 3 名"


def test_a_legacy_line_renders_as_itself() -> None:
    line = "3 份完整评议，合计 257 分，平均 85.666667 分"
    assert explain.render(line) == line
    assert explain.lines([line, {"rule": "annual.rank", "figures": {"rank": 1}}]) == [line, "排名第 1 位"]
    row = explain.attach({"code": "A", "explanation": [line]})
    assert row["explanation"] == [line]
    assert row["explanation_steps"] == [{"rule": "text", "figures": {"text": line}}]


def test_attach_prefers_the_steps_and_renders_them_now() -> None:
    row = explain.attach({"explanation_steps": [{"rule": "annual.rank_tied", "figures": {"rank": 2}}]})
    assert row["explanation"] == ["排名第 2 位（与同分部门并列，按部门代码先后列示）"]
    notes = explain.attach({"note_steps": [], "notes": ["frozen"]}, "note_steps", "notes")
    assert notes["notes"] == []  # the steps win over any stored line


@pytest.mark.parametrize("item", [
    {"rule": "no.such.rule", "figures": {"a": 1}},
    {"rule": "annual.rank", "figures": {}},                       # a figure missing
    {"rule": "annual.complaints", "figures": {"complaints": 7}},  # a figure of the wrong shape
    {"rule": "monthly.rating.no_served", "figures": {"source": "fax"}},
    {"figures": {}},                                              # no rule at all
    42,
])
def test_an_unknown_rule_or_broken_figures_render_a_fallback_never_raise(item: Any) -> None:
    text = explain.render(item)
    assert isinstance(text, str) and text


def test_the_fallback_names_the_rule_and_its_figures() -> None:
    text = explain.render({"rule": "no.such.rule", "figures": {"a": 1}})
    assert text == "（无法显示的说明：规则 no.such.rule，数据 a = 1）"
