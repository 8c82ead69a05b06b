"""Publication layer: charts in Chinese for public pages and reports, from plain data (SPEC §6).

Web charts are SVG with the text kept as text (``svg.fonttype = 'none'``): the reader's browser draws the Chinese
with its own fonts, so the server needs no CJK font. A server CJK font, when found, is only used to measure text
for the layout. PNG (``fmt="png"``) is still available for reports and does need the font.

Uses matplotlib's object API (Figure + Agg canvas, no pyplot global state); the few rcParams a chart needs are set
in a context under one lock, so charts can be drawn from worker threads. Every function returns the image bytes;
nothing touches the database.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal

from pingyi.core.scoring import percent, round_half_up
from pingyi.render.fonts import use_cjk_font
from pingyi.render.pdf import CJK

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
# "svg-pdf": SVG for the PDF report, text kept as text in the font family fpdf2 registered the embedded CJK font
# under (render.pdf.CJK): fpdf2 places the SVG as vector paths and draws its text with that font, so the charts'
# text is searchable and the PDF reader needs no font of its own. (Text as outlines was 5× slower to place.)
VECTOR_FOR_PDF = "svg-pdf"
# What the browser is asked to draw SVG text with (first installed wins on the reader's machine).
CSS_FONT_STACK = ("'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
                  "'WenQuanYi Micro Hei', 'Hiragino Sans GB', 'Heiti SC', SimHei, sans-serif")
_FONT_FAMILY = re.compile(r"font-family: [^;\"]+")
_render_lock = threading.Lock()

DPI = 120
WIDTH_IN = 8.0

SATISFIED_LINE = 85
BASIC_LINE = 70

# Grade keys as in pingyi.core.scoring; colours chosen to stay distinct in greyscale print.
GRADE_COLOURS: dict[str, str] = {
    "satisfied": "#2e7d32",
    "basically_satisfied": "#f2a900",
    "unsatisfied": "#c62828",
    "not_rated": "#9e9e9e",
}
GRADE_NAMES: dict[str, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "not_rated": "未获评议",
}
LABEL_COLOURS: dict[str, str] = {name: GRADE_COLOURS[key] for key, name in GRADE_NAMES.items()}
_FALLBACK_COLOURS = ("#1565c0", "#6a1b9a", "#00838f", "#5d4037")


def ranking_bars(rows: list[dict], title: str = "年度评议得分排名", fmt: str = "svg",
                 fonts: tuple[str, ...] | None = None) -> bytes:
    """Horizontal bars of published scores in the given (ranking) order, top row first, coloured by grade.

    Each row: ``{"name": str, "published": Decimal | None, "grade_key": str | None}``. A row with no published
    score is drawn without a bar and marked 未获评议. Dashed guide lines at 85 (满意) and 70 (基本满意).
    """
    from matplotlib.patches import Patch

    with _drawing(fonts, fmt):
        fig, ax = _figure(height=max(2.6, 1.3 + 0.32 * len(rows)))
        names = [str(r["name"]) for r in rows]
        ys = list(range(len(rows)))
        values = [float(r["published"]) if r.get("published") is not None else 0.0 for r in rows]
        keys = [(r.get("grade_key") or "not_rated") if r.get("published") is not None else "not_rated" for r in rows]
        ax.barh(ys, values, color=[GRADE_COLOURS.get(k, GRADE_COLOURS["not_rated"]) for k in keys], height=0.66)
        for y, r, v in zip(ys, rows, values, strict=False):
            if r.get("published") is None:
                ax.text(1, y, "未获评议", va="center", ha="left", fontsize=8, color="#616161")
            else:
                ax.text(v + 0.8, y, _fmt(r["published"]), va="center", ha="left", fontsize=8)
        ax.set_yticks(ys, names, fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, 108)
        ax.set_xlabel("公布得分（分）")
        for x, label in ((SATISFIED_LINE, "85 满意"), (BASIC_LINE, "70 基本满意")):
            ax.axvline(x, color="#424242", linestyle="--", linewidth=0.8)
            ax.text(x, -0.9 if rows else 0, label, ha="center", va="bottom", fontsize=8, color="#424242")
        if rows:
            ax.set_ylim(len(rows) - 0.5, -1.2)
        used = [k for k in GRADE_NAMES if k in keys]
        ax.legend(handles=[Patch(color=GRADE_COLOURS[k], label=GRADE_NAMES[k]) for k in used],
                  loc="lower right", fontsize=8, framealpha=0.9)
        ax.set_title(title, fontsize=12)
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        _despine(ax)
        return _save(fig, fmt)


def grade_distribution(counts: Mapping[str, int], title: str = "评议等级分布", fmt: str = "svg",
                       fonts: tuple[str, ...] | None = None) -> bytes:
    """Vertical bars: departments per grade label (满意 / 基本满意 / 不满意 / 未获评议), in the given order."""
    with _drawing(fonts, fmt):
        fig, ax = _figure(height=3.6, width=6.0)
        labels = [str(k) for k in counts]
        values = [int(v) for v in counts.values()]
        colours = [LABEL_COLOURS.get(lb, _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)]) for i, lb in enumerate(labels)]
        bars = ax.bar(range(len(labels)), values, color=colours, width=0.6)
        total = sum(values)
        for bar, v in zip(bars, values, strict=False):
            share = f"（{percent(v, total, 0)}%）" if total else ""
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"{v} 个{share}",
                    ha="center", va="bottom", fontsize=9)
        ax.set_xticks(range(len(labels)), labels, fontsize=10)
        ax.set_ylabel("部门数（个）")
        ax.set_ylim(0, max(values + [1]) * 1.2)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(title, fontsize=12)
        _despine(ax)
        return _save(fig, fmt)


def aspect_breakdown(rows: list[tuple[str, Mapping[str, Decimal | float | None]]],
                     title: str = "各部门分方面得分率（%）", fmt: str = "svg",
                     fonts: tuple[str, ...] | None = None) -> bytes:
    """Heat map: one row per department, one column per aspect, cell = mean percent of the maximum (0–100).

    ``rows`` is ``[(department name, {aspect name: percent or None})]``; aspects are the union of the keys in first
    seen order. None (withheld, e.g. fewer than k sections) is drawn grey with "—".
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    aspects: list[str] = []
    for _, values in rows:
        for a in values:
            if a not in aspects:
                aspects.append(a)
    with _drawing(fonts, fmt):
        fig, ax = _figure(height=max(2.4, 1.5 + 0.32 * len(rows)), width=max(6.0, 2.6 + 1.1 * len(aspects)))
        grid = np.full((len(rows), len(aspects)), np.nan)
        for i, (_, values) in enumerate(rows):
            for j, a in enumerate(aspects):
                v = values.get(a)
                if v is not None:
                    grid[i, j] = float(v)
        cmap = colormaps["RdYlGn"].with_extremes(bad="#e0e0e0")
        norm = Normalize(vmin=40, vmax=100, clip=True)
        # A mesh of cells (not imshow): vector in SVG, so the PDF report keeps it as paths, not an embedded bitmap.
        image = ax.pcolormesh(np.arange(len(aspects) + 1) - 0.5, np.arange(len(rows) + 1) - 0.5,
                              np.ma.masked_invalid(grid), cmap=cmap, norm=norm)
        ax.set_xlim(-0.5, len(aspects) - 0.5)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        for i in range(len(rows)):
            for j in range(len(aspects)):
                v = grid[i, j]
                text = "—" if np.isnan(v) else str(round_half_up(Decimal(str(v)), 1))
                dark_cell = not np.isnan(v) and (v >= 92 or v < 50)
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark_cell else "#212121")
        ax.set_xticks(range(len(aspects)), aspects, fontsize=9)
        ax.set_yticks(range(len(rows)), [str(name) for name, _ in rows], fontsize=9)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        if bar.solids is not None:
            bar.solids.set_rasterized(False)  # matplotlib rasterises a long colour scale; the PDF wants it vector
        bar.set_label("得分率（%）", fontsize=9)
        bar.ax.tick_params(labelsize=8)
        ax.set_title(title, fontsize=12, pad=24)
        return _save(fig, fmt)


def pdf_svg(web_svg: bytes) -> bytes:
    """A web chart (text as text, the browser's font stack) made ready for the PDF report: its text in the family
    the PDF embeds (render.pdf.CJK). The same drawing serves both, so the report draws each chart once."""
    return _FONT_FAMILY.sub("font-family: " + CJK, web_svg.decode("utf-8")).encode("utf-8")


def complaints_per_department(rows: list[tuple[str, int]], title: str = "各部门属实投诉件数", fmt: str = "svg",
                              fonts: tuple[str, ...] | None = None) -> bytes:
    """Horizontal bars: substantiated complaints per department (in the given order, top first); zero shows "0"."""
    with _drawing(fonts, fmt):
        fig, ax = _figure(height=max(2.4, 1.2 + 0.3 * len(rows)))
        ys = list(range(len(rows)))
        values = [int(v) for _, v in rows]
        ax.barh(ys, values, color="#c62828", height=0.6)
        for y, v in zip(ys, values, strict=True):
            ax.text(v + 0.05, y, f"{v} 件", va="center", ha="left", fontsize=8)
        ax.set_yticks(ys, [str(name) for name, _ in rows], fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, max(values + [1]) * 1.25 + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("属实投诉（件）")
        ax.set_title(title, fontsize=12)
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        _despine(ax)
        return _save(fig, fmt)


MONTH_LABELS = tuple(f"{m}月" for m in range(1, 13))


def monthly_trend(points: list[tuple[str, str, str] | None], title: str = "月度考核总分走势（全县）",
                  fmt: str = "svg", fonts: tuple[str, ...] | None = None) -> bytes:
    """Lines over the 12 months: county mean, highest and lowest published total of the monthly assessment.

    ``points[i]`` is month i+1's ``(mean, highest, lowest)`` as published strings, or None for a month without a
    published version: a gap in the lines (never a zero). The mean's value is written at each point as its string.
    """
    import numpy as np

    series = (("最高", 1, "#2e7d32", "^"), ("平均", 0, "#1565c0", "o"), ("最低", 2, "#c62828", "v"))
    with _drawing(fonts, fmt):
        fig, ax = _figure(height=3.6)
        xs = np.arange(1, 13)
        for label, pos, colour, marker in series:
            ys = np.array([float(Decimal(p[pos])) if p is not None else np.nan for p in points])
            ax.plot(xs, ys, color=colour, marker=marker, markersize=5, linewidth=1.6, label=label)
        for x, p in zip(xs, points, strict=True):
            if p is not None:
                ax.text(x, float(Decimal(p[0])), p[0], ha="center", va="bottom", fontsize=7, color="#1565c0")
        published = [p for p in points if p is not None]
        low = min((float(Decimal(p[2])) for p in published), default=60.0)
        high = max((float(Decimal(p[1])) for p in published), default=100.0)
        ax.set_ylim(max(0.0, low - 8), high + 6)
        _month_axis(ax, points)
        ax.set_ylabel("公布总分（分）")
        ax.legend(loc="lower right", fontsize=8, ncol=3, framealpha=0.9)
        ax.set_title(title, fontsize=12)
        _despine(ax)
        return _save(fig, fmt)


def rating_trend(points: list[tuple[str | None, str | None] | None], title: str = "好差评参评率与差评占比（全县）",
                 fmt: str = "svg", fonts: tuple[str, ...] | None = None) -> bytes:
    """Two panels over the 12 months: 好差评 participation (counted ÷ served, %) and 差评 share (差评 ÷ counted, %).

    ``points[i]`` is month i+1's ``(participation, bad share)`` as percent strings (None: no divisor that month),
    or None for a month without a published version: a gap. Each point is labelled with its string.
    """
    import numpy as np

    with _drawing(fonts, fmt):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(WIDTH_IN, 4.8), dpi=DPI, layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True)
        xs = np.arange(1, 13)
        for ax, pos, label, colour in ((top, 0, "参评率（%）", "#1565c0"), (bottom, 1, "差评占比（%）", "#c62828")):
            values = [p[pos] if p is not None else None for p in points]
            ys = np.array([float(Decimal(v)) if v is not None else np.nan for v in values])
            ax.plot(xs, ys, color=colour, marker="o", markersize=5, linewidth=1.6)
            for x, v in zip(xs, values, strict=True):
                if v is not None:
                    ax.text(x, float(Decimal(v)), f"{v}%", ha="center", va="bottom", fontsize=7, color=colour)
            known = [float(Decimal(v)) for v in values if v is not None]
            ax.set_ylim(0, max(known + [10.0]) * 1.25)
            ax.set_ylabel(label, fontsize=9)
            ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
            ax.set_axisbelow(True)
            _despine(ax)
        _month_axis(bottom, points)
        top.set_title(title, fontsize=12)
        return _save(fig, fmt)


def hour_weekday_heatmap(grid: list[list[int]], title: str, fmt: str = "svg",
                         fonts: tuple[str, ...] | None = None) -> bytes:
    """Heat map of counts: one row per weekday (周一 … 周日), one column per hour of the day (office time zone).

    ``grid`` is 7 × 24 (core.trends.hour_weekday_cells). The columns shown are the hours with any count, widened to
    at least 08–18 (an office day); each non-zero cell carries its count as text. A mesh (vector), as the aspect map.
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    from pingyi.core.trends import WEEKDAYS

    used = [h for h in range(24) if any(row[h] for row in grid)]
    first, last = min(used + [8]), max(used + [17])
    hours = list(range(first, last + 1))
    with _drawing(fonts, fmt):
        fig, ax = _figure(height=3.4, width=max(6.0, 1.6 + 0.5 * len(hours)))
        values = np.array([[row[h] for h in hours] for row in grid], dtype=float)
        top = max(1.0, float(values.max()) if values.size else 1.0)
        image = ax.pcolormesh(np.arange(len(hours) + 1) - 0.5, np.arange(len(WEEKDAYS) + 1) - 0.5, values,
                              cmap=colormaps["Blues"], norm=Normalize(vmin=0, vmax=top), edgecolors="white",
                              linewidth=0.5)
        ax.set_xlim(-0.5, len(hours) - 0.5)
        ax.set_ylim(len(WEEKDAYS) - 0.5, -0.5)
        for i, row in enumerate(grid):
            for j, h in enumerate(hours):
                if row[h]:
                    ax.text(j, i, str(row[h]), ha="center", va="center", fontsize=7,
                            color="white" if row[h] > top * 0.6 else "#212121")
        ax.set_xticks(range(len(hours)), [f"{h}时" for h in hours], fontsize=8)
        ax.set_yticks(range(len(WEEKDAYS)), list(WEEKDAYS), fontsize=9)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        if bar.solids is not None:
            bar.solids.set_rasterized(False)
        bar.set_label("计入评价（次）", fontsize=9)
        bar.ax.tick_params(labelsize=8)
        ax.set_title(title, fontsize=12)
        return _save(fig, fmt)


def _month_axis(ax, points: list) -> None:  # type: ignore[type-arg]
    """1月 … 12月 on the x axis; months without a published version greyed (a gap, not a zero)."""
    ax.set_xlim(0.5, 12.5)
    ax.set_xticks(range(1, 13), list(MONTH_LABELS), fontsize=8)
    for tick, p in zip(ax.get_xticklabels(), points, strict=True):
        if p is None:
            tick.set_color("#9e9e9e")


# --------------------------------------------------------------------------------------------- helpers


@contextmanager
def _drawing(fonts: tuple[str, ...] | None, fmt: str) -> Iterator[None]:
    """One chart at a time: the rcParams it needs, the CJK font (if any) for measuring text."""
    import matplotlib

    if fmt not in MEDIA_TYPES and fmt != VECTOR_FOR_PDF:
        raise ValueError(f"unknown chart format {fmt!r}")
    family = use_cjk_font(fonts)
    rc = {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
          "axes.unicode_minus": False, "svg.fonttype": "none",
          "svg.hashsalt": "pingyi"}
    with _render_lock, matplotlib.rc_context(rc), warnings.catch_warnings():  # type: ignore[arg-type]
        if family is None and fmt == "svg":
            # Measured with DejaVu, drawn by the browser: the server's missing glyphs do not matter.
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        yield


def _figure(height: float, width: float = WIDTH_IN):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _save(fig, fmt: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    out = io.BytesIO()
    if fmt == "png":
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
        return out.getvalue()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    if fmt == VECTOR_FOR_PDF:
        return _FONT_FAMILY.sub("font-family: " + CJK, out.getvalue().decode("utf-8")).encode("utf-8")
    return _FONT_FAMILY.sub("font-family: " + CSS_FONT_STACK, out.getvalue().decode("utf-8")).encode("utf-8")


def _despine(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _fmt(value: Decimal | float | int) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"

