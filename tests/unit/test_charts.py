"""Unit tests for pingyi.publication.charts (SPEC §6): PNG in Chinese, no missing glyphs, sane size."""

from __future__ import annotations

import logging
import struct
import warnings
from decimal import Decimal

import pytest

from pingyi.publication import charts
from pingyi.render.fonts import find_cjk_font, use_cjk_font

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEPARTMENTS = ["县招商局", "县发改委", "县人事劳动和社会保障局", "县交警大队", "县供电公司"]
ASPECTS = ["工作作风", "服务态度", "办事效率", "政策宣传", "勤政廉洁"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def render(fn, *args):
    """Call fn, failing on any warning or matplotlib log line (missing glyphs are reported either way)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.WARNING)
    logging.getLogger("matplotlib").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = fn(*args)
    finally:
        logging.getLogger("matplotlib").removeHandler(handler)
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in records] == []
    return data


@pytest.fixture(autouse=True)
def _font():
    if find_cjk_font() is None:
        pytest.fail("no CJK font installed: apt-get install fonts-wqy-microhei")


RANKING = [
    {"name": "县交警大队", "published": Decimal("97.85"), "grade_key": "satisfied"},
    {"name": "县招商局", "published": Decimal("84.50"), "grade_key": "basically_satisfied"},
    {"name": "县人事劳动和社会保障局", "published": Decimal("65.67"), "grade_key": "unsatisfied"},
    {"name": "县发改委", "published": Decimal("0.00"), "grade_key": "unsatisfied"},
    {"name": "县供电公司", "published": None, "grade_key": None},
]


def test_ranking_bars():
    data = render(charts.ranking_bars, RANKING)
    w, h = png_size(data)
    assert 600 <= w <= 2000 and 250 <= h <= 4000
    assert 5_000 < len(data) < 1_000_000


def test_ranking_bars_grows_with_rows():
    many = [{"name": f"部门{i}", "published": Decimal(50 + i), "grade_key": "unsatisfied"} for i in range(30)]
    assert png_size(render(charts.ranking_bars, many))[1] > png_size(render(charts.ranking_bars, RANKING))[1]


def test_ranking_bars_empty():
    png_size(render(charts.ranking_bars, []))


def test_grade_distribution():
    data = render(charts.grade_distribution, {"满意": 8, "基本满意": 5, "不满意": 6, "未获评议": 2})
    w, h = png_size(data)
    assert 400 <= w <= 2000 and 200 <= h <= 2000


def test_grade_distribution_all_zero():
    png_size(render(charts.grade_distribution, {"满意": 0, "基本满意": 0, "不满意": 0}))


def test_aspect_breakdown_with_withheld_department():
    rows = [(d, {a: Decimal("50") + 10 * i + j for j, a in enumerate(ASPECTS)}) for i, d in enumerate(DEPARTMENTS)]
    rows[1] = (DEPARTMENTS[1], {a: None for a in ASPECTS})  # below k: withheld
    data = render(charts.aspect_breakdown, rows)
    w, h = png_size(data)
    assert 600 <= w <= 2500 and 250 <= h <= 4000


def test_use_cjk_font_is_idempotent():
    import matplotlib

    first = use_cjk_font()
    assert first and use_cjk_font() == first
    assert matplotlib.rcParams["font.sans-serif"].count(first) == 1
    assert matplotlib.rcParams["font.sans-serif"][0] == first


def test_use_cjk_font_without_font():
    assert use_cjk_font(("/nonexistent/font.ttc",)) is None
