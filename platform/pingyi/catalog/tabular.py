"""Adapter layer: the office's spreadsheet imports, read from CSV or XLSX into checked rows (SPEC §4).

One reader for every monthly import (办件量, online share and red cards): the file's header row names the columns
(Chinese headers, extra columns ignored), every data row is checked cell by cell, and every problem is reported at
once as "第 <row> 行 <column>：<problem>" with the row number the office sees in Excel / WPS (the header is row 1).
Nothing is returned half-checked: a caller gets the rows and the list of problems, and refuses the file whole when
the list is not empty.

CSV: UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), or GB18030 (what Excel writes for plain "CSV"
on a Chinese Windows). XLSX: the first worksheet, read with openpyxl (values, not formulas). Excel turns a typed
"2026-11" into the date 2026-11-01; such a cell reads as "2026-11".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pingyi.core.errors import InvalidInput

MAX_ROWS = 20_000
MAX_LISTED = 200  # problems listed in one message; the count of the rest is given

# A cell check: takes the cell's text (stripped), returns the value or raises ValueError with a Chinese problem.
Check = Callable[[str], Any]


@dataclass(frozen=True)
class Column:
    header: str  # the header text in row 1, e.g. "单位编码"
    check: Check
    aliases: tuple[str, ...] = ()  # other accepted headers (e.g. the older English "window_code")


@dataclass
class Table:
    """Checked rows (row number, values in column order) and every problem found."""

    source: str
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add_error(self, row: int, column: str, problem: str) -> None:
        self.errors.append(f"第 {row} 行 {column}：{problem}" if column else f"第 {row} 行：{problem}")

    def raise_if_errors(self) -> None:
        """InvalidInput naming every problem (the message lists them; details carry the full list)."""
        if not self.errors:
            return
        shown = self.errors[:MAX_LISTED]
        more = len(self.errors) - len(shown)
        tail = f"；另有 {more} 处问题未列出" if more else ""
        raise InvalidInput(f"{self.source} 有 {len(self.errors)} 处问题，未导入任何数据：{'；'.join(shown)}{tail}。",
                           {"file": self.source, "errors": list(self.errors)})


def count_check(text: str) -> int:
    """A non-negative whole number (a count of items)."""
    if not text:
        raise ValueError("不能为空，应为非负整数")
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"{text!r} 应为非负整数")
    value = int(text)
    if value > 10_000_000:
        raise ValueError(f"{text} 过大（最多 10000000）")
    return value


def text_check(text: str) -> str:
    if not text:
        raise ValueError("不能为空")
    if len(text) > 64:
        raise ValueError("超过 64 个字")
    return text


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.day == 1 and value.time() == dt.time(0):
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}" if value.day == 1 else value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def is_xlsx(data: bytes, filename: str) -> bool:
    return filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04"


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput("文件既不是 UTF-8 也不是 GB18030 编码的 CSV，请在 Excel / WPS 中另存为“CSV UTF-8”。"
                               ) from None
    if "\x00" in text:
        raise InvalidInput("文件不是 CSV 文本（含有二进制内容）；Excel 文件请使用 .xlsx 格式。")
    return [[c.strip() for c in rec] for rec in csv.reader(io.StringIO(text))]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    import openpyxl  # type: ignore[import-untyped]  # only for .xlsx uploads

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InvalidInput(f"无法读取 XLSX 文件（{type(exc).__name__}）：请确认是 Excel / WPS 保存的 .xlsx 文件。"
                           ) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise InvalidInput("XLSX 文件中没有工作表。")
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def read_table(data: bytes, filename: str, columns: Sequence[Column], *, source: str | None = None) -> Table:
    """Read and check every row; the caller adds its own row checks to `errors` and then `raise_if_errors()`.

    A missing header or an unreadable file raises InvalidInput at once (there are no rows to check)."""
    source = source or filename or "文件"
    raw = _xlsx_rows(data) if is_xlsx(data, filename) else _csv_rows(data)
    table = Table(source=source)
    while raw and not any(raw[-1]):
        raw.pop()
    if not raw:
        raise InvalidInput(f"{source} 是空文件：第 1 行应为表头 {'、'.join(c.header for c in columns)}。")
    if len(raw) - 1 > MAX_ROWS:
        raise InvalidInput(f"{source} 超过 {MAX_ROWS} 行，请分批导入。")
    header = [h.lstrip("\ufeff").strip() for h in raw[0]]
    positions: list[int] = []
    missing: list[str] = []
    for col in columns:
        names = (col.header, *col.aliases)
        found = [i for i, h in enumerate(header) if h in names]
        if len(found) > 1:
            table.add_error(1, col.header, f"表头重复出现 {len(found)} 次")
        if not found:
            missing.append(col.header)
        positions.append(found[0] if found else -1)
    if missing:
        table.add_error(1, "", f"缺少列 {'、'.join(missing)}（表头应包含：{'、'.join(c.header for c in columns)}）")
    table.raise_if_errors()
    for number, rec in enumerate(raw[1:], start=2):
        if not any(rec):
            continue
        values: list[Any] = []
        ok = True
        for col, pos in zip(columns, positions, strict=True):
            text = rec[pos] if pos < len(rec) else ""
            try:
                values.append(col.check(text))
            except ValueError as exc:
                table.add_error(number, col.header, str(exc))
                ok = False
        if ok:
            table.rows.append((number, tuple(values)))
    return table


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """A one-sheet XLSX of `rows` (the first is the header): for samples, tests and the benchmark."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
