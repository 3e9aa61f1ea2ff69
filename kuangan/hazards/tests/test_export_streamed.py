"""The streamed Excel export (issue 18, R2.11): the layout of the 台账 (title and who/when rows merged across,
header row, frozen panes, filter), values as the regulators read them, memory that does not grow with the
rows, a large file sent from disk, and the audit's row count."""

from __future__ import annotations

import io
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.http import FileResponse
from openpyxl import load_workbook

from kuangan.core import clock, excel
from kuangan.core.excel import HEADER_ROW, LedgerFile, ledger_file, ledger_workbook, write_ledger
from kuangan.core.models import AuditEvent

HEADERS = [("序号", 6), ("名称", 16), ("时间", 16), ("时限", 12), ("资金", 10), ("督办", 8)]


def _rows(n: int) -> Any:
    at = datetime(2024, 6, 30, 16, 30, tzinfo=UTC)  # 00:30 on July 1st in Beijing
    for i in range(n):
        yield [i, f"矿山 {i} <&>", at, date(2024, 7, 1), Decimal("1.25"), i % 2 == 0]


def test_the_layout_and_the_values_of_the_ledger() -> None:
    data = ledger_workbook(sheet="隐患台账", title="中阳县隐患排查治理台账", subtitle="导出人：张三", headers=HEADERS,
                           rows=_rows(3))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "隐患台账"
    assert ws.cell(1, 1).value == "中阳县隐患排查治理台账" and ws.cell(1, 1).font.b and ws.cell(1, 1).font.sz == 14
    assert ws.cell(2, 1).value == "导出人：张三"
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:F1", "A2:F2"}
    assert [c.value for c in ws[HEADER_ROW]] == [label for label, _ in HEADERS]
    assert ws.cell(HEADER_ROW, 1).font.b and ws.cell(HEADER_ROW, 1).alignment.wrap_text
    assert ws.column_dimensions["B"].width == 16
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref == "A3:F6"
    first = [c.value for c in ws[HEADER_ROW + 1]]
    assert first == [0, "矿山 0 <&>", datetime(2024, 7, 1, 0, 30), datetime(2024, 7, 1), 1.25, True]  # Beijing time
    assert ws.cell(HEADER_ROW + 1, 3).number_format == "yyyy-mm-dd hh:mm"
    assert ws.cell(HEADER_ROW + 1, 4).number_format == "yyyy-mm-dd"
    assert ws.max_row == HEADER_ROW + 3


def test_text_that_is_not_allowed_in_xml_is_dropped_not_an_error() -> None:
    data = ledger_workbook(sheet="s", title="t", subtitle="s", headers=HEADERS[:2], rows=[[1, "a\x01b\x0bc"]])
    assert load_workbook(io.BytesIO(data)).active.cell(HEADER_ROW + 1, 2).value == "abc"


def test_memory_does_not_grow_with_the_rows() -> None:
    def peak(n: int) -> int:
        tracemalloc.start()  # the compressed file is not kept: in production it goes to disk
        write_ledger(_Discard(), sheet="s", title="t", subtitle="s", headers=HEADERS, rows=_rows(n))
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    small, large = peak(2_000), peak(40_000)
    assert large < small * 1.5 + 256 * 1024, (small, large)


class _Discard(io.RawIOBase):
    """A write-only, seekable sink that keeps nothing but its position (zipfile seeks back to the headers)."""

    def __init__(self) -> None:
        self.pos = self.end = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.pos += len(b)
        self.end = max(self.end, self.pos)
        return len(b)

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.end + offset
        return self.pos

    def tell(self) -> int:
        return self.pos


def test_a_large_file_is_sent_from_disk_and_the_audit_counts_its_rows(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(excel, "SPOOL_BYTES", 1024)
    ledger = ledger_file(sheet="s", title="t", subtitle="s", headers=HEADERS, rows=_rows(500))
    assert isinstance(ledger, LedgerFile) and ledger.rows == 500
    with clock.frozen(datetime(2024, 7, 1, 9, tzinfo=clock.SHANGHAI)):
        response = excel.xlsx_response(ledger, "台账.xlsx", by=world.actor(world.inspector), description="导出")
    assert isinstance(response, FileResponse)
    data = b"".join(response.streaming_content)  # type: ignore[arg-type]
    event = AuditEvent.objects.filter(verb="core.export.downloaded").order_by("-seq").first()
    assert event is not None and event.after["rows"] == 500
    # closing a response ends the request: Django closes the database connection then (PostgreSQL)
    response.close()
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    assert sum(1 for _ in ws.iter_rows(min_row=HEADER_ROW + 1)) == 500


@pytest.mark.parametrize("n", [0, 1])
def test_a_small_ledger_file_is_answered_from_memory(world, n) -> None:  # type: ignore[no-untyped-def]
    ledger = ledger_file(sheet="s", title="t", subtitle="s", headers=HEADERS, rows=_rows(n))
    response = excel.xlsx_response(ledger, "台账.xlsx", by=world.actor(world.inspector), description="导出")
    ws = load_workbook(io.BytesIO(response.content)).active  # type: ignore[attr-defined]
    assert ws.auto_filter.ref == f"A3:F{HEADER_ROW + n}" and ws.max_row == HEADER_ROW + n


def test_the_hazard_export_reads_only_the_ledger_columns(world, login, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from kuangan.hazards import actions
    from kuangan.hazards.models import HazardStandardItem

    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    for k in range(3):
        actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer), report=actions.HazardReport(
            level="major", source="self_inspection", description=f"隐患 {k}", found_at=clock.now() - timedelta(hours=1),
            found_by="安全科", standard_item_id=item.pk))
    client = login(world.inspector)
    # one query for the rows, one each for the mines and the standard items, one per 2,000 rows for the
    # verifiers named in them: not one per row
    with django_assert_max_num_queries(15):
        response = client.get("/hazards/export/")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert len(rows) == 3 and rows[0][4].startswith("C04-02")
