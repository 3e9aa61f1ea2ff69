"""Leads of illegal production in a real browser, as the county's duty inspector works them: the home page counts
the open leads; the mine's 人员定位 tab shows people in an area nobody declared; the inspector opens the hidden
working face lead (raised from the mine's RYSS files), reads its evidence (the qualifying days, who stayed how
long, the chart of the days), opens a hazard from it (C15-05 preselected), then opens an inspection from another
lead (over-capacity), whose page lists the mine's open leads read live. Every page at 1,440 px, in Chinese."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.enforcement.models import Inspection
from kuangan.engine.schema import EPISODES
from kuangan.hazards.models import Hazard
from kuangan.monitoring.choices import LeadKind, LeadStatus
from kuangan.monitoring.leads import apply_leads
from kuangan.monitoring.models import Alarm, AreaMappingChange, Lead
from kuangan.monitoring.tests.test_views_personnel import (
    A1,
    at,
    aware,
    build_scene,
    hidden_face_days,
    ingest_files,
    ryqy,
    ryxx,
)
from kuangan.testing import PASSWORD, World, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CAPACITY = {"at": "2024-06-04 23:50:00", "month": "2024-06", "month_tonnes": 95040.0, "month_share_pct": 10.56,
            "month_over": True, "year": 2024, "year_tonnes": 412000.0, "year_share_pct": 45.78, "year_over": False,
            "capacity": 90.0, "limit_month_share_pct": 10.0, "limit_year_share_pct": 110.0,
            "counters": [{"point_code": "141129000101MN300100100001", "unit": "吨", "unit_known": True}],
            "units_assumed": False}
ENGLISH_OR_CODES = ("undeclared", "hidden_working_face", "over_capacity", "qualifying", "None", "UTC", "card_code")


def log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def assert_readable(page: Page) -> None:
    """No internal codes, English field names or UTC on the page; nothing wider than a 1,440-px screen."""
    body = page.locator("main").inner_text()
    for word in ENGLISH_OR_CODES:
        assert word not in body, word
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440


def test_the_duty_inspector_works_a_hidden_working_face_and_opens_an_inspection_from_another_lead(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
    settings, tmp_path: Path,
) -> None:
    settings.MONITORING_DIR = tmp_path / "monitoring"
    make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")
    try:
        # Three days of the mine's files: four people five hours a day in an area its RYQY never defined.
        ingest_files([ryxx(at(0)), ryqy(at(0)), *hidden_face_days((0, 1, 2))], at(14, day=2))
        with clock.frozen(aware(at(14, 40, day=2))):
            apply_leads(pl.DataFrame([{
                "mine_code": A1, "point_code": None, "kind": LeadKind.OVER_CAPACITY, "start": at(23, 50, day=1),
                "end": None, "peak": 95040.0, "evidence": json.dumps(CAPACITY, ensure_ascii=False), "void": False}],
                schema=EPISODES), {A1: world.a1}, by=Actor.system(Via.INGEST))
        with clock.frozen(aware(at(15, day=2))):  # the server reads the frozen clock too
            _flow(live_server.url, world, page, screenshot)
    finally:
        connections.close_all()  # the ingestions ran on a connection of their own (see the `browser` fixture)
    assert page_errors == []


def _flow(base: str, world: World, page: Page, screenshot: Callable[[str], Path]) -> None:
    log_in(page, base, world.inspector.username)
    home = page.locator("#home-leads")
    expect(home).to_contain_text("未办结的违法生产线索 2 条")
    # nobody underground at the newest snapshot (13:15), which is late by 15:00; the limit 180
    expect(page.locator("#home-underground").get_by_role("row", name="甲一煤矿 0 180 06-05 13:15 未按时更新")).to_be_visible()
    assert_readable(page)
    screenshot("home")

    # The mine's 人员定位 tab: people in an area nobody declared.
    page.goto(f"{base}/monitoring/mine/{world.a1.pk}/personnel/")
    expect(page.locator("#underground")).to_contain_text("14112900010007")  # 4 people at most that day
    expect(page.locator("#area-14112900010007")).to_contain_text("定位文件未定义")
    expect(page.locator("#headcount-chart canvas").first).to_be_visible()
    expect(page.locator("#mine-leads")).to_contain_text("疑似隐蔽工作面")
    assert_readable(page)
    screenshot("personnel-tab")

    # The ledger, from the menu next to the alarms.
    page.locator("nav.sidenav").get_by_role("link", name="违法生产线索").click()
    ledger = page.locator("#lead-ledger")
    expect(ledger.locator("tbody tr")).to_have_count(2)
    assert_readable(page)
    screenshot("lead-ledger")

    # The hidden working face: its evidence.
    ledger.get_by_role("link", name="疑似隐蔽工作面").click()
    evidence = page.locator("#lead-evidence")
    expect(evidence).to_contain_text("未申报：该区域没有经监管部门确认的用途")
    expect(evidence).to_contain_text("连续 7 天内有 3 天，每天至少 3 人各停留 4 小时以上")
    expect(evidence).to_contain_text("郑一（141129000100031） 5 小时")
    expect(evidence.locator("tbody tr")).to_have_count(3)
    expect(page.locator("#lead-chart canvas").first).to_be_visible()
    expect(page.locator("#lead-peak")).to_have_text("4 人")
    assert_readable(page)
    screenshot("hidden-face-evidence")

    # Review it, then open a hazard from it: C15-05 is preselected.
    page.locator("#action-review").get_by_role("button", name="开始研判").click()
    expect(page.locator("#lead-status")).to_have_text("研判中")
    hazard = page.locator("#action-hazard")
    expect(hazard.locator("[name=standard_item] option:checked")).to_contain_text("C15-05")
    expect(hazard.locator("[name=level] option:checked")).to_have_text("重大事故隐患")
    hazard.locator("[name=place]").fill("东翼未申报区域")
    screenshot("hazard-form")
    hazard.get_by_role("button", name="登记").click()
    expect(page.locator(".messages")).to_contain_text("已登记隐患，并与线索关联。")
    expect(page.locator("#lead-status")).to_have_text("已登记隐患")
    expect(page.locator("#history")).to_contain_text("登记隐患")
    made = Hazard.objects.get()
    assert made.standard_item is not None and made.standard_item.code == "C15-05"
    screenshot("hazard-opened")

    # The other lead: output beyond the approved capacity; the inspector opens an inspection from it.
    page.locator("nav.sidenav").get_by_role("link", name="违法生产线索").click()
    page.locator("#lead-ledger").get_by_role("link", name="疑似超能力生产").click()
    expect(page.locator("#lead-evidence dd", has_text="95040 吨")).to_have_text("95040 吨，为年核定能力的 10.56%（上限 10%），超过")
    assert_readable(page)
    screenshot("over-capacity-evidence")
    page.locator("#lead-open-inspection").click()
    expect(page.locator("#open-lead")).to_contain_text("疑似超能力生产")
    form = page.locator("#open-inspection")
    expect(form.locator("[name=source] option:checked")).to_have_text("研判线索")
    form.get_by_label("李执法（中阳县应急管理局）").check()
    screenshot("inspection-form")
    form.get_by_role("button", name="立项").click()
    expect(page.locator("#inspection-status")).to_contain_text("待检查")
    expect(page.locator("#inspection-lead")).to_contain_text("违法生产线索")
    expect(page.locator("#open-leads")).to_contain_text("没有未办结的线索。")  # both leads are acted on
    assert_readable(page)
    screenshot("inspection")
    lead = Lead.objects.get(kind=LeadKind.OVER_CAPACITY)
    assert lead.status == LeadStatus.INSPECTION_OPENED and Inspection.objects.get().lead == lead


def test_the_mine_declares_an_areas_use_the_county_confirms_it_and_keeps_an_overcrowding_as_a_lead(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
    settings, tmp_path: Path,
) -> None:
    """The mine head, on the 人员定位 tab, says what the roadway area is: it waits for the county. The inspector
    sees it pending, confirms it, reads the face's overcrowding alarm in words (C01-06 preselected for the
    hazard) and keeps it as a lead."""
    settings.MONITORING_DIR = tmp_path / "monitoring"
    base = live_server.url
    try:
        scene = build_scene(world)
        with clock.frozen(aware(at(10, 2))):
            log_in(page, base, world.mine_head.username)
            expect(page.locator("#home-underground")).to_contain_text("井下 28 人")
            assert page.locator("#home-leads").count() == 0
            screenshot("mine-home")
            page.goto(f"{base}{scene.url}")
            expect(page.locator("#mine-leads")).to_have_count(0)
            form = page.locator("#map-form")
            form.locator("[name=area]").select_option(label="+950北翼运输大巷（14112900010003）")
            form.locator("[name=declared_as]").select_option(label="巷道")
            form.locator("[name=note]").fill("北翼运输大巷")
            form.get_by_role("button", name="提交").click()
            expect(page.locator(".messages")).to_contain_text("待监管部门确认后才作为申报")
            expect(page.locator("#area-14112900010003")).to_contain_text("待监管确认")
            assert_readable(page)
            screenshot("mine-personnel-tab")

            log_in(page, base, world.inspector.username)
            page.goto(f"{base}{scene.url}")
            expect(page.locator("#pending-mappings")).to_contain_text("1 个区域的用途待监管确认")
            expect(page.locator("#underground")).to_contain_text("超员")
            expect(page.locator("#headcount-chart canvas").first).to_be_visible()
            page.locator("#track-form [name=card]").fill("141129000100001")
            page.locator("#track-form").get_by_role("button", name="查看轨迹").click()
            expect(page.locator("#track-table tbody tr")).to_have_count(2)
            assert_readable(page)
            screenshot("inspector-personnel-tab")
            form = page.locator("#map-form")
            form.locator("[name=area]").select_option(label="+950北翼运输大巷（14112900010003）")
            form.locator("[name=declared_as]").select_option(label="巷道")
            form.get_by_role("button", name="确认").click()
            expect(page.locator("#area-14112900010003")).to_contain_text("监管已确认")
            assert AreaMappingChange.objects.filter(area=scene.roadway, confirmed=True).exists()

            alarm = Alarm.objects.get(kind="face_overcrowded")
            page.goto(f"{base}/monitoring/alarms/{alarm.pk}/")
            evidence = page.locator("#alarm-evidence")
            expect(evidence).to_contain_text("是：超过限员 20% 以上（判定标准 C01-06）")
            expect(page.locator("#alarm-subject")).to_have_text("1303综采工作面（14112900010001）")
            expect(page.locator("#action-hazard [name=standard_item] option:checked")).to_contain_text("C01-06")
            assert_readable(page)
            screenshot("face-alarm")
            page.locator("#alarm-to-lead [name=note]").fill("连续超员，核查是否超定员组织生产")
            page.locator("#alarm-to-lead").get_by_role("button", name="转为线索").click()
            expect(page.locator("#lead-status")).to_have_text("研判中")
            expect(page.locator("#lead-evidence dd", has_text="不含矿领导")).to_have_text("26 人（不含矿领导 25 人，矿领导 1 人）")
            assert_readable(page)
            screenshot("lead-from-alarm")
            assert Lead.objects.get().alarm == alarm
    finally:
        connections.close_all()
    assert page_errors == []
