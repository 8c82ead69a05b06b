"""Unit tests for pingyi.evaluation.cardsheet (SPEC §3 cards, §6 printable QR sheet)."""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import stat
import subprocess
import warnings
from pathlib import Path

import pytest

from pingyi.core.cardcodes import format_code, mint_token
from pingyi.core.errors import InvalidInput
from pingyi.evaluation.cardsheet import CARDS_PER_PAGE, write_card_sheet, write_card_sheet_pdf
from pingyi.render.fonts import find_cjk_font

BASE = "https://pingyi.example.gov.cn"


def make_cards(n: int) -> list[tuple[str, str]]:
    cards = []
    for _ in range(n):
        t = mint_token()
        cards.append((f"{BASE}/b/{t}", format_code(t)))
    return cards


def page_count(pdf: Path) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """17 cards = 2 full pages of 8 + 1 card on a third page; rendered once, with warnings and logs recorded."""
    assert CARDS_PER_PAGE == 8
    out = tmp_path_factory.mktemp("cards")
    cards = make_cards(17)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.WARNING)
    mpl_logger = logging.getLogger("matplotlib")
    mpl_logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            write_card_sheet(cards, "2026年度外来投资企业民主评议", 2026, BASE + "/", out / "cards.pdf",
                             out / "cards.csv")
    finally:
        mpl_logger.removeHandler(handler)
    return out, cards, list(caught), records


def test_pdf_pages(sheet):
    out, _, _, _ = sheet
    pdf = out / "cards.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert page_count(pdf) == 3
    assert pdf.stat().st_size < 400_000


def test_csv_rows(sheet):
    out, cards, _, _ = sheet
    with open(out / "cards.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["ballot_url", "code"]
    assert [tuple(r) for r in rows[1:]] == cards


def test_files_are_private(sheet):
    out, _, _, _ = sheet
    for name in ("cards.pdf", "cards.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in out.iterdir()) == ["cards.csv", "cards.pdf"]  # no temporary files left


def test_no_missing_glyph_warnings(sheet):
    if find_cjk_font() is None:
        pytest.fail("no CJK font installed: apt-get install fonts-wqy-microhei")
    _, _, caught, records = sheet
    assert [str(w.message) for w in caught if "glyph" in str(w.message).lower()] == []
    assert [r.getMessage() for r in records] == []


def test_qr_codes_scan_back_to_urls(sheet, tmp_path):
    """Rasterise at 150 dpi (a phone photo is coarser than the PDF) and decode every code of every page."""
    assert shutil.which("zbarimg") and shutil.which("pdftoppm"), "tests/run.sh installs zbar-tools, poppler-utils"
    out, cards, _, _ = sheet
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(out / "cards.pdf"), str(tmp_path / "page")], check=True)
    decoded = []
    for png in sorted(tmp_path.glob("page*.png")):
        res = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True)
        decoded += [line for line in res.stdout.splitlines() if line]
    assert sorted(decoded) == sorted(url for url, _ in cards)


def test_card_text(sheet):
    """Title, the fallback code and the typing instruction (base URL without a doubled slash) are on the card."""
    assert shutil.which("pdftotext"), "tests/run.sh installs poppler-utils"
    out, cards, _, _ = sheet
    text = subprocess.run(["pdftotext", "-layout", str(out / "cards.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "2026年度外来投资企业民主评议" in text
    assert f"{BASE}/b 输入卡号" in text
    assert "//b" not in text
    for _, code in cards:
        assert code in text


def test_rewrite_replaces_files(tmp_path):
    pdf, csv_path = tmp_path / "s.pdf", tmp_path / "s.csv"
    write_card_sheet(make_cards(3), "测试", 2026, BASE, pdf, csv_path)
    write_card_sheet(make_cards(9), "测试", 2026, BASE, pdf, csv_path)
    assert page_count(pdf) == 2
    assert len(csv_path.read_text().splitlines()) == 10


@pytest.mark.parametrize("cards", [[], [("", "X")], [("u", "")], [("u\nv", "c")]], ids=["empty", "no url", "no code",
                                                                                      "newline"])
def test_bad_input_writes_nothing(tmp_path, cards):
    with pytest.raises(InvalidInput):
        write_card_sheet(cards, "测试", 2026, BASE, tmp_path / "s.pdf", tmp_path / "s.csv")
    assert list(tmp_path.iterdir()) == []


def test_pdf_to_stream(tmp_path):
    """The download variant writes the same sheet to a stream; nothing lands on disk."""
    buf = io.BytesIO()
    write_card_sheet_pdf(make_cards(9), "测试", 2026, BASE, buf)
    (tmp_path / "x.pdf").write_bytes(buf.getvalue())
    assert page_count(tmp_path / "x.pdf") == 2
    with pytest.raises(InvalidInput):
        write_card_sheet_pdf([], "测试", 2026, BASE, io.BytesIO())


def test_refuses_without_a_cjk_font_and_writes_nothing(tmp_path):
    """The font lookup points at an empty folder: a clear refusal in Chinese instead of a sheet of empty boxes."""
    from pingyi.render.fonts import FontMissing

    empty = tmp_path / "no-fonts"
    empty.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FontMissing, match="没有可用的中文字体") as caught:
        write_card_sheet(make_cards(2), "测试", 2026, BASE, out / "s.pdf", out / "s.csv", fonts=(str(empty),))
    assert "fonts-wqy-microhei" in caught.value.message
    assert list(out.iterdir()) == []
    with pytest.raises(FontMissing):
        write_card_sheet_pdf(make_cards(2), "测试", 2026, BASE, io.BytesIO(), fonts=(str(empty),))


def test_pdf_embeds_the_cjk_font(tmp_path):
    """With the font found through an explicit folder, the PDF carries it (no boxes on a printer without it)."""
    font = find_cjk_font()
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(font, folder / font.name)
    buf = io.BytesIO()
    write_card_sheet_pdf(make_cards(1), "测试", 2026, BASE, buf, fonts=(str(folder),))
    data = buf.getvalue()
    assert b"/FontFile" in data or b"/Type3" in data or b"/Subtype /Type3" in data
    assert b"WenQuanYi" in data or b"Noto" in data or font.stem.encode()[:6] in data
