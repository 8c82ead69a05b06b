"""Evaluation layer: the printable sheet of one-time QR cards and its CSV (SPEC §3 cards, §6 printable QR sheet).

The tokens exist only here, once: each card's ballot URL and its human-typable fallback code are written to a CSV
and to an A4 PDF of cut-out cards (2 × 4 per page), both created with mode 0600 and replaced atomically. Nothing is
logged: a ballot URL is a bearer secret.

The PDF embeds a CJK font found by render.fonts (settings: PINGYI_FONT_PATH); without one that has every
character of the sheet, FontMissing is raised before anything is drawn (callers check with `check_font` before
minting cards, so a refusal spends nothing).
"""

from __future__ import annotations

import csv
import io
import os
import secrets as _secrets
from pathlib import Path
from typing import BinaryIO

from pingyi.core.errors import InvalidInput
from pingyi.datafiles import private_dir
from pingyi.render.fonts import MONO_FAMILY, require_cjk_font
from pingyi.render.qr import draw_qr, qr_matrix

__all__ = ["check_font", "qr_matrix", "sheet_text", "write_card_sheet", "write_card_sheet_pdf"]

A4_INCHES = (8.27, 11.69)
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
    pdf_bytes = _render_pdf(cards, campaign_title, year, base, font)

    _write_private(Path(csv_path), csv_buf.getvalue().encode("utf-8"))
    _write_private(Path(pdf_path), pdf_bytes)


def write_card_sheet_pdf(cards: list[tuple[str, str]], campaign_title: str, year: int, base_url: str,
                         out: BinaryIO, fonts: tuple[str, ...] | None = None) -> None:
    """Write only the PDF sheet to a binary stream (e.g. an HTTP download that is never stored on disk)."""
    _check_cards(cards)
    base = base_url.rstrip("/")
    out.write(_render_pdf(cards, campaign_title, year, base, check_font(campaign_title, year, base, fonts)))


def _check_cards(cards: list[tuple[str, str]]) -> None:
    if not cards:
        raise InvalidInput("没有可打印的评议卡。")
    for i, card in enumerate(cards):
        if (not isinstance(card, tuple) or len(card) != 2 or not all(isinstance(x, str) and x for x in card)
                or any(ch in x for x in card for ch in "\r\n")):
            raise InvalidInput(f"第 {i + 1} 张评议卡的数据不完整（需要评议网址和卡号）。")


# --------------------------------------------------------------------------------------------- PDF


def _render_pdf(cards: list[tuple[str, str]], campaign_title: str, year: int, base_url: str, font: Path) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D

    cjk = FontProperties(fname=str(font))  # explicit: no global rcParams, safe in a worker thread
    title = SHEET_TITLE.format(year=year)
    subtitle = campaign_title.strip() if campaign_title.strip() != title else ""
    pages = (len(cards) + CARDS_PER_PAGE - 1) // CARDS_PER_PAGE
    cell_w = (1 - 2 * MARGIN_X) / COLUMNS
    cell_h = (1 - MARGIN_TOP - MARGIN_BOTTOM) / ROWS
    qr_w = QR_SIDE_IN / A4_INCHES[0]
    qr_h = QR_SIDE_IN / A4_INCHES[1]

    out = io.BytesIO()
    # Fixed metadata: no creation date, so the same cards give the same file.
    with PdfPages(out, metadata={"Title": title, "Creator": "pingyi", "CreationDate": None}) as pdf:
        for page in range(pages):
            fig = Figure(figsize=A4_INCHES)
            fig.text(0.5, 1 - MARGIN_TOP / 2, PAGE_HEADER.format(title=campaign_title.strip() or title,
                                                                 page=page + 1, pages=pages),
                     ha="center", va="center", fontsize=8, color="#555555", fontproperties=cjk)
            # cut lines: the outer frame and the lines between cells
            line = dict(transform=fig.transFigure, color="#999999", linewidth=0.6, linestyle=(0, (4, 3)))
            top, bottom = 1 - MARGIN_TOP, MARGIN_BOTTOM
            for c in range(COLUMNS + 1):
                x = MARGIN_X + c * cell_w
                fig.add_artist(Line2D([x, x], [bottom, top], **line))
            for r in range(ROWS + 1):
                y = bottom + r * cell_h
                fig.add_artist(Line2D([MARGIN_X, 1 - MARGIN_X], [y, y], **line))

            for slot, (url, code) in enumerate(cards[page * CARDS_PER_PAGE:(page + 1) * CARDS_PER_PAGE]):
                col, row = slot % COLUMNS, slot // COLUMNS
                cx = MARGIN_X + (col + 0.5) * cell_w
                y1 = top - row * cell_h  # top edge of the cell

                def at(inches: float, y1: float = y1) -> float:
                    """Figure y of a point `inches` below the cell's top edge."""
                    return y1 - inches / A4_INCHES[1]

                fig.text(cx, at(0.14), title, ha="center", va="top", fontsize=11.5, fontproperties=cjk)
                if subtitle:
                    fig.text(cx, at(0.34), subtitle, ha="center", va="top", fontsize=7.5, color="#333333",
                             fontproperties=cjk)
                draw_qr(fig, (cx - qr_w / 2, at(0.46 + QR_SIDE_IN), qr_w, qr_h), url)
                below = 0.46 + QR_SIDE_IN
                fig.text(cx, at(below + 0.02), "卡号", ha="center", va="top", fontsize=7, color="#555555",
                         fontproperties=cjk)
                fig.text(cx, at(below + 0.15), code, ha="center", va="top", fontsize=10.5, family=MONO_FAMILY,
                         weight="bold")
                fig.text(cx, at(below + 0.35), INSTRUCTION_SCAN, ha="center", va="top", fontsize=7.5,
                         fontproperties=cjk)
                fig.text(cx, at(below + 0.50), INSTRUCTION_TYPE.format(base_url=base_url), ha="center", va="top",
                         fontsize=7.5, fontproperties=cjk)
                fig.text(cx, at(below + 0.67), CARD_NOTE, ha="center", va="top", fontsize=6.5, color="#555555",
                         fontproperties=cjk)
            pdf.savefig(fig)
    return out.getvalue()


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
