"""Unit: the 差评-answer and rectification-task state machines, answer checks, deadlines across the Spring
Festival with its make-up Saturday, and the per-department monthly figures (core/followup.py; issue 10)."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from pingyi import workcalendar
from pingyi.core import followup as f
from pingyi.core.errors import InvalidInput, StateError

SURVEYS = Path(__file__).resolve().parents[3] / "surveys"

# (state, action, who) → resulting state; every combination not listed is refused
ANSWER_ALLOWED = {
    (f.PENDING, f.ANSWER, "liaison"): f.SUBMITTED,
    (f.RETURNED, f.ANSWER, "liaison"): f.SUBMITTED,
    (f.SUBMITTED, f.ACCEPT, "office"): f.ACCEPTED,
    (f.SUBMITTED, f.RETURN, "office"): f.RETURNED,
}
TASK_ALLOWED = {
    (f.OPEN, f.SUBMIT, "liaison"): f.SUBMITTED,
    (f.RETURNED, f.SUBMIT, "liaison"): f.SUBMITTED,
    (f.SUBMITTED, f.ACCEPT, "office"): f.ACCEPTED,
    (f.SUBMITTED, f.RETURN, "office"): f.RETURNED,
}


@pytest.mark.parametrize("state, action, who", list(itertools.product(
    f.ANSWER_STATE_LABELS, f.ANSWER_TRANSITIONS, ("liaison", "office"))))
def test_every_answer_transition(state, action, who):
    """Every (state, action, side) of a 差评 answer: the four allowed ones give their state; the rest are refused
    (StateError when the state forbids it, InvalidInput when the wrong side acts)."""
    expected = ANSWER_ALLOWED.get((state, action, who))
    if expected is not None:
        assert f.answer_transition(state, action, by=who, reason="原因未查清") == expected
        return
    state_allows = state in f.ANSWER_TRANSITIONS[action][0]
    with pytest.raises(InvalidInput if state_allows else StateError):
        f.answer_transition(state, action, by=who, reason="原因未查清")


@pytest.mark.parametrize("state, action, who", list(itertools.product(
    f.TASK_STATE_LABELS, f.TASK_TRANSITIONS, ("liaison", "office"))))
def test_every_task_transition(state, action, who):
    expected = TASK_ALLOWED.get((state, action, who))
    if expected is not None:
        assert f.task_transition(state, action, by=who, reason="措施不具体") == expected
        return
    state_allows = state in f.TASK_TRANSITIONS[action][0]
    with pytest.raises(InvalidInput if state_allows else StateError):
        f.task_transition(state, action, by=who, reason="措施不具体")


@pytest.mark.parametrize("machine", [f.answer_transition, f.task_transition])
def test_a_return_needs_a_reason_and_unknown_input_is_refused(machine):
    with pytest.raises(InvalidInput, match="理由"):
        machine(f.SUBMITTED, f.RETURN, by="office", reason="  ")
    with pytest.raises(InvalidInput):
        machine("lost", f.ACCEPT, by="office")
    with pytest.raises(InvalidInput):
        machine(f.SUBMITTED, "approve", by="office")


def test_accepted_is_final():
    assert f.answer_actions(f.ACCEPTED) == [] and f.task_actions(f.ACCEPTED) == []


TODAY = date(2026, 12, 3)


@pytest.mark.parametrize("outcome, fix_due, problem", [
    ("fixed", "", None),
    ("explained", "", None),
    ("scheduled", "2026-12-31", None),
    ("scheduled", "", "须填写整改期限"),
    ("scheduled", "2026-12-02", "不能早于今天"),
    ("scheduled", "31/12/2026", "格式"),
    ("fixed", "2026-12-31", "只有限期整改"),
    ("scheduled", "2027-12-04", None),  # 366 days ahead is the limit: 2027-12-04 is 366 days, 12-05 is 367
    ("scheduled", "2027-12-05", "不能晚于一年之后"),
    ("ignored", "", "处理方式"),
])
def test_answer_input(outcome, fix_due, problem):
    """立行立改 and 依法解释 take no due date; 限期整改 needs one, today or later."""
    def build():
        return f.answer_input(finding="窗口人员离岗", cause="排班不足", outcome=outcome, measure="增加午间值班",
                              fix_due=fix_due, today=TODAY)
    if problem is None:
        got = build()
        assert got.outcome == outcome and (got.fix_due is not None) == (outcome == "scheduled")
    else:
        with pytest.raises(InvalidInput, match=problem):
            build()


@pytest.mark.parametrize("field", ["finding", "cause", "measure"])
def test_answer_needs_every_text(field):
    values = {"finding": "x", "cause": "y", "measure": "z", **{field: "   "}}
    with pytest.raises(InvalidInput, match="请填写"):
        f.answer_input(outcome="fixed", fix_due=None, today=TODAY, **values)
    with pytest.raises(InvalidInput, match="不超过"):
        f.answer_input(outcome="fixed", fix_due=None, today=TODAY, **{**values, field: "长" * 2001})


def test_callback_note_needed_unless_satisfied():
    assert f.callback_input(f.REACHED_SATISFIED, "") == (f.REACHED_SATISFIED, "")
    with pytest.raises(InvalidInput):
        f.callback_input(f.UNREACHABLE, "")
    with pytest.raises(InvalidInput):
        f.callback_input("maybe", "说明")


def test_answer_due_across_the_spring_festival_and_its_make_up_saturday():
    """A 差评 on Thursday 2026-02-12: working days 13 (Fri), 14 (make-up Saturday), then the holiday 15–23,
    24, 25, 26 → the 5th working day is 2026-02-26. Counting Monday–Friday would give 2026-02-19 (in the holiday)."""
    cal = workcalendar.load(SURVEYS)
    assert f.due_date(date(2026, 2, 12), 5, cal.holidays, cal.workdays) == date(2026, 2, 26)
    assert f.due_date(date(2026, 2, 12), 5) == date(2026, 2, 19)
    # the make-up Saturday 2026-02-28 counts as a working day
    assert f.due_date(date(2026, 2, 27), 1, cal.holidays, cal.workdays) == date(2026, 2, 28)


@pytest.mark.parametrize("state, today, overdue", [
    (f.PENDING, date(2026, 2, 26), False),  # on the due date: not yet
    (f.PENDING, date(2026, 2, 27), True),
    (f.RETURNED, date(2026, 2, 27), True),
    (f.SUBMITTED, date(2026, 2, 27), False),  # the department answered; the office owes the review
    (f.ACCEPTED, date(2026, 3, 27), False),
])
def test_answer_overdue(state, today, overdue):
    assert f.answer_overdue(state, date(2026, 2, 26), today) is overdue


@pytest.mark.parametrize("state, overdue", [(f.OPEN, True), (f.RETURNED, True), (f.SUBMITTED, False),
                                            (f.ACCEPTED, False)])
def test_task_overdue(state, overdue):
    assert f.task_overdue(state, date(2026, 1, 30), date(2026, 1, 31)) is overdue
    assert f.task_overdue(state, date(2026, 1, 30), date(2026, 1, 30)) is False


def test_month_figures():
    """D01 in 2026-11: 3 差评 — answered on the due day and accepted; answered a day late (still submitted);
    never answered and past due. Answered 2 of 3 = 66.7 %, on time 1 = 33.3 %, accepted 1 = 33.3 %, overdue 1.
    D02: one 差评 not yet due: 0 answered, not overdue."""
    due = date(2026, 11, 20)
    facts = [f.AnswerFact("D01", "2026-11", f.ACCEPTED, date(2026, 11, 20), due),
             f.AnswerFact("D01", "2026-11", f.SUBMITTED, date(2026, 11, 21), due),
             f.AnswerFact("D01", "2026-11", f.PENDING, None, due),
             f.AnswerFact("D02", "2026-11", f.PENDING, None, date(2026, 12, 8))]
    d01, d02 = f.month_figures(facts, today=date(2026, 12, 3))
    assert (d01.bad, d01.answered, d01.on_time, d01.accepted, d01.overdue) == (3, 2, 1, 1, 1)
    assert d01.shares() == {"answered": "66.7", "on_time": "33.3", "accepted": "33.3"}
    assert (d02.bad, d02.answered, d02.overdue) == (1, 0, 0)
    assert d02.shares()["answered"] == "0.0"


def test_source_keys_are_per_source_period_and_department():
    keys = {f.source_key(s, p, d) for s in (f.ANNUAL, f.MONTHLY) for p in ("2025", "2025-11") for d in ("D01", "D02")}
    assert len(keys) == 8
