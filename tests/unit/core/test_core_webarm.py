"""Unit: the web channel's share of an arm and the flags of a web rating (core.webarm, SPEC §4, issue 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingyi.core import webarm
from pingyi.core.webarm import Arm
from pingyi_terminal import protocol, rules

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
AGE = timedelta(minutes=30)
REPEAT = timedelta(minutes=10)


def arm(seq: int, minutes_ago: float = 1, **kw) -> Arm:
    return Arm(terminal_id="t-1", epoch="e", seq=seq, occurred_at=NOW - timedelta(minutes=minutes_ago), **kw)


def decide(armed_mode: bool = True, arms=(), device=(), window_device=(), address=(), limit=10, address_limit=60):
    return webarm.decide(armed_mode=armed_mode, arms=list(arms), now=NOW, arm_max_age=AGE, device_times=list(device),
                         window_device_times=list(window_device), address_times=list(address),
                         repeat_interval=REPEAT, hourly_limit=limit, address_limit=address_limit)


def test_flag_names_are_the_terminals():
    assert webarm.FLAG_UNARMED == protocol.FLAG_UNARMED and webarm.FLAG_REPEAT == protocol.FLAG_REPEAT
    assert {webarm.FLAG_UNARMED, webarm.FLAG_REPEAT} == set(protocol.FLAGS)


def test_press_key_is_the_event_the_terminal_admits_after_the_arm():
    """The terminal's rules: after an arm, the next press is unflagged (armed, repeat window reset) and
    consumes the arm; so the arm at seq n admits the event at seq n + 1 of the same epoch."""
    r = rules.Rules(armed_mode=True, repeat_interval_s=3.0)
    state = rules.on_arm(rules.RulesState(), r)
    flags, state = rules.on_press(state, r, 500)
    assert flags == ()
    flags, _ = rules.on_press(state, r, 10_000)
    assert flags == (protocol.FLAG_UNARMED,)
    assert arm(7).press_key == "t-1:e:8" and arm(7).key == "t-1:e:7"


@pytest.mark.parametrize("arms, expected, why", [
    ([arm(1)], 1, "one fresh unused arm is open"),
    ([arm(1, 5), arm(3, 2)], 3, "the latest arm by time"),
    ([arm(3, 2), arm(4, 2)], 4, "same time: the higher seq (a re-arm) is the latest"),
    ([arm(1, next_event_stored=True)], None, "the buttons used it (an event at seq + 1 is stored)"),
    ([arm(1, claimed_by_web=True)], None, "a web rating used it"),
    ([arm(1, 31)], None, "31 min > 30 min: stale"),
    ([arm(1, 30)], 1, "exactly 30 min is still open"),
    ([arm(1, -1)], None, "an arm dated after now is not open"),
    ([arm(1, 5), arm(3, 2, next_event_stored=True)], None, "an older unused arm is superseded by the latest"),
    ([], None, "no arm at all"),
])
def test_open_arm(arms, expected, why):
    got = webarm.open_arm(arms, NOW, AGE)
    assert (got.seq if got else None) == expected, why


def test_armed_mode_open_arm_counts_and_claims():
    d = decide(arms=[arm(5)])
    assert d.refused is None and d.flags == () and d.counted and d.claim == arm(5)


def test_armed_mode_without_open_arm_is_flagged_unarmed_and_claims_nothing():
    d = decide(arms=[arm(5, next_event_stored=True)])
    assert d.flags == ("unarmed",) and not d.counted and d.claim is None


def test_repeat_is_flagged_and_does_not_use_the_arm():
    """As at the terminal: only an unflagged rating consumes the arm; a repeat leaves it to the next one."""
    d = decide(arms=[arm(5)], window_device=[NOW - timedelta(minutes=9, seconds=59)])
    assert d.flags == ("repeat",) and d.claim is None and not d.counted


def test_repeat_and_unarmed_both():
    d = decide(arms=[], window_device=[NOW - timedelta(minutes=1)])
    assert d.flags == ("repeat", "unarmed")


@pytest.mark.parametrize("ago, repeat", [(timedelta(minutes=10), False), (timedelta(minutes=9, seconds=59), True),
                                         (timedelta(seconds=0), True)])
def test_repeat_boundary(ago, repeat):
    """10 min after the previous rating of the same window by the same device is no longer a repeat."""
    d = decide(armed_mode=False, window_device=[NOW - ago])
    assert (d.flags == ("repeat",)) is repeat


def test_not_armed_mode_needs_no_arm():
    d = decide(armed_mode=False, arms=[])
    assert d.counted and d.claim is None


def test_device_ratings_of_other_windows_are_no_repeat_but_count_for_the_limit():
    recent = [NOW - timedelta(minutes=m) for m in (1, 2, 3)]
    assert decide(armed_mode=False, device=recent, limit=4).counted
    assert decide(armed_mode=False, device=recent, limit=3).refused == "device"


@pytest.mark.parametrize("minutes, refused", [(59.9, "device"), (60, None)])
def test_hourly_limit_counts_the_last_hour_only(minutes, refused):
    times = [NOW - timedelta(minutes=minutes)] + [NOW - timedelta(minutes=1)] * 2
    assert decide(armed_mode=False, device=times, limit=3).refused == refused


def test_address_limit():
    d = decide(armed_mode=False, address=[NOW - timedelta(minutes=1)] * 5, address_limit=5)
    assert d.refused == "address" and d.claim is None and not d.counted


def test_refusal_claims_nothing_even_with_an_open_arm():
    d = decide(arms=[arm(1)], device=[NOW] * 10, limit=10)
    assert d.refused == "device" and d.claim is None


@pytest.mark.parametrize("key, flags, claimed, spent", [
    ("t-1:e:2", (), {"t-1:e:2"}, True),
    ("t-1:e:2", ("clock",), {"t-1:e:2"}, True),
    ("t-1:e:2", ("unarmed",), {"t-1:e:2"}, False),
    ("t-1:e:4", (), {"t-1:e:2"}, False),
])
def test_press_spent_by_web(key, flags, claimed, spent):
    assert webarm.press_spent_by_web(key, flags, claimed) is spent


def test_add_flag_keeps_stored_flags_sorted():
    assert webarm.add_flag("", "unarmed") == "unarmed"
    assert webarm.add_flag("clock,repeat", "unarmed") == "clock,repeat,unarmed"
    assert webarm.add_flag("unarmed", "unarmed") == "unarmed"
    # the SQL of the ingest hook appends ",unarmed": right only while "unarmed" sorts after every flag name
    assert sorted([*protocol.FLAGS, protocol.FLAG_CLOCK])[-1] == protocol.FLAG_UNARMED
