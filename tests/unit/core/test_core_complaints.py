"""Unit tests for pingyi.core.complaints (SPEC §5): transitions, required fields, overdue, window."""

import datetime as dt

import pytest

from pingyi.core.complaints import (
    STATE_LABELS,
    allowed_actions,
    counts_for_penalty,
    counts_in_window,
    due_date,
    is_overdue,
    transition,
)
from pingyi.core.errors import InvalidInput, StateError

OK = [
    ("received", "investigate", {}, "investigating"),
    ("investigating", "substantiate", {"reason": "核实", "severity": "general"}, "substantiated"),
    ("investigating", "substantiate", {"reason": "核实", "severity": "serious"}, "substantiated"),
    ("investigating", "unsubstantiate", {"reason": "查无实据"}, "unsubstantiated"),
    ("received", "withdraw", {}, "withdrawn"),
    ("investigating", "withdraw", {}, "withdrawn"),
    ("substantiated", "reopen", {"reason": "新证据"}, "investigating"),
    ("unsubstantiated", "reopen", {"reason": "新证据"}, "investigating"),
]


@pytest.mark.parametrize("state, action, kw, target", OK, ids=[f"{s} -{a}-> {t}" for s, a, _, t in OK])
def test_allowed_transitions(state, action, kw, target):
    assert transition(state, action, actor="李四", **kw) == target
    assert action in allowed_actions(state)


NOT_ALLOWED = [
    ("received", "substantiate"), ("received", "unsubstantiate"), ("received", "reopen"),
    ("investigating", "investigate"), ("substantiated", "withdraw"), ("substantiated", "substantiate"),
    ("withdrawn", "reopen"), ("withdrawn", "investigate"), ("unsubstantiated", "investigate"),
]


@pytest.mark.parametrize("state, action", NOT_ALLOWED, ids=[f"{s} -{a}-> refused" for s, a in NOT_ALLOWED])
def test_refused_transitions(state, action):
    with pytest.raises(StateError) as err:
        transition(state, action, actor="李四", reason="r", severity="general" if action == "substantiate" else None)
    assert STATE_LABELS[state] in err.value.message


@pytest.mark.parametrize(
    "state, action, kw, missing",
    [
        pytest.param("investigating", "substantiate", {"actor": "", "reason": "r", "severity": "general"}, "actor",
                     id="decision without investigator"),
        pytest.param("investigating", "unsubstantiate", {"actor": "李四", "reason": "  "}, "reason",
                     id="decision without reason"),
        pytest.param("investigating", "substantiate", {"actor": "李四", "reason": "r"}, "severity",
                     id="substantiated without severity"),
        pytest.param("investigating", "substantiate", {"actor": "李四", "reason": "r", "severity": "bad"}, "severity",
                     id="unknown severity"),
        pytest.param("investigating", "unsubstantiate", {"actor": "李四", "reason": "r", "severity": "general"},
                     "severity", id="severity on unsubstantiated"),
        pytest.param("substantiated", "reopen", {"actor": "李四", "reason": None}, "reason",
                     id="reopen without reason"),
    ],
)
def test_missing_fields(state, action, kw, missing):
    with pytest.raises(InvalidInput) as err:
        transition(state, action, **kw)
    assert missing in err.value.details


def test_unknown_state_or_action():
    with pytest.raises(InvalidInput):
        transition("lost", "investigate", actor="a")
    with pytest.raises(InvalidInput):
        transition("received", "delete", actor="a")


MON = dt.date(2024, 12, 2)  # a Monday


@pytest.mark.parametrize(
    "received, today, holidays, workdays, overdue",
    [
        pytest.param(MON, MON + dt.timedelta(days=21), (), (), False,
                     id="Mon + 15 working days = Mon 3 weeks later (due day) → not overdue"),
        pytest.param(MON, MON + dt.timedelta(days=22), (), (), True, id="day after due → overdue"),
        pytest.param(MON, MON + dt.timedelta(days=22), (MON + dt.timedelta(days=3),), (), False,
                     id="one weekday holiday pushes due one working day later"),
        pytest.param(MON, MON + dt.timedelta(days=21), (), (MON + dt.timedelta(days=5),), True,
                     id="a make-up Saturday (调休) brings due one day earlier"),
    ],
)
def test_overdue_working_days(received, today, holidays, workdays, overdue):
    assert is_overdue(received, today, "investigating", holidays=frozenset(holidays),
                      workdays=frozenset(workdays)) is overdue


def test_due_date_skips_weekends():
    fri = dt.date(2024, 12, 6)
    assert due_date(fri, 1) == dt.date(2024, 12, 9)  # Friday + 1 working day = Monday
    assert due_date(MON, 15) == dt.date(2024, 12, 23)


@pytest.mark.parametrize("state", ["substantiated", "unsubstantiated", "withdrawn"])
def test_closed_complaints_are_never_overdue(state):
    assert is_overdue(MON, MON + dt.timedelta(days=365), state) is False


def test_received_state_can_be_overdue():
    assert is_overdue(MON, MON + dt.timedelta(days=60), "received") is True


@pytest.mark.parametrize(
    "decision, expected",
    [
        pytest.param(dt.date(2024, 1, 1), True, id="first day included"),
        pytest.param(dt.date(2024, 12, 31), True, id="last day included"),
        pytest.param(dt.date(2023, 12, 31), False, id="day before"),
        pytest.param(dt.date(2025, 1, 1), False, id="day after"),
        pytest.param(None, False, id="no decision"),
    ],
)
def test_counts_in_window(decision, expected):
    assert counts_in_window(decision, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) is expected


def test_window_order_and_penalty_needs_substantiated():
    with pytest.raises(InvalidInput):
        counts_in_window(dt.date(2024, 5, 1), dt.date(2024, 12, 31), dt.date(2024, 1, 1))
    day, start, end = dt.date(2024, 5, 1), dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    assert counts_for_penalty("substantiated", day, start, end)
    assert not counts_for_penalty("unsubstantiated", day, start, end)
