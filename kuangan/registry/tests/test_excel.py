"""The mine ledger in Excel: export in the ledger's columns; import all-or-nothing with a row report."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from kuangan.core.excel import HEADER_ROW
from kuangan.core.models import AuditEvent
from kuangan.registry.models import Licence, Mine
from kuangan.registry.tables import MINE_COLUMNS

GOOD = {
    "矿山编码": "1411290101", "矿山名称": "新一煤矿", "主体企业": "中阳县甲煤业有限公司", "所在县（区）": "中阳县",
    "矿山类型": "井工煤矿", "生产状态": "正常生产", "核定生产能力（万吨/年）": 90, "瓦斯等级": "高瓦斯",
    "水文地质类型": "中等", "冲击地压": "无冲击地压", "煤层自燃倾向性": "自燃", "灾害类型等级": "中等",
    "安全生产标准化等级": "二级", "智能化建设": "建设中", "分级分类": "B类", "有技改（基建）项目": "否",
    "采矿许可证号": "C1400002009111", "采矿许可证有效期至": "2030-12-31",
    "安全生产许可证号": "（晋）MK安许证字〔2023〕G101", "安全生产许可证有效期至": "2026-05-01",
}


def workbook(rows: list[dict]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(["矿山台账"])
    ws.append([""])
    labels = [c.label for c in MINE_COLUMNS if c.imported]
    ws.append(labels)
    for row in rows:
        ws.append([row.get(label, "") for label in labels])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("台账.xlsx", out.getvalue())


def test_a_clean_file_imports_every_row_with_licences(world, login):
    second = {**GOOD, "矿山编码": "1411290102", "矿山名称": "新二煤矿", "生产状态": "正常建设"}
    response = login(world.county_admin).post("/registry/mines/import/", {"file": workbook([GOOD, second])})
    assert response.status_code == 200
    assert "已导入 2 座矿山" in response.content.decode()
    mine = Mine.objects.get(code="1411290101")
    assert (mine.gas_class, mine.supervision_class, mine.division.code) == ("high", "B", "141129")
    assert Licence.objects.get(mine=mine, kind="mining").number == "C1400002009111"
    assert AuditEvent.objects.filter(verb="registry.mine.created", via="web").count() == 2


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_bad_row(world, login):
    bad_kind = {**GOOD, "矿山编码": "1411290102", "矿山名称": "坏一", "矿山类型": "地下煤矿"}
    foreign = {**GOOD, "矿山编码": "1411290103", "矿山名称": "坏二", "所在县（区）": "孝义市"}
    bad_date = {**GOOD, "矿山编码": "1411290104", "矿山名称": "坏三", "采矿许可证有效期至": "明年"}
    duplicate = {**GOOD, "矿山名称": "坏四"}  # same code as row 4
    taken = {**GOOD, "矿山编码": world.a1.code, "矿山名称": "坏五"}
    before = Mine.objects.count()
    response = login(world.county_admin).post(
        "/registry/mines/import/", {"file": workbook([GOOD, bad_kind, foreign, bad_date, duplicate, taken])})
    body = response.content.decode()
    assert Mine.objects.count() == before, "nothing is imported when any row is bad"
    assert "未导入任何数据" in body
    errors = response.context["errors"]
    by_row = {e.row: e for e in errors}
    assert set(by_row) == {5, 6, 7, 8, 9}
    assert by_row[5].column == "矿山类型"
    assert "孝义市" in by_row[6].message
    assert "不是日期" in by_row[7].message
    assert "第 4 行" in by_row[8].message
    assert by_row[9].column == "矿山编码"


def test_a_file_that_is_not_a_workbook_gets_a_clear_message(world, login):
    client = login(world.county_admin)
    response = client.post("/registry/mines/import/", {"file": SimpleUploadedFile("a.xlsx", b"not a zip")})
    assert "无法读取该文件" in response.content.decode()
    response = client.post("/registry/mines/import/", {"file": SimpleUploadedFile("a.csv", b"x,y")})
    assert "只接受 .xlsx" in response.content.decode()
    response = client.post("/registry/mines/import/", {})
    assert "请选择" in response.content.decode()


def test_only_the_administrator_imports(world, login):
    assert login(world.inspector).get("/registry/mines/import/").status_code == 403


def test_export_then_import_round_trip(world, login):
    client = login(world.county_admin)
    exported = client.get("/registry/mines/export/")
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(exported.content)).active
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == [c.label for c in MINE_COLUMNS]
    names = [row[1] for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    assert sorted(names) == ["甲一煤矿", "甲二煤矿"]
    # The exported rows come back as new mines once their codes are changed.
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        row[0].value = "9" + str(row[0].value)
        row[1].value = row[1].value + "（复制）"
    out = io.BytesIO()
    ws.parent.save(out)
    response = client.post("/registry/mines/import/", {"file": SimpleUploadedFile("x.xlsx", out.getvalue())})
    assert response.context["errors"] == []
    assert Mine.objects.filter(name__endswith="（复制）").count() == 2


def test_the_template_downloads_with_the_ledger_columns(world, login):
    response = login(world.county_admin).get("/registry/mines/import/template/")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[HEADER_ROW]][:2] == ["矿山编码", "矿山名称"]


def test_a_code_taken_between_checking_and_importing_rolls_back_the_whole_file(world):
    """import_mines re-checks inside its transaction: a row that became invalid stops every row."""
    import pytest

    from kuangan.core.models import Division
    from kuangan.registry import actions
    from kuangan.testing import assert_audited, mine_data

    county = Division.objects.get(code="141129")
    rows = [(4, mine_data(code="1411290201", name="甲", enterprise=world.ent_a, division=county), []),
            (5, mine_data(code=world.a1.code, name="乙", enterprise=world.ent_a, division=county), [])]
    with pytest.raises(actions.ImportRejected) as rejected:
        actions.import_mines(rows, by=world.actor(world.county_admin))
    assert [e.row for e in rejected.value.errors] == [5]
    assert not Mine.objects.filter(code="1411290201").exists()
    [mine] = actions.import_mines(rows[:1], by=world.actor(world.county_admin))
    assert_audited("registry.mine.created", mine, by=world.county_admin)
