"""Publication layer: the public ranking chart, drawn once per published version off the event loop (SPEC §6, §8).

Drawing takes a few hundred milliseconds of CPU; done on the serving loop for every request, 30 concurrent chart
requests stalled `/health` for over a second. Here the SVG is drawn in a worker thread, once per (year, version,
publication time): concurrent requests for the same chart wait for that one drawing, later ones get the bytes.
One cache per application (kept in app state), bounded to the newest MAX_ENTRIES charts.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

import anyio.to_thread

from . import service
from .charts import ranking_bars

MAX_ENTRIES = 32


class ChartCache:
    def __init__(self) -> None:
        self._svgs: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._locks: dict[tuple[Any, ...], asyncio.Lock] = {}
        self.renders = 0  # how many charts were drawn (for tests and the benchmark)

    async def ranking_svg(self, year: int, fonts: tuple[str, ...] | None = None) -> bytes:
        results = await service.published_results(year)
        key = (year, results.get("version"), results.get("digest"), results.get("published_at"))
        cached = self._svgs.get(key)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._svgs.get(key)
            if cached is None:
                rows = [{"name": r["name"], "published": r["published"], "grade_key": r["status"]}
                        for r in results["results"]]
                cached = await anyio.to_thread.run_sync(lambda: ranking_bars(rows, fonts=fonts))
                self.renders += 1
                self._svgs[key] = cached
                while len(self._svgs) > MAX_ENTRIES:
                    self._svgs.popitem(last=False)
        self._locks.pop(key, None)
        return cached


def for_app(state: Any) -> ChartCache:
    """The application's chart cache (created on first use; no await in between, so one per app)."""
    cache = state.get("chart_cache")
    if cache is None:
        cache = ChartCache()
        state["chart_cache"] = cache
    return cache
