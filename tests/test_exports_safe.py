"""Excel exports (issue 17 item 10): text that starts like a formula stays text in every export, numbers stay
numbers, and every download is in the audit trail."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from kuangan.core import clock
from kuangan.core.excel import HEADER_ROW, ledger_workbook
from kuangan.core.models import AuditEvent
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry.models import Mine
from kuangan.testing import World

ATTACKS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def _cells(data: bytes) -> list[Any]:
    ws = load_workbook(io.BytesIO(data)).active
    return [c for row in ws.iter_rows(min_row=HEADER_ROW + 1) for c in row]


def _assert_text_only(data: bytes, attacks: list[str]) -> None:
    assert "<f>" not in _sheet_xml(data) and "<f " not in _sheet_xml(data)  # no formula anywhere in the file
    attacks = [a.replace("\r", "\n") for a in attacks]  # XML reads a raw CR back as LF
    found = {c.value: c for c in _cells(data) if c.value in attacks}
    assert set(found) == set(attacks), set(attacks) - set(found)  # written as given, not evaluated
    for cell in found.values():
        assert cell.data_type == "s", cell.value
        assert cell.quotePrefix, cell.value  # Excel and LibreOffice keep it text even after an edit


def test_the_ledger_writer_keeps_formula_like_text_as_text_and_numbers_as_numbers() -> None:
    data = ledger_workbook(sheet="s", title="=1+1", subtitle="t", headers=[("a", 10), ("b", 10), ("c", 10)],
                           rows=[[a, 42, Decimal("1.5")] for a in ATTACKS] + [["-", -3, "普通文字"]])
    _assert_text_only(data, [*ATTACKS, "-"])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.cell(1, 1).data_type == "s"  # the title too
    numbers = [ws.cell(r, 2) for r in range(HEADER_ROW + 1, ws.max_row + 1)]
    assert all(c.data_type == "n" for c in numbers) and numbers[-1].value == -3
    assert ws.cell(HEADER_ROW + 1, 3).value == 1.5
    assert not ws.cell(ws.max_row, 3).quotePrefix  # ordinary text is left alone


def _export_event(user: Any) -> AuditEvent:
    event = AuditEvent.objects.filter(verb="core.export.downloaded", target_id=str(user.pk)).order_by("-seq").first()
    assert event is not None, "the export was not audited"
    return event


@pytest.mark.parametrize("attack", ATTACKS[:4])
def test_a_mine_address_is_text_in_the_mine_ledger_and_the_export_is_audited(world: World, client: Client,
                                                                              attack: str) -> None:
    Mine.objects.filter(pk=world.a1.pk).update(address=attack)
    client.force_login(world.inspector)
    response = client.get("/registry/mines/export/")
    assert response.status_code == 200
    _assert_text_only(response.content, [attack])
    event = _export_event(world.inspector)
    assert event.actor_id == world.inspector.pk
    assert re.match(r"矿山台账-\d{8}\.xlsx", event.after["file"]) and event.after["rows"] == 2  # 甲一, 甲二


def test_a_hazard_description_is_text_in_the_hazard_ledger(world: World, client: Client) -> None:
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    for attack in ATTACKS[:4]:
        hazard_actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer),
                                     report=hazard_actions.HazardReport(
                                         level="major", source="self_inspection", description=attack,
                                         found_at=clock.now() - timedelta(hours=1), found_by="安全科",
                                         standard_item_id=item.pk))
    client.force_login(world.mine_head)
    response = client.get("/hazards/export/")
    assert response.status_code == 200
    _assert_text_only(response.content, ATTACKS[:4])
    assert _export_event(world.mine_head).after["rows"] == 4


def test_the_alarm_ledger_and_the_import_template_are_audited(world: World, client: Client) -> None:
    client.force_login(world.inspector)
    ledger = client.get("/monitoring/alarms/export/")
    assert ledger.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(ledger.content)).active[HEADER_ROW]]
    assert {"矿井名称", "报警类型", "严重程度"} <= set(headers) and _cells(ledger.content) == []  # no alarm yet
    assert _export_event(world.inspector).after["rows"] == 0
    client.force_login(world.county_admin)  # who may import mines
    template = client.get("/registry/mines/import/template/")
    assert template.status_code == 200
    columns = [c.value for c in load_workbook(io.BytesIO(template.content)).active[HEADER_ROW]]
    assert {"矿山编码", "矿山名称"} <= set(columns)
    assert _export_event(world.county_admin).after["file"] == "矿山台账导入模板.xlsx"
