"""The mine ledger as an Excel workbook: export, and import with a row-by-row error report."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from kuangan.core.excel import cell_date, cell_text, ledger_workbook
from kuangan.core.text import join_list

from .actions import RowError
from .forms import MineForm
from .tables import MINE_COLUMNS, cell_value

TITLE = "矿山台账"
MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def export_mines(mines: Any, *, title: str = TITLE, subtitle: str = "") -> bytes:
    """The ledger workbook, always in Chinese: it is the regulator's format, whatever the page language."""
    with translation.override("zh-hans"):
        return _export(mines, title, subtitle)


def _export(mines: Any, title: str, subtitle: str) -> bytes:
    return ledger_workbook(sheet=TITLE, title=title, subtitle=subtitle,
                           headers=[(c.label, c.width) for c in MINE_COLUMNS],
                           rows=([cell_value(m, c) for c in MINE_COLUMNS] for m in mines))




def parse_mine_workbook(data: bytes, *, divisions: Any, enterprises: Any
                        ) -> tuple[list[tuple[int, dict[str, Any], list[dict[str, Any]]]], list[RowError]]:
    """Read and validate every row; returns the rows ready for import and every error found.
    Cells hold the Chinese labels of the ledger; the messages follow the user's language."""
    with translation.override("zh-hans"):
        choice_values = {c.key: {str(label): value for value, label in c.choices.choices}
                         for c in MINE_COLUMNS if c.choices is not None}
    return _parse(data, divisions, enterprises, choice_values)


def _parse(data: bytes, divisions: Any, enterprises: Any, choice_values: dict[str, dict[str, str]]
           ) -> tuple[list[tuple[int, dict[str, Any], list[dict[str, Any]]]], list[RowError]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError):
        return [], [RowError(0, "", _("无法读取该文件：请上传 .xlsx 格式的 Excel 工作簿（可先下载导入模板）。"))]
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next((i for i, r in enumerate(rows[:10]) if r and "矿山编码" in [cell_text(v) for v in r]), None)
    if header_at is None:
        return [], [RowError(0, "", _("没有找到表头行（须含“矿山编码”“矿山名称”等列）。"))]
    header = [cell_text(v) for v in rows[header_at]]
    by_label = {c.label: c for c in MINE_COLUMNS if c.imported}
    missing = [c.label for c in MINE_COLUMNS if c.imported and not c.key.startswith("licence:")
               and c.key not in {"address", "longitude", "latitude", "has_upgrade_project", "rock_burst",
                                 "intelligent_status"} and c.label not in header]
    if missing:
        return [], [RowError(header_at + 1, "", _("缺少列：%(columns)s") % {"columns": join_list(missing)})]
    body = rows[header_at + 1:]
    if len(body) > MAX_IMPORT_ROWS:
        return [], [RowError(0, "", _("一次最多导入 %(n)d 行，请分批导入。") % {"n": MAX_IMPORT_ROWS})]

    county_by_name = {d.name: d for d in divisions.filter(level="county")}
    county_by_code = {d.code: d for d in county_by_name.values()}
    enterprise_by_name = {e.name: e for e in enterprises}
    labels = {c.key: c.label for c in MINE_COLUMNS}
    ready: list[tuple[int, dict[str, Any], list[dict[str, Any]]]] = []
    errors: list[RowError] = []
    seen_codes: dict[str, int] = {}
    for offset, values in enumerate(body):
        number = header_at + 2 + offset
        if values is None or all(cell_text(v) == "" for v in values):
            continue
        cells = {by_label[h].key: v for h, v in zip(header, values, strict=False) if h in by_label}
        form_data: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for key, raw in cells.items():
            col = by_label[labels[key]]
            if key.startswith("licence:"):
                continue
            text = cell_text(raw)
            if col.choices is not None:
                form_data[key] = choice_values[key].get(text, text)  # a code or a label; else the form names it
            elif key == "has_upgrade_project":
                form_data[key] = "on" if text in {"是", "有", "1", "true", "True"} else ""
            elif key == "division":
                county = county_by_name.get(text) or county_by_code.get(text[:6])
                if county is None:
                    row_errors.append(RowError(number, col.label, _("“%(value)s”不是您管辖范围内的县（区）") % {"value": text}))
                else:
                    form_data[key] = county.pk
            elif key == "enterprise":
                ent = enterprise_by_name.get(text)
                if ent is None:
                    row_errors.append(RowError(number, col.label, _("企业“%(value)s”不存在，请先在“企业”中登记") % {"value": text}))
                else:
                    form_data[key] = ent.pk
            else:
                form_data[key] = text
        code = form_data.get("code", "")
        if code in seen_codes:
            row_errors.append(RowError(number, "矿山编码", _("与第 %(row)d 行的矿山编码重复") % {"row": seen_codes[code]}))
        elif code:
            seen_codes[code] = number
        form = MineForm(data=form_data, divisions=divisions, enterprises=enterprises)
        if not form.is_valid():
            for field, messages in form.errors.items():
                if field in {"division", "enterprise"} and any(e.column == labels[field] for e in row_errors):
                    continue
                label = labels.get(field, "")
                for m in messages:
                    row_errors.append(RowError(number, label, str(m)))
        licences = []
        for kind in ("mining", "safety_production", "business"):
            lic_number = cell_text(cells.get(f"licence:{kind}:number"))
            expires, problem = cell_date(cells.get(f"licence:{kind}:expires_on"))
            if problem:
                row_errors.append(RowError(number, labels[f"licence:{kind}:expires_on"], problem))
            if lic_number:
                licences.append({"kind": kind, "number": lic_number[:50], "expires_on": expires})
            elif expires:
                row_errors.append(RowError(number, labels[f"licence:{kind}:number"], _("填写了有效期但缺少证号")))
        if row_errors:
            errors.extend(row_errors)
        else:
            ready.append((number, form.cleaned_data, licences))
    if not ready and not errors:
        errors.append(RowError(0, "", _("表中没有数据行。")))
    return ready, errors

