"""Core layer: the annual campaign lifecycle draft → open → closed → published (SPEC §2)."""

from __future__ import annotations

from .errors import StateError

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
