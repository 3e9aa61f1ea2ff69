"""Ledgers as Excel workbooks in the layout regulators file (台账): a title row, a row saying who
exported it and when, a header row, then one row per record; always in Chinese."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .clock import SHANGHAI

HEADER_ROW = 3  # row 1: title, row 2: who and when, row 3: headers
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_workbook(*, sheet: str, title: str, subtitle: str, headers: Sequence[tuple[str, int]],
                    rows: Iterable[Sequence[Any]], frozen_columns: int = 2) -> bytes:
    """`headers` are (label, column width); datetimes are written in Beijing time without zone."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ncol = len(headers)
    ws.cell(1, 1, title).font = Font(size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(2, 1, subtitle)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    fill = PatternFill("solid", fgColor="DDE5F0")
    for i, (label, width) in enumerate(headers, start=1):
        c = ws.cell(HEADER_ROW, i, label)
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = width
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for i, value in enumerate(values, start=1):
            if isinstance(value, datetime):
                value = value.astimezone(SHANGHAI).replace(tzinfo=None)
            cell = ws.cell(r, i, value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, frozen_columns + 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(ncol)}{max(HEADER_ROW, ws.max_row)}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
