"""Ledgers as Excel workbooks in the layout regulators file (台账): a title row, a row saying who
exported it and when, a header row, then one row per record; always in Chinese.

Text is only ever text: a cell whose text starts like a formula (`=`, `+`, `-`, `@`, tab, CR) is
written as a string with the quote prefix (the `'` Excel and LibreOffice show in the formula bar), so
no spreadsheet evaluates it, not even after the cell is edited; the value itself is unchanged, so an
exported ledger imports again as it was. Every download is audited (`xlsx_response`).

Ledgers are written by a small streaming writer (`write_ledger`): each row is written as XML into the
compressed sheet as it comes, so memory does not grow with the rows (issue 18, R2.11; openpyxl, even
write-only, writes about 2,700 rows of 17 columns a second, this one about ten times as many). `ledger_file` writes into a
spooled temporary file (in memory up to `SPOOL_BYTES`, then on disk) and counts the rows for the
audit; a file larger than that is sent from disk in chunks."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any, overload
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import audit
from .actor import Actor
from .clock import SHANGHAI

HEADER_ROW = 3  # row 1: title, row 2: who and when, row 3: headers
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SPOOL_BYTES = 8 * 1024 * 1024  # a finished workbook up to this size stays in memory


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write one cell; text that a spreadsheet would read as a formula stays text."""
    cell = ws.cell(row, column, value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula
        cell.quotePrefix = True
    return cell


_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])  # not allowed in XML 1.0: dropped
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{k: None for k in _ILLEGAL}})
_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - Excel's day 0 (1900 date system), a wall-clock day
_EPOCH_DAY, _DAY = _EPOCH.date(), timedelta(days=1)
_UNIX_EPOCH_BEIJING = 25569 + 8 / 24  # 1970-01-01 00:00 UTC as an Excel day number, in Beijing wall-clock time
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
# Cell styles (cellXfs): 0 plain, 1 title, 2 header, 3 date and time, 4 date, 5 text with the quote prefix
_TITLE, _HEADER, _DATETIME, _DATE, _QUOTED = 1, 2, 3, 4, 5
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>
<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b val="1"/><sz val="14"/><name val="Calibri"/><family val="2"/></font>
<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="00DDE5F0"/><bgColor rgb="00DDE5F0"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="2" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


# Each cell writer takes `at`: "" (the cell follows the one before it) or ' r="B7"' (after an empty cell,
# and in the header rows). A reference on every cell, and xml:space on text without edge spaces, were a
# third of the sheet's XML, and so of the time spent compressing it.
def _text(at: str, value: str, style: int = 0) -> str:
    """An inline string cell; text that a spreadsheet would read as a formula gets the quote prefix."""
    if style == 0 and value.startswith(FORMULA_STARTS):
        style = _QUOTED
    if _NEEDS_ESCAPE.search(value):
        value = value.translate(_ESCAPE)
    s = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f'<c{at}{s} t="inlineStr"><is><t{space}>{value}</t></is></c>'


def _number(at: str, value: Any) -> str:
    return f"<c{at}><v>{value}</v></c>"


def _bool(at: str, value: bool) -> str:
    return f'<c{at} t="b"><v>{int(value)}</v></c>'


def _datetime(at: str, value: datetime) -> str:
    if value.tzinfo is not None:
        if value.year > 1991:  # Beijing has kept UTC+8 without daylight saving since 1991: no zone lookup
            return f'<c{at} s="{_DATETIME}"><v>{value.timestamp() / 86400 + _UNIX_EPOCH_BEIJING!r}</v></c>'
        value = value.astimezone(SHANGHAI).replace(tzinfo=None)
    return f'<c{at} s="{_DATETIME}"><v>{(value - _EPOCH) / _DAY!r}</v></c>'


def _date(at: str, value: date) -> str:
    return f'<c{at} s="{_DATE}"><v>{(value - _EPOCH_DAY).days}</v></c>'


def _cell(at: str, value: Any) -> str:
    """Any other value, by what it is (subclasses of the types in `_WRITERS`) or as its text."""
    for kind, write in _WRITERS.items():
        if isinstance(value, kind):
            return write(at, value)
    return _text(at, str(value))


class Serial(float):
    """A date and time already as Excel's serial day number, Beijing wall clock (`core.sqltime.ExcelDateTime`)."""


class SerialDay(int):
    """A date already as Excel's serial day number (`core.sqltime.ExcelDate`)."""


def _serial(at: str, value: float) -> str:
    return f'<c{at} s="{_DATETIME}"><v>{float.__repr__(value)}</v></c>'


def _serial_day(at: str, value: int) -> str:
    return f'<c{at} s="{_DATE}"><v>{int.__repr__(value)}</v></c>'


_PLAIN = '<c%s t="inlineStr"><is><t>%s</t></is></c>'  # what `_text` writes for plain text
_A1, _A2 = ' r="A1"', ' r="A2"'
_WRITERS: dict[type, Callable[[str, Any], str]] = {  # datetime before date: a datetime is a date
    str: _text, bool: _bool, int: _number, float: _number, Decimal: _number, datetime: _datetime, date: _date,
    Serial: _serial, SerialDay: _serial_day}


def write_ledger(target: IO[bytes], *, sheet: str, title: str, subtitle: str, headers: Sequence[tuple[str, int]],
                 rows: Iterable[Sequence[Any]], frozen_columns: int = 2) -> int:
    """Write the ledger as an .xlsx into `target` (a binary file), one row at a time, and return the number of
    record rows. `headers` are (label, column width); datetimes are written in Beijing time without zone."""
    ncol = len(headers)
    letters = [get_column_letter(i) for i in range(1, ncol + 1)]
    last = letters[-1]
    pane = f"{get_column_letter(frozen_columns + 1)}{HEADER_ROW + 1}"
    n = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(io.BufferedWriter(raw, 1 << 16), encoding="utf-8", newline="")
            out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_MAIN} {_REL}>'
                      f'<sheetViews><sheetView workbookViewId="0"><pane xSplit="{frozen_columns}" '
                      f'ySplit="{HEADER_ROW}" topLeftCell="{pane}" activePane="bottomRight" state="frozen"/>'
                      f'<selection pane="bottomRight"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>')
            out.write("".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                              for i, (_label, w) in enumerate(headers, start=1)))
            head = "".join(_text(f' r="{letters[i]}{HEADER_ROW}"', label, _HEADER) for i, (label, _w) in enumerate(headers))
            out.write(f'</cols><sheetData><row r="1">{_text(_A1, title, _TITLE)}</row><row r="2">{_text(_A2, subtitle)}</row>'
                      f'<row r="{HEADER_ROW}">{head}</row>')
            r = HEADER_ROW
            writers, plain, first, escape = _WRITERS, _PLAIN, frozenset(FORMULA_STARTS), _NEEDS_ESCAPE.search
            for values in rows:  # the hot loop (R2.11): plain text, the most common cell, is written inline
                r += 1
                parts = [f'<row r="{r}">']
                gap = False
                for letter, v in zip(letters, values, strict=False):
                    if v is None or v == "":
                        gap = True
                        continue
                    at = f' r="{letter}{r}"' if gap else ""
                    gap = False
                    if type(v) is str and not (v[0] in first or escape(v) or v[0].isspace() or v[-1].isspace()):
                        parts.append(plain % (at, v))
                    else:
                        parts.append(writers.get(type(v), _cell)(at, v))
                parts.append("</row>")
                out.write("".join(parts))
            n = r - HEADER_ROW
            out.write(f'</sheetData><autoFilter ref="A{HEADER_ROW}:{last}{r}"/>'
                      f'<mergeCells count="2"><mergeCell ref="A1:{last}1"/><mergeCell ref="A2:{last}2"/></mergeCells>'
                      '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>')
            out.flush()
            out.detach()
        name = sheet.translate(_ESCAPE).replace('"', "&quot;")
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/workbook.xml",
                   f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_MAIN} {_REL}>'
                   f'<bookViews><workbookView activeTab="0"/></bookViews><sheets><sheet name="{name}" sheetId="1" '
                   f'r:id="rId1"/></sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
                   f"hidden=\"1\">'{sheet.replace(chr(39), chr(39) * 2)}'!$A${HEADER_ROW}:${last}${r}</definedName>"
                   "</definedNames></workbook>")
    return n


def ledger_workbook(*, sheet: str, title: str, subtitle: str, headers: Sequence[tuple[str, int]],
                    rows: Iterable[Sequence[Any]], frozen_columns: int = 2) -> bytes:
    """The ledger as bytes (small ledgers: the mine registry, the import template, the alarm ledger)."""
    out = io.BytesIO()
    write_ledger(out, sheet=sheet, title=title, subtitle=subtitle, headers=headers, rows=rows,
                 frozen_columns=frozen_columns)
    return out.getvalue()


@dataclass
class LedgerFile:
    """A written ledger: the file (positioned at its start) and how many record rows it holds."""

    file: IO[bytes]
    rows: int


def ledger_file(*, sheet: str, title: str, subtitle: str, headers: Sequence[tuple[str, int]],
                rows: Iterable[Sequence[Any]], frozen_columns: int = 2) -> LedgerFile:
    """The ledger in a spooled temporary file: large ledgers go to disk, not to memory."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by the response
    n = write_ledger(out, sheet=sheet, title=title, subtitle=subtitle, headers=headers, rows=rows,
                     frozen_columns=frozen_columns)
    out.seek(0)
    return LedgerFile(out, n)


def _count_rows(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        ws: Any = book.active
        return sum(1 for _ in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)) if ws is not None else 0
    finally:
        book.close()


@overload
def xlsx_response(data: bytes, filename: str, *, by: Actor, description: str) -> HttpResponse: ...
@overload
def xlsx_response(data: LedgerFile, filename: str, *, by: Actor, description: str) -> HttpResponseBase: ...
def xlsx_response(data: bytes | LedgerFile, filename: str, *, by: Actor, description: str) -> HttpResponseBase:
    """The workbook as a download, recorded in the audit trail on the exporting user (R10.2: who took
    which ledger, how many rows, when). `description` says what was exported, in the user's words. A
    `LedgerFile` larger than `SPOOL_BYTES` is streamed from its temporary file."""
    rows = data.rows if isinstance(data, LedgerFile) else _count_rows(data)
    audit.record("core.export.downloaded", by.user, by=by, after={"file": filename, "rows": rows},
                 reason=description)
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    if isinstance(data, LedgerFile):
        if getattr(data.file, "_rolled", True):  # on disk: sent in chunks, closed when sent
            streamed = FileResponse(data.file, content_type=XLSX)
            streamed["Content-Disposition"] = disposition
            return streamed
        content = data.file.read()
        data.file.close()
    else:
        content = data
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = disposition
    return response


# --- reading the cells of an imported sheet --------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A cell as the text a person typed: a whole float without its ".0", a date-time as its day."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def cell_date(raw: Any) -> tuple[date | None, str | None]:
    """A cell as a date (`2024-06-30`, `2024/6/30`, `2024.06.30` or a date cell), or the reason it is not one."""
    from django.utils.translation import gettext as _

    if raw in (None, ""):
        return None, None
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    text = cell_text(raw).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, _("“%(value)s”不是日期，请写成 2024-06-30") % {"value": cell_text(raw)}
