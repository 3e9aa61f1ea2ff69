"""Pages of an enforcement inspection, as its people use them: the county's inspector opens one with a colleague,
arrives, records a major hazard (it enters the hazard ledger with its investigation), issues the rectification
order (a numbered PDF), leaves and closes; what the mine sees before and after arrival; what a foreign county's
inspector, a team member who is not the leader and bad input get; a document's new version."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pypdf
import pytest
from pypdf import PdfReader

from kuangan.core import clock
from kuangan.core.choices import Role
from kuangan.enforcement.models import DocumentVersion, EnforcementDocument, Inspection, InspectionFinding
from kuangan.hazards.models import Hazard, HazardStandardItem
from kuangan.testing import assert_audited, make_user, unchanged

SH = clock.SHANGHAI
T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SH)
ON_SITE = T0 + timedelta(hours=1, minutes=30)  # 09:30
FINDING = "3105 回风巷甲烷传感器未按规定标校，断电功能失效"


@pytest.fixture(autouse=True)
def at_t0():
    with clock.frozen(T0):
        yield


@pytest.fixture(autouse=True)
def long_sessions(settings):  # type: ignore[no-untyped-def]
    """The steps below are hours apart on the clock: longer than the idle time that ends a session."""
    settings.SESSION_IDLE_MINUTES = 24 * 60


@pytest.fixture
def partner(world):  # type: ignore[no-untyped-def]
    """The inspector's colleague: a team needs two (行政处罚法 第四十二条)."""
    return make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")


def _pk(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(re.search(r"/enforcement/inspections/(\d+)/$", response["Location"]).group(1))


def open_inspection(world, partner, login) -> Inspection:  # type: ignore[no-untyped-def]
    response = login(world.inspector).post("/enforcement/inspections/open/", {
        "mine": world.a1.pk, "method": "unannounced", "planned_on": "2024-06-30", "leader": world.inspector.pk,
        "team": [world.inspector.pk, partner.pk], "credentials": "王检查：14112900001\n李执法：14112900002",
        "source": "lead", "source_note": "用电量与产量不符，疑似超能力生产"})
    return Inspection.objects.get(pk=_pk(response))


def do(client, inspection, name, data):  # type: ignore[no-untyped-def]
    return client.post(f"/enforcement/inspections/{inspection.pk}/do/{name}/", data)


def arrive(world, login, inspection):  # type: ignore[no-untyped-def]
    with clock.frozen(ON_SITE):
        response = do(login(world.inspector), inspection, "arrive", {
            "at": "", "place": "3105 回风巷", "mine_representative": "赵安全"})
    assert response.status_code == 302, response.content.decode()[:2000]


def record_major(world, login, inspection, client=None) -> InspectionFinding:  # type: ignore[no-untyped-def]
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    with clock.frozen(ON_SITE + timedelta(minutes=20)):
        response = do(client or login(world.inspector), inspection, "record_finding", {
            "kind": "major_hazard", "description": FINDING, "place": "3105 回风巷", "standard_item": item.pk,
            "deadline": "2024-07-15"})
    assert response.status_code == 302, response.content.decode()[:3000]
    return InspectionFinding.objects.get(inspection=inspection, description=FINDING)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_open_arrive_record_order_leave_and_close(world, partner, login, django_assert_max_num_queries):
    inspection = open_inspection(world, partner, login)
    assert_audited("enforcement.inspection.opened", inspection, by=world.inspector)
    client = login(world.inspector)
    page = client.get(inspection.get_absolute_url())
    body = _text(page)
    assert page.status_code == 200
    for shown in ("待检查", "四不两直", "研判线索", "王检查", "李执法", "14112900002", "检查前研判",
                  "截至 2024-06-30 08:00，到达现场时冻结", "到达现场", "取消检查"):
        assert shown in body, shown
    assert 'id="action-arrive"' in page.content.decode()

    # On site: the briefing is frozen, the leader may now record, decide and sign.
    arrive(world, login, inspection)
    assert_audited("enforcement.inspection.arrived", inspection, by=world.inspector)
    with clock.frozen(ON_SITE + timedelta(minutes=10)):
        body = _text(login(world.inspector).get(inspection.get_absolute_url()))
    assert "现场检查中" in body and "研判于 2024-06-30 09:30 冻结" in body and "2024-06-30 09:30" in body
    assert "赵安全" in body

    # A major hazard: it enters the hazard ledger as found by the inspection, with its investigation.
    finding = record_major(world, login, inspection)
    assert_audited("enforcement.inspectionfinding.recorded", finding, by=world.inspector)
    hazard = finding.hazard
    assert hazard is not None and hazard.level == "major"
    client = login(world.inspector)
    ledger = _text(client.get("/hazards/?source=regulator_inspection"))
    assert FINDING in ledger and "监管部门执法检查" in ledger
    hazard_page = _text(client.get(f"/hazards/{hazard.pk}/"))
    assert "调查处理" in hazard_page and "中阳县应急管理局：王检查、李执法" in hazard_page
    body = _text(client.get(inspection.get_absolute_url()))
    assert FINDING in body and f"#{hazard.pk}" in body and "C04-02" in body and "2024-07-15" in body

    # The leader issues the rectification order: numbered, signed, served, and downloadable as a PDF.
    with clock.frozen(ON_SITE + timedelta(minutes=40)):
        response = do(client, inspection, "issue_order", {
            "findings": [finding.pk], "deadline": "2024-07-31", "reinspect_on": "2024-07-20"})
    assert response.status_code == 302, response.content.decode()[:3000]
    order = EnforcementDocument.objects.get(inspection=inspection, kind="rectification_order")
    assert order.number == "中阳应急责改〔2024〕1号"
    body = _text(client.get(inspection.get_absolute_url()))
    assert f"已签发责令限期整改指令书 {order.number} 并送达。" in body and order.number in body
    hazard.refresh_from_db()
    assert hazard.order_deadline == date(2024, 7, 15)  # the finding's own, earlier deadline
    download = client.get(f"/enforcement/documents/{order.pk}/pdf/?v=1")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        "attachment; filename*=UTF-8''" + quote(f"责令限期整改指令书-{order.number}-第1版.pdf"))
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(download.content)).pages)
    assert order.number in text.replace(" ", "") and "甲一煤矿" in text.replace(" ", "")

    # The leader leaves (the on-site record is signed and served) and closes.
    with clock.frozen(ON_SITE + timedelta(hours=2)):
        client = login(world.inspector)
        response = do(client, inspection, "leave_site", {"at": "", "summary": "检查通风、监控系统，发现重大事故隐患 1 项"})
        assert response.status_code == 302, response.content.decode()[:3000]
        assert_audited("enforcement.inspection.left", inspection, by=world.inspector)
        response = do(client, inspection, "close_inspection", {"note": "整改指令已送达"})
        assert response.status_code == 302, response.content.decode()[:3000]
    assert_audited("enforcement.inspection.closed", inspection, by=world.inspector)
    client = login(world.inspector)
    page = client.get(inspection.get_absolute_url())
    body = _text(page)
    assert "已结案" in body and "2.0 小时" in body and "现场检查记录" in body
    assert 'class="card action"' not in page.content.decode()  # nothing left to do
    for step in ("立项", "到达现场", "离开现场", "结案"):
        assert step in body.split("检查过程", 1)[1], step

    # The ledger: one row, with its hours and findings counted, in a fixed number of queries.
    with django_assert_max_num_queries(12):
        ledger = client.get("/enforcement/inspections/?status=closed&month=2024-06&mine=甲一")
    assert ledger.context["page"].paginator.count == 1
    row = _text(ledger).split("发现问题", 1)[1]
    assert "甲一煤矿" in row and "2.0" in row and "已结案" in row and "研判线索" in row
    assert client.get("/enforcement/inspections/?status=planned").context["page"].paginator.count == 0
    bad = client.get("/enforcement/inspections/?month=2024-13&method=teleport")
    assert bad.status_code == 200 and "已忽略无效的筛选条件：检查方式、计划月份" in _text(bad)
    assert bad.context["page"].paginator.count == 1


def test_the_mine_sees_an_inspection_only_once_the_team_has_arrived(world, partner, login):
    inspection = open_inspection(world, partner, login)
    head = login(world.mine_head)
    assert head.get(inspection.get_absolute_url()).status_code == 404
    assert head.get("/enforcement/inspections/").context["page"].paginator.count == 0
    tab = head.get(f"/enforcement/mine/{world.a1.pk}/")
    assert tab.status_code == 200 and tab.context["inspections"] == []
    assert inspection.get_absolute_url() not in tab.content.decode()
    with unchanged(inspection):
        assert do(head, inspection, "arrive", {"at": ""}).status_code == 404

    arrive(world, login, inspection)
    record_major(world, login, inspection)
    head = login(world.mine_head)
    page = head.get(inspection.get_absolute_url())
    assert page.status_code == 200 and "现场检查中" in _text(page)
    assert 'id="briefing"' not in page.content.decode()  # the regulator's briefing is not the mine's
    assert 'class="card action"' not in page.content.decode()
    assert head.get("/enforcement/inspections/").context["page"].paginator.count == 1
    assert [i.pk for i in head.get(f"/enforcement/mine/{world.a1.pk}/").context["inspections"]] == [inspection.pk]
    with unchanged(inspection, InspectionFinding):
        assert do(head, inspection, "record_finding", {"kind": "ordinary_hazard", "description": "x"}).status_code == 403

    finding = InspectionFinding.objects.get(inspection=inspection)
    with clock.frozen(ON_SITE + timedelta(minutes=40)):
        do(login(world.inspector), inspection, "issue_order", {"findings": [finding.pk], "deadline": "2024-07-31"})
    order = EnforcementDocument.objects.get(kind="rectification_order")
    head = login(world.mine_head)
    tab = _text(head.get(f"/enforcement/mine/{world.a1.pk}/"))
    assert order.number in tab and "责令限期整改指令书" in tab
    assert order.number in _text(head.get(f"/enforcement/documents/{order.pk}/"))
    assert head.get(f"/enforcement/documents/{order.pk}/pdf/?v=1").content.startswith(b"%PDF")
    assert head.get("/enforcement/documents/").context["page"].paginator.count == 1


def test_a_foreign_inspector_gets_404_everywhere(world, partner, login):
    inspection = open_inspection(world, partner, login)
    arrive(world, login, inspection)
    finding = record_major(world, login, inspection)
    with clock.frozen(ON_SITE + timedelta(minutes=40)):
        do(login(world.inspector), inspection, "issue_order", {"findings": [finding.pk], "deadline": "2024-07-31"})
    order = EnforcementDocument.objects.get(kind="rectification_order")
    foreign = login(world.foreign_inspector)
    assert foreign.get(inspection.get_absolute_url()).status_code == 404
    assert foreign.get(f"/enforcement/documents/{order.pk}/").status_code == 404
    assert foreign.get(f"/enforcement/documents/{order.pk}/pdf/?v=1").status_code == 404
    assert foreign.get(f"/enforcement/documents/{order.pk}/pdf/").status_code == 404
    with unchanged(inspection, order, DocumentVersion):
        assert foreign.post(f"/enforcement/documents/{order.pk}/revise/", {"reason": "x"}).status_code == 404
        assert do(foreign, inspection, "close_inspection", {}).status_code == 404
    assert foreign.get(f"/enforcement/mine/{world.a1.pk}/").status_code == 404
    assert foreign.get("/enforcement/inspections/").context["page"].paginator.count == 0
    assert foreign.get("/enforcement/documents/").context["page"].paginator.count == 0
    from kuangan.enforcement.forms import ACTION_FORMS

    for persona in (world.foreign_inspector, world.foreign_mine_head):
        client = login(persona)
        for url in (inspection.get_absolute_url(), f"/enforcement/documents/{order.pk}/",
                    f"/enforcement/documents/{order.pk}/pdf/?v=1", f"/enforcement/mine/{world.a1.pk}/"):
            assert client.get(url).status_code == 404, (persona, url)
        with unchanged(inspection, order, DocumentVersion, InspectionFinding):
            for name in ACTION_FORMS:
                assert do(client, inspection, name, {"reason": "x", "summary": "x"}).status_code in (403, 404), name
            assert client.post(f"/enforcement/documents/{order.pk}/revise/", {"reason": "x"}).status_code == 404
        for ledger in ("/enforcement/inspections/", "/enforcement/documents/"):
            assert "甲一煤矿" not in client.get(ledger).content.decode()
    inspection.refresh_from_db()
    assert inspection.status == "on_site" and order.versions.count() == 1
    # and our own inspector does see them: the 404s above are about scope, not about broken pages
    ours = login(world.inspector).get(f"/enforcement/documents/{order.pk}/")
    assert ours.status_code == 200 and order.number in _text(ours) and FINDING in _text(ours)


def test_a_team_member_who_is_not_the_leader_cannot_sign(world, partner, login):
    inspection = open_inspection(world, partner, login)
    arrive(world, login, inspection)
    colleague = login(partner)
    finding = record_major(world, login, inspection, client=colleague)  # any team member records
    page = colleague.get(inspection.get_absolute_url()).content.decode()
    assert 'id="action-record_finding"' in page and 'id="action-issue_order"' not in page
    assert "由带队人 王检查 签发" in page
    with clock.frozen(ON_SITE + timedelta(minutes=40)), unchanged(finding, EnforcementDocument):
        response = do(colleague, inspection, "issue_order", {"findings": [finding.pk], "deadline": "2024-07-31"})
    assert response.status_code == 200
    assert "只有带队人 王检查 可以签发。" in response.content.decode()
    assert not EnforcementDocument.objects.exists()
    finding.refresh_from_db()
    assert finding.order_id is None and finding.deadline == date(2024, 7, 15)


def test_bad_input_is_named_in_chinese_and_changes_nothing(world, partner, login):
    inspection = open_inspection(world, partner, login)
    client = login(world.inspector)
    with unchanged(inspection):
        response = do(client, inspection, "arrive", {"at": "2024-13-45T09:00"})
    assert response.status_code == 200 and "请输入有效的日期和时间。" in response.content.decode()
    with unchanged(inspection):
        response = do(client, inspection, "arrive", {"at": "2024-06-30T12:00"})  # later than now (08:00)
    assert response.status_code == 200 and "时间不能晚于现在。" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == "planned" and inspection.on_site_start is None

    arrive(world, login, inspection)
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    with clock.frozen(ON_SITE + timedelta(minutes=10)), unchanged(inspection, InspectionFinding, Hazard):
        empty = do(client, inspection, "record_finding", {"kind": "major_hazard", "description": "  ",
                                                          "standard_item": item.pk})
        past = do(client, inspection, "record_finding", {"kind": "major_hazard", "description": FINDING,
                                                         "standard_item": item.pk, "deadline": "2024-06-01"})
        bad_day = do(client, inspection, "record_finding", {"kind": "major_hazard", "description": FINDING,
                                                            "standard_item": item.pk, "deadline": "2024-02-30"})
    assert empty.status_code == 200 and "请填写问题描述。" in empty.content.decode()
    assert past.status_code == 200 and "整改期限不能早于今天。" in past.content.decode()
    assert bad_day.status_code == 200 and "请输入有效的日期。" in bad_day.content.decode()
    assert not InspectionFinding.objects.exists() and not Hazard.objects.exists()

    finding = record_major(world, login, inspection)
    with clock.frozen(ON_SITE + timedelta(minutes=40)), unchanged(finding, EnforcementDocument):
        response = do(client, inspection, "issue_order", {"findings": [finding.pk], "deadline": "2024-06-29"})
        unticked = do(client, inspection, "issue_order", {"deadline": "2024-07-31"})
    assert response.status_code == 200 and "整改期限不能早于今天。" in response.content.decode()
    assert unticked.status_code == 200 and "请选择要下达整改指令的问题。" in unticked.content.decode()
    assert not EnforcementDocument.objects.filter(kind="rectification_order").exists()

    # opening: one inspector alone is not a team, and a tip-off needs its content
    with unchanged(Inspection):
        response = client.post("/enforcement/inspections/open/", {
            "mine": world.a1.pk, "method": "unannounced", "planned_on": "2024-07-01", "leader": world.inspector.pk,
            "team": [world.inspector.pk], "source": "lead", "source_note": "x"})
    assert response.status_code == 200 and "执法人员不得少于 2 人" in response.content.decode()
    with unchanged(Inspection):
        response = client.post("/enforcement/inspections/open/", {
            "mine": world.a1.pk, "method": "unannounced", "planned_on": "2024-07-01", "leader": world.inspector.pk,
            "team": [world.inspector.pk, partner.pk], "source": "tip_off", "credentials": "张三：123"})
    assert response.status_code == 200
    assert "“张三”不在检查组中。" in response.content.decode()
    assert Inspection.objects.count() == 1
    assert client.get(f"/enforcement/inspections/{inspection.pk}/do/arrive/").status_code == 405


def test_a_revision_is_a_new_signed_version_with_its_changes_and_reason(world, partner, login):
    inspection = open_inspection(world, partner, login)
    arrive(world, login, inspection)
    finding = record_major(world, login, inspection)
    client = login(world.inspector)
    with clock.frozen(ON_SITE + timedelta(minutes=40)):
        do(client, inspection, "issue_order", {"findings": [finding.pk], "deadline": "2024-07-31",
                                                "reinspect_on": "2024-07-20"})
        do(client, inspection, "leave_site", {"at": "", "summary": "检查通风系统"})
    order = EnforcementDocument.objects.get(kind="rectification_order")
    page = client.get(f"/enforcement/documents/{order.pk}/")
    body = _text(page)
    assert "整改事项" in body and FINDING in body and "2024年7月20日" in body and "第 1 版" in body
    # an order's dates are the hazards' too: they are not edited as text (a new order is a new document)
    assert 'name="c_reinspect_on"' not in page.content.decode() and 'name="c_deadline"' not in page.content.decode()
    with clock.frozen(ON_SITE + timedelta(hours=1)), unchanged(order, DocumentVersion):
        forged = client.post(f"/enforcement/documents/{order.pk}/revise/", {"c_deadline": "2024-08-31",
                                                                            "reason": "延期"})
    assert forged.status_code in (200, 302)
    order.refresh_from_db()
    assert order.current_version == 1 and order.deadline.isoformat() == "2024-07-31"

    record = EnforcementDocument.objects.get(kind="inspection_record")
    page = client.get(f"/enforcement/documents/{record.pk}/")
    assert 'id="action-revise"' in page.content.decode() and 'name="c_summary"' in page.content.decode()
    with clock.frozen(ON_SITE + timedelta(hours=1)):
        with unchanged(record, DocumentVersion):
            refused = client.post(f"/enforcement/documents/{record.pk}/revise/", {"c_summary": "检查通风、瓦斯系统"})
        assert refused.status_code == 200 and "请写明修改理由。" in refused.content.decode()
        with unchanged(record, DocumentVersion):
            same = client.post(f"/enforcement/documents/{record.pk}/revise/", {"c_summary": "检查通风系统",
                                                                               "reason": "核对"})
        assert same.status_code == 200 and "内容没有变化，无需新版本。" in same.content.decode()
        with unchanged(record, DocumentVersion):
            colleague = login(partner).post(f"/enforcement/documents/{record.pk}/revise/", {
                "c_summary": "检查通风、瓦斯系统", "reason": "补记"})
        assert colleague.status_code == 200 and "只有带队人可以签发该文书。" in colleague.content.decode()
        record.refresh_from_db()
        assert record.current_version == 1  # the colleague could not sign it
        client = login(world.inspector)
        response = client.post(f"/enforcement/documents/{record.pk}/revise/", {
            "c_summary": "检查通风、瓦斯系统", "reason": "补记瓦斯系统检查情况"})
    assert response.status_code == 302, response.content.decode()[:3000]
    version = record.versions.get(n=2)
    assert_audited("enforcement.documentversion.signed", version, by=world.inspector)
    body = _text(client.get(f"/enforcement/documents/{record.pk}/"))
    assert "第 2 版" in body and "补记瓦斯系统检查情况" in body
    row = body.split("补记瓦斯系统检查情况", 1)[1]
    assert "检查情况小结 检查通风系统 → 检查通风、瓦斯系统" in row
    v2 = client.get(f"/enforcement/documents/{record.pk}/pdf/?v=2")
    assert v2.content.startswith(b"%PDF") and quote("第2版") in v2["Content-Disposition"]
    assert "检查通风、瓦斯系统" in "".join(PdfReader(io.BytesIO(v2.content)).pages[0].extract_text().split())
    assert client.get(f"/enforcement/documents/{record.pk}/pdf/?v=3").status_code == 404


def test_every_step_is_offered_to_whom_it_belongs(world, partner, login):
    """Measures, the exam and a referral on site; cancelling before arrival."""
    from kuangan.registry import actions as registry_actions

    registry_actions.save_mine_record("leadership", world.a1.pk, by=world.actor(world.inspector), data={
        "post": "mine_head", "name": "赵矿长", "id_number": "", "phone": "", "education": "bachelor",
        "major": "采矿工程", "major_is_mining": True, "frontline_years": 12, "appointed_on": None,
        "holds_mine_head_post": False, "active": True})
    inspection = open_inspection(world, partner, login)
    client = login(world.inspector)
    arrive(world, login, inspection)
    page = client.get(inspection.get_absolute_url()).content.decode()
    for name in ("record_finding", "order_measure", "record_exam", "refer", "leave_site"):
        assert f'id="action-{name}"' in page, name
    assert 'id="action-issue_order"' not in page  # no hazard without an order yet
    with clock.frozen(ON_SITE + timedelta(minutes=15)):
        measure = do(client, inspection, "order_measure", {"kind": "stop_work", "place": "3105 回风巷",
                                                           "reason": "瓦斯传感器断电功能失效"})
        assert measure.status_code == 302, measure.content.decode()[:3000]
        member = page.split('name="member"', 1)[1].split('value="', 2)[2].split('"', 1)[0]
        exam = do(client, inspection, "record_exam", {"member": member, "score": "55"})
        assert exam.status_code == 302, exam.content.decode()[:3000]
        referral = do(login(partner), inspection, "refer", {"department": "中阳县公安局", "matter": "涉嫌伪造监控数据"})
        assert referral.status_code == 302, referral.content.decode()[:3000]
    body = _text(login(world.inspector).get(inspection.get_absolute_url()))
    assert "责令停止作业" in body and "中阳应急现决〔2024〕1号" in body
    assert "赵矿长" in body and "55 / 60" in body and "不合格" in body
    assert "中阳县公安局" in body and "涉嫌伪造监控数据" in body
    measure_row = inspection.measures.get()
    assert_audited("enforcement.onsitemeasure.ordered", measure_row, by=world.inspector)
    assert_audited("enforcement.inspectionexam.recorded", inspection.exams.get(), by=world.inspector)
    assert_audited("enforcement.referral.made", inspection.referrals.get(), by=partner)

    other = open_inspection(world, partner, login)
    assert 'id="action-cancel_inspection"' not in login(partner).get(other.get_absolute_url()).content.decode()
    client = login(world.inspector)
    with unchanged(other):
        empty = do(client, other, "cancel_inspection", {"reason": ""})
    assert empty.status_code == 200 and "请写明取消理由。" in empty.content.decode()
    assert do(client, other, "cancel_inspection", {"reason": "矿山已停产"}).status_code == 302
    assert_audited("enforcement.inspection.cancelled", other, by=world.inspector)
    assert "已取消" in _text(client.get(other.get_absolute_url()))
    assert do(client, other, "no_such_step", {}).status_code == 404


def test_an_alarm_page_offers_an_inspection_and_the_form_starts_from_it(world, partner, login, settings, tmp_path):
    from kuangan.monitoring.models import Alarm
    from kuangan.monitoring.tests.alarm_data import at, aware, ingest_between, over_limit

    settings.MONITORING_DIR = tmp_path / "monitoring"
    ingest_between(at(8), at(9), [over_limit(at(8, 20), 10, peak=1.8)])
    alarm = Alarm.objects.get()
    with clock.frozen(aware(at(9, 5))):
        link = f"/enforcement/inspections/open/?alarm={alarm.pk}"
        assert link in login(world.inspector).get(f"/monitoring/alarms/{alarm.pk}/").content.decode()
        assert link not in login(world.mine_head).get(f"/monitoring/alarms/{alarm.pk}/").content.decode()
        form = login(world.inspector).get(link)
        assert form.context["form"].initial["source"] == "alarm"
        assert form.context["form"].initial["mine"] == world.a1.pk
        assert "超限报警" in _text(form)
        response = login(world.inspector).post(link, {
            "mine": world.a1.pk, "method": "night_raid", "planned_on": "2024-06-01", "leader": world.inspector.pk,
            "team": [world.inspector.pk, partner.pk], "source": "alarm", "alarm": alarm.pk})
        inspection = Inspection.objects.get(pk=_pk(response))
    assert inspection.alarm_id == alarm.pk and inspection.source == "alarm"
    assert login(world.mine_head).get(link).status_code == 403
    assert login(world.foreign_inspector).get(link).context["form"].initial.get("mine") is None


def test_the_ledgers_do_not_grow_in_queries_with_their_rows(world, partner, login, django_assert_max_num_queries):
    for _i in range(4):
        inspection = open_inspection(world, partner, login)
    arrive(world, login, inspection)
    finding = record_major(world, login, inspection)
    with clock.frozen(ON_SITE + timedelta(minutes=40)):
        do(login(world.inspector), inspection, "issue_order", {"findings": [finding.pk], "deadline": "2024-07-31"})
    client = login(world.inspector)
    with django_assert_max_num_queries(12):
        ledger = client.get("/enforcement/inspections/")
    assert ledger.context["page"].paginator.count == 4
    assert [i.findings_count for i in ledger.context["page"]].count(1) == 1
    with django_assert_max_num_queries(12):
        assert client.get("/enforcement/documents/").context["page"].paginator.count == 1
    with django_assert_max_num_queries(14):
        tab = client.get(f"/enforcement/mine/{world.a1.pk}/")
    assert len(tab.context["inspections"]) == 4 and len(tab.context["documents"]) == 1
    dossier = client.get(world.a1.get_absolute_url()).content.decode()
    assert f'<a href="/enforcement/mine/{world.a1.pk}/">执法检查</a>' in dossier  # the dossier's tab


def test_a_machine_without_fonts_for_pdfs_says_so_instead_of_failing(world, partner, login, monkeypatch):
    from kuangan.enforcement import pdf

    inspection = open_inspection(world, partner, login)
    arrive(world, login, inspection)
    first = record_major(world, login, inspection)
    with clock.frozen(ON_SITE + timedelta(minutes=40)):
        do(login(world.inspector), inspection, "issue_order", {"findings": [first.pk], "deadline": "2024-07-31"})
    order = EnforcementDocument.objects.get(kind="rectification_order")
    with clock.frozen(ON_SITE + timedelta(minutes=45)):
        second = do(login(world.inspector), inspection, "record_finding", {
            "kind": "ordinary_hazard", "description": "局部通风机未挂牌管理", "deadline": "2024-07-10"})
    assert second.status_code == 302
    pdf.pdf_available.cache_clear()
    monkeypatch.setattr(pdf.shutil, "which", lambda _name: None)  # this machine has no fontconfig
    try:
        client = login(world.inspector)
        page = client.get(inspection.get_absolute_url())
        assert page.status_code == 200 and "无法生成 PDF：缺少字体配置工具" in page.content.decode()
        finding = InspectionFinding.objects.get(description="局部通风机未挂牌管理")
        with clock.frozen(ON_SITE + timedelta(minutes=50)), unchanged(finding, EnforcementDocument):
            refused = do(client, inspection, "issue_order", {"findings": [finding.pk], "deadline": "2024-07-31"})
        assert refused.status_code == 200 and "无法生成 PDF：缺少字体配置工具" in refused.content.decode()
        assert EnforcementDocument.objects.filter(kind="rectification_order").count() == 1
        document = client.get(f"/enforcement/documents/{order.pk}/")
        assert "无法生成 PDF" in document.content.decode() and 'id="action-revise"' not in document.content.decode()
        assert client.get(f"/enforcement/documents/{order.pk}/pdf/?v=1").content.startswith(b"%PDF")  # as signed
    finally:
        pdf.pdf_available.cache_clear()


def test_the_inspection_page_is_english_too(world, partner, login):
    inspection = open_inspection(world, partner, login)
    client = login(world.inspector)
    client.get(inspection.get_absolute_url())  # the message of opening it, said in Chinese when it was opened
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = _text(client.get(inspection.get_absolute_url()))
    for shown in ("Pre-inspection briefing", "As of 2024-06-30 08:00; frozen on arrival", "Inspection team",
                  "Arrive on site", "Cancel the inspection"):
        assert shown in body, shown
    for chinese in ("检查前研判", "检查组", "到达现场时冻结"):
        assert chinese not in body, chinese
