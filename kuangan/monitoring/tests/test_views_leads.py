"""The lead ledger and a lead's page (R4.7): filters, sort, paging and Excel for LEAD_VIEW holders; the evidence of
each kind in words (qualifying days, power against its baseline or why there is none, output against capacity,
a seal's sightings) with its chart and the area's mapping changes since the pattern began; review, dismiss,
hazard (C15-05 / C01-01 preselected) and inspection; the mine, its enterprise and a foreign county see nothing
(404), the auditor reads but cannot act. A hidden working face comes from ingested RYSS files, the other kinds
from engine episodes through `apply_leads`."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import polars as pl
import pytest
from openpyxl import load_workbook

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.excel import HEADER_ROW
from kuangan.core.models import AuditEvent
from kuangan.enforcement.models import Inspection
from kuangan.engine.formats import Upload
from kuangan.engine.pipeline import REJUDGED_MINES
from kuangan.engine.schema import EPISODES
from kuangan.hazards.choices import HazardSource
from kuangan.hazards.models import Hazard, HazardStandardItem
from kuangan.monitoring import actions
from kuangan.monitoring.choices import LeadKind, LeadStatus
from kuangan.monitoring.filters import LeadFilter
from kuangan.monitoring.leads import apply_leads
from kuangan.monitoring.models import Lead, PositioningArea
from kuangan.testing import assert_audited, make_user, unchanged

from .test_views_personnel import (
    A1,
    area,
    as_user,
    at,
    aware,
    card,
    hidden_face_days,
    ingest_files,
    monitoring_dir,  # noqa: F401  (the autouse fixture: a Parquet store of each test's own)
    ryqy,
    ryxx,
    section,
    text,
)

NOW = at(15, day=2)  # 2024-06-05 15:00, Beijing: the third day of the hidden face's pattern is judged
A2, B1 = "1411290002", "1411810001"
POWER = {"day": "2024-06-04", "kwh": 5200.0, "status": "suspended_for_rectification", "baseline_kwh": 12480.0,
         "baseline_days": 30, "share_pct": 41.7, "night_peak_kwh": 96.5, "baseline_night_peak_kwh": 140.0,
         "night_share_pct": 68.9, "limit_share_pct": 30.0, "limit_night_share_pct": 50.0}
CAPACITY = {"at": "2024-06-04 23:50:00", "month": "2024-06", "month_tonnes": 95040.0, "month_share_pct": 10.56,
            "month_over": True, "year": 2024, "year_tonnes": 412000.0, "year_share_pct": 45.78, "year_over": False,
            "capacity": 90.0, "limit_month_share_pct": 10.0, "limit_year_share_pct": 110.0,
            "counters": [{"point_code": "141129000101MN300100100001", "unit": "吨", "unit_known": True}],
            "units_assumed": False}
SEAL = {"seal": "1411290002S01", "place": "主斜井井口", "events": ["人员靠近", "车辆进入"], "first": "2024-06-04 01:10:00",
        "last": "2024-06-04 01:40:00", "sightings": 3, "people_max": 2, "vehicles_max": 1,
        "status": "suspended_for_rectification"}


def episodes(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([{"point_code": None, "end": None, "void": False, **r,
                          "evidence": json.dumps(r["evidence"], ensure_ascii=False)} for r in rows], schema=EPISODES)


def ydsj(days: range) -> Upload:
    """A1's main meter, one record a day (12,000 kWh on producing days), as kuangan's CSV has it."""
    lines = ["电表编码,开始时间,结束时间,用电量(kWh)"]
    for d in days:
        lines.append(f"{A1}M01,{at(0, day=d):%Y-%m-%d %H:%M:%S},{at(0, day=d + 1):%Y-%m-%d %H:%M:%S},"
                     f"{12000 + 100 * (d % 5)}")
    return Upload(f"{A1}_YDSJ_{at(1, day=days[-1] + 1):%Y%m%d%H%M%S}.csv", "\n".join(lines).encode("utf-8"))


@pytest.fixture
def leads(world) -> dict[str, Lead]:  # type: ignore[no-untyped-def]
    """A1: a hidden working face from its positioning files (four people, five hours a day, three days, in an
    area no RYQY defines), which the mine then maps as a roadway; power use and output leads; A2: a seal's
    sightings; B1 (the foreign county's): a power lead of its own."""
    ingest_files([ryxx(at(0)), ryqy(at(0)), *hidden_face_days((0, 1, 2))], at(14, day=2))
    ingest_files([ydsj(range(-10, 2))], at(2, day=2))
    hidden = Lead.objects.get(kind=LeadKind.HIDDEN_WORKING_FACE)
    with clock.frozen(aware(at(14, 30, day=2))):
        actions.map_positioning_area(PositioningArea.objects.get(code=area(7)).pk, by=world.actor(world.mine_head),
                                     mapping=actions.AreaMapping("roadway", None, "运输联络巷"))
    mines = {A1: world.a1, A2: world.a2, B1: world.b1}
    with clock.frozen(aware(at(14, 40, day=2))):
        apply_leads(episodes(
            {"mine_code": A1, "kind": LeadKind.POWER_USE_WHILE_SUSPENDED, "start": at(0, day=1), "peak": 41.7,
             "evidence": POWER},
            {"mine_code": A1, "kind": LeadKind.OVER_CAPACITY, "start": at(23, 50, day=1), "peak": 95040.0,
             "evidence": CAPACITY},
            {"mine_code": A2, "point_code": "1411290002S01", "kind": LeadKind.SEAL_ACTIVITY_WHILE_SUSPENDED,
             "start": at(1, 10, day=1), "end": at(1, 40, day=1), "peak": 3.0, "evidence": SEAL},
            {"mine_code": B1, "kind": LeadKind.POWER_USE_WHILE_SUSPENDED, "start": at(0, day=1), "peak": 55.0,
             "evidence": {**POWER, "share_pct": 55.0}},
        ), mines, by=Actor.system(Via.INGEST))
    with clock.frozen(aware(NOW)):
        yield {"hidden": hidden, "power": Lead.objects.get(mine=world.a1, kind=LeadKind.POWER_USE_WHILE_SUSPENDED),
               "capacity": Lead.objects.get(kind=LeadKind.OVER_CAPACITY),
               "seal": Lead.objects.get(kind=LeadKind.SEAL_ACTIVITY_WHILE_SUSPENDED),
               "foreign": Lead.objects.get(mine=world.b1)}


def test_the_ledger_filters_sorts_and_exports_the_leads_in_scope(world, leads, login, django_assert_max_num_queries):
    client = login(world.inspector)
    with django_assert_max_num_queries(12):  # 11 today
        response = client.get("/monitoring/leads/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 4  # not the foreign county's
    rows = section(response, "lead-ledger")
    assert "甲一煤矿 中阳县 疑似隐蔽工作面 14112900010007 新线索 2024-06-03 08:00:00 信号持续 4 人 2024-06-05 14:00:00 — —" in rows
    assert "甲一煤矿 中阳县 停产期间用电异常 全矿 新线索 2024-06-04 00:00:00 信号持续 41.7%" in rows
    assert "甲二煤矿 中阳县 停产期间密闭处有人员车辆活动 密闭 1411290002S01（主斜井井口） 新线索 2024-06-04 01:10:00 2024-06-04 01:40:00 3 次" in rows
    assert "95040 吨" in rows and "乙一煤矿" not in rows

    def count(query: str) -> int:
        return int(client.get("/monitoring/leads/?" + query).context["page"].paginator.count)

    assert count("kind=over_capacity") == 1 and count(f"mine={world.a2.pk}") == 1
    assert count("division=141129") == 4 and count("division=141181") == 0
    assert count("start_from=2024-06-04") == 3 and count("start_to=2024-06-03") == 1
    assert count("status=new") == 4 and count("open=false") == 0
    by_mine = client.get("/monitoring/leads/?sort=mine").context["page"].object_list
    assert [lead.mine.name for lead in by_mine][-1] == "甲二煤矿"
    by_peak = client.get("/monitoring/leads/?sort=-peak").context["page"].object_list
    assert by_peak[0] == leads["capacity"]
    bad = client.get("/monitoring/leads/?kind=teleport&start_from=2024-13-01")
    assert "已忽略无效的筛选条件：线索类型、开始日期（起）" in text(bad) and bad.context["page"].paginator.count == 4
    export = client.get("/monitoring/leads/export/?kind=hidden_working_face")
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == ["序号", "矿井名称", "所属县（区）", "线索类型", "对象", "状态", "开始时间", "信号停止", "峰值", "发现时间",
                      "研判人", "处理结果"]
    row = [c.value for c in sheet[HEADER_ROW + 1]]
    assert row[:9] == [1, "甲一煤矿", "中阳县", "疑似隐蔽工作面", area(7), "新线索", "2024-06-03 08:00:00", "信号持续",
                       "4 人"]
    assert sheet.max_row == HEADER_ROW + 1
    download = AuditEvent.objects.filter(verb="core.export.downloaded", actor=world.inspector).get()
    assert download.after == {"file": "违法生产线索台账-20240605.xlsx", "rows": 1}


def test_the_ledger_pages_fifty_at_a_time(world, leads, login, django_assert_max_num_queries):
    apply_leads(episodes(*[{"mine_code": A2, "point_code": f"1411290002S{n:02d}", "start": at(2, n, day=1), "peak": 1.0,
                            "kind": LeadKind.SEAL_ACTIVITY_WHILE_SUSPENDED, "evidence": SEAL} for n in range(2, 52)]),
                {A2: world.a2}, by=Actor.system(Via.INGEST))
    client = login(world.inspector)
    with django_assert_max_num_queries(12):  # as with four leads: the rows add no queries
        first = client.get("/monitoring/leads/")
    assert len(first.context["rows"]) == 50 and "第 1 / 2 页，共 54 条" in text(first)
    assert len(client.get("/monitoring/leads/?page=2").context["rows"]) == 4


def test_the_mine_its_enterprise_and_a_foreign_county_see_no_lead(world, leads, login):
    hidden = leads["hidden"]
    for user in (world.mine_head, world.mine_safety_officer, world.group_manager, world.county_admin):
        client = as_user(user)
        for url in ("/monitoring/leads/", "/monitoring/leads/export/", hidden.get_absolute_url()):
            assert client.get(url).status_code == 404, (user, url)
        with unchanged(hidden):
            assert client.post(hidden.get_absolute_url() + "review/").status_code == 404, user
        home = client.get("/")
        assert "线索" not in text(home) and "隐蔽" not in text(home), user
        assert "违法生产线索" not in text(client.get(f"/monitoring/mine/{world.a1.pk}/personnel/")), user
    foreign = as_user(world.foreign_inspector)
    ledger = foreign.get("/monitoring/leads/")
    assert ledger.status_code == 200 and [r[0] for r in ledger.context["rows"]] == [leads["foreign"]]
    assert foreign.get(hidden.get_absolute_url()).status_code == 404
    with unchanged(hidden):
        assert foreign.post(hidden.get_absolute_url() + "dismiss/", {"reason": "x"}).status_code == 404
    assert as_user(world.inspector).get(leads["foreign"].get_absolute_url()).status_code == 404
    hidden.refresh_from_db()
    assert hidden.status == LeadStatus.NEW and hidden.dismissed_reason == ""


def test_the_auditor_reads_but_cannot_act(world, leads, login):
    client = as_user(world.auditor)
    lead = leads["hidden"]
    page = client.get(lead.get_absolute_url())
    assert page.status_code == 200 and "疑似隐蔽工作面" in text(page) and not page.context["forms"]
    assert 'id="lead-open-inspection"' not in page.content.decode()
    assert client.get("/monitoring/leads/").context["page"].paginator.count == 4
    with unchanged(lead, Hazard):
        assert client.post(lead.get_absolute_url() + "review/", {"note": "x"}).status_code == 403
        assert client.post(lead.get_absolute_url() + "dismiss/", {"reason": "x"}).status_code == 403
        assert client.post(lead.get_absolute_url() + "hazard/", {"level": "ordinary",
                                                                "description": "x"}).status_code == 403
    lead.refresh_from_db()
    assert (lead.status, lead.reviewer, lead.hazard) == (LeadStatus.NEW, None, None)


def test_a_hidden_working_face_shows_its_qualifying_days_and_the_mapping_since(world, leads, login,
                                                                              django_assert_max_num_queries):
    client = login(world.inspector)
    with django_assert_max_num_queries(18):  # 17 today
        page = client.get(leads["hidden"].get_absolute_url())
    facts = section(page, "lead-facts")
    assert "对象 14112900010007" in facts and "单日最多达标人数 4 人" in facts
    assert "开始时间 2024-06-03 08:00:00 信号停止 尚未停止" in facts
    evidence = section(page, "lead-evidence")
    assert "申报情况 未申报：该区域没有经监管部门确认的用途" in evidence
    assert "判定标准 连续 7 天内有 3 天，每天至少 3 人各停留 4 小时以上" in evidence
    assert "判定日期 2024-06-05 达标天数 3 天" in evidence
    assert (f"2024-06-04 4 人 2024-06-04 08:00:00 2024-06-04 13:00:00 郑一（{card(31)}） 5 小时、冯二（{card(32)}） 5 小时"
            in evidence)
    chart = page.context["chart"]
    assert chart["days"][0] == "2024-05-30" and chart["values"] == [0, 0, 0, 0, 4, 4, 4] and chart["threshold"] == 3
    changes = section(page, "lead-mapping-changes")
    assert "2024-06-05 14:30 甲一矿长 甲一煤矿 巷道 — 否（矿方修改） 运输联络巷" in changes
    assert "待监管确认" in section(page, "lead-area")
    history = section(page, "history")
    assert "线索产生 系统" in history
    form = page.context["forms"]["hazard"]
    assert form.initial["level"] == "major"
    assert HazardStandardItem.objects.get(pk=form.initial["standard_item"]).code == "C15-05"
    assert form.initial["description"] == ("违法生产线索：甲一煤矿 疑似隐蔽工作面（14112900010007），信号开始于 "
                                           "2024-06-03 08:00:00，单日最多达标人数 4 人。")
    for word in ("UTC", "None", "undeclared", "qualifying", "card_code", "hidden_working_face"):
        assert word not in text(page), word


def test_power_capacity_and_seal_evidence_read_in_words(world, leads, login):
    client = login(world.inspector)
    power = client.get(leads["power"].get_absolute_url())
    evidence = section(power, "lead-evidence")
    assert "日期 2024-06-04 矿山状态 停产整顿 当日用电量 5200 千瓦时" in evidence
    assert "用电基线 12480 千瓦时/日（近 30 个生产日的中位数） 当日用电为基线的 41.7%（阈值 30%）" in evidence
    assert "日用电量最高为基线的 41.7%" in section(power, "lead-facts")
    chart = power.context["chart"]  # the meter's days from the Parquet store, against the baseline
    assert chart["baseline"] == 12480.0 and chart["limit"] == 3744.0
    assert chart["values"][0] == ["2024-05-24", 12000.0] and len(chart["values"]) == 12
    no_baseline = apply_leads(episodes({"mine_code": A1, "point_code": "x", "kind": LeadKind.POWER_USE_WHILE_SUSPENDED,
                                        "start": at(0, day=2), "peak": None,
                                        "evidence": {**POWER, "baseline_kwh": None, "baseline_days": 4}}),
                              {A1: world.a1}, by=Actor.system(Via.INGEST))
    page = client.get(f"/monitoring/leads/{no_baseline[0]}/")
    assert "没有用电基线：已知的完整生产日只有 4 天，不足 7 天，无法与正常生产时比较，因此不据此判定。" in text(page)
    assert page.context["chart"] is None
    capacity = client.get(leads["capacity"].get_absolute_url())
    evidence = section(capacity, "lead-evidence")
    assert "核定生产能力 90 万吨/年 2024-06 月产量 95040 吨，为年核定能力的 10.56%（上限 10%），超过" in evidence
    assert "2024 年累计产量 412000 吨，为年核定能力的 45.78%（上限 110%）" in evidence
    assert "141129000101MN300100100001 吨 是" in evidence
    assert HazardStandardItem.objects.get(pk=capacity.context["forms"]["hazard"].initial["standard_item"]).code == "C01-01"
    seal = client.get(leads["seal"].get_absolute_url())
    assert "对象 密闭 1411290002S01（主斜井井口）" in section(seal, "lead-facts")
    assert ("密闭（电子封条） 1411290002S01 主斜井井口 矿山状态 停产整顿 首次发现 2024-06-04 01:10:00 最近发现 2024-06-04 01:40:00 "
            "发现次数 3 次 最多人员 2 人 最多车辆 1 辆 事件 人员靠近、车辆进入") in section(seal, "lead-evidence")
    assert "standard_item" not in seal.context["forms"]["hazard"].initial  # no item fits a seal's sighting


def test_review_dismiss_and_a_hazard_from_a_lead(world, leads, login):
    client = login(world.inspector)
    lead = leads["seal"]
    reviewed = client.post(lead.get_absolute_url() + "review/", {"note": "调阅电子封条录像"}, follow=True)
    assert "已开始研判。" in text(reviewed) and "研判中" in section(reviewed, "lead-status")
    assert "开始研判 王检查 调阅电子封条录像" in section(reviewed, "history")
    assert_audited("monitoring.lead.reviewed", lead, world.inspector)
    assert "review" not in reviewed.context["forms"]
    assert client.get(lead.get_absolute_url() + "dismiss/").status_code == 405
    with unchanged(lead):
        refused = client.post(lead.get_absolute_url() + "dismiss/", {"reason": "  "})
    assert refused.status_code == 400 and "排除线索须填写理由。" in text(refused)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.UNDER_REVIEW
    dismissed = client.post(lead.get_absolute_url() + "dismiss/", {"reason": "系看护人员巡查，有值班记录"}, follow=True)
    assert "线索已排除，理由已记录。" in text(dismissed)
    assert "排除理由 系看护人员巡查，有值班记录" in section(dismissed, "lead-facts")
    assert not dismissed.context["forms"]  # decided: nothing left to do
    with unchanged(lead):
        again = client.post(lead.get_absolute_url() + "dismiss/", {"reason": "再次排除"})
    assert again.status_code == 400 and "该线索已处理（已排除）。" in text(again)
    lead.refresh_from_db()
    assert lead.dismissed_reason == "系看护人员巡查，有值班记录"

    hidden = leads["hidden"]
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C15-05")
    response = client.post(hidden.get_absolute_url() + "hazard/", {
        "level": "major", "standard_item": item.pk, "place": "东翼联络巷",
        "description": "定位显示 4 人连续 3 天在未申报区域各作业 5 小时，疑似隐蔽工作面"}, follow=True)
    assert "已登记隐患，并与线索关联。" in text(response)
    hazard = Hazard.objects.get()
    assert (hazard.source, hazard.level, hazard.standard_item, hazard.found_at) == (
        HazardSource.MONITORING_LEAD, "major", item, hidden.start)
    assert f"已登记隐患 #{hazard.pk}" in text(response) and "已登记隐患" in section(response, "lead-status")
    hidden.refresh_from_db()
    assert (hidden.status, hidden.hazard) == (LeadStatus.HAZARD_OPENED, hazard)
    with unchanged(hidden, Hazard):
        twice = client.post(hidden.get_absolute_url() + "hazard/", {"level": "ordinary", "description": "再登记一次"})
    assert twice.status_code == 400 and "该线索已处理（已登记隐患）。" in text(twice)
    assert Hazard.objects.count() == 1


def test_an_inspection_opened_from_a_lead_lists_the_mines_open_leads_live(world, leads, login):
    partner = make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")
    client = login(world.inspector)
    lead = leads["capacity"]
    page = client.get(lead.get_absolute_url())
    link = f'/enforcement/inspections/open/?lead={lead.pk}'
    assert link in page.content.decode()
    form_page = client.get(link)
    form = form_page.context["form"]
    assert (form.initial["source"], form.initial["mine"], form.initial["lead"]) == ("lead", world.a1.pk, lead.pk)
    assert f"来源线索：疑似超能力生产 #{lead.pk} · 甲一煤矿" in section(form_page, "open-lead")
    response = client.post(link, {
        "mine": world.a1.pk, "method": "unannounced", "planned_on": "2024-06-06", "leader": world.inspector.pk,
        "team": [world.inspector.pk, partner.pk], "credentials": "", "source": "lead", "lead": lead.pk,
        "source_note": form.initial["source_note"], "notice": ""})
    assert response.status_code == 302, text(response)[:2000]
    inspection = Inspection.objects.get(lead=lead)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INSPECTION_OPENED
    assert_audited("monitoring.lead.inspection_opened", lead, world.inspector)
    detail = client.get(inspection.get_absolute_url())
    assert f"违法生产线索 #{lead.pk}" in section(detail, "inspection-facts")
    live = section(detail, "open-leads")
    assert "疑似隐蔽工作面" in live and "停产期间用电异常" in live and "疑似超能力生产" not in live
    assert "open_leads" not in json.dumps(inspection.briefing or {}, ensure_ascii=False)
    # from arrival on the mine sees the inspection, never a lead
    actions_url = f"/enforcement/inspections/{inspection.pk}/do/arrive/"
    with clock.frozen(aware(at(9, day=3))):
        arrived = as_user(world.inspector).post(actions_url, {"at": "", "place": "工业广场", "mine_representative": ""})
        assert arrived.status_code == 302 and arrived["Location"] == inspection.get_absolute_url()
        mine_page = as_user(world.mine_head).get(inspection.get_absolute_url())
    inspection.refresh_from_db()
    assert inspection.status == "on_site" and mine_page.status_code == 200
    assert "违法生产线索" not in section(mine_page, "inspection-facts").replace("线索说明 违法生产线索", "")
    assert 'id="open-leads"' not in mine_page.content.decode() and "/monitoring/leads/" not in \
        mine_page.content.decode()


def test_the_home_page_counts_the_open_leads(world, leads, login):
    home = login(world.inspector).get("/")
    block = section(home, "home-leads")
    assert "未办结的违法生产线索 4 条 4 条待研判" in block
    assert "甲一煤矿 · 疑似超能力生产" in block and "乙一煤矿" not in block


def test_every_filter_of_the_lead_ledger_is_on_the_page(world, leads, login):
    """The page's filter form and the filter schema (shared with the Excel export) name the same fields."""
    body = login(world.inspector).get("/monitoring/leads/").content.decode()
    form = body[body.index('id="lead-filters"'):]
    assert set(re.findall(r'name="(\w+)"', form[:form.index("</form>")])) == set(LeadFilter.model_fields)


def test_a_lead_late_data_disproved_reads_as_withdrawn_and_offers_no_action(world, leads, login):
    """The seal's sightings were disproved (late data judged its seals again without them): the ledger and the
    page say so, the signal is not shown as going on, and no action is offered or taken."""
    seal = leads["seal"]
    since = pl.DataFrame([(A2, LeadKind.SEAL_ACTIVITY_WHILE_SUSPENDED, at(0, day=1))],
                         schema=REJUDGED_MINES, orient="row")
    apply_leads(episodes().clear(), {A2: world.a2}, by=Actor.system(Via.INGEST), rejudged=since)
    client = as_user(world.inspector)
    page = client.get(seal.get_absolute_url())
    facts = text(page)
    assert "已撤销" in facts and "信号不成立" in facts and "信号持续" not in facts and not page.context["forms"]
    assert "迟到数据否定 系统 迟到数据表明该信号不成立" in facts
    ledger = text(client.get("/monitoring/leads/?status=withdrawn"))
    assert "已撤销" in ledger and "迟到数据表明该信号不成立" in ledger and "1411290002S01" in ledger
    with unchanged(seal):
        assert client.post(seal.get_absolute_url() + "dismiss/", {"reason": "核实无人"}).status_code in (400, 409)
    seal.refresh_from_db()
    assert seal.status == LeadStatus.WITHDRAWN and seal.dismissed_reason == ""
