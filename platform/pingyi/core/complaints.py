"""Core layer: the complaint state machine, overdue flag and penalty window (SPEC §5).

    received ──investigate──▶ investigating ──substantiate──▶ substantiated
        │                          │        ──unsubstantiate─▶ unsubstantiated
        └────────withdraw──────────┴──withdraw──▶ withdrawn
    substantiated | unsubstantiated ──reopen (reason)──▶ investigating

Decisions need an investigator (the acting user), a reason and a public reply; substantiated ones need a severity.
A withdrawn complaint is closed for good (a new complaint is filed instead).

Also here, pure: likely duplicates at intake (difflib on normalised text), the office list's filter (parsed from the
query string, re-encoded for the `next` of every action: no open redirect), and the overdue cut-off the list
filters on in SQL.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urlsplit

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
MAX_PUBLIC_REPLY = 2000

# What the public tracking page calls each event (internal reasons are never shown there).
PUBLIC_EVENT_LABELS: dict[str, str] = {
    "file": "受理",
    INVESTIGATE: "开始调查",
    SUBSTANTIATE: "调查结论：属实",
    UNSUBSTANTIATE: "调查结论：不属实",
    WITHDRAW: "撤回",
    REOPEN: "重新调查",
}

# The public reply offered in the form for each decision (the investigator edits it); {department} is filled in.
DEFAULT_PUBLIC_REPLIES: dict[str, str] = {
    SUBSTANTIATE: "经调查，您反映的问题属实。已责成{department}整改，并按规定在评议和月度考核中扣分。感谢您的监督。",
    UNSUBSTANTIATE: "经调查核实，未发现您反映的问题。如有新的情况或证据，可再次投诉。感谢您的监督。",
    WITHDRAW: "投诉已撤回。",
}


def allowed_actions(state: str) -> list[str]:
    """Actions possible from `state`, in a stable order (for buttons on the investigator's page)."""
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]


def transition(current_state: str, action: str, *, actor: str, reason: str | None = None,
               severity: str | None = None, public_reply: str | None = None) -> str:
    """The state after `action`, or StateError (not allowed now) / InvalidInput (missing actor, reason, severity,
    public reply).

    `public_reply` None means "not given here" (the service fills in the default reply of a decision); a blank one on
    a decision is refused: the filing page promises "查看处理进度和答复"."""
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
    if target in DECIDED_STATES and public_reply is not None and not public_reply.strip():
        problems.append("认定投诉必须填写公开答复（投诉人凭编号查询时可见）。")
        details["public_reply"] = "required"
    if public_reply is not None and len(public_reply) > MAX_PUBLIC_REPLY:
        problems.append(f"公开答复不超过 {MAX_PUBLIC_REPLY} 字。")
        details["public_reply"] = "too_long"
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


def overdue_cutoff(today: _dt.date, working_days: int = DEFAULT_WORKING_DAYS,
                   holidays: Set[_dt.date] = frozenset(), workdays: Set[_dt.date] = frozenset()) -> _dt.date:
    """The latest day of receipt whose due date is before `today`: an open complaint received on or before it is
    overdue. due_date() never decreases as the day of receipt moves later, so "overdue" is one date comparison the
    database can do (the list filters and pages in SQL)."""
    day = today
    while due_date(day, working_days, holidays, workdays) >= today:
        day -= _dt.timedelta(days=1)
    return day


# ------------------------------------------------------------------------------------------- duplicates

DUPLICATE_DAYS = 7  # a complaint is compared with those of the same department received this many days before
DUPLICATE_RATIO = 0.6  # difflib ratio of the normalised texts at or above which two complaints are "likely the same"
_COMPARED_CHARS = 1000  # difflib is quadratic: the first 1,000 characters say enough


def normalized_text(text: str) -> str:
    """Letters and digits only, full-width folded to half-width, lower case: punctuation and spacing never decide."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())[:_COMPARED_CHARS]


def similarity(a: str, b: str) -> float:
    """difflib's ratio (2 × matching characters ÷ both lengths) of the normalised texts, 0.0 to 1.0."""
    na, nb = normalized_text(a), normalized_text(b)
    if not na or not nb:
        return 0.0
    matcher = difflib.SequenceMatcher(None, na, nb, autojunk=False)
    if matcher.quick_ratio() < DUPLICATE_RATIO:  # an upper bound, cheap: most pairs stop here
        return matcher.quick_ratio()
    return matcher.ratio()


def likely_duplicates(summary: str, earlier: Iterable[tuple[str, str]],
                      ratio: float = DUPLICATE_RATIO) -> list[str]:
    """Tracking codes among `earlier` (code, summary) whose text is at least `ratio` similar, most similar first.

    Flagged for the investigator, never merged: two people may really have met the same problem."""
    scored = [(similarity(summary, text), code) for code, text in earlier]
    return [code for score, code in sorted(scored, key=lambda p: (-p[0], p[1])) if score >= ratio]


# ------------------------------------------------------------------------------------------- office list

PAGE_SIZE = 20
SORTS: dict[str, str] = {"due": "按办理时限（未结在前）", "newest": "按受理日期（最新在前）"}
STATE_FILTERS: dict[str, str] = {"open": "未办结（已受理、调查中）", **STATE_LABELS}
MAX_QUERY = 100


@dataclass(frozen=True)
class ListFilter:
    """The office list's filter: what `/office/complaints?...` asks for, validated."""

    state: str = ""  # "" = all, "open", or a state
    department: str = ""
    channel: str = ""
    overdue: bool = False
    received_from: _dt.date | None = None
    received_to: _dt.date | None = None
    q: str = ""  # text or tracking code
    sort: str = "due"
    page: int = 1

    def states(self) -> frozenset[str] | None:
        """The states asked for (None: all)."""
        if self.state == "open":
            return OPEN_STATES
        return frozenset({self.state}) if self.state else None

    def query_string(self, **changes: object) -> str:
        """The filter as a query string (defaults left out), with `changes` applied (e.g. page=2)."""
        f = replace(self, **changes)  # type: ignore[arg-type]
        pairs = [("state", f.state), ("department", f.department), ("channel", f.channel),
                 ("overdue", "1" if f.overdue else ""),
                 ("from", f.received_from.isoformat() if f.received_from else ""),
                 ("to", f.received_to.isoformat() if f.received_to else ""), ("q", f.q),
                 ("sort", "" if f.sort == "due" else f.sort), ("page", "" if f.page == 1 else str(f.page))]
        return urlencode([(k, v) for k, v in pairs if v])

    def url(self, **changes: object) -> str:
        query = self.query_string(**changes)
        return LIST_PATH + (f"?{query}" if query else "")


LIST_PATH = "/office/complaints"


def _list_date(value: str, what: str) -> _dt.date | None:
    if not value.strip():
        return None
    try:
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{what}格式应为 年-月-日（例如 2026-03-01）。", {"filter": "date"}) from None


def parse_list_filter(params: Mapping[str, str], channels: Iterable[str]) -> ListFilter:
    """Validate the list's query parameters; a wrong one is refused with a message naming the field."""
    state = params.get("state", "").strip()
    if state and state not in STATE_FILTERS:
        raise InvalidInput("状态筛选无效，请从下拉列表中选择。", {"filter": "state"})
    channel = params.get("channel", "").strip()
    if channel and channel not in set(channels):
        raise InvalidInput("渠道筛选无效，请从下拉列表中选择。", {"filter": "channel"})
    department = params.get("department", "").strip()
    if len(department) > 32 or not all(ch.isalnum() or ch in "-_" for ch in department):
        raise InvalidInput("部门筛选无效，请从下拉列表中选择。", {"filter": "department"})
    sort = params.get("sort", "").strip() or "due"
    if sort not in SORTS:
        raise InvalidInput("排序方式无效。", {"filter": "sort"})
    received_from = _list_date(params.get("from", ""), "受理日期（起）")
    received_to = _list_date(params.get("to", ""), "受理日期（止）")
    if received_from and received_to and received_from > received_to:
        raise InvalidInput("受理日期的起始日期晚于截止日期。", {"filter": "date"})
    q = " ".join(params.get("q", "").split())
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"搜索内容不超过 {MAX_QUERY} 字。", {"filter": "q"})
    raw_page = params.get("page", "").strip() or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 100_000:
        raise InvalidInput("页码无效。", {"filter": "page"})
    return ListFilter(state=state, department=department, channel=channel,
                      overdue=params.get("overdue", "") in ("1", "on", "true"), received_from=received_from,
                      received_to=received_to, q=q, sort=sort, page=int(raw_page))


def safe_next(value: str, channels: Iterable[str], tracking_code: str) -> str:
    """Where an office action returns: the office list with its (re-validated, re-encoded) filter, or the page of
    the complaint acted on. Anything else — another host, another path, a scheme, a broken filter — gives the plain
    list: no open redirect."""
    parts = urlsplit(value or "")
    if parts.scheme or parts.netloc or "\\" in value:
        return LIST_PATH
    if parts.path == f"{LIST_PATH}/{tracking_code}":
        return parts.path
    if parts.path != LIST_PATH:
        return LIST_PATH
    try:
        return parse_list_filter(dict(parse_qsl(parts.query)), channels).url()
    except InvalidInput:
        return LIST_PATH
