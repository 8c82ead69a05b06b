"""Unit tests for the shared rendering of printed pages and spreadsheets (render/pdf.py, render/qr.py,
render/spreadsheet.py; issue 11)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pingyi.core.cardcodes import format_code, mint_token
from pingyi.evaluation.cardsheet import render_card_sheet
from pingyi.render import pdf
from pingyi.render.fonts import find_cjk_font
from pingyi.render.qr import CARD_MASK, qr_matrix, qr_version
from pingyi.render.spreadsheet import Column, Sheet, display_width, safe_text, to_csv, to_xlsx

BASE = "https://pingyi.example.gov.cn"


def _cards(n: int) -> list[tuple[str, str]]:
    return [(f"{BASE}/b/{t}", format_code(t)) for t in (mint_token() for _ in range(n))]


def test_same_cards_give_the_same_file_and_progress_is_reported_per_page():
    cards = _cards(17)
    seen: list[int] = []
    first = render_card_sheet(cards, "测试", 2026, BASE, progress=seen.append)
    assert first == render_card_sheet(cards, "测试", 2026, BASE)  # no creation time, no random id
    assert seen == [8, 16, 17]
    assert b"/CreationDate (D:20000101" in first


def test_fixed_mask_and_version_give_a_valid_code_of_the_same_size():
    url = f"{BASE}/b/{mint_token()}"
    fast = qr_matrix(url, mask=CARD_MASK, version=qr_version(url))
    assert len(fast) == len(qr_matrix(url))  # same size as the encoder's own choice
    assert fast == qr_matrix(url, mask=CARD_MASK)


def _scan(data: bytes, tmp_path) -> list[str]:
    assert shutil.which("zbarimg") and shutil.which("pdftoppm"), "tests/run.sh installs zbar-tools, poppler-utils"
    (tmp_path / "x.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "x.pdf"), str(tmp_path / "x")],
                   check=True)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "x.png")], capture_output=True, text=True)
    return out.stdout.split()


@pytest.mark.parametrize("raw_writer", [True, False], ids=["one-path", "rect-fallback"])
def test_qr_drawn_either_way_scans(tmp_path, monkeypatch, raw_writer):
    """The raw content path (one `re … f` path per code) and the public rect() fallback draw codes that scan."""
    font = find_cjk_font()
    assert font is not None, "apt-get install fonts-wqy-microhei"
    url = f"{BASE}/r/abc_DEF-123"
    doc = pdf.document(font, title="t")
    doc.add_page()
    if not raw_writer:
        monkeypatch.setattr(pdf, "raw_writer", lambda _: None)
    pdf.qr(doc, 40, 40, 60, qr_matrix(url))
    pdf.text_at(doc, 70, 110, "扫码评价", size=20)
    assert _scan(pdf.to_bytes(doc), tmp_path) == [url]


def test_csv_has_bom_crlf_plain_figures_and_neutralised_formulas():
    sheet = Sheet("表", (Column("名称"), Column("得分", "dec2"), Column("日期", "date"), Column("是否", "bool")),
                  [["=1+1", Decimal("91.25"), date(2026, 11, 2), True], ["@SUM(A1)", Decimal("0.50"), None, False],
                   ["-2", Decimal("84.995").quantize(Decimal("0.001")), None, None]])
    data = to_csv(sheet)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["名称", "得分", "日期", "是否"], ["'=1+1", "91.25", "2026-11-02", "是"],
                    ["'@SUM(A1)", "0.50", "", "否"], ["'-2", "84.995", "", ""]]
    assert safe_text("县招商局") == "县招商局" and safe_text("+86") == "'+86"


def test_xlsx_numbers_are_numbers_header_frozen_widths_fit_chinese():
    sheet = Sheet("评议结果", (Column("部门"), Column("公布得分", "dec2"), Column("名次", "int")),
                  [["县人事劳动和社会保障局", Decimal("91.25"), 1], ["=HYPERLINK(\"x\")", Decimal("70.00"), 2]])
    book = load_workbook(io.BytesIO(to_xlsx([sheet, Sheet("空", (Column("项目"),))])))
    ws = book["评议结果"]
    assert book.sheetnames == ["评议结果", "空"]
    assert [c.value for c in ws[1]] == ["部门", "公布得分", "名次"] and ws["A1"].font.b
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:C3"
    assert ws["B2"].value == 91.25 and ws["B2"].data_type == "n" and ws["B2"].number_format == "0.00"
    assert ws["C3"].value == 2 and ws["A3"].data_type == "s"
    assert ws.column_dimensions["A"].width >= display_width("县人事劳动和社会保障局") == 22


@pytest.mark.parametrize("title", ["a/b", "x" * 32, "[1]"])
def test_bad_sheet_titles_and_ragged_rows_are_refused(title):
    with pytest.raises(ValueError):
        Sheet(title, (Column("a"),))
    with pytest.raises(ValueError):
        Sheet("ok", (Column("a"), Column("b")), [["only one"]])
