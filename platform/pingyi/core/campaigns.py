"""Core layer: the annual campaign lifecycle draft → open → closed → published (SPEC §2)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .errors import InvalidInput, StateError

STATES = ("draft", "open", "closed", "published")
STATE_LABELS = {"draft": "草稿", "open": "评议中", "closed": "已截止", "published": "已公布"}

# action → (allowed from-states, to-state)
TRANSITIONS = {
    "open": (("draft", "closed"), "open"),
    "close": (("open",), "closed"),
    "publish": (("closed", "published"), "published"),
}


def transition(state: str, action: str) -> str:
    """Return the state after `action`; raise StateError with a message the office can act on."""
    if action not in TRANSITIONS:
        raise StateError(f"未知操作：{action}")
    allowed, target = TRANSITIONS[action]
    if state not in allowed:
        names = "、".join(STATE_LABELS[s] for s in allowed)
        raise StateError(f"评议活动当前为“{STATE_LABELS.get(state, state)}”，只有{names}状态才能执行此操作。")
    return target


def accepts_ballots(state: str) -> bool:
    return state == "open"


def editable(state: str) -> bool:
    """Departments, dates and k can change only while the campaign is a draft."""
    return state == "draft"


# ---- campaign fields (SPEC §2): what the office form and `pingyi campaign create` set -----------------------

YEAR_MIN, YEAR_MAX = 2000, 2100
K_MIN, K_MAX = 1, 50
CARD_LEAD_DAYS = 5  # cards are handed out at least this many days before the symposium (a refusal: docs/rules.md)
TITLE_MAX = 128

# Field labels as the office form shows them; every message names its field with one of these.
LABELS = {"year": "年度", "title": "名称", "k": "小样本保护阈值 k", "departments": "参评部门",
          "cards_from": "评议卡发放日期", "symposium_on": "座谈会日期", "complaint_from": "投诉统计期开始日期",
          "complaint_to": "投诉统计期结束日期"}


@dataclass(frozen=True)
class CampaignFields:
    """Every field of a campaign the office sets; dates may be left open except the complaint window."""

    year: int
    title: str
    k: int
    department_codes: tuple[str, ...]
    cards_from: date | None
    symposium_on: date | None
    complaint_from: date
    complaint_to: date

    def as_plain(self) -> dict[str, object]:
        """Field → JSON-ready value (dates as ISO strings), for the audit log and change lists."""
        return {"year": self.year, "title": self.title, "k": self.k, "departments": list(self.department_codes),
                "cards_from": _iso(self.cards_from), "symposium_on": _iso(self.symposium_on),
                "complaint_from": _iso(self.complaint_from), "complaint_to": _iso(self.complaint_to)}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def default_title(year: int) -> str:
    return f"{year}年度外来投资企业民主评议"


def make_fields(year: int, *, title: str | None = None, k: int = 5, department_codes: Iterable[str] = (),
                cards_from: date | None = None, symposium_on: date | None = None,
                complaint_from: date | None = None, complaint_to: date | None = None) -> CampaignFields:
    """Checked fields with the defaults filled in (title from the year, complaint window = the calendar year).
    Raises InvalidInput naming the field at the first rule broken."""
    _check_year(year)
    title = (title or "").strip() or default_title(year)
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"{LABELS['title']}不能超过 {TITLE_MAX} 个字。")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in title):
        raise InvalidInput(f"{LABELS['title']}不能包含控制字符。")
    if not K_MIN <= k <= K_MAX:
        raise InvalidInput(f"{LABELS['k']}应在 {K_MIN}–{K_MAX} 之间。")
    codes = tuple(dict.fromkeys(c.strip() for c in department_codes if c.strip()))
    if not codes:
        raise InvalidInput(f"{LABELS['departments']}：请至少选择一个部门。")
    complaint_from = complaint_from or date(year, 1, 1)
    complaint_to = complaint_to or date(year, 12, 31)
    if complaint_from > complaint_to:
        raise InvalidInput(f"{LABELS['complaint_from']}（{complaint_from}）晚于{LABELS['complaint_to']}"
                           f"（{complaint_to}）。")
    if cards_from and symposium_on and (symposium_on - cards_from).days < CARD_LEAD_DAYS:
        raise InvalidInput(f"{LABELS['cards_from']}（{cards_from}）应至少在{LABELS['symposium_on']}"
                           f"（{symposium_on}）前 {CARD_LEAD_DAYS} 天。")
    return CampaignFields(year, title, k, codes, cards_from, symposium_on, complaint_from, complaint_to)


def _check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidInput(f"{LABELS['year']}必须是 {YEAR_MIN}–{YEAR_MAX} 之间的整数。")


def parse_int(field: str, raw: str, *, default: int | None = None) -> int:
    """A form's integer field: digits only (no 1e9, no ０-９ look-alikes), at most 9 of them."""
    text = raw.strip()
    if not text and default is not None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise InvalidInput(f"{LABELS[field]}必须是整数。")
    return int(text)


def parse_date(field: str, raw: str) -> date | None:
    """A form's date field: empty → None, else YYYY-MM-DD (what <input type=date> sends)."""
    text = raw.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise InvalidInput(f"{LABELS[field]}格式应为 YYYY-MM-DD。")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{LABELS[field]}不是有效日期：{text}。") from None


def changes(before: CampaignFields, after: CampaignFields) -> dict[str, list[object]]:
    """field → [old, new] for every field that differs (the audit entry of an edit)."""
    old, new = before.as_plain(), after.as_plain()
    return {key: [old[key], new[key]] for key in old if old[key] != new[key]}


def default_year(today: date, used_years: Iterable[int]) -> int:
    """The smallest year from today's on that has no campaign yet."""
    used = set(used_years)
    year = today.year
    while year in used:
        year += 1
    return year


def allows_snapshot(state: str) -> bool:
    """A results version is computed only from a closed campaign, or as a correction of a published one."""
    return state in ("closed", "published")


def allows_publish(state: str) -> bool:
    return state in TRANSITIONS["publish"][0]
