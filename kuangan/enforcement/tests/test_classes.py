"""Supervision classes (R3.1) on a real database: the facts read in a few grouped queries, the tick's recompute
(a change row, the mine, the audit event and the county told only when the class moves; idempotent at one
instant), the inspector's override that holds for its calendar year, the pages, and who may see them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.enforcement import actions, periodic, queries, rules
from kuangan.enforcement.choices import ClassSource
from kuangan.enforcement.models import SupervisionClassChange
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry import actions as registry_actions
from kuangan.registry.choices import MineStatus
from kuangan.registry.models import Licence, Mine
from kuangan.testing import assert_audited, make_mine, unchanged

T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SHANGHAI)
LICENCES = ("mining", "safety_production", "business")


def licensed(world, mine):  # type: ignore[no-untyped-def]
    """The three required licences, in force: the only D condition of the world's mines is then gone."""
    for kind in LICENCES:
        registry_actions.save_mine_record("licence", mine.pk, by=world.actor(world.inspector), data={
            "kind": kind, "number": f"{kind}-{mine.code}", "issued_on": None, "expires_on": None})


def klass(mine) -> str:  # type: ignore[no-untyped-def]
    return Mine.objects.get(pk=mine.pk).supervision_class


@pytest.fixture
def now():  # type: ignore[no-untyped-def]
    with clock.frozen(T0) as at:
        yield at


# --- the pure decision on an override -------------------------------------------------------------------


def test_without_an_override_the_computed_class_applies():
    assert rules.settle_class("C", None) == ("C", ())


@pytest.mark.parametrize("override, computed, expected", [
    (("B", "C"), "C", "B"),  # the facts the inspector judged: the override holds
    (("B", "C"), "A", "B"),  # never better than the override
    (("B", "C"), "D", "D"),  # new adverse facts: worse than at the override
    (("A", "C"), "D", "D"),
    (("D", "B"), "C", "D"),  # worse than at the override, but the override is worse still
    (("C", "A"), "B", "C"),
])
def test_an_override_moves_only_worse_and_only_on_new_adverse_facts(override, computed, expected):
    to_class, then = override
    got, reasons = rules.settle_class(computed, rules.Override(to_class, then, "2024-06-30"))
    assert got == expected
    assert f"2024-06-30 调整为 {to_class} 类" in reasons[0]
    assert ("计算结果变差为" in reasons[1]) == (rules.CLASS_ORDER.index(computed) > rules.CLASS_ORDER.index(then))


# --- facts and recompute ---------------------------------------------------------------------------------


def test_facts_are_read_in_a_fixed_number_of_queries(world, now, django_assert_max_num_queries):
    for i in range(30):
        make_mine(f"14112905{i:02d}", f"批量煤矿{i:02d}", world.ent_a, "141129")
    mines = list(Mine.objects.all())
    with django_assert_max_num_queries(7):
        facts = queries.class_facts(mines, T0)
    assert len(facts) == 33
    a1 = facts[world.a1.pk]
    assert (a1.licences_complete, a1.accidents_3y, a1.resource_consolidation, a1.fully_outsourced) == (
        False, None, None, None)
    assert "矿长空缺（“五职”矿长须配齐）" in a1.leadership_findings
    assert a1.stopped_days is None and a1.status == MineStatus.PRODUCING


def test_a_mine_without_its_licences_is_recomputed_to_d_with_the_reason(world, now,
                                                                       django_capture_on_commit_callbacks):
    licensed(world, world.a2)
    with django_capture_on_commit_callbacks(execute=True):
        assert periodic.recompute_classes(T0) == {"supervision class changes": 3}  # a1, a2, b1 (all were B)
    assert klass(world.a1) == "D"
    change = SupervisionClassChange.objects.get(mine=world.a1)
    assert (change.from_class, change.to_class, change.computed_class, change.source, change.at) == (
        "B", "D", "D", ClassSource.RECOMPUTED, T0)
    assert any("证照不全或者超过有效期" in r and "定为 D 类" in r for r in change.reasons)
    assert {f["code"] for f in change.factors} >= {"credit", "safety_management"}
    event = assert_audited("enforcement.mine.class_changed", world.a1)
    assert event.actor is None and event.before == {"supervision_class": "B"} and event.after["supervision_class"] == "D"
    # the county's inspectors are told; a foreign county's mine tells its own county, not ours
    assert Notification.objects.filter(recipient=world.inspector, title__contains="甲一煤矿 分级分类由 B 类调整为 D 类").exists()
    assert not Notification.objects.filter(recipient=world.foreign_inspector, title__contains="甲一煤矿").exists()
    assert not Notification.objects.filter(recipient__organization=world.a1.organization).exists()
    # a2 has its licences: no D condition (its score gives C)
    assert klass(world.a2) == "C"


def test_the_tick_twice_at_one_instant_writes_once_and_unchanged_facts_write_nothing(world, now):
    first = periodic.tick(T0)
    assert first["supervision class changes"] == 3
    rows, events = SupervisionClassChange.objects.count(), AuditEvent.objects.count()
    assert periodic.tick(T0)["supervision class changes"] == 0
    assert (SupervisionClassChange.objects.count(), AuditEvent.objects.count()) == (rows, events)
    assert periodic.tick(T0 + timedelta(days=1))["supervision class changes"] == 0  # the facts did not change
    assert SupervisionClassChange.objects.count() == rows


def test_new_facts_move_the_class_and_a_screen_trigger_moves_it_one_step(world, now):
    licensed(world, world.a1)
    periodic.recompute_classes(T0)
    assert klass(world.a1) == "C"
    # a major hazard left without its five implementations falls overdue: the rolling screen moves C to D
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    hazard_actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer), report=hazard_actions.HazardReport(
        level="major", source="self_inspection", description="甲烷传感器未标校", found_at=T0, found_by="安全科",
        standard_item_id=item.pk))
    later = T0 + timedelta(days=40)
    assert periodic.recompute_classes(later)["supervision class changes"] == 1
    change = SupervisionClassChange.objects.filter(mine=world.a1).first()
    assert (change.from_class, change.to_class, change.at) == ("C", "D", later)
    assert any("逾期未整改的隐患 1 项（≥1）" in r for r in change.reasons)
    assert any("降一类，由 C 类降为 D 类" in r for r in change.reasons)


def test_a_long_stop_is_a_d_condition_counted_from_its_status_history(world, now):
    licensed(world, world.a1)
    registry_actions.change_mine_status(world.a1.pk, by=world.actor(world.inspector), to_status="long_term_stopped",
                                        reason="资源枯竭", effective_on=(T0 - timedelta(days=200)).date())
    facts = queries.class_facts([Mine.objects.get(pk=world.a1.pk)], T0)[world.a1.pk]
    assert facts.stopped_days == 200
    outcome = queries.class_outcomes([Mine.objects.get(pk=world.a1.pk)], T0)[world.a1.pk]
    assert outcome.klass == "D"
    assert any("连续停产停建 200 天（≥183 天）" in r for r in outcome.reasons)


# --- the override -----------------------------------------------------------------------------------------


def test_an_override_holds_for_its_year_and_the_tick_moves_only_worse(world, now):
    licensed(world, world.a1)
    periodic.recompute_classes(T0)
    assert klass(world.a1) == "C"
    change = actions.override_class(world.a1.pk, by=world.actor(world.inspector), to_class="B",
                                    reason="整改到位，班子已配齐（档案待更新）")
    assert (klass(world.a1), change.source, change.computed_class, change.by) == ("B", "override", "C", world.inspector)
    assert_audited("enforcement.mine.class_overridden", world.a1, world.inspector)
    # the same facts: the tick leaves the override alone
    assert periodic.recompute_classes(T0 + timedelta(days=1))["supervision class changes"] == 0
    assert klass(world.a1) == "B"
    # a licence lapses: the computed class is worse than at the override, so the class moves worse
    licence = Licence.objects.get(mine=world.a1, kind="mining")
    registry_actions.delete_mine_record("licence", world.a1.pk, licence.pk, by=world.actor(world.inspector), reason="注销")
    periodic.recompute_classes(T0 + timedelta(days=2))
    assert klass(world.a1) == "D"
    moved = SupervisionClassChange.objects.filter(mine=world.a1).first()
    assert moved.source == ClassSource.RECOMPUTED and any("此后计算结果变差为 D 类" in r for r in moved.reasons)
    # the licence is back: the class returns to the override, never better than it
    registry_actions.save_mine_record("licence", world.a1.pk, by=world.actor(world.inspector), data={
        "kind": "mining", "number": "C2", "issued_on": None, "expires_on": None})
    periodic.recompute_classes(T0 + timedelta(days=3))
    assert klass(world.a1) == "B"
    # the next calendar year the override no longer holds: the computed class applies
    periodic.recompute_classes(datetime(2025, 1, 1, 0, 30, tzinfo=SHANGHAI))
    assert klass(world.a1) == "C"


def test_an_override_is_refused_without_a_reason_or_the_right(world, now):
    for user in (world.foreign_inspector, world.mine_head, world.group_manager, world.county_admin):
        with unchanged(world.a1, SupervisionClassChange), pytest.raises(PermissionDenied):
            actions.override_class(world.a1.pk, by=world.actor(user), to_class="A", reason="理由")
    with unchanged(world.a1, SupervisionClassChange), pytest.raises(DomainError, match="请写明调整理由"):
        actions.override_class(world.a1.pk, by=world.actor(world.inspector), to_class="A", reason="  ")
    with unchanged(world.a1, SupervisionClassChange), pytest.raises(DomainError, match="当前已是 B 类"):
        actions.override_class(world.a1.pk, by=world.actor(world.inspector), to_class="B", reason="理由")
    with unchanged(world.a1, SupervisionClassChange), pytest.raises(DomainError, match="A、B、C、D"):
        actions.override_class(world.a1.pk, by=world.actor(world.inspector), to_class="E", reason="理由")
    assert not SupervisionClassChange.objects.exists() and klass(world.a1) == "B"


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_classes_page_lists_and_counts_the_regulators_mines(world, now, login, django_assert_max_num_queries):
    for i in range(40):
        make_mine(f"14112906{i:02d}", f"批量煤矿{i:02d}", world.ent_a, "141129")
    periodic.recompute_classes(T0)
    client = login(world.inspector)
    with django_assert_max_num_queries(25):
        page = client.get("/enforcement/classes/")
    assert page.status_code == 200
    assert dict((k, n) for k, _label, n in page.context["counts"]) == {"A": 0, "B": 0, "C": 0, "D": 42}
    body = page.content.decode()
    assert "甲一煤矿" in body and "乙一煤矿" not in body
    filtered = client.get("/enforcement/classes/?supervision_class=B").context["counts"]
    assert sum(n for _k, _l, n in filtered) == 0
    for user in (world.mine_head, world.group_manager, world.expert):
        assert login(user).get("/enforcement/classes/").status_code == 403
    assert "甲一煤矿" not in login(world.foreign_inspector).get("/enforcement/classes/").content.decode()


def test_a_mines_class_page_shows_factors_sources_and_history(world, now, login):
    periodic.recompute_classes(T0)
    page = login(world.inspector).get(f"/enforcement/classes/mine/{world.a1.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "安全诚信" in body and "无数据" in body  # the credit factor has no data
    assert "未找到依据" in body and "太原细则列出的因素，分值未找到" in body
    assert "证照不全或者超过有效期" in body and "已触发" in body
    assert "定期重算" in body and 'id="class-override"' in body
    assert "RULES" not in body and "basis_found" not in body


def test_a_mine_sees_its_own_class_page_read_only_and_never_another(world, now, login):
    periodic.recompute_classes(T0)
    client = login(world.mine_head)
    own = client.get(f"/enforcement/classes/mine/{world.a1.pk}/")
    assert own.status_code == 200 and own.context["form"] is None and "调整分级分类" not in own.content.decode()
    assert client.get(f"/enforcement/classes/mine/{world.a2.pk}/").status_code == 404
    assert client.get(f"/enforcement/classes/mine/{world.b1.pk}/").status_code == 404
    with unchanged(world.a1, SupervisionClassChange):
        assert client.post(f"/enforcement/classes/mine/{world.a1.pk}/override/",
                           {"to_class": "A", "reason": "自评"}).status_code == 403
    group = login(world.group_manager).get(f"/enforcement/classes/mine/{world.a2.pk}/")
    assert group.status_code == 200 and "甲二煤矿" in group.content.decode()
    assert login(world.foreign_inspector).get(f"/enforcement/classes/mine/{world.a1.pk}/").status_code == 404
    assert klass(world.a1) == "D"


def test_the_override_form_sets_the_class_and_shows_refusals(world, now, login):
    client = login(world.inspector)
    url = f"/enforcement/classes/mine/{world.a1.pk}/override/"
    assert client.get(url).status_code == 405
    with unchanged(world.a1, SupervisionClassChange):
        refused = client.post(url, {"to_class": "B", "reason": "维持"})
    assert refused.status_code == 200 and "该矿山当前已是 B 类" in refused.content.decode()
    assert client.post(url, {"to_class": "C", "reason": "夜间违规组织生产线索较多"}).status_code == 302
    assert klass(world.a1) == "C"
    page = client.get(f"/enforcement/classes/mine/{world.a1.pk}/").content.decode()
    assert "执法人员调整" in page and "夜间违规组织生产线索较多" in page
    with unchanged(world.a1, SupervisionClassChange):
        assert login(world.foreign_inspector).post(url, {"to_class": "A", "reason": "x"}).status_code == 404


def test_the_dossier_no_longer_edits_the_class_but_links_to_its_page(world, now, login):
    page = login(world.inspector).get(f"/registry/mines/{world.a1.pk}/").content.decode()
    assert f"/enforcement/classes/mine/{world.a1.pk}/" in page


def test_a_closed_mine_is_no_longer_recomputed(world, now, login):
    registry_actions.change_mine_status(world.a2.pk, by=world.actor(world.inspector), to_status="closed",
                                        reason="依法关闭")
    assert periodic.recompute_classes(T0) == {"supervision class changes": 2}  # a1 and b1
    assert klass(world.a2) == "B" and not SupervisionClassChange.objects.filter(mine=world.a2).exists()
    page = login(world.inspector).get(f"/enforcement/classes/mine/{world.a2.pk}/")
    assert "矿井已关闭：不再定期重算分级分类" in page.content.decode() and page.context["form"] is None
