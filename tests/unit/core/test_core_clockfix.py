"""Unit tests: clock correction of unsynchronised terminal events (SPEC §4)."""

import pytest

from pingyi.core import clockfix
from pingyi.core.clockfix import BootOffset


def test_offset_is_min_of_received_minus_mono():
    """Boot at wall 1,000,000 ms. Samples received with 30, 5 and 900 ms delay → offset 1,000,005 (tightest)."""
    samples = [clockfix.candidate(1_000_000 + m + d, m, 0, False) for m, d in ((100, 30), (200, 5), (300, 900))]
    assert clockfix.merge(None, samples) == BootOffset(1_000_005, False)


def test_synced_sample_is_exact_and_wins():
    """A synced heartbeat gives wall − mono exactly (1,000,000), below any received − mono bound."""
    off = clockfix.merge(BootOffset(1_000_040, False), [clockfix.candidate(1_000_600, 550, 1_000_550, True)])
    assert off == BootOffset(1_000_000, True)


def test_offline_events_are_retimed_from_a_later_sample():
    """Presses at mono 10 s and 20 s while offline, delivered an hour later; a heartbeat right after reconnect
    (mono 3,600 s, received 3,600.05 s after boot) fixes offset ≈ boot time: events come out at boot+10 s, +20 s."""
    boot_wall = 1_700_000_000_000
    late = [clockfix.candidate(boot_wall + 3_600_000 + 40, m, 0, False) for m in (10_000, 20_000)]
    first = clockfix.merge(None, late)
    assert first.offset_ms == boot_wall + 3_600_000 + 40 - 20_000  # a loose bound from the replay alone
    hb = clockfix.merge(first, [clockfix.candidate(boot_wall + 3_600_050, 3_600_000, 0, False)])
    assert hb.offset_ms == boot_wall + 50
    assert clockfix.needs_retime(first, hb)
    when, source = clockfix.occurred_ms(10_000, 0, False, hb, boot_wall + 3_600_040)
    assert (when, source) == (boot_wall + 10_050, "received")


def test_synced_events_keep_their_wall_time():
    assert clockfix.occurred_ms(5, 123_456, True, BootOffset(1, True), 999_999) == (123_456, "terminal")


def test_corrected_when_exact_and_never_after_receipt():
    assert clockfix.occurred_ms(100, 0, False, BootOffset(1_000, True), 2_000) == (1_100, "corrected")
    assert clockfix.occurred_ms(5_000, 0, False, BootOffset(1_000, True), 2_000) == (2_000, "corrected")
    assert clockfix.occurred_ms(5, 0, False, None, 2_000) == (2_000, "received")


def test_retime_only_on_real_change():
    """Tightening by ≤ 1 s is jitter; becoming exact always re-times."""
    assert not clockfix.needs_retime(BootOffset(10_000, False), BootOffset(9_500, False))
    assert clockfix.needs_retime(BootOffset(10_000, False), BootOffset(8_000, False))
    assert clockfix.needs_retime(BootOffset(10_000, False), BootOffset(10_000, True))
    assert not clockfix.needs_retime(None, BootOffset(1, True))


# --------------------------------------------------------------------------------------------- time bounds (issue 9)
DAY = clockfix.DAY_MS
REC = 1_800_000_000_000


@pytest.mark.parametrize("when, inside", [
    (REC, True),
    (REC - 45 * DAY, True),  # both ends included
    (REC - 45 * DAY - 1, False),
    (REC + 300_000, True),
    (REC + 300_001, False),
    (0, False),
    (REC + 365 * DAY, False),
])
def test_default_bounds(when, inside):
    assert clockfix.DEFAULT_BOUNDS.within(when, REC) is inside


def test_bounds_from_settings():
    b = clockfix.TimeBounds.of(70, 10)
    assert b.within(REC - 62 * DAY, REC) and not b.within(REC + 11_000, REC)
    assert (b.earliest(REC), b.latest(REC)) == (REC - 70 * DAY, REC + 10_000)
    with pytest.raises(ValueError):
        clockfix.TimeBounds.of(0, 10)


@pytest.mark.parametrize("wall, exact", [
    (REC - 1_000, True),
    (REC - 46 * DAY, False),  # a synchronised clock claiming a time outside the bounds is not believed …
    (REC + 301_000, False),
])
def test_synchronised_sample_outside_the_bounds_is_not_exact(wall, exact):
    offset, got = clockfix.candidate(REC, 5_000, wall, True)
    assert got is exact
    assert offset == (wall - 5_000 if exact else REC - 5_000)  # … it gives what an unsynchronised sample gives
