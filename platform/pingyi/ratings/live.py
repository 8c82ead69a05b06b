"""Service layer: the office's live dashboard — today per hall and window (SPEC §4 "Alerts", participation).

"Today" is the calendar day in the office's time zone (`clock.today()`), from `clock.start_of_local_day(today)` to
the start of the next day, whatever the server's own zone: a rating at 23:59 yesterday local time is not today's.
Participation so far = counted ratings ÷ served transactions, served = arm events (服务开始) today; with no arm
event it is None (shown "—"), never 0 % or 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pingyi import clock
from pingyi.core.alerts import DEFAULT_THRESHOLD
from pingyi.core.scoring import percent
from pingyi.hall import service as hall

from . import live_repository as repo
from .channels import CHANNEL_LABELS, CHANNELS
from .live_schemas import ChannelFigures, LiveDocument, LiveFigures, LiveHall, LiveTerminal, LiveWindow

UNASSIGNED = "未分配大厅"
PARTICIPATION_PLACES = 1


class _Sum:
    """Counts being added up: per channel ratings and 差评, and the served / flagged totals."""

    def __init__(self) -> None:
        self.ratings = {c: 0 for c in CHANNELS}
        self.bad = {c: 0 for c in CHANNELS}
        self.served = 0
        self.flagged = 0

    def add(self, row: dict[str, int | str]) -> None:
        channel = str(row["channel"])
        self.ratings[channel] = self.ratings.get(channel, 0) + int(row["ratings"])
        self.bad[channel] = self.bad.get(channel, 0) + int(row["bad"])
        self.served += int(row["served"])
        self.flagged += int(row["flagged"])

    def merge(self, others: Iterable[_Sum]) -> _Sum:
        for o in others:
            for c, n in o.ratings.items():
                self.ratings[c] = self.ratings.get(c, 0) + n
            for c, n in o.bad.items():
                self.bad[c] = self.bad.get(c, 0) + n
            self.served += o.served
            self.flagged += o.flagged
        return self

    def figures(self) -> LiveFigures:
        ratings = sum(self.ratings.values())
        return LiveFigures(
            ratings=ratings, bad=sum(self.bad.values()), flagged=self.flagged, served=self.served,
            participation=percent(ratings, self.served, PARTICIPATION_PLACES) if self.served else None,
            channels=[ChannelFigures(channel=c, label=CHANNEL_LABELS.get(c, c), ratings=self.ratings[c],
                                     bad=self.bad.get(c, 0)) for c in self.ratings])


async def today() -> LiveDocument:
    day = clock.today()
    start = clock.start_of_local_day(day)
    end = clock.start_of_local_day(day + timedelta(days=1))
    sums: dict[int, _Sum] = {}
    for row in await repo.day_counts(start, end):
        sums.setdefault(int(row["window_id"]), _Sum()).add(row)
    terminals: dict[int, list[LiveTerminal]] = {}
    for window_id, terminal_id, online, last_seen in await repo.live_terminals():
        terminals.setdefault(window_id, []).append(LiveTerminal(terminal_id=terminal_id, online=online,
                                                                last_seen=last_seen))
    open_alerts = await repo.open_alerts()
    open_by_window = {a.window_code: a.id for a in open_alerts}
    places = [w for w in await hall.window_places() if w.active or w.id in sums]
    halls = [h for h in await hall.halls() if h.active or any(w.hall_code == h.code for w in places)]
    groups: list[tuple[str | None, str, str]] = [(h.code, h.name, h.threshold.describe()) for h in halls]
    if any(w.hall_code is None for w in places) or not groups:
        groups.append((None, UNASSIGNED, DEFAULT_THRESHOLD.describe()))
    live_halls: list[LiveHall] = []
    county = _Sum()
    for code, name, threshold in groups:
        members = [w for w in places if w.hall_code == code]
        hall_sums = [sums.get(w.id, _Sum()) for w in members]
        windows = [LiveWindow(code=w.code, name=w.name, department_name=w.department_name, figures=s.figures(),
                              terminals=terminals.get(w.id, []), open_alert_id=open_by_window.get(w.code))
                   for w, s in zip(members, hall_sums, strict=True)]
        live_halls.append(LiveHall(code=code, name=name, threshold=threshold,
                                   figures=_Sum().merge(hall_sums).figures(), windows=windows))
        county.merge(hall_sums)
    return LiveDocument(day=day.isoformat(), day_starts_at=start, generated_at=clock.now(),
                        figures=county.figures(), halls=live_halls, open_alerts=open_alerts)
