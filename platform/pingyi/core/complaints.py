"""Core layer: the complaint state machine, overdue flag and penalty window (SPEC §5).

    received ──investigate──▶ investigating ──substantiate──▶ substantiated
        │                          │        ──unsubstantiate─▶ unsubstantiated
        └────────withdraw──────────┴──withdraw──▶ withdrawn
    substantiated | unsubstantiated ──reopen (reason)──▶ investigating

Decisions need an investigator (the acting user) and a reason; substantiated ones need a severity. A withdrawn
complaint is closed for good (a new complaint is filed instead).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Set

from pingyi.core.errors import InvalidInput, StateError

RECEIVED = "received"
INVESTIGATING = "investigating"
SUBSTANTIATED = "substantiated"
UNSUBSTANTIATED = "unsubstantiated"
WITHDRAWN = "withdrawn"

STATE_LABELS: dict[str, str] = {
    RECEIVED: "已受理",
    INVESTIGATING: "调查中",
    SUBSTANTIATED: "属实",
    UNSUBSTANTIATED: "不属实",
    WITHDRAWN: "撤回",
}
OPEN_STATES = frozenset({RECEIVED, INVESTIGATING})
DECIDED_STATES = frozenset({SUBSTANTIATED, UNSUBSTANTIATED})

INVESTIGATE = "investigate"
SUBSTANTIATE = "substantiate"
UNSUBSTANTIATE = "unsubstantiate"
WITHDRAW = "withdraw"
REOPEN = "reopen"

ACTION_LABELS: dict[str, str] = {
    INVESTIGATE: "开始调查",
    SUBSTANTIATE: "认定属实",
    UNSUBSTANTIATE: "认定不属实",
    WITHDRAW: "撤回",
    REOPEN: "重新调查",
}

GENERAL = "general"
SERIOUS = "serious"
SEVERITY_LABELS: dict[str, str] = {GENERAL: "一般", SERIOUS: "造成较坏影响"}

# action → (states it may start from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    INVESTIGATE: (frozenset({RECEIVED}), INVESTIGATING),
    SUBSTANTIATE: (frozenset({INVESTIGATING}), SUBSTANTIATED),
    UNSUBSTANTIATE: (frozenset({INVESTIGATING}), UNSUBSTANTIATED),
    WITHDRAW: (OPEN_STATES, WITHDRAWN),
    REOPEN: (DECIDED_STATES, INVESTIGATING),
}

DEFAULT_WORKING_DAYS = 15


def allowed_actions(state: str) -> list[str]:
    """Actions possible from `state`, in a stable order (for buttons on the investigator's page)."""
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]


def transition(current_state: str, action: str, *, actor: str, reason: str | None = None,
               severity: str | None = None) -> str:
    """The state after `action`, or StateError (not allowed now) / InvalidInput (missing actor, reason, severity)."""
    if current_state not in STATE_LABELS:
        raise InvalidInput(f"未知的投诉状态：{current_state}。")
    if action not in TRANSITIONS:
        raise InvalidInput(f"未知的投诉操作：{action}。")
    sources, target = TRANSITIONS[action]
    if current_state not in sources:
        raise StateError(
            f"投诉当前为“{STATE_LABELS[current_state]}”，不能{ACTION_LABELS[action]}。",
            {"state": current_state, "action": action, "allowed": allowed_actions(current_state)},
        )
    problems: list[str] = []
    details: dict[str, object] = {}
    if not (actor or "").strip():
        problems.append("必须注明办理人（调查人员）。" if target in DECIDED_STATES else "必须注明办理人。")
        details["actor"] = "required"
    needs_reason = target in DECIDED_STATES or action == REOPEN
    if needs_reason and not (reason or "").strip():
        problems.append("认定投诉必须填写理由。" if action != REOPEN else "重新调查已认定的投诉必须填写理由。")
        details["reason"] = "required"
    if action == SUBSTANTIATE:
        if severity not in SEVERITY_LABELS:
            problems.append("认定属实必须选择情节：一般 或 造成较坏影响。")
            details["severity"] = "required"
    elif severity is not None:
        problems.append("只有认定属实的投诉才有情节轻重。")
        details["severity"] = "not_allowed"
    if problems:
        raise InvalidInput("".join(problems), details)
    return target


def _is_working_day(day: _dt.date, holidays: Set[_dt.date], workdays: Set[_dt.date]) -> bool:
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def due_date(received_on: _dt.date, working_days: int = DEFAULT_WORKING_DAYS,
             holidays: Set[_dt.date] = frozenset(),
             workdays: Set[_dt.date] = frozenset()) -> _dt.date:
    """The last day of the investigation: the `working_days`-th working day after the day of receipt.

    `holidays` are days off on weekdays; `workdays` are weekend days worked (调休 make-up days).
    """
    if working_days < 0:
        raise InvalidInput("办理时限不能为负。")
    day, counted = received_on, 0
    while counted < working_days:
        day += _dt.timedelta(days=1)
        if _is_working_day(day, holidays, workdays):
            counted += 1
    return day


def is_overdue(received_on: _dt.date, today: _dt.date, state: str,
               working_days: int = DEFAULT_WORKING_DAYS,
               holidays: Set[_dt.date] = frozenset(),
               workdays: Set[_dt.date] = frozenset()) -> bool:
    """True when a still open complaint (received / investigating) is past its due date."""
    if state not in OPEN_STATES:
        return False
    return today > due_date(received_on, working_days, holidays, workdays)


def entered_date(value: str | _dt.date | None, today: _dt.date, what: str) -> _dt.date:
    """A date the office enters (received on, decided on): empty → today; past → as given; future → refused.

    SPEC §5: a decision reached on paper may be entered later, never ahead; `today` is the office's date."""
    if isinstance(value, _dt.date):
        day = value
    elif not (value or "").strip():
        return today
    else:
        try:
            day = _dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{what}格式应为 年-月-日（例如 {today.isoformat()}）。", {"date": "format"}) from None
    if day > today:
        raise InvalidInput(f"{what}不能晚于今天（{today.isoformat()}）。", {"date": "future"})
    return day


def counts_in_window(decision_date: _dt.date | None, window_start: _dt.date, window_end: _dt.date) -> bool:
    """Whether a decision dated `decision_date` falls in the window [start, end], both days included."""
    if window_start > window_end:
        raise InvalidInput("投诉统计区间的开始日期晚于结束日期。")
    return decision_date is not None and window_start <= decision_date <= window_end


def counts_for_penalty(state: str, decision_date: _dt.date | None,
                       window_start: _dt.date, window_end: _dt.date) -> bool:
    """A complaint deducts points in a period only if substantiated with its decision date inside it."""
    return state == SUBSTANTIATED and counts_in_window(decision_date, window_start, window_end)
