"""Pages of monitoring: the alarm list (filters, polling fragment, export), an alarm's page (evidence,
chart, role-aware forms, POST-only actions), planned windows, received files, the dossier's tab and
the home page; 404 for foreign personas; query ceilings."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.apps import apps
from django.test import Client
from openpyxl import load_workbook

from kuangan.core import clock
from kuangan.core.excel import HEADER_ROW
from kuangan.engine.formats import Upload
from kuangan.hazards.models import Hazard
from kuangan.monitoring import actions
from kuangan.monitoring.choices import GAS_RESPONSE, AlarmAction, WindowKind
from kuangan.monitoring.filters import AlarmFilter, UploadFilter, WindowFilter
from kuangan.monitoring.ingest import ingest
from kuangan.monitoring.models import Alarm, PlannedWindow
from kuangan.monitoring.models import Upload as UploadRow
from kuangan.testing import unchanged

from .alarm_data import (
    A1,
    UPPER_CORNER_CH4,
    UPPER_CORNER_CO,
    at,
    aware,
    edit_definitions,
    files,
    ingest_between,
    over_limit,
)

NOW = aware(at(9, 5))
EXPORT_HEADERS = ["序号", "矿井名称", "所属县（区）", "报警类型", "严重程度", "测点或对象编码", "安装位置", "开始时间",
                  "结束时间", "持续时长", "极值", "状态", "确认", "确认时间", "处置人", "计划作业", "处置措施"]
FULL_CHECKLIST = [key for key, _label in GAS_RESPONSE]


@pytest.fixture(autouse=True)
def monitoring_dir(settings, tmp_path):
    settings.MONITORING_DIR = tmp_path / "monitoring"


@pytest.fixture
def alarms(world):  # type: ignore[no-untyped-def]
    """An hour of mine A1: a methane over-limit 08:20-08:30 (1.8 %), a CO over-limit 08:50-08:55, and a
    methane over-limit from 08:58 still going at 09:00 at the working face itself; the clock stands at 09:05."""
    face_ch4 = "141129000101MN000100100006"
    ingest_between(at(8), at(9), [over_limit(at(8, 20), 10, peak=1.8),
                                  over_limit(at(8, 50), 5, point=UPPER_CORNER_CO, peak=50),
                                  over_limit(at(8, 58), 30, point=face_ch4, peak=1.3)])
    with clock.frozen(NOW):
        yield {"gas": Alarm.objects.get(point_code=UPPER_CORNER_CH4),
               "co": Alarm.objects.get(point_code=UPPER_CORNER_CO),
               "active": Alarm.objects.get(point_code=face_ch4)}


def test_alarm_list_shows_the_alarms_in_scope_and_filters_them(world, alarms, login, django_assert_max_num_queries):
    client = login(world.inspector)
    with django_assert_max_num_queries(12):
        response = client.get("/monitoring/alarms/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲一煤矿" in body and "超限报警" in body and "1303综采工作面上隅角" in body
    assert "2024-06-01 08:20:00" in body and "2024-06-01 08:30:00" in body  # Beijing time, to the second
    assert response.context["page"].paginator.count == 3
    assert client.get("/monitoring/alarms/?active=true").context["page"].paginator.count == 1
    assert client.get("/monitoring/alarms/?active=false").context["page"].paginator.count == 2
    assert client.get(f"/monitoring/alarms/?mine={world.a2.pk}").context["page"].paginator.count == 0
    assert client.get("/monitoring/alarms/?division=141129").context["page"].paginator.count == 3
    assert client.get("/monitoring/alarms/?division=141181").context["page"].paginator.count == 0
    assert client.get("/monitoring/alarms/?q=上隅角&severity=2").context["page"].paginator.count == 2
    assert client.get("/monitoring/alarms/?start_from=2024-06-02").context["page"].paginator.count == 0
    actions.acknowledge_alarm(alarms["gas"].pk, by=world.actor(world.inspector))
    assert client.get("/monitoring/alarms/?acknowledged=false").context["page"].paginator.count == 2
    assert client.get("/monitoring/alarms/?planned=true").context["page"].paginator.count == 0
    sorted_page = client.get("/monitoring/alarms/?sort=start").context["page"]
    assert [a.point_code for a in sorted_page][0] == UPPER_CORNER_CH4
    bad = client.get("/monitoring/alarms/?kind=nonsense&start_from=yesterday&severity=9")
    assert bad.status_code == 200 and "已忽略无效的筛选条件：类型、严重程度、开始日期（起）" in bad.content.decode()


def test_the_list_polls_itself_and_htmx_gets_only_the_rows(world, alarms, login, settings):
    client = login(world.inspector)
    page = client.get("/monitoring/alarms/?kind=over_limit").content.decode()
    assert 'hx-trigger="every 10s"' in page and 'hx-get="/monitoring/alarms/?kind=over_limit&amp;page=1"' in page
    assert "<html" in page and 'id="alarm-filters"' in page
    fragment = client.get("/monitoring/alarms/?kind=over_limit", HTTP_HX_REQUEST="true")
    assert "HX-Request" in fragment["Vary"]
    rows = fragment.content.decode()
    assert "<html" not in rows and 'id="alarm-filters"' not in rows
    assert rows.lstrip().startswith('<div id="alarm-table"') and 'hx-trigger="every 10s"' in rows
    # the active, unacknowledged alarm is highlighted; cleared ones are not
    assert f'id="alarm-{alarms["active"].pk}" class="alarm-new"' in rows
    assert f'id="alarm-{alarms["gas"].pk}" class=""' in rows
    assert "3 条报警未确认" in rows  # the active one and the two cleared ones nobody acknowledged
    for alarm in alarms.values():
        actions.acknowledge_alarm(alarm.pk, by=world.actor(world.mine_dispatcher))
    rows = client.get("/monitoring/alarms/", HTTP_HX_REQUEST="true").content.decode()
    assert "alarm-new" not in rows and "没有未确认的报警" in rows
    settings.MONITORING_POLL_SECONDS = 2
    assert 'hx-trigger="every 2s"' in client.get("/monitoring/alarms/").content.decode()


def test_export_has_the_ledger_columns_in_beijing_time(world, alarms, login):
    actions.acknowledge_alarm(alarms["gas"].pk, by=world.actor(world.inspector))
    exported = login(world.inspector).get("/monitoring/alarms/export/?sort=start")
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(exported.content)).active
    assert [c.value for c in ws[HEADER_ROW]] == EXPORT_HEADERS
    rows = [dict(zip(EXPORT_HEADERS, r, strict=True))
            for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    assert len(rows) == 3
    first = rows[0]
    assert (first["矿井名称"], first["所属县（区）"], first["报警类型"], first["严重程度"]) == (
        "甲一煤矿", "中阳县", "超限报警", "严重")
    assert (first["测点或对象编码"], first["安装位置"]) == (UPPER_CORNER_CH4, "1303综采工作面上隅角")
    assert (first["开始时间"], first["结束时间"], first["持续时长"]) == (
        "2024-06-01 08:20:00", "2024-06-01 08:30:00", "10 分")
    assert (first["极值"], first["状态"], first["确认"]) == ("1.8%", "已解除", "已确认 王检查")
    assert rows[2]["状态"] == "报警中" and rows[2]["结束时间"] is None
    foreign = login(world.foreign_inspector).get("/monitoring/alarms/export/")
    assert len(list(load_workbook(io.BytesIO(foreign.content)).active.iter_rows(min_row=HEADER_ROW + 1))) == 0


def test_the_alarm_page_shows_evidence_chart_and_history(world, alarms, login, django_assert_max_num_queries):
    gas = alarms["gas"]
    client = login(world.inspector)
    with django_assert_max_num_queries(25):
        response = client.get(f"/monitoring/alarms/{gas.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("超限报警", "甲一煤矿", UPPER_CORNER_CH4, "1303综采工作面上隅角", "2024-06-01 08:20:00",
                 "2024-06-01 08:30:00", "10 分", "1.8%", "甲烷", "超上限", "报警值", "1.0%", "解报值",
                 "报警产生", "报警解除", "vendor/echarts/echarts.min.js"):
        assert text in body, text
    chart = json.loads(response.context["chart"] and json.dumps(response.context["chart"]))
    assert chart["threshold"] == 1.0 and chart["start"] == "2024-06-01 07:20:00"
    assert chart["end"] == "2024-06-01 09:30:00" and chart["alarm_start"] == "2024-06-01 08:20:00"
    times = [t for t, _v in chart["values"]]
    assert times[0] >= "2024-06-01 08:00:00" and times[-1] < "2024-06-01 09:00:00"
    assert max(v for _t, v in chart["values"]) == pytest.approx(1.8)
    assert 'id="chart-data"' in body and 'id="alarm-chart"' in body


def test_mine_level_evidence_is_readable(world, login):
    """A silent mine: the page names the file types that stopped coming, in words."""
    ingest_between(at(8), at(8, 30))
    with clock.frozen(aware(at(9))):
        ingest([], source="replay", now=aware(at(9)), by=world.actor(world.inspector))
    silent = Alarm.objects.get(kind="mine_silent")
    body = login(world.inspector).get(f"/monitoring/alarms/{silent.pk}/").content.decode()
    assert "断线（数据未上传）" in body and "CDSS（实时数据）" in body and "（全矿）" in body
    assert 'id="alarm-chart-card"' not in body


def test_forms_follow_the_role(world, alarms, login):
    url = f"/monitoring/alarms/{alarms['gas'].pk}/"
    inspector = login(world.inspector).get(url).content.decode()
    for name in ("acknowledge", "assign", "dispose", "hazard"):
        assert f'id="action-{name}"' in inspector
    assert "瓦斯超限报警须逐项落实" in inspector and "撤出人员" in inspector
    dispatcher = login(world.mine_dispatcher).get(url).content.decode()
    assert 'id="action-dispose"' in dispatcher and 'id="action-hazard"' not in dispatcher
    auditor = login(world.auditor).get(url).content.decode()
    assert "action-" not in auditor and "超限报警" in auditor
    assignees = login(world.inspector).get(url).context["forms"]["assign"].fields["assignee"].queryset
    assert set(assignees) == {world.inspector, world.county_admin, world.city_inspector, world.mine_head,
                              world.mine_safety_officer, world.mine_dispatcher}


def test_acknowledge_and_dispose_through_the_page(world, alarms, login):
    gas = alarms["gas"]
    client = login(world.inspector)
    response = client.post(f"/monitoring/alarms/{gas.pk}/acknowledge/", {"note": "已通知矿调度"})
    assert response.status_code == 302 and response["Location"] == f"/monitoring/alarms/{gas.pk}/"
    again = client.post(f"/monitoring/alarms/{gas.pk}/acknowledge/", {"note": ""})
    assert again.status_code == 400 and "该报警已由 王检查 确认" in again.content.decode()
    assert 'id="action-acknowledge"' not in client.get(f"/monitoring/alarms/{gas.pk}/").content.decode()

    refused = client.post(f"/monitoring/alarms/{gas.pk}/dispose/", {
        "cause": "上隅角瓦斯积聚", "measures": "加强通风", "checklist": ["stop_work", "withdraw"]})
    assert refused.status_code == 400
    assert "瓦斯超限须落实“两停一撤六查”，尚未落实：停电（切断非本安电源）、查通风系统" in refused.content.decode()
    empty = client.post(f"/monitoring/alarms/{gas.pk}/dispose/", {"cause": "", "measures": ""})
    assert empty.status_code == 400 and "这个字段是必填项" in empty.content.decode()
    done = client.post(f"/monitoring/alarms/{gas.pk}/dispose/", {
        "cause": "上隅角瓦斯积聚", "measures": "停电撤人，加强通风", "checklist": FULL_CHECKLIST})
    assert done.status_code == 302
    body = client.get(f"/monitoring/alarms/{gas.pk}/").content.decode()
    assert 'id="disposal"' in body and "停电撤人，加强通风" in body and "☑ 撤出人员" in body
    assert 'id="action-dispose"' not in body
    assert [t.action for t in gas.transitions.all()] == [
        AlarmAction.RAISED, AlarmAction.CLEARED, AlarmAction.ACKNOWLEDGED, AlarmAction.DISPOSED]


def test_assign_and_report_a_hazard_through_the_page(world, alarms, login):
    gas = alarms["gas"]
    client = login(world.inspector)
    assert client.post(f"/monitoring/alarms/{gas.pk}/assign/",
                       {"assignee": world.foreign_mine_head.pk}).status_code == 400
    assert client.post(f"/monitoring/alarms/{gas.pk}/assign/", {"assignee": "x"}).status_code == 400
    assert client.post(f"/monitoring/alarms/{gas.pk}/assign/",
                       {"assignee": world.mine_safety_officer.pk}).status_code == 302
    description = client.get(f"/monitoring/alarms/{gas.pk}/").context["forms"]["hazard"].initial["description"]
    assert description.startswith("监测预警：1303综采工作面上隅角 超限报警，开始于 2024-06-01 08:20:00，极值 1.8%")
    major = client.post(f"/monitoring/alarms/{gas.pk}/hazard/", {"level": "major", "description": description})
    assert major.status_code == 400 and "重大事故隐患须选择判定依据" in major.content.decode()
    response = client.post(f"/monitoring/alarms/{gas.pk}/hazard/", {
        "level": "ordinary", "description": description, "place": "1303综采工作面上隅角"})
    assert response.status_code == 302
    gas.refresh_from_db()
    hazard = Hazard.objects.get()
    assert gas.hazard == hazard and hazard.source == "monitoring_lead" and hazard.found_at == gas.start
    assert gas.assignee == world.mine_safety_officer
    body = client.get(f"/monitoring/alarms/{gas.pk}/").content.decode()
    assert 'id="alarm-hazard"' in body and 'id="action-hazard"' not in body


def test_action_urls_are_post_only_and_csrf_protected(world, alarms, login):
    pk = alarms["gas"].pk
    client = login(world.inspector)
    for action in ("acknowledge", "assign", "dispose", "hazard"):
        assert client.get(f"/monitoring/alarms/{pk}/{action}/").status_code == 405
    assert login(world.mine_head).get("/monitoring/windows/declare/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.inspector)
    with unchanged(alarms["gas"]):
        assert strict.post(f"/monitoring/alarms/{pk}/acknowledge/", {"note": ""}).status_code == 403
    assert Alarm.objects.get(pk=pk).acknowledged_at is None


@pytest.mark.parametrize("persona", ["foreign_inspector", "foreign_mine_head"])
def test_foreign_personas_get_404(world, alarms, login, persona):
    client = login(getattr(world, persona))
    pk = alarms["gas"].pk
    assert client.get("/monitoring/alarms/").context["page"].paginator.count == 0
    assert client.get(f"/monitoring/alarms/{pk}/").status_code == 404
    for action in ("acknowledge", "assign", "dispose", "hazard"):
        with unchanged(alarms["gas"], Hazard):
            assert client.post(f"/monitoring/alarms/{pk}/{action}/", {
                "note": "", "assignee": world.inspector.pk, "cause": "x", "measures": "y",
                "checklist": FULL_CHECKLIST, "level": "ordinary", "description": "x"}).status_code == 404
    assert client.get(f"/monitoring/mine/{world.a1.pk}/").status_code == 404
    upload = UploadRow.objects.filter(mine=world.a1).first()
    assert upload is not None and client.get(f"/monitoring/uploads/{upload.pk}/").status_code == 404
    assert client.get("/monitoring/uploads/").context["page"].paginator.count == 0
    gas = Alarm.objects.get(pk=pk)
    assert (gas.acknowledged_at, gas.assignee, gas.hazard) == (None, None, None)


def test_planned_windows_page_declares_and_lists(world, login):
    head = login(world.mine_head)
    page = head.get("/monitoring/windows/")
    assert page.status_code == 200 and 'id="declare-window"' in page.content.decode()
    assert page.context["form"].initial["mine"] == world.a1.pk  # a mine's people declare for their mine
    with clock.frozen(aware(at(7))):
        with unchanged(PlannedWindow):
            retroactive = head.post("/monitoring/windows/declare/", {
                "mine": world.a1.pk, "kind": WindowKind.CALIBRATION, "start": "2024-06-01T06:00",
                "end": "2024-06-01T08:00", "points": "", "reason": "调校"})
        assert retroactive.status_code == 400
        assert "开始时间不得早于申报时间（2024-06-01 07:00:00）" in retroactive.content.decode()
        assert retroactive.context["form"].errors["start"]
        with unchanged(PlannedWindow):
            other_mine = head.post("/monitoring/windows/declare/", {
                "mine": world.b1.pk, "kind": WindowKind.CALIBRATION, "start": "2024-06-01T08:00",
                "end": "2024-06-01T09:00", "reason": "调校"})
        assert other_mine.status_code == 400 and not PlannedWindow.objects.exists()
        ok = head.post("/monitoring/windows/declare/", {
            "mine": world.a1.pk, "kind": WindowKind.CALIBRATION, "start": "2024-06-01T08:15",
            "end": "2024-06-01T08:45", "points": UPPER_CORNER_CH4, "reason": "甲烷传感器每旬调校"})
    assert ok.status_code == 302
    window = PlannedWindow.objects.get()
    assert window.start == aware(at(8, 15)) and window.point_codes() == [UPPER_CORNER_CH4]
    inspector = login(world.inspector).get("/monitoring/windows/")
    body = inspector.content.decode()
    assert "甲烷传感器每旬调校" in body and "2024-06-01 08:15" in body and 'id="declare-window"' not in body
    with unchanged(PlannedWindow):
        assert login(world.inspector).post("/monitoring/windows/declare/", {}).status_code == 403
    assert "甲烷传感器每旬调校" not in login(world.foreign_mine_head).get("/monitoring/windows/").content.decode()


def test_uploads_page_shows_quarantined_files_and_rejected_records(world, login):
    uploads = files(at(8), at(8, 5))
    bad_record = Upload("1411290001_CDSS_20240601090010.txt", (
        "1411290001;甲一煤矿;2024-06-01 09:00:10~"
        f"{UPPER_CORNER_CH4};甲烷;1303综采工作面上隅角;abc;%;0;2024-06-01 09:00:05~"
        f"{UPPER_CORNER_CH4};甲烷;1303综采工作面上隅角;0.31;%;0;2024-06-01 09:00:05~||").encode())
    unknown_type = Upload("1411290001_XXXX_20240601090040.txt", b"garbage")
    with clock.frozen(aware(at(9, 1))):
        ingest([*uploads, bad_record, unknown_type], source="api", by=world.actor(world.inspector))
    client = login(world.mine_head)
    page = client.get("/monitoring/uploads/")
    assert page.status_code == 200 and page.context["page"].paginator.count == len(uploads) + 2
    quarantined = client.get("/monitoring/uploads/?status=quarantined")
    assert [u.name for u in quarantined.context["page"]] == [unknown_type.name]
    assert "未知的文件类型 XXXX" in quarantined.content.decode()
    assert client.get("/monitoring/uploads/?file_type=cddy").context["page"].paginator.count == 1
    with_rejects = client.get("/monitoring/uploads/?rejected=true").context["page"]
    assert [u.name for u in with_rejects] == [bad_record.name]
    detail = client.get(f"/monitoring/uploads/{with_rejects[0].pk}/").content.decode()
    assert "数值无法识别：abc" in detail and "1303综采工作面上隅角;abc" in detail
    assert login(world.inspector).get("/monitoring/uploads/?status=quarantined").context[
        "page"].paginator.count == 1


def test_the_dossier_tab_shows_points_online_rate_findings_and_open_alarms(world, login,
                                                                           django_assert_max_num_queries):
    face_ch4 = "141129000101MN000100100006"
    misconfigured = edit_definitions(files(at(8), at(9), [over_limit(at(8, 58), 30, point=face_ch4, peak=1.3)]),
                                     UPPER_CORNER_CH4, upper_alarm="1.20", upper_alarm_clear="1.20")
    misconfigured = edit_definitions(misconfigured, face_ch4, relations="")
    with clock.frozen(aware(at(9))):
        ingest(misconfigured, source="replay", by=world.actor(world.inspector))
    client = login(world.inspector)
    assert f'href="/monitoring/mine/{world.a1.pk}/"' in client.get(
        f"/registry/mines/{world.a1.pk}/").content.decode()  # the tab the monitoring app adds
    with clock.frozen(NOW), django_assert_max_num_queries(15):
        response = client.get(f"/monitoring/mine/{world.a1.pk}/")
    assert response.status_code == 200
    m = response.context["m"]
    assert len(m.points) == 40
    online = {d.day.isoformat(): (d.received, d.expected) for d in m.online}
    assert len(online) == 7 and online["2024-05-31"] == (0, 2880)
    assert online["2024-06-01"] == (120, (9 * 3600 + 5 * 60) // 30)  # 08:00-09:00 received, by 09:05
    messages = [f.message for fs in m.findings.values() for f in fs]
    assert messages == [
        "工作面甲烷传感器（1303综采工作面上隅角）的上限报警值为 1.2%，高于规定的 1.0%。",
        "甲烷传感器（1303综采工作面）设置了断电值 1.5%，但未定义断电关联关系（D），无法核查断电与馈电。"]
    assert [a.point_code for a in m.open_alarms] == [face_ch4]
    body = response.content.decode()
    assert "11.0%" in body and "1303综采工作面上隅角" in body and 'id="config-findings"' in body


def test_home_page_shows_todays_alarms_and_silent_mines(world, alarms, login, django_assert_max_num_queries):
    client = login(world.inspector)
    with django_assert_max_num_queries(30):
        home = client.get("/")
    overview = home.context["alarms"]
    assert overview.today_total == 3 and overview.today_by_kind == [("over_limit", "超限报警", 3)]
    # cleared alarms nobody acknowledged count too; the one still going comes first
    assert overview.unacknowledged_count == 3 and overview.unacknowledged[0] == alarms["active"]
    assert set(overview.unacknowledged) == set(alarms.values())
    assert overview.silent == []
    body = home.content.decode()
    assert "今日报警 3 条" in body and "未确认的报警 3 条" in body and 'id="home-silent"' in body
    mine = login(world.mine_dispatcher).get("/").context["alarms"]
    assert mine.today_total == 3 and mine.unacknowledged[0] == alarms["active"]
    foreign = login(world.foreign_inspector).get("/").context["alarms"]
    assert foreign.today_total == 0 and foreign.unacknowledged == []
    with clock.frozen(aware(at(9, 5)).replace(day=2)):
        assert login(world.inspector).get("/").context["alarms"].today_total == 0  # yesterday's are not today's


def test_silent_mines_on_the_home_page(world, login):
    ingest_between(at(8), at(8, 30))
    with clock.frozen(aware(at(9))):
        ingest([], source="replay", now=aware(at(9)), by=world.actor(world.inspector))
        overview = login(world.inspector).get("/").context["alarms"]
    assert [a.mine for a in overview.silent] == [world.a1]
    assert A1 == world.a1.code


def test_the_admin_shows_monitoring_read_only(world, alarms, client):
    from kuangan.testing import make_user

    operator = make_user("operator", None, "", is_staff=True, is_superuser=True)
    client.force_login(operator)
    for model in ("alarm", "upload", "monitoringpoint", "plannedwindow", "alarmdisposal", "enginesnapshot"):
        listing = client.get(f"/admin/monitoring/{model}/")
        shown = str(apps.get_model("monitoring", model)._meta.verbose_name_plural)
        assert listing.status_code == 200 and shown in listing.content.decode(), model
    gas = client.get(f"/admin/monitoring/alarm/{alarms['gas'].pk}/change/")
    assert gas.status_code == 200 and alarms["gas"].point_code in gas.content.decode()
    assert client.get("/admin/monitoring/alarm/add/").status_code == 403
    with unchanged(alarms["gas"]):
        assert client.post(f"/admin/monitoring/alarm/{alarms['gas'].pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("url,form_id,schema", [
    ("/monitoring/alarms/", "alarm-filters", AlarmFilter), ("/monitoring/uploads/", "upload-filters", UploadFilter),
    ("/monitoring/windows/", "window-filters", WindowFilter)])
def test_every_filter_of_the_schema_is_on_the_page(world, login, url, form_id, schema):
    """The page's filter form and the filter schema (shared with the export) name the same fields."""
    body = login(world.inspector).get(url).content.decode()
    form = body[body.index(f'id="{form_id}"'):]
    form = form[:form.index("</form>")]
    assert set(re.findall(r'name="(\w+)"', form)) == set(schema.model_fields)
