"""Service layer: the comprehensive evaluation report (综合评议报告) of a published campaign (SPEC §6, issue 11).

Everything comes from the published version (the snapshot's figures, grades, ranks, consequences), plus the
opinions (only for departments with at least k sections: the same small-cell rule as the results and the
feedback page), the rectification tasks from followup/ and the office's bulletin key. The web page, its charts and
the PDF are drawn once per published version in a worker thread, never on the serving loop. The key is the
campaign's newest publication and the newest publication of each published month of the year (the monthly trends
read those snapshots): a correction of either, published anew, is a new key. See docs/report.md "Caching".
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread

from pingyi import clock
from pingyi.assessment import monthclose
from pingyi.core import bulletin_check, trends
from pingyi.core import symposium as symposium_rules
from pingyi.core.errors import NotFound
from pingyi.core.scoring import percent
from pingyi.evaluation import repository as evaluation
from pingyi.evaluation import symposium
from pingyi.followup import service as followup
from pingyi.hall import service as hall
from pingyi.ratings import repository as ratings

from . import bulletin, charts, repository, service, signing

MAX_ENTRIES = 8  # reports kept per process (each: a few SVGs and one PDF, ~0.5 MB)
CHART_NAMES = ("ranking", "grades", "aspects", "complaints", "trend-assessment", "trend-ratings")
HALL_CHART = "hours-"  # + the hall's code: one hour × weekday heat map per hall with terminal ratings
UNASSIGNED = ("unassigned", "未分配大厅")  # windows in no hall: their ratings get a map of their own
GRADE_ORDER = ("满意", "基本满意", "不满意", "未获评议")


async def cache_key(year: int) -> tuple[Any, ...]:
    """What identifies the public version of a campaign's report: the campaign's newest publication row (a
    correction is a new version, published anew: a new row) and, for the monthly trends, the newest publication of
    each published month of the year (a month published or corrected anew changes it). Three small queries; the
    snapshot payloads are only read on a miss."""
    campaign = await evaluation.campaign_row(year)
    pub = await repository.latest_publication(campaign["id"])
    if pub is None:
        raise NotFound(f"{year} 年度评议结果尚未公布。")
    return (year, pub.id, pub.snapshot_id, tuple(await monthclose.year_publications(year)))


def office_date(iso: str) -> str:
    """A stored timestamp (ISO, UTC) as the office-time-zone date, e.g. 2025-12-31T16:30:00+00:00 → 2026-01-01."""
    return clock.local_date(datetime.fromisoformat(iso)).isoformat()


async def trend_data(year: int, months: tuple[tuple[str, int, int], ...]) -> dict[str, Any]:
    """The monthly assessment's and 好差评's points per month of `year`, from the published monthly snapshots named
    in the cache key (month, publication id, snapshot id); a month without one is a gap (None)."""
    payloads = {month: await monthclose.published_snapshot(snapshot_id) for month, _pub, snapshot_id in months}
    assessment, rating = trends.months_from_snapshots(year, payloads)
    rows = []
    for month, a, r in zip(trends.year_months(year), assessment, rating, strict=True):
        if a is None or r is None:
            continue
        rows.append({"month": month, "departments": a.departments, "mean": _s(a.mean), "highest": _s(a.highest),
                     "lowest": _s(a.lowest), "counted": r.counted, "served": r.served, "bad": r.bad,
                     "participation": r.participation, "bad_share": r.bad_share})
    return {
        "months": rows,
        "assessment": [(_s(a.mean), _s(a.highest), _s(a.lowest)) if a is not None and a.departments else None
                       for a in assessment],
        "ratings": [(r.participation, r.bad_share) if r is not None else None for r in rating],
    }


def _s(value: Any) -> str:
    return "" if value is None else f"{value}"


async def hall_data(year: int) -> dict[str, Any]:
    """Counted terminal ratings of the campaign year per hall, as 7 × 24 hour × weekday cells in the office's time
    zone; the halls without any, named."""
    start = clock.start_of_local_day(date(year, 1, 1))
    end = clock.start_of_local_day(date(year + 1, 1, 1))
    buckets: dict[int | None, list[tuple[int, int]]] = {}
    for hall_id, bucket, n in await ratings.terminal_quarter_hours(start, end):
        buckets.setdefault(hall_id, []).append((bucket, n))
    zone = clock.current().zone
    maps: list[dict[str, Any]] = []
    empty: list[str] = []
    places = [(h.id, h.code, h.name) for h in await hall.halls()]
    if None in buckets:
        places.append((None, *UNASSIGNED))
    for hall_id, code, name in places:
        if hall_id not in buckets:
            empty.append(name)
            continue
        grid = trends.hour_weekday_cells(buckets[hall_id], zone)
        maps.append({"code": code, "name": name, "chart": HALL_CHART + code, "grid": grid,
                     "total": sum(sum(row) for row in grid)})
    return {"maps": maps, "without": empty, "timezone": str(zone)}


async def symposium_data(year: int, ranking: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each symposium of the campaign: date, place, attendance counts, the departments whose main leader did not
    attend, and the opinions raised — only for departments with at least k sections (the opinions' rule)."""
    codes = [r["code"] for r in ranking]
    names = {r["code"]: r["name"] for r in ranking}
    shown = {r["code"] for r in ranking if r["section_count"] and not r["small_cell"]}
    out = []
    for m in await symposium.meetings(year):
        status = {c: a.status for c, a in m.attendance.items()}
        counts = {label: 0 for label in (*symposium_rules.ATTENDANCE_LABELS.values(),
                                         symposium_rules.NOT_RECORDED_LABEL)}
        for code in codes:
            counts[symposium_rules.attendance_label(status.get(code))] += 1
        missing = [{"name": names[c], "label": symposium_rules.attendance_label(status.get(c)),
                    "attendee": m.attendance[c].attendee if c in m.attendance else "",
                    "note": m.attendance[c].note if c in m.attendance else ""}
                   for c in symposium_rules.leaders_missing(codes, status)]
        noted = [c for c in codes if m.notes.get(c)]
        out.append({"held_on": m.symposium.held_on.isoformat(), "place": m.symposium.place,
                    "counts": {label: n for label, n in counts.items()
                               if n or label != symposium_rules.NOT_RECORDED_LABEL},
                    "missing": missing,
                    "opinions": [{"name": names[c], "texts": sorted(n.text for n in m.notes[c])}
                                 for c in noted if c in shown],
                    "withheld": [names[c] for c in noted if c not in shown]})
    return out


async def report_data(year: int, data_dir: Path, version: tuple[Any, ...] | None = None) -> dict[str, Any]:
    """The report's content as plain data (what the page, the charts and the PDF render). `version`: the cache key
    it is made for (its monthly publications are the ones read); None: the current one."""
    version = version if version is not None else await cache_key(year)
    results = await service.published_results(year)
    campaign = await evaluation.campaign_row(year)
    k = results["campaign"]["k"]
    all_opinions = await evaluation.opinions(campaign["id"])
    tracker = await followup.public_tracker()
    key = await bulletin.signing_key(data_dir)
    turnout = results["turnout"]
    ranking = results["results"]
    counts = {label: results["grade_counts"].get(label, 0) for label in GRADE_ORDER}
    counts.update({label: n for label, n in results["grade_counts"].items() if label not in counts})
    opinions = [{"code": r["code"], "name": r["name"], "texts": all_opinions.get(r["code"], [])}
                for r in ranking if r["section_count"] and not r["small_cell"]]
    withheld = [r["name"] for r in ranking if r["small_cell"] or not r["section_count"]]
    consequences = [{"name": r["name"], "published": r["published"], "status_label": r["status_label"],
                     "labels": r["consequence_labels"]} for r in ranking if r["consequence_labels"]]
    names = {r["name"] for r in ranking}
    tasks = [{"department": t.department, "source": t.source_label, "reason": t.reason, "deadline": t.deadline,
              "state": t.state_label, "overdue": t.overdue, "summary": t.accepted_summary}
             for t in tracker.tasks if t.department in names]
    task_states: dict[str, int] = {}
    for t in tasks:
        task_states[t["state"]] = task_states.get(t["state"], 0) + 1
    return {
        "year": year, "title": results["campaign"]["title"], "k": k, "version": results["version"],
        "digest": results["digest"], "published_at": results["published_at"],
        "published_on": office_date(results["published_at"]), "reason": results.get("reason", ""),
        "turnout": {**turnout, "used_share": percent(turnout["cards_used"], turnout["cards_issued"], 1)
                    if turnout["cards_issued"] else None},
        "grade_counts": {label: n for label, n in counts.items() if n or label != "未获评议"},
        "department_count": len(ranking),
        "ranking": ranking, "opinions": opinions, "withheld": withheld, "consequences": consequences,
        "tasks": tasks, "task_states": task_states,
        "trend": await trend_data(year, version[3]), "halls": await hall_data(year),
        "symposia": await symposium_data(year, ranking),
        "key": {"key_id": key["key_id"], "line": bulletin_check.format_public_key(signing.public_bytes(key)).strip()},
    }


def chart_names(data: dict[str, Any]) -> list[str]:
    """The report's charts: the fixed ones and one hour × weekday map per hall with terminal ratings."""
    return [*CHART_NAMES, *(m["chart"] for m in data["halls"]["maps"])]


def draw_charts(data: dict[str, Any], fmt: str = "svg", fonts: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """The report's charts (CPU-bound: call from a worker thread)."""
    ranking = data["ranking"]
    halls = {m["chart"]: charts.hour_weekday_heatmap(m["grid"], f"{m['name']} 评价器评价时段分布（次）", fmt=fmt,
                                                     fonts=fonts) for m in data["halls"]["maps"]}
    rows = [{"name": r["name"], "published": r["published"], "grade_key": r["status"]} for r in ranking]
    aspects = [(r["name"], {a["name"]: a["percent"] for a in r["aspects"]}) for r in ranking if r["aspects"]]
    return {
        "ranking": charts.ranking_bars(rows, fmt=fmt, fonts=fonts),
        "grades": charts.grade_distribution(data["grade_counts"], fmt=fmt, fonts=fonts),
        "aspects": charts.aspect_breakdown(aspects, fmt=fmt, fonts=fonts),
        "complaints": charts.complaints_per_department([(r["name"], r["substantiated"]) for r in ranking],
                                                       fmt=fmt, fonts=fonts),
        "trend-assessment": charts.monthly_trend(data["trend"]["assessment"], fmt=fmt, fonts=fonts),
        "trend-ratings": charts.rating_trend(data["trend"]["ratings"], fmt=fmt, fonts=fonts),
        **halls,
    }


class Report:
    """One published version's report: its data, web SVGs and PDF, each made at most once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.svgs: dict[str, bytes] | None = None
        self.pdf: bytes | None = None
        self.lock = asyncio.Lock()


class ReportCache:
    """Reports per published version, newest MAX_ENTRIES kept; concurrent requests wait for one drawing."""

    def __init__(self) -> None:
        self._reports: OrderedDict[tuple[Any, ...], Report] = OrderedDict()
        self._lock = asyncio.Lock()
        self.renders = 0  # drawings done (charts or PDF), for tests and the benchmark

    async def report(self, year: int, data_dir: Path) -> Report:
        key = await cache_key(year)
        found = self._reports.get(key)
        if found is not None:
            return found
        async with self._lock:
            found = self._reports.get(key)
            if found is None:
                found = Report(await report_data(year, data_dir, key))
                self._reports[key] = found
                while len(self._reports) > MAX_ENTRIES:
                    self._reports.popitem(last=False)
        return found

    async def svgs(self, year: int, data_dir: Path, fonts: tuple[str, ...] | None = None,
                   report: Report | None = None) -> dict[str, bytes]:
        """The report's SVGs (`report`: the one the caller already looked up, saving the key's queries)."""
        report = report or await self.report(year, data_dir)
        if report.svgs is None:
            async with report.lock:
                if report.svgs is None:
                    report.svgs = await anyio.to_thread.run_sync(lambda: draw_charts(report.data, "svg", fonts))
                    self.renders += 1
        return report.svgs

    async def pdf(self, year: int, data_dir: Path, fonts: tuple[str, ...] | None = None) -> bytes:
        from .report_pdf import report_pdf

        report = await self.report(year, data_dir)
        svgs = await self.svgs(year, data_dir, fonts, report)  # the web charts, drawn once, also serve the PDF
        if report.pdf is None:
            async with report.lock:
                if report.pdf is None:
                    vectors = {name: charts.pdf_svg(svg) for name, svg in svgs.items()}
                    report.pdf = await anyio.to_thread.run_sync(lambda: report_pdf(report.data, fonts, vectors))
                    self.renders += 1
        return report.pdf


def for_app(state: Any) -> ReportCache:
    """The application's report cache (created on first use; no await in between, so one per app)."""
    cache = state.get("report_cache")
    if cache is None:
        cache = ReportCache()
        state["report_cache"] = cache
    return cache
