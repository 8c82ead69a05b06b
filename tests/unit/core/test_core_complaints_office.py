"""Unit tests for the complaint rules an office runs on (SPEC §5, issue 10): the whole transition table, public replies,
likely duplicates, the overdue cut-off on the real holiday calendar (Spring Festival 2026 and its make-up Saturdays),
the office list's filter and the `next` of an action (no open redirect)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from pingyi.core import complaints as c
from pingyi.core.errors import InvalidInput, StateError
from pingyi.workcalendar import load

SURVEYS = Path(__file__).resolve().parents[3] / "surveys"
CHANNELS = ("web", "phone", "letter", "visit")

# The whole table: every (state, action) pair, allowed → target state, otherwise refused. Written out by hand (not
# derived from TRANSITIONS) so a changed rule fails here.
EXPECTED: dict[tuple[str, str], str | None] = {
    ("received", "investigate"): "investigating",
    ("received", "substantiate"): None,
    ("received", "unsubstantiate"): None,
    ("received", "withdraw"): "withdrawn",
    ("received", "reopen"): None,
    ("investigating", "investigate"): None,
    ("investigating", "substantiate"): "substantiated",
    ("investigating", "unsubstantiate"): "unsubstantiated",
    ("investigating", "withdraw"): "withdrawn",
    ("investigating", "reopen"): None,
    ("substantiated", "investigate"): None,
    ("substantiated", "substantiate"): None,
    ("substantiated", "unsubstantiate"): None,
    ("substantiated", "withdraw"): None,
    ("substantiated", "reopen"): "investigating",
    ("unsubstantiated", "investigate"): None,
    ("unsubstantiated", "substantiate"): None,
    ("unsubstantiated", "unsubstantiate"): None,
    ("unsubstantiated", "withdraw"): None,
    ("unsubstantiated", "reopen"): "investigating",
    ("withdrawn", "investigate"): None,
    ("withdrawn", "substantiate"): None,
    ("withdrawn", "unsubstantiate"): None,
    ("withdrawn", "withdraw"): None,
    ("withdrawn", "reopen"): None,
}


def _complete(action: str) -> dict[str, object]:
    """Everything an action may need (so only the state decides)."""
    return {"reason": "理由", "severity": "general" if action == "substantiate" else None,
            "public_reply": "答复"}


def test_the_table_covers_every_state_and_action():
    assert set(EXPECTED) == set(itertools.product(c.STATE_LABELS, c.TRANSITIONS))


@pytest.mark.parametrize("state, action", sorted(EXPECTED), ids=[f"{s}-{a}" for s, a in sorted(EXPECTED)])
def test_every_transition_allowed_or_refused(state, action):
    target = EXPECTED[(state, action)]
    if target is None:
        with pytest.raises(StateError) as err:
            c.transition(state, action, actor="李四", **_complete(action))
        assert c.STATE_LABELS[state] in err.value.message and c.ACTION_LABELS[action] in err.value.message
        assert action not in c.allowed_actions(state)
    else:
        assert c.transition(state, action, actor="李四", **_complete(action)) == target
        assert action in c.allowed_actions(state)


@pytest.mark.parametrize("action", ["substantiate", "unsubstantiate"])
def test_a_decision_with_a_blank_public_reply_is_refused(action):
    kw = {**_complete(action), "public_reply": "   "}
    with pytest.raises(InvalidInput) as err:
        c.transition("investigating", action, actor="李四", **kw)
    assert err.value.details["public_reply"] == "required" and "公开答复" in err.value.message


def test_a_public_reply_may_be_left_to_the_default_but_not_be_too_long():
    assert c.transition("investigating", "unsubstantiate", actor="李四", reason="查无实据") == "unsubstantiated"
    with pytest.raises(InvalidInput) as err:
        c.transition("investigating", "unsubstantiate", actor="李四", reason="r", public_reply="长" * 2001)
    assert err.value.details["public_reply"] == "too_long"


def test_reopening_needs_a_reason_and_a_withdrawal_needs_no_reply():
    with pytest.raises(InvalidInput):
        c.transition("substantiated", "reopen", actor="李四", reason=" ")
    assert c.transition("received", "withdraw", actor="李四", public_reply="") == "withdrawn"


def test_every_decision_and_withdrawal_has_a_default_public_reply():
    assert set(c.DEFAULT_PUBLIC_REPLIES) == {"substantiate", "unsubstantiate", "withdraw"}
    assert "县城管局" in c.DEFAULT_PUBLIC_REPLIES["substantiate"].format(department="县城管局")


# ------------------------------------------------------------------------------------------------ duplicates

@pytest.mark.parametrize("a, b, same", [
    pytest.param("窗口工作人员推诿，多次往返未办结。", "窗口人员推诿，我多次往返都没有办结！", True,
                 id="same story, other words (ratio 0.77)"),
    pytest.param("窗口工作人员推诿，多次往返未办结。", "窗口工作人员推诿,多次往返未办结", True,
                 id="punctuation and full-width never decide"),
    pytest.param("窗口工作人员推诿，多次往返未办结。", "办事时态度恶劣。", False, id="another complaint (0.09)"),
    pytest.param("", "办事时态度恶劣。", False, id="empty text is never similar"),
])
def test_similarity(a, b, same):
    assert (c.similarity(a, b) >= c.DUPLICATE_RATIO) is same


def test_likely_duplicates_most_similar_first_and_never_the_unrelated():
    earlier = [("C-1", "办事时态度恶劣。"), ("C-2", "窗口人员推诿，多次往返未办结"),
               ("C-3", "窗口工作人员推诿，多次往返未办结。")]
    assert c.likely_duplicates("窗口工作人员推诿，多次往返未办结。", earlier) == ["C-3", "C-2"]
    assert c.likely_duplicates("材料清单不一次告知", earlier) == []


def test_a_long_text_is_compared_fast_on_its_first_characters():
    long_a, long_b = "甲" * 3000 + "乙", "甲" * 3000 + "丙"
    assert c.similarity(long_a, long_b) == 1.0  # the first 1,000 characters agree


# ------------------------------------------------------------------------------------------------ overdue

@pytest.fixture(scope="module")
def calendar():
    return load(SURVEYS)


def test_a_due_date_across_the_spring_festival_and_its_make_up_saturdays(calendar):
    """Received Tue 2026-02-10. Working days after it: 11, 12, 13 Feb, Sat 14 (调休) = 4; 15–23 Feb off; 24, 25, 26,
    27, Sat 28 (调休) = 9; 2, 3, 4, 5, 6 March = 14; Mon 9 March = 15 → due 2026-03-09. Counting Monday–Friday
    only would have said 2026-03-03 (six days early)."""
    due = calendar.due_date(dt.date(2026, 2, 10))
    weekdays_only = c.due_date(dt.date(2026, 2, 10))
    assert weekdays_only == dt.date(2026, 3, 3)
    assert due == dt.date(2026, 3, 9)
    assert dt.date(2026, 2, 14) in calendar.workdays and dt.date(2026, 2, 28) in calendar.workdays
    assert dt.date(2026, 2, 17) in calendar.holidays


@pytest.mark.parametrize("today", [dt.date(2026, 2, 1) + dt.timedelta(days=n) for n in range(0, 70, 3)])
def test_the_overdue_cut_off_agrees_with_is_overdue_day_by_day(calendar, today):
    """The list filters "overdue" in SQL as `received_on <= cut-off`: for every day of receipt in the 60 days before
    `today` (Spring Festival 2026 included) that says exactly what is_overdue says."""
    cutoff = calendar.overdue_cutoff(today)
    for back in range(0, 60):
        received = today - dt.timedelta(days=back)
        assert (received <= cutoff) is calendar.is_overdue(received, today, "investigating"), received


def test_the_cut_off_follows_the_working_days_setting(calendar):
    today = dt.date(2026, 6, 15)  # a Monday
    assert calendar.overdue_cutoff(today, 1) == dt.date(2026, 6, 11)  # Thu + 1 = Fri 12th < Mon 15th
    assert calendar.overdue_cutoff(today, 15) < calendar.overdue_cutoff(today, 5)


# ------------------------------------------------------------------------------------------------ office list

def test_the_filter_round_trips_through_its_query_string():
    params = {"state": "open", "department": "D07", "channel": "phone", "overdue": "1", "from": "2026-01-01",
              "to": "2026-03-31", "q": "推诿  扯皮", "sort": "newest", "page": "3"}
    f = c.parse_list_filter(params, CHANNELS)
    assert f.states() == c.OPEN_STATES and f.q == "推诿 扯皮" and f.page == 3 and f.overdue
    from urllib.parse import parse_qsl
    assert c.parse_list_filter(dict(parse_qsl(f.query_string())), CHANNELS) == f
    assert c.ListFilter().url() == "/office/complaints"
    assert f.url(page=4).endswith("page=4")


@pytest.mark.parametrize("params, field", [
    ({"state": "deleted"}, "state"), ({"channel": "fax"}, "channel"), ({"department": "D07'--"}, "department"),
    ({"from": "2026-13-01"}, "date"), ({"from": "2026-03-02", "to": "2026-03-01"}, "date"),
    ({"page": "0"}, "page"), ({"page": "-1"}, "page"), ({"page": "x"}, "page"), ({"page": "99999999999"}, "page"),
    ({"q": "长" * 101}, "q"), ({"sort": "random"}, "sort"),
])
def test_a_bad_filter_is_refused_naming_it(params, field):
    with pytest.raises(InvalidInput) as err:
        c.parse_list_filter(params, CHANNELS)
    assert err.value.details["filter"] == field


CODE = "C-7K2M-Q9XD-4HZT-8WPA"


@pytest.mark.parametrize("next_value, target", [
    ("/office/complaints?state=open&page=2", "/office/complaints?state=open&page=2"),
    ("/office/complaints?page=2&state=open&junk=1", "/office/complaints?state=open&page=2"),
    (f"/office/complaints/{CODE}", f"/office/complaints/{CODE}"),
    ("", "/office/complaints"),
    ("https://evil.example/office/complaints", "/office/complaints"),
    ("//evil.example/office/complaints", "/office/complaints"),
    ("/\\evil.example", "/office/complaints"),
    ("/office/users", "/office/complaints"),
    ("/office/complaints/C-0000-0000-0000-0000", "/office/complaints"),  # another complaint's page: not this one
    ("/office/complaints?state=bogus", "/office/complaints"),
    ("javascript:alert(1)", "/office/complaints"),
    ("/office/complaints?q=%0d%0aSet-Cookie:x", "/office/complaints?q=Set-Cookie%3Ax"),
])
def test_next_stays_in_the_office_list(next_value, target):
    assert c.safe_next(next_value, CHANNELS, CODE) == target
