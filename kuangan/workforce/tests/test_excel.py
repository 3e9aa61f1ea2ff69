"""The workers ledger in Excel: a template to download, an import that saves every row or none and names each
bad row in Chinese, and an exported ledger (ID and certificate numbers masked) that imports again unchanged."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from kuangan.core.models import AuditEvent
from kuangan.testing import assert_audited, unchanged
from kuangan.workforce.models import OperatorCertificate, Worker
from kuangan.workforce.tables import WORKER_COLUMNS

from .helpers import ID_NUMBER, make_certificate, make_worker

GOOD = {"人员卡编码": "141129000100011", "姓名": "周八", "身份证号": "14112919900101123X", "岗位": "瓦检员",
        "班组": "通风队", "工种": "瓦斯检查工", "矿领导（名册标注）": "否", "特种作业人员（名册标注）": "是",
        "作业类别": "瓦斯检查作业", "操作证号": "T14112919900101123X", "发证日期": "2023-03-01", "有效期至": "2029-02-28"}


def workbook(rows: list[dict]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(["从业人员导入"])
    ws.append([""])
    labels = [c.label for c in WORKER_COLUMNS if c.imported]
    ws.append(labels)
    for row in rows:
        ws.append([row.get(label, "") for label in labels])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("人员.xlsx", out.getvalue())


def url(world) -> str:  # type: ignore[no-untyped-def]
    return f"/workforce/mines/{world.a1.pk}/workers/import/"


def test_a_clean_file_imports_workers_and_their_certificates(world, login):
    second_cert = {"人员卡编码": "141129000100011", "作业类别": "安全监测监控作业", "操作证号": "M-9",
                   "发证日期": "2024-01-01", "有效期至": "2030-01-01"}  # the same worker's second certificate
    no_cert = {**GOOD, "人员卡编码": "141129000100012", "姓名": "吴九", "身份证号": "", "作业类别": "", "操作证号": "",
               "发证日期": "", "有效期至": "", "特种作业人员（名册标注）": ""}
    response = login(world.mine_safety_officer).post(url(world), {"file": workbook([GOOD, second_cert, no_cert])})
    body = response.content.decode()
    assert "新增人员 2 名，更新 0 名，未变 0 名；新增操作证 2 张，更新 0 张。" in body
    zhou = Worker.objects.get(card_code="141129000100011")
    assert (zhou.name, zhou.id_number, zhou.special_flag, zhou.team) == ("周八", "14112919900101123X", True, "通风队")
    assert sorted(zhou.certificates.values_list("operation_type", "number")) == [
        ("gas_inspection", "T14112919900101123X"), ("safety_monitoring", "M-9")]
    assert not Worker.objects.get(card_code="141129000100012").special_flag
    assert_audited("workforce.worker.created", zhou, by=world.mine_safety_officer)
    assert AuditEvent.objects.filter(verb="workforce.operatorcertificate.added").count() == 2


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(world, login):
    existing = make_worker(world)
    rows = [
        GOOD,  # row 4: fine
        {**GOOD, "人员卡编码": "141181000100001", "姓名": "外矿"},  # 5: another mine's card
        {**GOOD, "人员卡编码": "141129000100013", "身份证号": "12345"},  # 6
        {**GOOD, "人员卡编码": "141129000100014", "作业类别": "开车"},  # 7
        {**GOOD, "人员卡编码": "141129000100015", "有效期至": "2020-01-01"},  # 8: before issue
        {**GOOD, "人员卡编码": "141129000100016", "发证日期": "明年"},  # 9
        {**GOOD, "姓名": "周八八"},  # 10: same card as row 4, another name
        {**GOOD, "人员卡编码": "141129000100017", "特种作业人员（名册标注）": "也许"},  # 11
        {**GOOD, "人员卡编码": "141129000100018", "姓名": ""},  # 12
        {**GOOD, "人员卡编码": "141129000100019", "操作证号": ""},  # 13
    ]
    before = (list(Worker.objects.values()), OperatorCertificate.objects.count(), AuditEvent.objects.count())
    response = login(world.mine_head).post(url(world), {"file": workbook(rows)})
    body = response.content.decode()
    assert "未导入任何数据" in body
    by_row = {e.row: e for e in response.context["errors"]}
    assert set(by_row) == {5, 6, 7, 8, 9, 10, 11, 12, 13}
    assert by_row[5].column == "人员卡编码" and "不是以本矿编码 1411290001 开头" in by_row[5].message
    assert by_row[6].column == "身份证号"
    assert by_row[7].column == "作业类别" and "瓦斯检查作业" in by_row[7].message  # names the choices
    assert by_row[8].column == "有效期至" and "有效期不能早于发证日期" in by_row[8].message
    assert "不是日期" in by_row[9].message
    assert "与第 4 行" in by_row[10].message and "姓名" in by_row[10].message
    assert "是" in by_row[11].message and by_row[12].column == "姓名" and by_row[13].column == "操作证号"
    assert (list(Worker.objects.values()), OperatorCertificate.objects.count(), AuditEvent.objects.count()) == before
    assert Worker.objects.get().pk == existing.pk


def test_a_row_refused_by_the_action_rolls_back_the_rows_before_it(world, login):
    """A masked ID number that matches no stored one is found only when the rows are written: the workers
    written before it are rolled back too."""
    rows = [GOOD, {**GOOD, "人员卡编码": "141129000100020", "身份证号": "141129********9999"}]
    response = login(world.mine_head).post(url(world), {"file": workbook(rows)})
    errors = response.context["errors"]
    assert [(e.row, e.column) for e in errors] == [(5, "身份证号")] and "隐去部分内容" in errors[0].message
    assert not Worker.objects.exists() and not OperatorCertificate.objects.exists()


def test_an_exported_ledger_imports_again_unchanged(world, login):
    worker = make_worker(world)  # ID number on file, shown masked in the export
    make_certificate(world, worker)  # number T + ID: masked too
    make_certificate(world, worker, operation_type="blasting", number="B-77", expires=date(2027, 5, 1))
    client = login(world.mine_head)
    exported = client.get(f"/workforce/mines/{world.a1.pk}/workers/export/").content
    text = " ".join(str(c) for row in load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True)
                    for c in row if c is not None)
    assert ID_NUMBER not in text and "141129********1234" in text and "T141129********1234" in text
    workers, certs = list(Worker.objects.values()), list(OperatorCertificate.objects.order_by("pk").values())
    response = client.post(url(world), {"file": SimpleUploadedFile("导出.xlsx", exported)})
    assert "新增人员 0 名，更新 0 名，未变 1 名；新增操作证 0 张，更新 0 张。" in response.content.decode()
    assert list(Worker.objects.values()) == workers
    assert list(OperatorCertificate.objects.order_by("pk").values()) == certs


def test_an_import_updates_known_workers_and_renews_a_certificate(world, login):
    worker = make_worker(world, 11, name="周八")
    make_certificate(world, worker, operation_type="gas_inspection", number="T14112919900101123X",
                     issued=date(2017, 3, 1), expires=date(2023, 2, 28))
    response = login(world.mine_head).post(url(world), {"file": workbook([GOOD])})
    assert "新增人员 0 名，更新 1 名，未变 0 名；新增操作证 0 张，更新 1 张。" in response.content.decode()
    worker.refresh_from_db()
    cert = worker.certificates.get()
    assert (worker.team, cert.issued, cert.expires) == ("通风队", date(2023, 3, 1), date(2029, 2, 28))
    assert_audited("workforce.operatorcertificate.updated", cert, by=world.mine_head)


def test_the_template_and_bad_files(world, login):
    client = login(world.mine_head)
    template = client.get(f"/workforce/mines/{world.a1.pk}/workers/import/template/")
    ws = load_workbook(io.BytesIO(template.content)).active
    assert [c for c in next(ws.iter_rows(min_row=3, max_row=3, values_only=True))][:2] == ["人员卡编码", "姓名"]
    assert "1411290001" in str(ws["A2"].value)
    with unchanged(Worker, OperatorCertificate):
        assert "无法读取该文件" in client.post(url(world), {"file": SimpleUploadedFile("a.xlsx", b"not a zip")}).content.decode()
        assert "只接受 .xlsx" in client.post(url(world), {"file": SimpleUploadedFile("a.csv", b"x")}).content.decode()
        assert "请选择" in client.post(url(world), {}).content.decode()
    wb = Workbook()
    wb.active.append(["姓名", "班组"])
    out = io.BytesIO()
    wb.save(out)
    assert "没有找到表头行" in client.post(url(world), {"file": SimpleUploadedFile("b.xlsx", out.getvalue())}).content.decode()


def test_only_the_mines_editors_import(world, login):
    with unchanged(Worker, OperatorCertificate):
        assert login(world.inspector).post(url(world), {"file": workbook([GOOD])}).status_code == 403
        assert login(world.foreign_mine_head).post(url(world), {"file": workbook([GOOD])}).status_code == 404
    assert not Worker.objects.exists()


def test_import_workers_called_directly_is_audited_per_row_and_refused_to_another_mine(world):
    """The action behind the page: each worker it writes is an audited event; another mine's user changes nothing."""
    from django.core.exceptions import PermissionDenied

    from kuangan.workforce import actions

    row = actions.WorkerRow(2, {"card_code": world.a1.code + "00021", "name": "郑十", "post": "采煤工"})
    summary = actions.import_workers(world.a1.pk, [row], by=world.actor(world.mine_safety_officer))
    assert (summary.created, summary.updated) == (1, 0)
    worker = Worker.objects.get(card_code=world.a1.code + "00021")
    assert_audited("workforce.worker.created", worker, by=world.mine_safety_officer)
    other = actions.WorkerRow(2, {"card_code": world.a1.code + "00022", "name": "冯十一", "post": "掘进工"})
    with pytest.raises(PermissionDenied):
        actions.import_workers(world.a1.pk, [other], by=world.actor(world.foreign_mine_head))
    assert not Worker.objects.filter(card_code=world.a1.code + "00022").exists()
