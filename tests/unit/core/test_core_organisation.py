"""Core: what a department list changes in the stored organisation (SPEC §8), table-driven."""

from __future__ import annotations

import pytest

from pingyi.core.organisation import StoredDepartment as S
from pingyi.core.organisation import department_changes, wanted_from_list

STORED = [S("D01", "县招商局", True, 10), S("D02", "县发改委", True, 20), S("D03", "县经贸委", False, 30)]


@pytest.mark.parametrize("wanted, added, renamed, deactivated, reactivated, reordered", [
    # the same list, D03 listed again: it comes back
    ([("D01", "县招商局"), ("D02", "县发改委"), ("D03", "县经贸委")], [], [], [], ["D03"], []),
    # D02 missing from the list: deactivated, never deleted; D03 stays inactive
    ([("D01", "县招商局")], [], [], ["D02"], [], []),
    # a new code is added at its position; a changed name is a rename
    ([("D01", "县投资促进局"), ("D02", "县发改委"), ("D04", "县国土局")], ["D04"],
     [("D01", "县招商局", "县投资促进局")], [], [], []),
    # a move in the list changes positions (10, 20, …) only
    ([("D02", "县发改委"), ("D01", "县招商局")], [], [], [], [], ["D02", "D01"]),
], ids=["reactivate", "deactivate", "add-and-rename", "reorder"])
def test_changes(wanted, added, renamed, deactivated, reactivated, reordered):
    c = department_changes(STORED, wanted_from_list(wanted))
    assert [w.code for w in c.added] == added
    assert [(r.code, r.old, r.new) for r in c.renamed] == renamed
    assert list(c.deactivated) == deactivated and list(c.reactivated) == reactivated
    assert list(c.reordered) == reordered


def test_no_difference_is_empty_and_says_how_many_match():
    c = department_changes(STORED[:2], wanted_from_list([("D01", "县招商局"), ("D02", "县发改委")]))
    assert c.empty and c.unchanged == 2 and c.lines == ()


def test_every_change_has_a_line_the_office_can_read():
    c = department_changes(STORED, wanted_from_list([("D01", "县投资促进局"), ("D04", "县国土局")]))
    assert c.lines == ("更名 D01：县招商局 → 县投资促进局", "新增 D04 县国土局", "停用 D02 县发改委（保留历史数据）")
