"""Ledgers as Excel workbooks in the layout regulators file (台账): a title row, a row saying who
exported it and when, a header row, then one row per record; always in Chinese.

Text is only ever text: a cell whose text starts like a formula (`=`, `+`, `-`, `@`, tab, CR) is
written as a string with the quote prefix (the `'` Excel and LibreOffice show in the formula bar), so
no spreadsheet evaluates it, not even after the cell is edited; the value itself is unchanged, so an
exported ledger imports again as it was. Every download is audited (`xlsx_response`)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import audit
from .actor import Actor
from .clock import SHANGHAI

HEADER_ROW = 3  # row 1: title, row 2: who and when, row 3: headers
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write one cell; text that a spreadsheet would read as a formula stays text."""
    cell = ws.cell(row, column, value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula
        cell.quotePrefix = True
    return cell


def ledger_workbook(*, sheet: str, title: str, subtitle: str, headers: Sequence[tuple[str, int]],
                    rows: Iterable[Sequence[Any]], frozen_columns: int = 2) -> bytes:
    """`headers` are (label, column width); datetimes are written in Beijing time without zone."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ncol = len(headers)
    put(ws, 1, 1, title).font = Font(size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    put(ws, 2, 1, subtitle)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    fill = PatternFill("solid", fgColor="DDE5F0")
    for i, (label, width) in enumerate(headers, start=1):
        c = put(ws, HEADER_ROW, i, label)
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = width
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for i, value in enumerate(values, start=1):
            if isinstance(value, datetime):
                value = value.astimezone(SHANGHAI).replace(tzinfo=None)
            cell = put(ws, r, i, value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = f"{get_column_letter(frozen_columns + 1)}{HEADER_ROW + 1}"  # no cell: the dimension ends at the last row
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(ncol)}{max(HEADER_ROW, ws.max_row)}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(data: bytes, filename: str, *, by: Actor, description: str) -> HttpResponse:
    """The workbook as a download, recorded in the audit trail on the exporting user (R10.2: who took
    which ledger, how many rows, when). `description` says what was exported, in the user's words."""
    book = load_workbook(io.BytesIO(data), read_only=True)  # max_row comes from the sheet's dimension
    rows = max(0, (book.active.max_row or 0) - HEADER_ROW) if book.active is not None else 0
    book.close()
    audit.record("core.export.downloaded", by.user, by=by, after={"file": filename, "rows": rows},
                 reason=description)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
