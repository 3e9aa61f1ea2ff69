"""Monthly enforcement plans (R3.2) on a real database: generated from the classes and the open risks, one per
organization and month, edited with reasons, their coverage per county, and hidden from every mine and enterprise
user and from foreign regulators (四不两直)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core.audit import history
from kuangan.core.choices import OrganizationKind, Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.models import Notification
from kuangan.enforcement import actions, queries, rules
from kuangan.enforcement.actions import InspectionOrder
from kuangan.enforcement.choices import InspectionMethod
from kuangan.enforcement.models import EnforcementPlan, PlanItem
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.models import HazardStandardItem
from kuangan.testing import assert_audited, make_mine, make_user, unchanged

T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SHANGHAI)
YEAR = 2025  # every month of next year may be planned at T0


@pytest.fixture
def now():  # type: ignore[no-untyped-def]
    with clock.frozen(T0) as at:
        yield at


@pytest.fixture
def classes(world, now):  # type: ignore[no-untyped-def]
    """a1 set to class C by an inspector; a2 (class B) with a supervised major hazard: a risk every month."""
    actions.override_class(world.a1.pk, by=world.actor(world.inspector), to_class="C", reason="近期隐患较多")
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    hazard = hazard_actions.report_hazard(world.a2.pk, by=world.actor(world.inspector), report=hazard_actions.HazardReport(
        level="major", source="regulator_inspection", description="瓦斯抽采系统不能正常运行", found_at=T0,
        found_by="中阳县应急管理局", standard_item_id=item.pk))
    hazard_actions.list_for_supervision(hazard.pk, by=world.actor(world.inspector), reason="县级挂牌")
    due = rules.due_months(world.a1.pk, 4)
    return {"due": due[0], "not_due": next(m for m in range(1, 13) if m not in due)}


def _generate(world, month, user=None, year=YEAR):  # type: ignore[no-untyped-def]
    return actions.generate_plan(by=world.actor(user or world.inspector), year=year, month=month)


def _mines(plan) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {i.mine.name: i.reason for i in plan.items.select_related("mine")}


def test_a_plan_takes_class_c_in_its_due_months_and_a_risk_mine_every_month(world, classes):
    plan = _generate(world, classes["due"])
    assert plan.organization == world.county and plan.created_by == world.inspector
    mines = _mines(plan)
    assert set(mines) == {"甲一煤矿", "甲二煤矿"}  # never the foreign county's 乙一煤矿
    assert mines["甲一煤矿"] == "C类：每年 4 次，本月应检"
    assert "挂牌督办的重大事故隐患 1 项未销号" in mines["甲二煤矿"]
    assert_audited("enforcement.enforcementplan.created", plan, world.inspector)
    assert_audited("enforcement.planitem.added", plan.items.get(mine=world.a1), world.inspector)
    other = _generate(world, classes["not_due"])
    assert set(_mines(other)) == {"甲二煤矿"}
    assert not PlanItem.objects.filter(plan__organization=world.county, mine=world.b1).exists()


def test_the_foreign_county_plans_its_own_mines_and_the_city_both(world, classes):
    foreign = _generate(world, classes["due"], world.foreign_inspector)
    assert foreign.organization == world.foreign_county and set(_mines(foreign)) <= {"乙一煤矿"}
    city = _generate(world, classes["due"], world.city_inspector)
    assert "甲一煤矿" in _mines(city)


def test_a_second_plan_for_the_same_month_and_a_past_month_are_refused(world, classes):
    _generate(world, classes["due"])
    with unchanged(EnforcementPlan, PlanItem), pytest.raises(DomainError, match="已经编制"):
        _generate(world, classes["due"])
    with unchanged(EnforcementPlan, PlanItem), pytest.raises(DomainError, match="已经过去的月份"):
        _generate(world, 5, year=2024)
    with unchanged(EnforcementPlan, PlanItem), pytest.raises(DomainError, match="1–12"):
        _generate(world, 13)
    for user in (world.mine_head, world.group_manager, world.county_admin):
        with unchanged(EnforcementPlan, PlanItem), pytest.raises(PermissionDenied):
            _generate(world, 2, user)
    assert EnforcementPlan.objects.count() == 1


def _team(world, plan_item, day):  # type: ignore[no-untyped-def]
    second = make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")
    return actions.open_inspection(by=world.actor(world.inspector), order=InspectionOrder(
        mine_id=plan_item.mine_id, method=InspectionMethod.UNANNOUNCED, planned_on=day, leader_id=world.inspector.pk,
        team=[(world.inspector.pk, "14110001"), (second.pk, "14110002")], plan_item_id=plan_item.pk))


def test_items_are_added_and_removed_with_reasons_until_an_inspection_is_opened(world, classes):
    plan = _generate(world, classes["not_due"])
    added = actions.add_plan_item(plan.pk, by=world.actor(world.inspector), mine_id=world.a1.pk,
                                  method=InspectionMethod.NIGHT_RAID, reason="举报夜间违规生产")
    assert (added.reason, added.method) == ("举报夜间违规生产", "night_raid")
    assert_audited("enforcement.planitem.added", added, world.inspector)
    with unchanged(PlanItem), pytest.raises(DomainError, match="已在本计划中"):
        actions.add_plan_item(plan.pk, by=world.actor(world.inspector), mine_id=world.a1.pk, method="covert", reason="x")
    with unchanged(PlanItem), pytest.raises(DomainError, match="本单位管辖范围内"):
        actions.add_plan_item(plan.pk, by=world.actor(world.inspector), mine_id=world.b1.pk, method="covert", reason="x")
    with unchanged(PlanItem), pytest.raises(DomainError, match="只能调整本单位"):
        actions.add_plan_item(plan.pk, by=world.actor(world.city_inspector), mine_id=world.a1.pk, method="covert",
                              reason="x")
    with unchanged(PlanItem), pytest.raises(PermissionDenied):
        actions.add_plan_item(plan.pk, by=world.actor(world.foreign_inspector), mine_id=world.b1.pk, method="covert",
                              reason="x")
    with unchanged(PlanItem), pytest.raises(DomainError, match="请写明移出理由"):
        actions.remove_plan_item(added.pk, by=world.actor(world.inspector), reason=" ")
    actions.remove_plan_item(added.pk, by=world.actor(world.inspector), reason="已由市局安排检查")
    assert_audited("enforcement.planitem.removed", added, world.inspector)
    assert not PlanItem.objects.filter(pk=added.pk).exists()
    # once an inspection is opened from an item, it stays on the plan
    risk_item = plan.items.get(mine=world.a2)
    _team(world, risk_item, date(YEAR, classes["not_due"], 3))
    with unchanged(PlanItem), pytest.raises(DomainError, match="已从该计划项立项检查"):
        actions.remove_plan_item(risk_item.pk, by=world.actor(world.inspector), reason="x")
    assert PlanItem.objects.filter(pk=risk_item.pk).exists()


def test_no_plan_shows_to_a_mine_an_enterprise_or_a_foreign_regulator(world, classes, login,
                                                                    django_capture_on_commit_callbacks):
    before = Notification.objects.filter(recipient__organization__kind__in=(OrganizationKind.MINE,
                                                                            OrganizationKind.ENTERPRISE)).count()
    with django_capture_on_commit_callbacks(execute=True):
        plan = _generate(world, classes["due"])
    item = plan.items.get(mine=world.a1)
    for user in (world.mine_head, world.mine_safety_officer, world.group_manager, world.expert,
                 world.foreign_inspector, world.foreign_mine_head):
        assert not queries.visible_plans(user).exists()
        assert not queries.visible_plan_items(user).exists()
        assert not queries.plan_coverage(user, YEAR, classes["due"])
    for user in (world.mine_head, world.group_manager, world.foreign_mine_head):
        client = login(user)
        assert client.get("/enforcement/plans/").status_code == 403
        assert client.get(f"/enforcement/plans/{plan.pk}/").status_code == 403
    client = login(world.foreign_inspector)
    listing = client.get("/enforcement/plans/")
    assert listing.status_code == 200 and not listing.context["page"].object_list.exists()
    assert "甲一煤矿" not in listing.content.decode() and "中阳县应急管理局" not in listing.content.decode()
    assert client.get(f"/enforcement/plans/{plan.pk}/").status_code == 404
    with unchanged(plan, PlanItem):
        assert client.post(f"/enforcement/plans/items/{item.pk}/remove/", {"reason": "x"}).status_code == 404
        assert client.post(f"/enforcement/plans/{plan.pk}/add/", {"mine": world.b1.pk, "method": "covert",
                                                                 "reason": "x"}).status_code == 404
    assert PlanItem.objects.filter(plan=plan).count() == 2
    # the mine is told nothing and its history shows nothing of the plan
    assert Notification.objects.filter(recipient__organization__kind__in=(
        OrganizationKind.MINE, OrganizationKind.ENTERPRISE)).count() == before
    assert not history(world.a1).filter(verb__startswith="enforcement.p").exists()
    # the city above sees the county's plan
    above = login(world.city_inspector).get(f"/enforcement/plans/{plan.pk}/")
    assert above.status_code == 200
    assert f"中阳县应急管理局 {YEAR}年{classes['due']}月执法计划" in above.content.decode()
    assert "甲一煤矿" in above.content.decode()


def test_the_plan_pages_generate_edit_and_link_to_opening_an_inspection(world, classes, login,
                                                                          django_assert_max_num_queries):
    client = login(world.inspector)
    with django_assert_max_num_queries(14):
        listing = client.get("/enforcement/plans/")
    body = listing.content.decode()
    assert listing.status_code == 200 and 'id="plan-generate"' in body and "未找到依据" in body
    month = f"{YEAR}-{classes['due']:02d}"
    response = client.post("/enforcement/plans/generate/", {"month": month, "method": "unannounced", "note": "季度"})
    assert response.status_code == 302
    plan = EnforcementPlan.objects.get()
    again = client.post("/enforcement/plans/generate/", {"month": month, "method": "unannounced"})
    assert again.status_code == 200 and "已经编制" in again.content.decode()
    assert client.get("/enforcement/plans/generate/").status_code == 405
    for i in range(30):
        mine = make_mine(f"14112907{i:02d}", f"批量煤矿{i:02d}", world.ent_a, "141129")
        actions.add_plan_item(plan.pk, by=world.actor(world.inspector), mine_id=mine.pk, method="covert", reason="专项")
    with django_assert_max_num_queries(16):
        page = client.get(response["Location"]).content.decode()
    assert page.count('class="btn secondary" href="/enforcement/inspections/open/') == 32
    item = plan.items.get(mine=world.a1)
    assert f"/enforcement/inspections/open/?mine={world.a1.pk}&amp;plan_item={item.pk}" in page
    assert "C类：每年 4 次，本月应检" in page and 'id="plan-add"' in page
    refused = client.post(f"/enforcement/plans/items/{item.pk}/remove/", {"reason": ""})
    assert refused.status_code == 200 and "请写明移出理由" in refused.content.decode()
    assert client.post(f"/enforcement/plans/items/{item.pk}/remove/", {"reason": "另行安排"}).status_code == 302
    assert client.post(f"/enforcement/plans/{plan.pk}/add/", {"mine": world.a1.pk, "method": "covert",
                                                             "reason": "复查"}).status_code == 302
    assert plan.items.get(mine=world.a1).method == "covert"
    # read-only for the county's administrator; no forms
    admin_page = login(world.county_admin).get(f"/enforcement/plans/{plan.pk}/")
    assert admin_page.status_code == 200 and admin_page.context["add_form"] is None


def test_coverage_per_county_counts_inspections_that_arrived_within_the_month(world, now):
    plan = _generate(world, 7, year=2024)
    for mine in (world.a1, world.a2):
        if not plan.items.filter(mine=mine).exists():
            actions.add_plan_item(plan.pk, by=world.actor(world.inspector), mine_id=mine.pk, method="covert",
                                  reason="专项检查")
    with clock.frozen(datetime(2024, 7, 5, 9, 0, tzinfo=SHANGHAI)):
        inspection = _team(world, plan.items.get(mine=world.a2), date(2024, 7, 5))
        actions.arrive(inspection.pk, by=world.actor(world.inspector))
    [row] = queries.plan_coverage(world.inspector, 2024, 7)
    assert (row.county, row.planned, row.inspected, row.missed, row.pending, row.share) == ("中阳县", 2, 1, 0, 1, 50.0)
    assert queries.plan_coverage(world.inspector, 2024, 8) == []
