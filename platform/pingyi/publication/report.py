"""Service layer: the comprehensive evaluation report (综合评议报告) of a published campaign (SPEC §6, issue 11).

Everything comes from the published version (the snapshot's figures, grades, ranks, consequences), plus the
opinions (only for departments with at least k sections: the same small-cell rule as the results and the
feedback page), the rectification tasks from followup/ and the office's bulletin key. The web page, its charts and
the PDF are drawn once per published version (year, version, digest, publication time: a correction is a new
version, so a new key) in a worker thread, never on the serving loop; see docs/report.md.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from pathlib import Path
from typing import Any

import anyio.to_thread

from pingyi.core import bulletin_check
from pingyi.core.errors import NotFound
from pingyi.core.scoring import percent
from pingyi.evaluation import repository as evaluation
from pingyi.followup import service as followup

from . import bulletin, charts, repository, service, signing

MAX_ENTRIES = 8  # reports kept per process (each: a few SVGs and one PDF, ~0.5 MB)
CHART_NAMES = ("ranking", "grades", "aspects", "complaints")
GRADE_ORDER = ("满意", "基本满意", "不满意", "未获评议")


async def cache_key(year: int) -> tuple[Any, ...]:
    """What identifies the public version of a campaign: its newest publication row (a correction is a new version,
    published anew: a new row). Two small queries; the snapshot payload is only read on a miss."""
    campaign = await evaluation.campaign_row(year)
    pub = await repository.latest_publication(campaign["id"])
    if pub is None:
        raise NotFound(f"{year} 年度评议结果尚未公布。")
    return (year, pub.id, pub.snapshot_id)


async def report_data(year: int, data_dir: Path) -> dict[str, Any]:
    """The report's content as plain data (what the page, the charts and the PDF render)."""
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
        "digest": results["digest"], "published_at": results["published_at"], "reason": results.get("reason", ""),
        "turnout": {**turnout, "used_share": percent(turnout["cards_used"], turnout["cards_issued"], 1)
                    if turnout["cards_issued"] else None},
        "grade_counts": {label: n for label, n in counts.items() if n or label != "未获评议"},
        "department_count": len(ranking),
        "ranking": ranking, "opinions": opinions, "withheld": withheld, "consequences": consequences,
        "tasks": tasks, "task_states": task_states,
        "key": {"key_id": key["key_id"], "line": bulletin_check.format_public_key(signing.public_bytes(key)).strip()},
    }


def draw_charts(data: dict[str, Any], fmt: str = "svg", fonts: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """The report's charts (CPU-bound: call from a worker thread)."""
    ranking = data["ranking"]
    rows = [{"name": r["name"], "published": r["published"], "grade_key": r["status"]} for r in ranking]
    aspects = [(r["name"], {a["name"]: a["percent"] for a in r["aspects"]}) for r in ranking if r["aspects"]]
    return {
        "ranking": charts.ranking_bars(rows, fmt=fmt, fonts=fonts),
        "grades": charts.grade_distribution(data["grade_counts"], fmt=fmt, fonts=fonts),
        "aspects": charts.aspect_breakdown(aspects, fmt=fmt, fonts=fonts),
        "complaints": charts.complaints_per_department([(r["name"], r["substantiated"]) for r in ranking],
                                                       fmt=fmt, fonts=fonts),
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
                found = Report(await report_data(year, data_dir))
                self._reports[key] = found
                while len(self._reports) > MAX_ENTRIES:
                    self._reports.popitem(last=False)
        return found

    async def svgs(self, year: int, data_dir: Path, fonts: tuple[str, ...] | None = None) -> dict[str, bytes]:
        report = await self.report(year, data_dir)
        if report.svgs is None:
            async with report.lock:
                if report.svgs is None:
                    report.svgs = await anyio.to_thread.run_sync(lambda: draw_charts(report.data, "svg", fonts))
                    self.renders += 1
        return report.svgs

    async def pdf(self, year: int, data_dir: Path, fonts: tuple[str, ...] | None = None) -> bytes:
        from .report_pdf import report_pdf

        svgs = await self.svgs(year, data_dir, fonts)  # the web charts, drawn once, also serve the PDF
        report = await self.report(year, data_dir)
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
