"""Evaluation layer: the printable sheet of one-time QR cards and its CSV (SPEC §3 cards, §6 printable QR sheet).

The tokens exist only here, once: each card's ballot URL and its human-typable fallback code are written to a CSV
and to an A4 PDF of cut-out cards (2 × 4 per page), both created with mode 0600 and replaced atomically. Nothing is
logged: a ballot URL is a bearer secret.

The PDF is laid out by render.pdf (fpdf2, docs/printing.md) and embeds a CJK font found by render.fonts (settings:
PINGYI_FONT_PATH); without one that has every character of the sheet, FontMissing is raised before anything is drawn
(callers check with `check_font` before minting cards, so a refusal spends nothing). The office's big batches are
drawn by evaluation.cardjobs in a worker thread, with progress.
"""

from __future__ import annotations

import csv
import io
import os
import secrets as _secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pingyi.core.errors import InvalidInput
from pingyi.datafiles import private_dir
from pingyi.render import pdf
from pingyi.render.fonts import require_cjk_font
from pingyi.render.qr import CARD_MASK, qr_matrix, qr_version

__all__ = ["check_font", "qr_matrix", "render_card_sheet", "sheet_text", "write_card_sheet", "write_card_sheet_pdf"]

Progress = Callable[[int], None]  # called with the number of cards drawn so far
MM = 25.4  # millimetres per inch (the layout below is in inches of the A4 page)
COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.06, 0.035, 0.025  # fractions of the page
QR_SIDE_IN = 1.35  # printed QR side, inches (~34 mm incl. the 4-module quiet zone)

SHEET_TITLE = "{year}年度外来投资企业民主评议"
INSTRUCTION_SCAN = "请用手机扫码填写评议表；"
INSTRUCTION_TYPE = "也可访问 {base_url}/b 输入卡号"
CARD_NOTE = "本卡仅可使用一次 · 无记名评议，请放心填写"
PAGE_HEADER = "{title}　评议卡　第 {page}/{pages} 页　（沿虚线裁开）"


def sheet_text(campaign_title: str, year: int, base_url: str) -> str:
    """Every text a sheet prints besides the card codes (what the font must cover)."""
    return "".join((SHEET_TITLE.format(year=year), campaign_title, INSTRUCTION_SCAN,
                    INSTRUCTION_TYPE.format(base_url=base_url), CARD_NOTE, PAGE_HEADER, "卡号"))


def check_font(campaign_title: str, year: int, base_url: str, fonts: tuple[str, ...] | None = None) -> Path:
    """The font file the sheet will embed, or FontMissing (a clear Chinese message) when there is none."""
    return require_cjk_font(fonts, sheet_text(campaign_title, year, base_url))


def write_card_sheet(
    cards: list[tuple[str, str]],
    campaign_title: str,
    year: int,
    base_url: str,
    pdf_path: Path,
    csv_path: Path,
    fonts: tuple[str, ...] | None = None,
    progress: Progress | None = None,
) -> None:
    """Write `cards` ((ballot_url, fallback_code) pairs) to a printable PDF of QR cards and to a CSV.

    Both files are created with mode 0600 via a temporary file in the same folder, then renamed into place, so a
    crash never leaves a half-written sheet. Raises InvalidInput for an empty list or malformed cards, FontMissing
    when no CJK font can draw the sheet (nothing is written then).
    """
    _check_cards(cards)
    base = base_url.rstrip("/")
    font = check_font(campaign_title, year, base, fonts)

    csv_buf = io.StringIO(newline="")
    writer = csv.writer(csv_buf, lineterminator="\r\n")
    writer.writerow(["ballot_url", "code"])
    writer.writerows(cards)
    pdf_bytes = _render_pdf(cards, campaign_title, year, base, font, progress)

    _write_private(Path(csv_path), csv_buf.getvalue().encode("utf-8"))
    _write_private(Path(pdf_path), pdf_bytes)


def write_card_sheet_pdf(cards: list[tuple[str, str]], campaign_title: str, year: int, base_url: str,
                         out: BinaryIO, fonts: tuple[str, ...] | None = None) -> None:
    """Write only the PDF sheet to a binary stream (e.g. an HTTP download that is never stored on disk)."""
    _check_cards(cards)
    base = base_url.rstrip("/")
    out.write(render_card_sheet(cards, campaign_title, year, base, fonts))


def render_card_sheet(cards: list[tuple[str, str]], campaign_title: str, year: int, base_url: str,
                      fonts: tuple[str, ...] | None = None, progress: Progress | None = None) -> bytes:
    """The PDF sheet as bytes; `progress(cards drawn)` is called after each page (from the caller's thread)."""
    _check_cards(cards)
    base = base_url.rstrip("/")
    return _render_pdf(cards, campaign_title, year, base, check_font(campaign_title, year, base, fonts), progress)


def _check_cards(cards: list[tuple[str, str]]) -> None:
    if not cards:
        raise InvalidInput("没有可打印的评议卡。")
    for i, card in enumerate(cards):
        if (not isinstance(card, tuple) or len(card) != 2 or not all(isinstance(x, str) and x for x in card)
                or any(ch in x for x in card for ch in "\r\n")):
            raise InvalidInput(f"第 {i + 1} 张评议卡的数据不完整（需要评议网址和卡号）。")


# --------------------------------------------------------------------------------------------- PDF


def _render_pdf(cards: list[tuple[str, str]], campaign_title: str, year: int, base_url: str, font: Path,
                progress: Progress | None = None) -> bytes:
    """The sheet through render.pdf: 8 cards per A4 page; `progress(done)` after each page."""
    title = SHEET_TITLE.format(year=year)
    subtitle = campaign_title.strip() if campaign_title.strip() != title else ""
    header_title = campaign_title.strip() or title
    pages = (len(cards) + CARDS_PER_PAGE - 1) // CARDS_PER_PAGE
    width, height = pdf.A4.width, pdf.A4.height
    margin_x, top, bottom = MARGIN_X * width, MARGIN_TOP * height, height - MARGIN_BOTTOM * height
    cell_w = (width - 2 * margin_x) / COLUMNS
    cell_h = (bottom - top) / ROWS
    qr_side = QR_SIDE_IN * MM
    instruction = INSTRUCTION_TYPE.format(base_url=base_url)
    versions: dict[int, int] = {}  # URL length → QR version (a sheet's URLs all have one length)

    doc = pdf.document(font, title=title)
    for page in range(pages):
        doc.add_page()
        pdf.text_at(doc, width / 2, top / 2 - 1.2, PAGE_HEADER.format(title=header_title, page=page + 1, pages=pages),
                    size=8, gray=85)
        for c in range(COLUMNS + 1):  # cut lines: the outer frame and the lines between cells
            x = margin_x + c * cell_w
            pdf.dashed_line(doc, x, top, x, bottom)
        for r in range(ROWS + 1):
            y = top + r * cell_h
            pdf.dashed_line(doc, margin_x, y, width - margin_x, y)

        for slot, (url, code) in enumerate(cards[page * CARDS_PER_PAGE:(page + 1) * CARDS_PER_PAGE]):
            col, row = slot % COLUMNS, slot // COLUMNS
            cx = margin_x + (col + 0.5) * cell_w
            y1 = top + row * cell_h  # top edge of the cell, mm from the top of the page
            pdf.text_at(doc, cx, y1 + 0.14 * MM, title, size=11.5)
            if subtitle:
                pdf.text_at(doc, cx, y1 + 0.34 * MM, subtitle, size=7.5, gray=51)
            version = versions.get(len(url)) or versions.setdefault(len(url), qr_version(url))
            pdf.qr(doc, cx - qr_side / 2, y1 + 0.46 * MM, qr_side, qr_matrix(url, mask=CARD_MASK, version=version))
            below = y1 + (0.46 + QR_SIDE_IN) * MM
            pdf.text_at(doc, cx, below + 0.02 * MM, "卡号", size=7, gray=85)
            pdf.text_at(doc, cx, below + 0.15 * MM, code, size=10.5, family=pdf.MONO, bold=True)
            pdf.text_at(doc, cx, below + 0.35 * MM, INSTRUCTION_SCAN, size=7.5)
            pdf.text_at(doc, cx, below + 0.50 * MM, instruction, size=7.5)
            pdf.text_at(doc, cx, below + 0.67 * MM, CARD_NOTE, size=6.5, gray=85)
        if progress is not None:
            progress(min(len(cards), (page + 1) * CARDS_PER_PAGE))
    return pdf.to_bytes(doc)


# --------------------------------------------------------------------------------------------- files


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600: temporary file in the same folder, fsync, rename."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{_secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)  # in case the umask was stricter than needed or the fs ignored the mode
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
