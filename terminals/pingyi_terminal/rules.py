"""Abuse rules (SPEC §4), pure: which flags a press gets, given the arming state and the previous press.

* armed mode: a press without a preceding arm (staff "服务开始") is flagged ``unarmed``; an arm admits exactly one
  counted rating (一次一评) — the first unflagged press consumes it.
* any press within ``repeat_interval_s`` of the previous press is flagged ``repeat``. An arm starts a new
  customer, so it resets the repeat window (a customer rating 1 s after the staff member armed the terminal, 2 s
  after the previous customer's press, is not a repeat).
* flagged presses are still recorded and sent; the platform keeps them but does not count them.
* arm events themselves never carry flags.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .protocol import FLAG_REPEAT, FLAG_UNARMED


@dataclass(frozen=True)
class Rules:
    armed_mode: bool = False
    repeat_interval_s: float = 3.0


@dataclass(frozen=True)
class RulesState:
    armed: bool = False
    last_press_mono_ms: int | None = None


def on_arm(state: RulesState, rules: Rules) -> RulesState:
    """An arm event: arm for one rating and start a fresh repeat window."""
    return RulesState(armed=True, last_press_mono_ms=None)


def on_press(state: RulesState, rules: Rules, mono_ms: int) -> tuple[tuple[str, ...], RulesState]:
    """A press at ``mono_ms``: its flags (sorted) and the next state."""
    flags: list[str] = []
    if state.last_press_mono_ms is not None and mono_ms - state.last_press_mono_ms < rules.repeat_interval_s * 1000:
        flags.append(FLAG_REPEAT)
    armed = state.armed
    if rules.armed_mode:
        if not armed:
            flags.append(FLAG_UNARMED)
        elif not flags:
            armed = False  # this press is the one counted rating the arm admitted
    return tuple(sorted(flags)), replace(state, armed=armed, last_press_mono_ms=mono_ms)


def decide(state: RulesState, rules: Rules, kind: str, mono_ms: int) -> tuple[tuple[str, ...], RulesState]:
    """Dispatch on the input kind ("press" or "arm")."""
    if kind == "arm":
        return (), on_arm(state, rules)
    if kind == "press":
        return on_press(state, rules, mono_ms)
    raise ValueError(f"unknown input kind {kind!r}")
