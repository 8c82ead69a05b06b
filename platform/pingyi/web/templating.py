"""Web layer: Jinja setup shared by all pages (zh-CN), role labels and small filters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pingyi.core.scoring import round_half_up

ROLE_LABELS = {
    "admin": "纠风办管理员",
    "investigator": "调查人员",
    "inspector": "督查人员",
    "liaison": "窗口单位联络员",
}


def _fmt2(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(round_half_up(Decimal(str(value)), 2))


def _local_time(tz: str):
    zone = ZoneInfo(tz)

    def local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        """A stored UTC time shown in the office's time zone (SPEC: stored times are UTC)."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone).strftime(fmt)

    return local_time


def configure_jinja(engine: Any, tz: str = "Asia/Shanghai") -> None:
    env = engine.engine
    env.filters["localtime"] = _local_time(tz)
    env.globals["ROLE_LABELS"] = ROLE_LABELS
    env.globals["site_name"] = "政务服务评议平台"
    env.filters["fmt2"] = _fmt2
    from pingyi.core.campaigns import STATE_LABELS
    from pingyi.core.complaints import STATE_LABELS as COMPLAINT_STATE_LABELS

    env.globals["STATE_LABELS"] = STATE_LABELS
    env.globals["COMPLAINT_STATE_LABELS"] = COMPLAINT_STATE_LABELS
