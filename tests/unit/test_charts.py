"""Unit tests for pingyi.publication.charts (SPEC §6): SVG with text as text (no server font needed), PNG in
Chinese with the server font, no missing glyphs, sane size."""

from __future__ import annotations

import logging
import re
import shutil
import struct
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

from pingyi.publication import charts
from pingyi.render.fonts import find_cjk_font, use_cjk_font

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEPARTMENTS = ["县招商局", "县发改委", "县人事劳动和社会保障局", "县交警大队", "县供电公司"]
ASPECTS = ["工作作风", "服务态度", "办事效率", "政策宣传", "勤政廉洁"]


def png(fn, *args):
    return render(lambda *a: fn(*a, fmt="png"), *args)


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
    data = png(charts.ranking_bars, RANKING)
    w, h = png_size(data)
    assert 600 <= w <= 2000 and 250 <= h <= 4000
    assert 5_000 < len(data) < 1_000_000


def test_ranking_bars_grows_with_rows():
    many = [{"name": f"部门{i}", "published": Decimal(50 + i), "grade_key": "unsatisfied"} for i in range(30)]
    assert png_size(png(charts.ranking_bars, many))[1] > png_size(png(charts.ranking_bars, RANKING))[1]


def test_ranking_bars_empty():
    png_size(png(charts.ranking_bars, []))


def test_grade_distribution():
    data = png(charts.grade_distribution, {"满意": 8, "基本满意": 5, "不满意": 6, "未获评议": 2})
    w, h = png_size(data)
    assert 400 <= w <= 2000 and 200 <= h <= 2000


def test_grade_distribution_all_zero():
    png_size(png(charts.grade_distribution, {"满意": 0, "基本满意": 0, "不满意": 0}))


def test_aspect_breakdown_with_withheld_department():
    rows = [(d, {a: Decimal("50") + 10 * i + j for j, a in enumerate(ASPECTS)}) for i, d in enumerate(DEPARTMENTS)]
    rows[1] = (DEPARTMENTS[1], {a: None for a in ASPECTS})  # below k: withheld
    data = png(charts.aspect_breakdown, rows)
    w, h = png_size(data)
    assert 600 <= w <= 2500 and 250 <= h <= 4000


def test_use_cjk_font_is_idempotent_and_leaves_rcparams_alone():
    import matplotlib

    before = list(matplotlib.rcParams["font.sans-serif"])
    first = use_cjk_font()
    assert first and use_cjk_font() == first
    assert matplotlib.rcParams["font.sans-serif"] == before


def test_use_cjk_font_without_font():
    assert use_cjk_font(("/nonexistent/font.ttc",)) is None


def svg_texts(data: bytes) -> list[str]:
    import html

    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", data.decode("utf-8"))]


def test_ranking_svg_keeps_chinese_as_text():
    data = render(charts.ranking_bars, RANKING)
    assert data.lstrip().startswith(b"<?xml") and b"<svg" in data
    texts = svg_texts(data)
    for name in DEPARTMENTS:
        assert name in texts
    assert "公布得分（分）" in texts and "未获评议" in texts and "97.85" in texts
    assert "font-family: 'Noto Sans CJK SC'" in data.decode() and "<path" in data.decode()  # bars are drawn
    assert render(charts.ranking_bars, RANKING) == data  # deterministic: cacheable, no dates or random ids


@pytest.mark.parametrize("fn,args", [
    (charts.ranking_bars, (RANKING,)),
    (charts.grade_distribution, ({"满意": 8, "基本满意": 5, "不满意": 6},)),
    (charts.aspect_breakdown, ([(DEPARTMENTS[0], {a: Decimal("80") for a in ASPECTS})],)),
], ids=["ranking", "grades", "aspects"])
def test_svg_without_any_cjk_font_still_has_the_chinese_text(fn, args, tmp_path):
    """The font lookup points at an empty folder: the SVG still carries the Chinese as text for the browser."""
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    data = render(lambda *a: fn(*a, fonts=(str(empty),)), *args)
    texts = "".join(svg_texts(data))
    assert "满意" in texts or DEPARTMENTS[0] in texts
    assert all("\ufffd" not in t for t in svg_texts(data))


def test_font_lookup_in_folders_checks_the_glyphs(tmp_path):
    from pingyi.render.fonts import FontMissing, require_cjk_font

    (tmp_path / "empty").mkdir()
    (tmp_path / "latin").mkdir()
    import matplotlib

    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    shutil.copy(dejavu, tmp_path / "latin" / "DejaVuSans.ttf")
    assert find_cjk_font((str(tmp_path / "empty"),)) is None
    assert find_cjk_font((str(tmp_path / "latin"),)) is None  # a font file, but no Chinese glyphs
    with pytest.raises(FontMissing, match="没有可用的中文字体"):
        require_cjk_font((str(tmp_path / "latin"),), "评议卡")
    found = find_cjk_font()
    shutil.copy(found, tmp_path / "latin" / found.name)
    assert find_cjk_font((str(tmp_path / "latin"),)) == tmp_path / "latin" / found.name
    with pytest.raises(FontMissing, match="𠀀"):  # a character the font lacks is named
        require_cjk_font((str(tmp_path / "latin"),), "评议𠀀")


def test_complaints_per_department_labels_every_department_with_its_count():
    rows = [(d, n) for d, n in zip(DEPARTMENTS, (0, 2, 0, 1, 0), strict=True)]
    data = render(charts.complaints_per_department, rows)
    texts = svg_texts(data)
    for name in DEPARTMENTS:
        assert name in texts
    assert "2 件" in texts and "1 件" in texts and texts.count("0 件") == 3
    assert render(charts.complaints_per_department, rows) == data


def test_heat_map_is_vector_for_the_pdf_and_pdf_svg_swaps_only_the_font_family():
    """The PDF places SVG as paths: no embedded bitmap (fpdf2 cannot place an <image> with a transform)."""
    rows = [(d, {a: Decimal("50") + 10 * i + j for j, a in enumerate(ASPECTS)}) for i, d in enumerate(DEPARTMENTS)]
    web = render(charts.aspect_breakdown, rows)
    assert b"<image" not in web
    pdf = charts.pdf_svg(web)
    assert b"font-family: cjk" in pdf and b"Noto Sans CJK SC" not in pdf
    assert svg_texts(pdf) == svg_texts(web)
    assert "50.0" in svg_texts(web) and "94.0" in svg_texts(web)  # each cell carries its figure (one place)


TREND = [None] * 8 + [("90.25", "99.50", "80.00"), ("88.10", "97.00", "79.35"), None, ("91.00", "99.00", "82.50")]


def test_monthly_trend_labels_the_published_strings_and_leaves_gaps():
    data = render(charts.monthly_trend, TREND)
    texts = svg_texts(data)
    assert [t for t in texts if t[:1].isdigit() and "." in t] == ["90.25", "88.10", "91.00"]  # the means as given
    assert all(f"{m}月" in texts for m in range(1, 13)) and "平均" in texts and "最高" in texts
    assert b"<image" not in data
    single = render(charts.monthly_trend, [None] * 11 + [("80.00", "81.00", "79.00")])  # one point still renders
    assert "80.00" in svg_texts(single)
    assert render(charts.monthly_trend, TREND) == data


def test_rating_trend_with_gaps_and_a_month_with_nothing_served():
    points = [None] * 9 + [("83.2", "3.1"), None, (None, None)]
    texts = svg_texts(render(charts.rating_trend, points))
    assert "83.2%" in texts and "3.1%" in texts
    assert not any(t in texts for t in ("0%", "0.0%"))  # a gap or nothing served is never drawn as a zero
    assert "参评率（%）" in texts and "差评占比（%）" in texts


def test_hour_weekday_heatmap_is_vector_with_counts_as_text():
    grid = [[0] * 24 for _ in range(7)]
    grid[0][9], grid[4][16], grid[6][20] = 12, 3, 1  # Monday 9h, Friday 16h, Sunday 20h (outside 8–17: widened)
    web = render(charts.hour_weekday_heatmap, grid, "县政务服务中心")
    texts = svg_texts(web)
    assert b"<image" not in web  # a mesh: vector in the PDF
    assert {"12", "3", "1"} <= set(texts)  # each non-empty cell carries its count
    assert "周一" in texts and "周日" in texts and "8时" in texts and "20时" in texts and "21时" not in texts
    assert "县政务服务中心" in texts
