"""Operations: the demo's ratings and monthly assessments of last year (the published campaign's year), so the
comprehensive report's trends and hour × weekday maps have data (docs/report.md).

Four months of terminal presses at 09:00–17:00 on working days (the same plans and generator as the demo's last
month, ops/demo_month.py), stored through the ingest's own path (validate → BatchStore, as the MQTT worker does,
each event received a minute after its time) — not through MQTT: the ingest refuses events older than its offline
bound, and last year's months are. September, October and December are closed and published like the demo's last
month; November's ratings are stored but the month is left open, so the report shows a gap, not a zero.
"""

from __future__ import annotations

from typing import Any

from pingyi import db
from pingyi.ratings.ingest.store import BatchStore
from pingyi.ratings.ingest.validate import RawMessage, sort_batch
from pingyi_terminal import protocol

from . import demo_month

MONTHS = ((9, True), (10, True), (11, False), (12, True))  # (month, published)
CHUNK = 500


async def store_events(events: list[protocol.Event]) -> int:
    """Store events as the ingest worker would (deduplicated by their keys); returns how many were new."""
    store = BatchStore(db.current_engine())
    known = await store.load_terminals()
    inserted = 0
    for i in range(0, len(events), CHUNK):
        messages = [RawMessage(topic=protocol.event_topic(e.terminal), payload=protocol.encode_event(e),
                               received_ms=e.wall_ms + 60_000) for e in events[i:i + CHUNK]]
        inserted += await store.write(sort_batch(messages, known.get))
    return inserted


async def load_year_months(settings: Any, year: int) -> list[str]:
    lines: list[str] = []
    stored = 0
    for m, publish in MONTHS:
        month = f"{year:04d}-{m:02d}"
        prep = await demo_month.prepare(settings, month)
        if prep is None:  # already closed
            continue
        plans, days = prep
        stored += await store_events(demo_month.month_events(plans, month, days, settings.timezone,
                                                             seed=int(month.replace("-", ""))))
        if publish:
            lines += await demo_month.finish(settings, month)
    if stored:
        lines.insert(0, f"{year} 年 9–12 月评价器数据：{stored} 条（11 月未结账，综合评议报告的走势图中为空缺）")
    return lines
