"""The workers ledger as an Excel workbook: export, and import with a row-by-row error report (like the
mine ledger's, registry/excel.py). Always in Chinese: it is the mines' and regulators' format."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from kuangan.core.excel import cell_date, cell_text, ledger_workbook
from kuangan.core.masking import mask_id_number
from kuangan.core.text import join_list
from kuangan.registry.actions import RowError
from kuangan.registry.models import id_number_validator
from kuangan.registry.rules import card_code_problem

from . import rules
from .actions import WorkerRow
from .choices import CertificateState, OperationType
from .constants import MAX_IMPORT_ROWS
from .models import Worker
from .tables import CERTIFICATE_KEYS, WORKER_COLUMNS, WORKER_KEYS

SHEET = "从业人员"
YES = {"是", "有", "1", "true", "True", "TRUE", "Y", "y"}
NO = {"否", "无", "0", "false", "False", "FALSE", "N", "n", ""}


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _rows(workers: Iterable[Worker], today: date, notice_days: int) -> Iterable[list[Any]]:
    for w in workers:
        head = [w.card_code, w.name, mask_id_number(w.id_number) if w.id_number else "", w.post, w.team, w.trade,
                _yes_no(w.leader_flag), _yes_no(w.special_flag), _yes_no(w.active)]
        certs = list(w.certificates.all())
        if not certs:
            yield [*head, "", "", None, None, ""]
        for c in certs:
            state = rules.certificate_state(c.issued, c.expires, today, notice_days)
            yield [*head, str(c.get_operation_type_display()), c.masked_number, c.issued, c.expires,
                   str(CertificateState(state).label)]


def export_workers(workers: Iterable[Worker], *, today: date, notice_days: int, title: str = SHEET,
                   subtitle: str = "") -> bytes:
    """One row per certificate, a worker without one on a row of its own; ID numbers masked (R10.8)."""
    with translation.override("zh-hans"):
        return ledger_workbook(sheet=SHEET, title=title, subtitle=subtitle,
                               headers=[(c.label, c.width) for c in WORKER_COLUMNS],
                               rows=_rows(workers, today, notice_days))




def parse_worker_workbook(data: bytes, *, mine_code: str) -> tuple[list[WorkerRow], list[RowError]]:
    """Read and check every row; returns the workers ready for `actions.import_workers` and every error found.
    Rows naming the same card are one worker (their worker columns must agree) with one certificate each."""
    with translation.override("zh-hans"):
        types = {str(label): value for value, label in OperationType.choices}
    return _parse(data, mine_code, types)


def _parse(data: bytes, mine_code: str, types: dict[str, str]) -> tuple[list[WorkerRow], list[RowError]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError):
        return [], [RowError(0, "", _("无法读取该文件：请上传 .xlsx 格式的 Excel 工作簿（可先下载导入模板）。"))]
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next((i for i, r in enumerate(rows[:10]) if r and "人员卡编码" in [cell_text(v) for v in r]), None)
    if header_at is None:
        return [], [RowError(0, "", _("没有找到表头行（须含“人员卡编码”“姓名”等列）。"))]
    header = [cell_text(v) for v in rows[header_at]]
    missing = [c.label for c in WORKER_COLUMNS if c.required and c.label not in header]
    if missing:
        return [], [RowError(header_at + 1, "", _("缺少列：%(columns)s") % {"columns": join_list(missing)})]
    body = rows[header_at + 1:]
    if len(body) > MAX_IMPORT_ROWS:
        return [], [RowError(0, "", _("一次最多导入 %(n)d 行，请分批导入。") % {"n": MAX_IMPORT_ROWS})]
    by_label = {c.label: c for c in WORKER_COLUMNS if c.imported}
    labels = {c.key: c.label for c in WORKER_COLUMNS}
    workers: dict[str, WorkerRow] = {}
    errors: list[RowError] = []
    for offset, values in enumerate(body):
        number = header_at + 2 + offset
        if values is None or all(cell_text(v) == "" for v in values):
            continue
        cells = {by_label[h].key: v for h, v in zip(header, values, strict=False) if h in by_label}
        row_errors: list[RowError] = []

        def error(key: str, message: str, number: int = number, row_errors: list[RowError] = row_errors) -> None:
            row_errors.append(RowError(number, labels.get(key, ""), message))

        person: dict[str, Any] = {}
        given = set()  # the worker columns this row fills (a card's later rows may leave them empty)
        for key in WORKER_KEYS:
            if key not in cells:
                continue
            text = cell_text(cells[key])
            if text:
                given.add(key)
            if key in ("leader_flag", "special_flag"):
                if text not in YES | NO:
                    error(key, _("应填写“是”或“否”"))
                person[key] = text in YES
            else:
                person[key] = text
        card = person.get("card_code", "")
        if not card:
            error("card_code", _("请填写人员卡编码"))
        elif problem := card_code_problem(card, mine_code):
            error("card_code", problem)
        if not person.get("name") and card not in workers:
            error("name", _("请填写姓名"))
        id_number = str(person.get("id_number") or "").upper()
        if id_number:
            person["id_number"] = id_number
            if "*" not in id_number:  # a masked one (an exported ledger) is matched with the stored value later
                try:
                    id_number_validator(id_number)
                except Exception:  # noqa: BLE001 - ValidationError; its message is the validator's
                    error("id_number", _("身份证号应为 18 位，末位可为 X。"))
        for key, limit in (("name", 50), ("post", 50), ("team", 50), ("trade", 50)):
            if len(str(person.get(key) or "")) > limit:
                error(key, _("不能超过 %(n)d 个字符") % {"n": limit})

        certificate = _certificate(cells, types, error)
        if row_errors:
            errors.extend(row_errors)
            continue
        first = workers.get(card)
        if first is None:
            workers[card] = WorkerRow(number, person, [(number, certificate)] if certificate else [])
            continue
        differ = [labels[k] for k in WORKER_KEYS if k in given and first.data.get(k) != person[k]]
        if differ:
            errors.append(RowError(number, differ[0], _("与第 %(row)d 行（同一人员卡编码）的%(columns)s不一致")
                                   % {"row": first.row, "columns": join_list(differ)}))
            continue
        if certificate:
            same = next((n for n, c in first.certificates
                         if (c["operation_type"], c["number"]) == (certificate["operation_type"], certificate["number"])), None)
            if same is not None:
                errors.append(RowError(number, labels["number"], _("与第 %(row)d 行是同一人员的同一操作证") % {"row": same}))
                continue
            first.certificates.append((number, certificate))
    if not workers and not errors:
        errors.append(RowError(0, "", _("表中没有数据行。")))
    return list(workers.values()), errors


def _certificate(cells: dict[str, Any], types: dict[str, str], error: Any) -> dict[str, Any] | None:
    """The row's certificate, or None when its four columns are empty."""
    raw = {k: cells.get(k) for k in CERTIFICATE_KEYS}
    if all(cell_text(v) == "" for v in raw.values()):
        return None
    kind_text = cell_text(raw["operation_type"])
    kind = types.get(kind_text, kind_text if kind_text in OperationType.values else "")
    if not kind:
        error("operation_type", _("“%(value)s”不是特种作业类别，应为：%(choices)s") % {
            "value": kind_text, "choices": join_list(types)} if kind_text else _("请填写作业类别"))
    number = cell_text(raw["number"])
    if not number:
        error("number", _("请填写操作证号"))
    elif len(number) > 50:
        error("number", _("不能超过 %(n)d 个字符") % {"n": 50})
    issued, issued_problem = cell_date(raw["issued"])
    expires, expires_problem = cell_date(raw["expires"])
    for key, value, problem in (("issued", issued, issued_problem), ("expires", expires, expires_problem)):
        if problem:
            error(key, problem)
        elif value is None:
            error(key, _("请填写日期"))
    if issued and expires and (problem := rules.certificate_problem(issued, expires)):
        error("expires", problem)
    return {"operation_type": kind, "number": number, "issued": issued, "expires": expires}
