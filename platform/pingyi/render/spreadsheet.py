"""Infrastructure layer: tables an office opens in Excel or WPS — XLSX (openpyxl) and CSV (SPEC §6 exports, issue 11).

A `Sheet` is a title, typed columns and rows of plain values. XLSX: one worksheet per sheet, Chinese headers in bold,
the header row frozen, an auto-filter, column widths from the content (a CJK character counts two), numbers as
numbers (Decimal and int cells with a number format, never text), dates as dates. CSV: UTF-8 with a byte-order mark
(Excel and WPS then read Chinese correctly), CRLF line ends, one sheet per file.

Text that a spreadsheet would run as a formula (a cell starting with =, +, -, @, or a tab / carriage return) is
written as text: in XLSX as an inline string cell, in CSV behind an apostrophe (OWASP "CSV injection"). Complaint
texts come from the public, so this is not theoretical.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60  # characters (a CJK character counts two)
NUMBER_FORMATS = {"int": "0", "dec2": "0.00", "dec1": "0.0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


@dataclass(frozen=True)
class Column:
    """A column: its Chinese header and kind — text, int, dec2 / dec1 (a figure shown with 2 / 1 decimals), date,
    datetime, bool (是/否)."""

    header: str
    kind: str = "text"
    width: int | None = None  # characters; None: from the content


@dataclass(frozen=True)
class Sheet:
    title: str  # worksheet name (at most 31 characters, none of []:*?/\)
    columns: tuple[Column, ...]
    rows: list[Sequence[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.title) > 31 or any(ch in self.title for ch in "[]:*?/\\"):
            raise ValueError(f"bad sheet title {self.title!r}")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"row of {len(row)} cells in a sheet of {len(self.columns)} columns")


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a CJK (wide) character counts two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _text(value: Any, kind: str) -> str:
    """A cell as CSV text: figures as plain digits (Decimal keeps its scale), dates ISO, booleans 是/否."""
    if value is None:
        return ""
    if kind == "bool":
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def safe_text(text: str) -> str:
    """A text cell for CSV that a spreadsheet shows as text, never evaluates."""
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(sheet: Sheet) -> bytes:
    """One sheet as CSV: UTF-8 with BOM, CRLF, header row first."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.header for c in sheet.columns])
    for row in sheet.rows:
        cells = []
        for col, value in zip(sheet.columns, row, strict=True):
            text = _text(value, col.kind)
            cells.append(safe_text(text) if col.kind == "text" else text)
        writer.writerow(cells)
    return (BOM + buf.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one XLSX workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if not sheets:
        raise ValueError("a workbook needs a sheet")
    book = Workbook()
    book.remove(book.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF1F5")
    for sheet in sheets:
        ws = book.create_sheet(sheet.title)
        widths = [display_width(c.header) for c in sheet.columns]
        for j, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=j, value=col.header)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(vertical="center")
        for i, row in enumerate(sheet.rows, start=2):
            for j, (col, value) in enumerate(zip(sheet.columns, row, strict=True), start=1):
                cell = ws.cell(row=i, column=j)
                if value is None:
                    continue
                if col.kind == "bool":
                    cell.value = "是" if value else "否"
                elif col.kind in NUMBER_FORMATS:
                    cell.value = value
                    cell.number_format = NUMBER_FORMATS[col.kind]
                else:
                    text = str(value)
                    cell.value = text
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                widths[j - 1] = max(widths[j - 1], display_width(_text(value, col.kind)))
        for j, col in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, (col.width or widths[j - 1]) + 2)
        ws.freeze_panes = "A2"
        if sheet.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.rows) + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
