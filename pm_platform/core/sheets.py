"""Spreadsheets in and out: .xlsx/.csv uploads for imports, .xlsx/.csv downloads for exports.

Headers are written as one row of "中文 / English" labels (e.g. "楼栋 / building"), so a file we
export can be imported again, and a header may name a column in Chinese, in English or both.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Generator, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pm_platform.core.clock import to_local
from pm_platform.core.errors import ValidationError

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx is a zip archive
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection


@dataclass(frozen=True)
class Column:
    """One column of an import or export: `key` in code, `zh`/`en` names in the header."""

    key: str
    zh: str
    en: str = ""  # defaults to the key
    required: bool = True

    @property
    def english(self) -> str:
        return self.en or self.key

    @property
    def label(self) -> str:
        return f"{self.zh} / {self.english}"


Header = Column | tuple[str, str]  # exports may give plain (zh, en) pairs
_Rows = Generator[tuple[int, list[str]], None, None]  # (row number, stripped cell texts)


def read_table(
    filename: str, data: bytes, columns: Sequence[Column], *, max_rows: int = 10_000
) -> list[tuple[int, dict[str, str]]]:
    """Read an uploaded .xlsx or .csv into `[(row_number, {key: text}), ...]`.

    - Format: a zip archive is read as .xlsx (its first sheet, whatever the name says);
      otherwise the name must end in .csv, read as UTF-8 (with or without BOM) or else GB18030,
      what Chinese Excel saves.
    - Header: the first non-empty row. Each cell names a column by its Chinese name, English
      name, key or "中文 / English" label; case, spaces, underscores and full-width forms do not
      matter. Required columns must be there; unknown or repeated headers are refused.
    - Rows: `row_number` is the spreadsheet's own (header on row 1 means data from row 2), so
      messages can say "row 7". Every column key is present; values are stripped text ("" when
      blank or the optional column is absent); xlsx numbers read as Excel shows them, 89.37
      and 12, not 89.37000000000001 and 12.0. Empty rows are skipped and not counted.

    Raises ValidationError(field="file") for a file that is not a spreadsheet, is empty, has a
    bad header, a value under no header, or more than `max_rows` data rows.
    """
    with closing(_rows(filename, data)) as rows:  # closes the workbook even on an error
        return _read_rows(rows, columns, max_rows)


def _read_rows(rows: _Rows, columns: Sequence[Column], max_rows: int) -> list[tuple[int, dict[str, str]]]:
    header = next(rows, None)
    if header is None:
        raise ValidationError("the file is empty", "file")
    positions = _header_positions(header[1], columns)
    used = set(positions.values())
    blank = {column.key: "" for column in columns}
    table: list[tuple[int, dict[str, str]]] = []
    for number, cells in rows:
        if len(table) == max_rows:
            raise ValidationError("the file has more than {max_rows} rows; split it into smaller files", "file",
                                  max_rows=max_rows)
        stray = next((i for i, value in enumerate(cells) if value and i not in used), None)
        if stray is not None:
            raise ValidationError("row {row}: column {column} has a value but no header", "file",
                                  row=number, column=get_column_letter(stray + 1))
        table.append((number, blank | {key: cells[i] for key, i in positions.items() if i < len(cells)}))
    return table


def write_xlsx(sheet_title: str, columns: Sequence[Header], rows: Iterable[Sequence[object]]) -> bytes:
    """An .xlsx export: a bold, frozen "中文 / English" header row, then `rows`.

    Values may be str, int, float, Decimal, date, datetime or None; datetimes are written as
    Asia/Shanghai wall time (naive ones are taken as UTC, as the database stores them).
    Rows stream through openpyxl's write-only mode, so memory stays flat however many.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    _write_header(sheet, columns)
    for row in rows:
        sheet.append([_xlsx_value(sheet, value) for value in row])
    return _save(workbook)


def write_csv(columns: Sequence[Header], rows: Iterable[Sequence[object]]) -> bytes:
    """A .csv export in UTF-8 with a BOM, without which Excel reads Chinese as mojibake.

    Text starting with = + - @ gets a leading apostrophe so Excel shows it instead of running it
    as a formula; pass numbers as numbers to keep them unchanged.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_label(column) for column in columns])
    writer.writerows([_csv_value(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx(columns: Sequence[Column], example_rows: Iterable[Sequence[object]]) -> bytes:
    """The downloadable import template for `columns`.

    Sheet "导入 Import" (the one `read_table` reads) holds only the header; the examples go on a
    second sheet, "示例 Example", so they are never imported by mistake. Each header cell has a
    note saying whether the column is required, and every column is formatted as text so Excel
    keeps ID numbers, phone numbers and leading zeros as typed.
    """
    workbook = Workbook(write_only=True)
    for title, rows in (("导入 Import", ()), ("示例 Example", example_rows)):
        sheet = workbook.create_sheet(title)
        for index in range(1, len(columns) + 1):
            sheet.column_dimensions[get_column_letter(index)].number_format = "@"
        _write_header(sheet, columns, notes=True)
        for row in rows:
            sheet.append([_xlsx_value(sheet, value) for value in row])
    return _save(workbook)


# --- reading -------------------------------------------------------------------------------


def _rows(filename: str, data: bytes) -> _Rows:
    """The file's non-empty rows as (row number, stripped cell texts)."""
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(_OLE_MAGIC):
        raise ValidationError("old Excel 97-2003 (.xls) files are not supported; save it as .xlsx", "file")
    if not filename.lower().endswith(".csv"):
        raise ValidationError("{filename!r} is not a spreadsheet; upload an .xlsx or .csv file", "file",
                              filename=filename)
    return _csv_rows(data)


def _xlsx_rows(data: bytes) -> _Rows:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # any zip that openpyxl cannot open is "not a workbook" to the user
        raise ValidationError("the file is not a valid .xlsx workbook", "file") from error
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong size (e.g. "A1") into the sheet; read what is really there.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            if any(cells):
                yield number, cells
    except Exception as error:  # read-only mode parses lazily, so damage shows up here
        raise ValidationError("the .xlsx workbook is damaged and cannot be read", "file") from error
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> _Rows:
    if b"\x00" in data:  # text never holds NUL bytes; images and other binaries do
        raise ValidationError("the file is not a valid .csv file", "file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError("the .csv file is neither UTF-8 nor GB18030 text", "file") from None
    try:
        # Records, not lines: a quoted cell may span lines but is still one spreadsheet row.
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            cells = [cell.strip() for cell in record]
            if any(cells):
                yield number, cells
    except csv.Error as error:
        raise ValidationError("the .csv file cannot be read: {error}", "file", error=error) from error


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # 15 significant digits is what Excel displays; it hides binary noise like 89.37000000000001.
        text = f"{value:.15g}"
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime):
        # openpyxl returns a datetime for date-formatted cells too
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _normalize(name: str) -> str:
    """Header matching key: NFKC folds full-width forms (／, Ａ) typed with Chinese IMEs."""
    return re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", name)).casefold()


def _header_positions(header: list[str], columns: Sequence[Column]) -> dict[str, int]:
    """Map each column key to its index in the header row, or refuse a header that does not fit."""
    by_name = {_normalize(name): column for column in columns
               for name in (column.zh, column.english, column.key, column.label)}
    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for index, name in enumerate(header):
        if not name:
            continue
        column = by_name.get(_normalize(name))
        if column is None:
            unknown.append(name)
        elif column.key in positions:
            repeated.append(name)
        else:
            positions[column.key] = index
    # One problem at a time, each a fixed sentence the pages translate. Unknown names come first:
    # that message lists every expected column, and a misspelt header is a missing column too.
    if unknown:
        raise ValidationError("unknown column(s): {names} (expected: {expected})", "file",
                              names=", ".join(unknown), expected=", ".join(column.label for column in columns))
    missing = [column.label for column in columns if column.required and column.key not in positions]
    if missing:
        raise ValidationError("missing column(s): {names}", "file", names=", ".join(missing))
    if repeated:
        raise ValidationError("repeated column(s): {names}", "file", names=", ".join(repeated))
    return positions


# --- writing -------------------------------------------------------------------------------


def _label(column: Header) -> str:
    return column.label if isinstance(column, Column) else f"{column[0]} / {column[1]}"


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in sheet names and more than 31 characters.
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "Sheet1"


def _write_header(sheet: WriteOnlyWorksheet, columns: Sequence[Header], *, notes: bool = False) -> None:
    """Bold labels in a frozen first row, columns wide enough to read them."""
    cells = []
    for index, column in enumerate(columns, start=1):
        label = _label(column)
        # Width in Excel's character units: CJK characters are about two wide.
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label) + 4
        sheet.column_dimensions[get_column_letter(index)].width = max(width, 10)
        cell = WriteOnlyCell(sheet, label)
        cell.font = Font(bold=True)
        if notes and isinstance(column, Column):
            cell.comment = Comment("必填 Required" if column.required else "选填 Optional", "pm_platform")
        cells.append(cell)
    sheet.freeze_panes = "A2"
    sheet.append(cells)


def _xlsx_value(sheet: WriteOnlyWorksheet, value: object) -> object:
    if isinstance(value, dt.datetime):
        return to_local(value).replace(tzinfo=None)  # Excel has no time zones
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters openpyxl would refuse
    if value.startswith("=") or value in ERROR_CODES:
        # openpyxl would store "=..." as a live formula and "#N/A" as an error: keep them text.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return to_local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str) and value.startswith(_CSV_FORMULA_START):
        return "'" + value
    return str(value)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
