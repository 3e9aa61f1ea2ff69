"""Pages of the hazard loop: ledger filters and export in the 台账 columns, the hazard page's forms,
monthly reports, closure decisions, analysis; query ceilings that do not grow with the data."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kuangan.core import clock
from kuangan.core.excel import HEADER_ROW
from kuangan.hazards import actions, rules
from kuangan.hazards.models import ClosureProposal, Hazard, HazardStandardItem, MonthlyReport
from kuangan.testing import unchanged

SH = clock.SHANGHAI
T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SH)
LEDGER_HEADERS = ["序号", "矿井名称", "隐患描述", "隐患级别", "判定依据", "排查时间", "排查单位/人员", "整改措施",
                  "整改责任人", "整改资金（万元）", "整改时限", "应急预案", "整改情况", "验收人", "验收时间", "销号时间",
                  "督办状态"]


@pytest.fixture(autouse=True)
def at_t0():
    with clock.frozen(T0):
        yield


def report(world, mine=None, code="C04-02", days_ago=0, level="major", user=None):  # type: ignore[no-untyped-def]
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code=code)
    return actions.report_hazard((mine or world.a1).pk, by=world.actor(user or world.mine_safety_officer),
                                 report=actions.HazardReport(
                                     level=level, source="self_inspection", description=f"隐患 {code} {days_ago}",
                                     found_at=T0 - timedelta(days=days_ago), found_by="安全科",
                                     standard_item_id=item.pk if level == "major" else None))


def rectify(world, h, deadline):  # type: ignore[no-untyped-def]
    return actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=rules.FiveImplementations(
        "李安全", "更换传感器", Decimal("3"), deadline, "撤人预案"))


def test_ledger_filters_overdue_and_export_has_the_ledger_columns(world, login, django_assert_max_num_queries):
    with clock.frozen(T0 - timedelta(days=39)):  # a deadline is never set before the day it is set
        late = rectify(world, report(world, days_ago=40), date(2024, 6, 1))
    rectify(world, report(world, code="C05-01", days_ago=10), date(2024, 7, 31))
    report(world, level="ordinary")
    client = login(world.inspector)
    with django_assert_max_num_queries(14):
        page = client.get("/hazards/")
    assert page.context["page"].paginator.count == 3
    overdue = client.get("/hazards/?overdue=true").context["page"]
    assert [h.pk for h in overdue] == [late.pk]
    assert client.get("/hazards/?category=C05").context["page"].paginator.count == 1
    assert client.get("/hazards/?level=ordinary").context["page"].paginator.count == 1
    bad = client.get("/hazards/?status=nonsense&found_from=yesterday")
    assert bad.status_code == 200 and "已忽略无效的筛选条件" in bad.content.decode()

    exported = client.get("/hazards/export/?level=major&sort=found_at")
    ws = load_workbook(io.BytesIO(exported.content)).active
    assert [c.value for c in ws[HEADER_ROW]] == LEDGER_HEADERS
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert len(rows) == 2
    first = dict(zip(LEDGER_HEADERS, rows[0], strict=True))
    assert first["矿井名称"] == "甲一煤矿" and first["判定依据"].startswith("C04-02")
    assert first["整改情况"] == "整改中（超期）" and first["整改资金（万元）"] == 3
    assert first["排查时间"] == datetime(2024, 5, 21, 8, 0)  # Beijing wall-clock time, as found
    assert first["整改时限"] == datetime(2024, 6, 1)
    second = dict(zip(LEDGER_HEADERS, rows[1], strict=True))
    assert second["整改情况"] == "整改中" and second["整改时限"] == datetime(2024, 7, 31)
    assert second["验收时间"] is None and second["销号时间"] is None


def test_export_times_are_beijing_times_either_side_of_midnight(world, login):
    with clock.frozen(datetime(2024, 7, 2, 9, tzinfo=SH)):
        for minute in (30, 90):  # 23:30 on June 30th and 00:30 on July 1st in Beijing: both June 30th in UTC
            at = datetime(2024, 6, 30, 15, 0, tzinfo=UTC) + timedelta(minutes=minute)
            actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer), report=actions.HazardReport(
                level="ordinary", source="self_inspection", description=f"隐患 {minute}", found_at=at, found_by="安全科"))
        exported = login(world.inspector).get("/hazards/export/?sort=found_at")
    ws = load_workbook(io.BytesIO(exported.content)).active
    found = [row[5] for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    assert found == [datetime(2024, 6, 30, 23, 30), datetime(2024, 7, 1, 0, 30)]


def test_foreign_inspector_sees_no_hazard_of_ours(world, login):
    h = report(world)
    client = login(world.foreign_inspector)
    assert client.get("/hazards/").context["page"].paginator.count == 0
    assert client.get(f"/hazards/{h.pk}/").status_code == 404
    with unchanged(h):
        assert client.post(f"/hazards/{h.pk}/do/verify_close_out/", {"approve": "1", "opinion": "x"}).status_code == 404


def test_the_page_offers_only_what_the_role_and_status_allow(world, login):
    h = report(world)
    mine_page = login(world.mine_safety_officer).get(f"/hazards/{h.pk}/").content.decode()
    assert 'id="action-start_rectification"' in mine_page and 'id="action-verify_close_out"' not in mine_page
    assert 'id="action-order_stop_production"' not in mine_page
    inspector_page = login(world.inspector).get(f"/hazards/{h.pk}/").content.decode()
    assert 'id="action-list_for_supervision"' in inspector_page
    assert 'id="action-start_rectification"' not in inspector_page


def test_a_refused_action_shows_the_reason_in_the_form(world, login):
    h = report(world)
    with unchanged(h):
        response = login(world.mine_safety_officer).post(f"/hazards/{h.pk}/do/start_rectification/",
                                                         {"responsible_person": "李安全"})
    assert response.status_code == 400
    assert "“五落实”不全，缺少：整改措施、整改资金、整改时限、应急预案" in response.content.decode()
    assert login(world.inspector).get(f"/hazards/{h.pk}/do/start_rectification/").status_code == 405


def test_report_page_validates_and_accepts_photos(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.mine_safety_officer)
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    with unchanged(Hazard):
        response = client.post("/hazards/report/", {
            "mine": world.a1.pk, "level": "major", "source": "self_inspection", "found_at": "2024-06-30T07:00",
            "found_by": "安全科", "description": "传感器未标校"})
    assert "判定依据" in response.content.decode() and response.status_code == 200
    photo = SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, content_type="image/png")
    response = client.post("/hazards/report/", {
        "mine": world.a1.pk, "level": "major", "standard_item": item.pk, "source": "self_inspection",
        "found_at": "2024-06-30T07:00", "found_by": "安全科", "description": "传感器未标校", "photos": [photo]})
    assert response.status_code == 302
    detail = client.get(response["Location"])
    assert "现场.png" in detail.content.decode()
    att = detail.context["p"].attachments[0]
    download = client.get(f"/hazards/{att.hazard_id}/attachments/{att.pk}/")
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_monthly_reports_page_lists_missing_and_lets_the_mine_head_sign(world, login):
    from django.core.management import call_command

    call_command("tick", "--at", "2024-06-06T00:00")  # May's reports are now overdue
    client = login(world.inspector)
    body = client.get("/hazards/monthly-reports/?month=2024-05").content.decode()
    assert "逾期未报" in body and "甲一煤矿" in body
    head = login(world.mine_head)
    with unchanged(MonthlyReport):
        refused = head.post("/hazards/monthly-reports/?month=2024-06", {"month": "2024-06", "is_zero": "1"})
    assert "2024-06 的报告自 2024-07-01 起方可签字报送" in refused.content.decode()  # June is not over
    response = head.post("/hazards/monthly-reports/?month=2024-05", {"month": "2024-05", "is_zero": "1"})
    assert response.status_code == 302
    may = head.get("/hazards/monthly-reports/?month=2024-05").content.decode()
    assert "零报告" in may and "迟报 25 天" in may


def test_closure_proposals_page_and_decision(world, login):
    report(world, days_ago=30)
    report(world, code="C05-01")
    proposal = ClosureProposal.objects.get()
    client = login(world.inspector)
    assert "甲一煤矿" in client.get("/hazards/closure-proposals/").content.decode()
    client.post(f"/hazards/closure-proposals/{proposal.pk}/decide/", {"accept": "1", "note": "提请县政府关闭"})
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert login(world.mine_head).get("/hazards/closure-proposals/").status_code == 403


def test_analysis_and_home_page_show_the_stock_targets(world, login, django_assert_max_num_queries):
    with clock.frozen(datetime(2023, 12, 1, tzinfo=SH)):
        old = actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer), report=actions.HazardReport(
            level="major", source="self_inspection", description="2023 年的存量隐患",
            found_at=datetime(2023, 11, 30, tzinfo=SH), found_by="安全科",
            standard_item_id=HazardStandardItem.objects.get(standard__code="coal-2020", code="C09-01").pk))
    assert old.pk
    report(world)
    client = login(world.inspector)
    with django_assert_max_num_queries(27):  # 25, and the people underground and the open leads (issue 20)
        home = client.get("/")
    targets = home.context["targets"]
    assert (targets.open_major, targets.stock_open, targets.new_this_year) == (2, 1, 1)
    analysis = client.get("/hazards/analysis/")
    charts = analysis.context["charts"]
    assert dict(charts["source"]) == {"矿长带队月度自查": 2}
    assert [m for m, n in charts["month"] if n] == ["2023-11", "2024-06"]
    assert len(charts["month"]) == 8  # the months between show as 0, not as a gap in the axis


def test_standards_page_lists_the_catalog(world, login):
    body = login(world.mine_head).get("/hazards/standards/").content.decode()
    assert "C04-02" in body and "C15-11" in body and "矿安〔2022〕88号" in body


def test_the_mine_dossier_shows_repeats_and_closure_proposals(world, login):
    report(world, days_ago=100)
    report(world)  # the same item within 12 months: a repeat
    report(world, code="C05-01")  # two majors within 90 days at an unlicensed producing mine: a proposal
    client = login(world.inspector)
    dossier = client.get(f"/registry/mines/{world.a1.pk}/").content.decode()
    assert f'href="/hazards/mine/{world.a1.pk}/"' in dossier  # the tab the hazards app adds
    body = client.get(f"/hazards/mine/{world.a1.pk}/").content.decode()
    assert 'id="mine-repeats"' in body and 'id="mine-proposals"' in body
    assert "C04-02" in body
    assert login(world.foreign_inspector).get(f"/hazards/mine/{world.a1.pk}/").status_code == 404
