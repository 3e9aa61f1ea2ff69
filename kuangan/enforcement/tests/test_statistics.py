"""Enforcement statistics (R3.6) from a month of real inspections: counts, hours credited to each team member,
penalties, rates, and the flags that show enforcement going soft (零处罚, 只检查不处罚, 倒查); each user sees
only the counties of its jurisdiction; the page and its Excel say the same."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kuangan.core import clock
from kuangan.core.choices import Role
from kuangan.core.clock import SHANGHAI
from kuangan.enforcement import actions
from kuangan.enforcement.actions import Finding, InspectionOrder, Principal
from kuangan.enforcement.models import PenaltyBenchmark
from kuangan.enforcement.statistics import enforcement_statistics
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry import actions as registry_actions
from kuangan.testing import assert_audited, make_user

DAY = datetime(2024, 5, 6, 9, tzinfo=SHANGHAI)


def _visit(world, people, mine, at, *, findings=(), hours=3, org_leader=None):  # type: ignore[no-untyped-def]
    leader, second = people
    with clock.frozen(at - timedelta(days=1)):
        inspection = actions.open_inspection(by=world.actor(leader), order=InspectionOrder(
            mine_id=mine.pk, method="unannounced", planned_on=at.date(), leader_id=leader.pk,
            team=[(leader.pk, ""), (second.pk, "")], source="tip_off", source_note="统计测试"))
    with clock.frozen(at):
        actions.arrive(inspection.pk, by=world.actor(second))
        recorded = [actions.record_finding(inspection.pk, by=world.actor(second), finding=f) for f in findings]
    with clock.frozen(at + timedelta(hours=hours)):
        actions.leave_site(inspection.pk, by=world.actor(leader), summary="检查完毕")
    return inspection, recorded


def _major() -> Finding:
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C05-01")
    return Finding(kind="major_hazard", description="风量不足", standard_item_id=item.pk,
                   deadline=date(2024, 6, 30))


@pytest.fixture
def month(world):  # type: ignore[no-untyped-def]
    """May 2024: 中阳 inspects 甲一 twice (3 h finding a major hazard, penalising nothing; 2 h finding a
    violation, penalised 15,000 + 2,000 元); 孝义 inspects 乙一 once (4 h, nothing); then the city finds a major
    hazard at 甲一 that 中阳 had looked at (倒查)."""
    county = (world.inspector, make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法"))
    foreign = (world.foreign_inspector, make_user("foreign2", world.foreign_county, Role.INSPECTOR))
    city = (world.city_inspector, make_user("city2", world.city, Role.INSPECTOR))
    head = registry_actions.save_mine_record("leadership", world.a1.pk, by=world.actor(world.inspector), data={
        "post": "mine_head", "name": "赵矿长", "id_number": "141129197001011234", "phone": "", "education": "bachelor",
        "major": "采矿工程", "major_is_mining": True, "frontline_years": 12, "appointed_on": None,
        "holds_mine_head_post": False, "active": True})
    soft, _f = _visit(world, county, world.a1, DAY, findings=[_major()])
    benchmark = PenaltyBenchmark.objects.get(code="SAFE-44")
    penalised, (violation,) = _visit(world, county, world.a1, DAY + timedelta(days=3), hours=2, findings=[
        Finding(kind="violation", description="违章作业", benchmark_id=benchmark.pk)])
    with clock.frozen(DAY + timedelta(days=3, hours=3)):
        case = actions.file_case(by=world.actor(world.inspector), finding_id=violation.pk, benchmark_id=benchmark.pk,
                                 circumstance="ordinary_worker", facts="违章作业", unit_fine=Decimal(15000),
                                 person_fine=Decimal(2000), principal=Principal(member_id=head.pk))
        actions.notify_case(case.pk, by=world.actor(world.inspector))
    leader = make_user("county_leader", world.county, Role.REGULATOR_LEADER)
    with clock.frozen(DAY + timedelta(days=10)):
        actions.approve_case(case.pk, by=world.actor(leader))
        actions.decide_case(case.pk, by=world.actor(world.inspector))
    _visit(world, foreign, world.b1, DAY + timedelta(days=5), hours=4)
    higher, _f = _visit(world, city, world.a1, DAY + timedelta(days=20), findings=[_major()])
    return {"soft": soft, "penalised": penalised, "case": case, "higher": higher, "county": county}


MAY = (date(2024, 5, 1), date(2024, 6, 1))


def test_counties_count_inspections_hours_majors_and_penalties(world, month):
    stats = enforcement_statistics(world.city_inspector, *MAY)
    rows = {r.label: r for r in stats.counties}
    zy, xy = rows["中阳县"], rows["孝义市"]
    # the city's own visit counts for the county its mine is in
    assert (zy.inspections, zy.hours, zy.major_hazards, zy.penalties, zy.fines) == (3, 8.0, 2, 1, Decimal(17000))
    assert (xy.inspections, xy.hours, xy.major_hazards, xy.penalties) == (1, 4.0, 0, 0)
    assert zy.majors_per_100h == 25.0 and zy.penalties_per_100h == 12.5 and xy.majors_per_100h == 0.0
    assert xy.flags == ["零处罚"]
    assert people_fines(stats) == {"王检查": Decimal(17000), "李执法": Decimal(17000), "city_inspector": 0, "city2": 0}
    assert "零处罚" not in zy.flags and "只检查不处罚 2 次" in zy.flags  # the county's and the city's visits
    assert {i.pk for i in stats.soft_inspections} == {month["soft"].pk, month["higher"].pk}
    assert (stats.total.inspections, stats.total.hours, stats.total.penalties) == (4, 12.0, 1)


def test_hours_are_credited_to_every_member_of_the_team(world, month):
    stats = enforcement_statistics(world.city_inspector, *MAY)
    people = {r.label: r for r in stats.inspectors}
    assert (people["王检查"].inspections, people["王检查"].hours) == (2, 5.0)
    assert (people["李执法"].inspections, people["李执法"].hours) == (2, 5.0)
    assert people["王检查"].penalties == 1 and people["王检查"].soft == 1
    assert people["王检查"].flags == []  # once is not the pattern; twice is (below)


def test_an_inspector_who_found_major_hazards_twice_and_penalised_nothing_is_flagged(world, month):
    _visit(world, month["county"], world.a1, DAY + timedelta(days=12), findings=[_major()])
    people = {r.label: r for r in enforcement_statistics(world.inspector, *MAY).inspectors}
    assert people["王检查"].flags == ["两次以上查出重大隐患未处罚"]


def test_a_major_hazard_found_by_the_city_where_the_county_had_looked_is_a_lookback(world, month):
    stats = enforcement_statistics(world.city_inspector, *MAY)
    assert [(b.finding.inspection.pk, b.county_inspection.pk) for b in stats.lookbacks] == [
        (month["higher"].pk, month["penalised"].pk)]  # the county's latest visit before the city's


def test_each_user_sees_only_its_jurisdiction(world, month):
    county = enforcement_statistics(world.inspector, *MAY)
    assert [r.label for r in county.counties] == ["中阳县"]
    assert "孝义市" not in {r.label for r in county.inspectors} and county.total.inspections == 3
    assert enforcement_statistics(world.auditor, *MAY).total.inspections == 3
    for user in (world.mine_head, world.group_manager, world.expert):
        assert enforcement_statistics(user, *MAY).counties == []


def test_the_page_and_the_excel_show_the_same_figures(world, month, login):
    with clock.frozen(DAY + timedelta(days=30)):
        client = login(world.city_inspector)
        page = client.get("/enforcement/statistics/?since=2024-05-01&until=2024-05-31")
        body = page.content.decode()
        assert page.status_code == 200 and "零处罚" in body and "只检查不处罚 2 次" in body and "孝义市" in body
        export = client.get("/enforcement/statistics/export/?since=2024-05-01&until=2024-05-31")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    zy = next(r for r in rows if r[1] == "中阳县")
    assert zy[2:7] == (3, 8.0, 2, 1, 17000)
    assert_audited("core.export.downloaded", world.city_inspector, world.city_inspector)
    bad = login(world.city_inspector).get("/enforcement/statistics/?since=2024-13-01")
    assert bad.status_code == 200 and "起始日期应写成 2024-06-30 这样的日期。" in bad.content.decode()
    assert login(world.mine_head).get("/enforcement/statistics/").status_code == 403


def people_fines(stats):  # type: ignore[no-untyped-def]
    return {r.label: r.fines for r in stats.inspectors if r.label in {"王检查", "李执法", "city_inspector", "city2"}}


def test_a_county_without_inspections_is_listed_and_flagged(world, month):
    stats = enforcement_statistics(world.city_inspector, date(2024, 7, 1), date(2024, 8, 1))
    flags = {r.label: r.flags for r in stats.counties}
    assert {"中阳县", "孝义市"} <= set(flags) and len(flags) == 13  # every county of 吕梁市, active or not
    assert all(f == ["本期无检查"] for f in flags.values())
