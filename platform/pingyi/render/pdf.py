"""Infrastructure layer: the one PDF machinery for printed pages — QR card sheets and window posters (SPEC §6).

fpdf2 (pure Python, LGPL) lays the pages out in millimetres and embeds a subset of the CJK font found by
render.fonts, so a printer without Chinese fonts prints the same page. QR codes are vector rectangles (one per
horizontal run of dark modules) written as one path per code: sharp at any print resolution, and about 6× cheaper
than one fpdf2 `rect()` call per run. Why fpdf2 and not matplotlib or reportlab: docs/printing.md.

Nothing here logs what it draws: a card's QR code is a bearer secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

CJK: str = "cjk"  # the family name the embedded CJK font is registered under
MONO: str = "Courier"  # PDF base-14 font: ASCII codes and URLs need no embedding
PT_MM: float = 25.4 / 72  # one typographic point in millimetres
ASCENT: float = 0.8  # the part of the font size above the baseline (WenQuanYi / Noto CJK: ~0.8)
# A fixed creation date: the same input gives the same file (and the PDF tells nothing of when it was printed).
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Paper:
    """A page size in millimetres, portrait."""

    name: str
    width: float
    height: float


A4 = Paper("A4", 210.0, 297.0)
A5 = Paper("A5", 148.0, 210.0)


class Document(FPDF):
    """An fpdf2 document that remembers the widths of the texts it centred (the same lines recur on every card)."""

    def __init__(self, paper: Paper) -> None:
        super().__init__(orientation="P", unit="mm", format=(paper.width, paper.height))
        self.widths: dict[tuple[str, str, float, str], float] = {}

    def centred_width(self, family: str, style: str, size: float, text: str) -> float:
        key = (family, style, size, text)
        width = self.widths.get(key)
        if width is None:
            width = self.widths[key] = self.get_string_width(text)
        return width


def document(font: Path, *, title: str, paper: Paper = A4) -> Document:
    """A new PDF with the CJK font embedded (subset at output) and no automatic page breaks."""
    pdf = Document(paper)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font(CJK, fname=str(font))  # a .ttc's first face; WenQuanYi Micro Hei and Noto Sans CJK SC both
    pdf.set_title(title)
    pdf.set_creator("pingyi")
    pdf.set_producer("pingyi")
    pdf.set_creation_date(FIXED_DATE)
    return pdf


def text_at(pdf: FPDF, x: float, top: float, text: str, *, size: float, family: str = CJK, bold: bool = False,
            gray: int = 0, rgb: tuple[int, int, int] | None = None, align: str = "center") -> None:
    """Draw one line whose top edge is `top` mm; `x` is its centre (align="center") or its left edge."""
    style = "B" if bold and family != CJK else ""  # the CJK font has one weight; bold is for the base-14 fonts
    pdf.set_font(family, style, size)
    if align == "center":
        x -= (pdf.centred_width(family, style, size, text) if isinstance(pdf, Document)
              else pdf.get_string_width(text)) / 2
    if rgb is None:
        pdf.set_text_color(gray)
    else:
        pdf.set_text_color(*rgb)
    pdf.text(x, top + size * PT_MM * ASCENT, text)


def dashed_line(pdf: FPDF, x1: float, y1: float, x2: float, y2: float, *, gray: int = 153) -> None:
    """A thin dashed cut line."""
    pdf.set_draw_color(gray)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=1.4, gap=1.05)
    pdf.line(x1, y1, x2, y2)
    pdf.set_dash_pattern()


def raw_writer(pdf: FPDF) -> Any:
    """fpdf2's writer of raw page content (`_out`), or None should a release drop it: qr() then uses rect()."""
    return getattr(pdf, "_out", None)


def qr(pdf: FPDF, x: float, y: float, side: float, matrix: list[list[bool]]) -> None:
    """Draw a QR module matrix (quiet zone included) as a `side` mm square with its top-left corner at (x, y)."""
    n = len(matrix)
    module = side / n
    runs: list[tuple[float, float, float]] = []  # (left, top, width) in mm, one module high
    for row_index, row in enumerate(matrix):
        top = y + row_index * module
        col = 0
        while col < n:
            if not row[col]:
                col += 1
                continue
            start = col
            while col < n and row[col]:
                col += 1
            runs.append((x + start * module, top, (col - start) * module))
    raw = raw_writer(pdf)
    if raw is None:  # an fpdf2 without the raw content writer: the public (slower) call draws the same page
        pdf.set_fill_color(0)
        for left, top, width in runs:
            pdf.rect(left, top, width, module, style="F")
        return
    k, height = pdf.k, pdf.h  # points per mm; PDF y runs upwards from the bottom edge
    ops = " ".join(f"{left * k:.3f} {(height - top) * k:.3f} {width * k:.3f} {-module * k:.3f} re"
                   for left, top, width in runs)
    if ops:
        raw(f"q 0 g {ops} f Q")


def to_bytes(pdf: FPDF) -> bytes:
    """The finished document (font subset embedded)."""
    return bytes(pdf.output())
