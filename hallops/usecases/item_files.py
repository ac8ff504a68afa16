"""Reading an uploaded item list: CSV (UTF-8, with or without BOM, or GB18030 as Excel in China saves it) or
XLSX (openpyxl, read-only), into (line, cells by field) rows for domain/item_import.py."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from hallops.domain.errors import E, InvalidInput, UnsupportedMediaType
from hallops.domain.item_import import MAX_BYTES, MAX_ROWS, map_header

Rows = list[tuple[int, dict[str, str]]]


def read_rows(filename: str, data: bytes) -> tuple[int, Rows]:
    """(the header's line, the data rows with their line numbers); blank rows are skipped but counted."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(E.IMPORT_TOO_LARGE, f"文件超过 {MAX_BYTES // 1024 // 1024} MB (the file is larger than "
                                               f"{MAX_BYTES // 1024 // 1024} MB)")
    if not data.strip():
        raise InvalidInput(E.EMPTY_CSV, "文件是空的 (the file is empty)")
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        lines = _xlsx_lines(data)
    elif name.endswith((".csv", ".txt")) or not name:
        lines = _csv_lines(data)
    else:
        raise UnsupportedMediaType(E.UNSUPPORTED_MEDIA_TYPE, "只接受 CSV 或 XLSX 文件 (upload a CSV or XLSX file)")
    header: list[str | None] | None = None
    header_line = 0
    rows: Rows = []
    for line, cells in lines:
        if not any(str(c).strip() for c in cells):
            continue
        if header is None:
            header, header_line = map_header(cells), line
            continue
        row = {f: str(cells[i]).strip() for i, f in enumerate(header) if f and i < len(cells) and cells[i] is not None}
        rows.append((line, row))
        if len(rows) > MAX_ROWS:
            raise InvalidInput(E.IMPORT_TOO_LARGE, f"一次最多导入 {MAX_ROWS} 行 (at most {MAX_ROWS} rows per import)")
    if header is None:
        raise InvalidInput(E.EMPTY_CSV, "文件是空的 (the file is empty)")
    return header_line, rows


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput(E.CSV_INVALID, "无法识别文件编码 (cannot read the file's encoding)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as e:
        raise InvalidInput(E.CSV_INVALID, f"CSV 格式错误，第 {reader.line_num} 行 (bad CSV at line "
                                          f"{reader.line_num}: {e})", line=reader.line_num) from e


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise InvalidInput(E.CSV_INVALID, "无法读取 XLSX 文件 (not a readable XLSX file)") from e
    try:
        ws = wb.worksheets[0]
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            # A code typed into a number cell comes back as a float: 1150011200000001.0 is "1150011200000001".
            yield i, ["" if v is None else int(v) if isinstance(v, float) and v.is_integer() else v for v in row]
    finally:
        wb.close()
