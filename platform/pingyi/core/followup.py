"""Core layer: closing the loop — 差评 answers by departments and rectification (整改) tasks (SPEC §2, §4).

差评 answer (one per counted 差评; "pending" means no answer row yet):

    pending ──answer (liaison)──▶ submitted ──accept (office)──▶ accepted
    returned ─answer (liaison)──┘     └──return (office, reason)──▶ returned

Rectification task:

    open ──submit measures (liaison)──▶ submitted ──accept (office)──▶ accepted
    returned ──submit measures──────┘       └──return (office, reason)──▶ returned

Deadlines count working days on the State Council calendar (passed in as holidays and make-up days, the same
counting as complaints: core.complaints.due_date). Pure: no clock reads, no I/O.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Set
from dataclasses import dataclass

from pingyi.core import complaints as _calendar
from pingyi.core.errors import InvalidInput, StateError
from pingyi.core.scoring import percent

# ------------------------------------------------------------------------------------------- 差评 answers

PENDING = "pending"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
RETURNED = "returned"

ANSWER_STATE_LABELS: dict[str, str] = {PENDING: "待答复", SUBMITTED: "已答复，待审核", ACCEPTED: "已采纳",
                                       RETURNED: "已退回，待重新答复"}

ANSWER = "answer"
ACCEPT = "accept"
RETURN = "return"

ANSWER_ACTION_LABELS: dict[str, str] = {ANSWER: "答复", ACCEPT: "采纳", RETURN: "退回"}

# action → (states it may start from, resulting state, who acts: "liaison" | "office")
ANSWER_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    ANSWER: (frozenset({PENDING, RETURNED}), SUBMITTED, "liaison"),
    ACCEPT: (frozenset({SUBMITTED}), ACCEPTED, "office"),
    RETURN: (frozenset({SUBMITTED}), RETURNED, "office"),
}

FIXED = "fixed"
SCHEDULED = "scheduled"
EXPLAINED = "explained"
OUTCOME_LABELS: dict[str, str] = {FIXED: "立行立改", SCHEDULED: "限期整改", EXPLAINED: "依法解释"}

REACHED_SATISFIED = "reached_satisfied"
REACHED_UNSATISFIED = "reached_unsatisfied"
UNREACHABLE = "unreachable"
CALLBACK_LABELS: dict[str, str] = {REACHED_SATISFIED: "已回访，群众满意", REACHED_UNSATISFIED: "已回访，群众仍不满意",
                                   UNREACHABLE: "无法联系（多次回访未接通）"}

DEFAULT_ANSWER_WORKING_DAYS = 5
TEXT_MAX = 2000
REASON_MAX = 500


def answer_actions(state: str) -> list[str]:
    return [a for a, (sources, _, _) in ANSWER_TRANSITIONS.items() if state in sources]


def answer_transition(state: str, action: str, *, by: str, reason: str = "") -> str:
    """The state after `action` on a 差评 answer; `by` is "liaison" or "office". StateError when the state does not
    allow it, InvalidInput when the wrong side acts or a return has no reason."""
    if state not in ANSWER_STATE_LABELS:
        raise InvalidInput(f"未知的答复状态：{state}。")
    if action not in ANSWER_TRANSITIONS:
        raise InvalidInput(f"未知的答复操作：{action}。")
    sources, target, actor = ANSWER_TRANSITIONS[action]
    if state not in sources:
        raise StateError(f"该差评答复当前为“{ANSWER_STATE_LABELS[state]}”，不能{ANSWER_ACTION_LABELS[action]}。",
                         {"state": state, "action": action, "allowed": answer_actions(state)})
    if by != actor:
        raise InvalidInput("差评由本部门联络员答复，由办公室审核。" if actor == "liaison"
                           else "答复由办公室审核，部门不能自行采纳或退回。", {"by": by})
    if action == RETURN and not reason.strip():
        raise InvalidInput("退回答复必须写明理由（例如：原因未查清、措施不具体）。", {"reason": "required"})
    return target


@dataclass(frozen=True)
class AnswerInput:
    finding: str
    cause: str
    outcome: str
    measure: str
    fix_due: _dt.date | None


def text_field(value: str, label: str, *, limit: int = TEXT_MAX, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"请填写{label}。", {"field": label})
    if len(value) > limit:
        raise InvalidInput(f"{label}不超过 {limit} 字。", {"field": label})
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise InvalidInput(f"{label}含有无效字符。", {"field": label})
    return value


MAX_DAYS_AHEAD = 366  # a deadline further away than a year is a typo, not a plan


def deadline(value: str | _dt.date | None, label: str, today: _dt.date) -> _dt.date | None:
    """A deadline the user enters: empty → None; not before today; at most MAX_DAYS_AHEAD days ahead."""
    day = parse_date(value, label)
    if day is None:
        return None
    if day < today:
        raise InvalidInput(f"{label}不能早于今天（{today.isoformat()}）。", {"field": label})
    if (day - today).days > MAX_DAYS_AHEAD:
        raise InvalidInput(f"{label}不能晚于一年之后（{(today + _dt.timedelta(days=MAX_DAYS_AHEAD)).isoformat()}）。",
                           {"field": label})
    return day


def review_reason(value: str) -> str:
    """The office's note when accepting (optional) or returning (required by the transition)."""
    return text_field(value, "理由", limit=REASON_MAX, required=False)


def parse_date(value: str | _dt.date | None, label: str) -> _dt.date | None:
    if isinstance(value, _dt.date):
        return value
    if not (value or "").strip():
        return None
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{label}格式应为 年-月-日（例如 2026-12-31）。", {"field": label}) from None


def answer_input(*, finding: str, cause: str, outcome: str, measure: str, fix_due: str | _dt.date | None,
                 today: _dt.date) -> AnswerInput:
    """A department's answer: what was found, the cause, and one of 立行立改 / 限期整改 (with a due date not before
    today) / 依法解释; `measure` says what was changed, what will be, or the legal explanation."""
    finding = text_field(finding, "核实情况")
    cause = text_field(cause, "原因分析")
    if outcome not in OUTCOME_LABELS:
        raise InvalidInput("请选择处理方式：立行立改、限期整改 或 依法解释。", {"field": "outcome"})
    measure = text_field(measure, "整改措施" if outcome != EXPLAINED else "解释说明（依据）")
    due = deadline(fix_due, "整改期限", today)
    if outcome == SCHEDULED:
        if due is None:
            raise InvalidInput("限期整改须填写整改期限。", {"field": "fix_due"})
    elif due is not None:
        raise InvalidInput("只有限期整改才填写整改期限。", {"field": "fix_due"})
    return AnswerInput(finding, cause, outcome, measure, due)


def callback_input(outcome: str, note: str) -> tuple[str, str]:
    if outcome not in CALLBACK_LABELS:
        raise InvalidInput("请选择回访结果。", {"field": "callback"})
    return outcome, text_field(note, "回访情况", limit=REASON_MAX, required=outcome != REACHED_SATISFIED)


def due_date(start: _dt.date, working_days: int, holidays: Set[_dt.date] = frozenset(),
             workdays: Set[_dt.date] = frozenset()) -> _dt.date:
    """The `working_days`-th working day after `start` (调休 make-up days count, holidays do not)."""
    return _calendar.due_date(start, working_days, holidays, workdays)


def answer_overdue(state: str, due_on: _dt.date, today: _dt.date) -> bool:
    """An answer is overdue while the department owes one (pending or returned) after its due date."""
    return state in (PENDING, RETURNED) and today > due_on


# ------------------------------------------------------------------------------ per department and month

@dataclass(frozen=True)
class AnswerFact:
    """One counted 差评 as the monthly figures see it."""

    department_code: str
    month: str  # the rating's month in the office's time zone
    state: str
    first_answered_on: _dt.date | None
    first_due_on: _dt.date


@dataclass(frozen=True)
class MonthFigures:
    department_code: str
    month: str
    bad: int
    answered: int
    on_time: int
    accepted: int
    overdue: int

    def shares(self) -> dict[str, str]:
        """Shares of the month's counted 差评, rounded half-up to 1 decimal (core.scoring.percent); "—" for none."""
        if not self.bad:
            return {"answered": "—", "on_time": "—", "accepted": "—"}
        return {k: percent(getattr(self, k), self.bad, 1) for k in ("answered", "on_time", "accepted")}


def month_figures(facts: Iterable[AnswerFact], today: _dt.date) -> list[MonthFigures]:
    """Per department and month: counted 差评, answered (at least once), answered on time (the first answer on
    or before the first due date), accepted, and overdue now. Sorted by month, then department code."""
    acc: dict[tuple[str, str], list[int]] = {}
    for f in facts:
        slot = acc.setdefault((f.month, f.department_code), [0, 0, 0, 0, 0])
        slot[0] += 1
        if f.first_answered_on is not None:
            slot[1] += 1
            slot[2] += f.first_answered_on <= f.first_due_on
        slot[3] += f.state == ACCEPTED
        slot[4] += f.state == PENDING and today > f.first_due_on
    return [MonthFigures(code, month, *v) for (month, code), v in sorted(acc.items())]


# ------------------------------------------------------------------------------------ rectification tasks

OPEN = "open"
TASK_STATE_LABELS: dict[str, str] = {OPEN: "整改中（待提交措施）", SUBMITTED: "已提交，待验收", ACCEPTED: "已验收",
                                     RETURNED: "已退回，待重新提交"}
SUBMIT = "submit"
TASK_ACTION_LABELS: dict[str, str] = {SUBMIT: "提交整改措施", ACCEPT: "验收通过", RETURN: "退回"}
TASK_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    SUBMIT: (frozenset({OPEN, RETURNED}), SUBMITTED, "liaison"),
    ACCEPT: (frozenset({SUBMITTED}), ACCEPTED, "office"),
    RETURN: (frozenset({SUBMITTED}), RETURNED, "office"),
}

ANNUAL = "annual"
MONTHLY = "monthly"
MANUAL = "manual"
SOURCE_LABELS: dict[str, str] = {ANNUAL: "年度评议“不满意”", MONTHLY: "月度考核较差窗口单位", MANUAL: "集中反映的问题"}
DEFAULT_ANNUAL_WORKING_DAYS = 30
DEFAULT_MONTHLY_WORKING_DAYS = 10
DEFAULT_MANUAL_WORKING_DAYS = 15


def task_actions(state: str) -> list[str]:
    return [a for a, (sources, _, _) in TASK_TRANSITIONS.items() if state in sources]


def task_transition(state: str, action: str, *, by: str, reason: str = "") -> str:
    if state not in TASK_STATE_LABELS:
        raise InvalidInput(f"未知的整改任务状态：{state}。")
    if action not in TASK_TRANSITIONS:
        raise InvalidInput(f"未知的整改任务操作：{action}。")
    sources, target, actor = TASK_TRANSITIONS[action]
    if state not in sources:
        raise StateError(f"整改任务当前为“{TASK_STATE_LABELS[state]}”，不能{TASK_ACTION_LABELS[action]}。",
                         {"state": state, "action": action, "allowed": task_actions(state)})
    if by != actor:
        raise InvalidInput("整改措施由本部门联络员提交，由办公室验收。" if actor == "liaison"
                           else "整改由办公室验收，部门不能自行验收或退回。", {"by": by})
    if action == RETURN and not reason.strip():
        raise InvalidInput("退回整改措施必须写明理由。", {"reason": "required"})
    return target


def measure_input(summary: str, evidence: str) -> tuple[str, str]:
    """The measures (public once accepted) and the evidence notes (office and department only)."""
    return text_field(summary, "整改措施（公开摘要）"), text_field(evidence, "佐证材料说明")


def task_overdue(state: str, deadline: _dt.date, today: _dt.date) -> bool:
    """A task is overdue while measures are owed (open or returned) after its deadline."""
    return state in (OPEN, RETURNED) and today > deadline


def source_key(source: str, period: str, department_code: str) -> str:
    """The idempotency key of an automatic task: one per source, period and department."""
    return f"{source}:{period}:{department_code}"
