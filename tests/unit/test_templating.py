"""Web layer: times stored in UTC are shown in the office's time zone."""

from datetime import UTC, datetime

from pingyi.web.templating import _local_time


def test_utc_is_shown_in_the_configured_zone():
    show = _local_time("Asia/Shanghai")
    assert show(datetime(2026, 11, 29, 16, 30, tzinfo=UTC)) == "2026-11-30 00:30:00"
    assert show("2026-11-29T16:30:00+00:00", "%H:%M") == "00:30"
    assert show(datetime(2026, 11, 29, 16, 30)) == "2026-11-30 00:30:00"  # naive values are UTC
    assert show(None) == "—"
