"""Actions of the dossier on a real database: state, audit, notifications and every refusal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core.errors import DomainError
from kuangan.core.models import Division, Notification
from kuangan.registry import actions
from kuangan.registry.choices import MineStatus
from kuangan.registry.models import Licence, Mine, MineStatusChange, MineSupervisor
from kuangan.testing import assert_audited, mine_data, unchanged


def new_mine_data(world, **overrides):  # type: ignore[no-untyped-def]
    base = {"code": "1411290099", "name": "新建煤矿", "enterprise": world.ent_a,
            "division": Division.objects.get(code="141129")}
    return mine_data(**{**base, **overrides})


def test_create_mine_records_the_first_status_and_the_audit_event(world):
    mine = actions.create_mine(by=world.actor(world.inspector), data=new_mine_data(world))
    assert Mine.objects.get(code="1411290099").name == "新建煤矿"
    [first] = MineStatusChange.objects.filter(mine=mine)
    assert (first.from_status, first.to_status, first.by_name) == ("", MineStatus.PRODUCING, "王检查")
    event = assert_audited("registry.mine.created", mine, by=world.inspector)
    assert event.after["code"] == "1411290099"


def test_a_regulator_cannot_create_a_mine_outside_its_jurisdiction(world):
    data = new_mine_data(world, division=Division.objects.get(code="141181"))
    with pytest.raises(PermissionDenied):
        actions.create_mine(by=world.actor(world.inspector), data=data)
    assert not Mine.objects.filter(code="1411290099").exists()


def test_mine_people_cannot_create_mines(world):
    with unchanged(Mine), pytest.raises(PermissionDenied):
        actions.create_mine(by=world.actor(world.mine_head), data=new_mine_data(world))


def test_update_mine_writes_before_and_after(world):
    actions.update_mine(world.a1.pk, by=world.actor(world.inspector), data={"approved_capacity": Decimal("120")})
    world.a1.refresh_from_db()
    assert world.a1.approved_capacity == Decimal("120")
    event = assert_audited("registry.mine.updated", world.a1, by=world.inspector)
    assert (event.before["approved_capacity"], event.after["approved_capacity"]) == ("90.00", "120")


@pytest.mark.parametrize("persona", ["mine_head", "inspector"])
def test_nobody_changes_the_supervision_class_through_the_dossier(world, persona):
    """R3.1: the class is computed by enforcement (or overridden there with a reason), never edited here."""
    with pytest.raises(DomainError) as refused:
        actions.update_mine(world.a1.pk, by=world.actor(getattr(world, persona)),
                            data={"supervision_class": "A", "address": "新地址"})
    assert "分级分类由系统按评分和否决项计算" in refused.value.message
    world.a1.refresh_from_db()
    assert (world.a1.supervision_class, world.a1.address) == ("B", "")


def test_a_mine_cannot_change_its_kind(world):
    with unchanged(world.a1), pytest.raises(PermissionDenied):
        actions.update_mine(world.a1.pk, by=world.actor(world.mine_head), data={"kind": "coal_open_pit"})


def test_update_refuses_status_changes_without_a_reason(world):
    with unchanged(world.a1, MineStatusChange), pytest.raises(DomainError, match="矿山状态只能通过“变更状态”办理，并须写明原因。"):
        actions.update_mine(world.a1.pk, by=world.actor(world.inspector), data={"status": MineStatus.CLOSED})


def test_a_foreign_inspector_cannot_touch_our_mine(world):
    with unchanged(world.a1), pytest.raises(PermissionDenied):
        actions.update_mine(world.a1.pk, by=world.actor(world.foreign_inspector), data={"address": "x"})


def test_the_dispatcher_may_not_edit(world):
    with unchanged(world.a1), pytest.raises(PermissionDenied):
        actions.update_mine(world.a1.pk, by=world.actor(world.mine_dispatcher), data={"address": "x"})


def test_status_change_keeps_who_when_why_and_tells_the_mine(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_mine_status(world.a1.pk, by=world.actor(world.inspector),
                                   to_status=MineStatus.SUSPENDED_FOR_RECTIFICATION, reason="重大事故隐患，责令停产整顿",
                                   effective_on=date(2024, 7, 1), document_number="中应急停〔2024〕3号")
    world.a1.refresh_from_db()
    assert world.a1.status == MineStatus.SUSPENDED_FOR_RECTIFICATION
    change = MineStatusChange.objects.filter(mine=world.a1).latest("at")
    assert (change.from_status, change.reason, change.by) == (MineStatus.PRODUCING, "重大事故隐患，责令停产整顿",
                                                             world.inspector)
    assert_audited("registry.mine.status_changed", world.a1, by=world.inspector)
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"mine_head", "mine_safety_officer", "mine_dispatcher"}


@pytest.mark.parametrize("to_status,reason,message", [
    (MineStatus.PRODUCING, "x", "相同"),
    (MineStatus.CLOSED, "  ", "原因"),
])
def test_status_change_refusals(world, to_status, reason, message):
    with unchanged(world.a1, MineStatusChange), pytest.raises(DomainError, match=message):
        actions.change_mine_status(world.a1.pk, by=world.actor(world.inspector), to_status=to_status,
                                   reason=reason, effective_on=date(2024, 7, 1))


def test_a_closed_mine_stays_closed(world):
    by = world.actor(world.inspector)
    actions.change_mine_status(world.a1.pk, by=by, to_status=MineStatus.CLOSED, reason="关闭退出",
                               effective_on=date(2024, 7, 1))
    with unchanged(world.a1, MineStatusChange), pytest.raises(DomainError, match="已关闭的矿山不能再变更状态。"):
        actions.change_mine_status(world.a1.pk, by=by, to_status=MineStatus.PRODUCING, reason="复产",
                                   effective_on=date(2024, 8, 1))


def test_only_regulators_change_status(world):
    with unchanged(world.a1, MineStatusChange), pytest.raises(PermissionDenied):
        actions.change_mine_status(world.a1.pk, by=world.actor(world.mine_head), to_status=MineStatus.CLOSED,
                                   reason="x", effective_on=date(2024, 7, 1))


def test_save_and_delete_a_licence(world):
    by = world.actor(world.inspector)  # licences are regulated facts (test_proposals.py for the mine's side)
    lic = actions.save_mine_record("licence", world.a1.pk, by=by, data={
        "kind": "mining", "number": "C1400002009", "issued_on": None, "expires_on": date(2030, 1, 1)})
    assert_audited("registry.licence.created", lic, by=world.inspector)
    actions.save_mine_record("licence", world.a1.pk, by=by, record_id=lic.pk, data={"number": "C1400002010"})
    assert Licence.objects.get(pk=lic.pk).number == "C1400002010"
    assert_audited("registry.licence.updated", lic)
    with unchanged(Licence), pytest.raises(DomainError, match="重复"):
        actions.save_mine_record("licence", world.a1.pk, by=by, data={
            "kind": "mining", "number": "again", "issued_on": None, "expires_on": None})
    actions.delete_mine_record("licence", world.a1.pk, lic.pk, by=by, reason="录入错误")
    assert not Licence.objects.filter(pk=lic.pk).exists()
    event = assert_audited("registry.licence.deleted", lic)
    assert event.before["number"] == "C1400002010" and event.reason == "录入错误"


def test_records_of_another_mine_cannot_be_reached_through_ours(world):
    by = world.actor(world.inspector)
    level = actions.save_mine_record("level", world.a2.pk, by=by, data={  # a record the mine itself edits
        "name": "+950", "elevation": 950, "status": "producing"})
    with unchanged(level), pytest.raises(PermissionDenied):
        actions.save_mine_record("level", world.a1.pk, by=world.actor(world.mine_head), record_id=level.pk,
                                 data={"name": "hijacked"})
    with unchanged(level), pytest.raises(PermissionDenied):
        actions.delete_mine_record("level", world.a1.pk, level.pk, by=world.actor(world.mine_head))


def test_supervisors_are_assigned_by_regulators_only(world):
    data = {"kind": "resident_supervisor", "name": "专员", "position": "县局", "phone": "",
            "start_on": date(2024, 1, 1), "end_on": None}
    with unchanged(MineSupervisor), pytest.raises(PermissionDenied):
        actions.save_mine_record("supervisor", world.a1.pk, by=world.actor(world.mine_head), data=data)
    sup = actions.save_mine_record("supervisor", world.a1.pk, by=world.actor(world.inspector), data=data)
    assert_audited("registry.minesupervisor.created", sup, by=world.inspector)


def test_a_level_with_faces_cannot_be_deleted(world):
    by = world.actor(world.mine_head)
    level = actions.save_mine_record("level", world.a1.pk, by=by, data={"name": "+950", "elevation": 950,
                                                                        "status": "producing"})
    actions.save_mine_record("face", world.a1.pk, by=world.actor(world.inspector), data={
        "name": "1201", "kind": "longwall", "level": level, "mining_method": "fully_mechanized",
        "status": "producing"})
    with unchanged(level), pytest.raises(DomainError, match="该水平下还有工作面，请先调整工作面。"):
        actions.delete_mine_record("level", world.a1.pk, level.pk, by=by)


def test_revealing_personal_data_is_recorded_and_limited_to_roles_that_need_it(world):
    member = actions.save_mine_record("leadership", world.a1.pk, by=world.actor(world.mine_head), data={
        "post": "mine_head", "name": "甲一矿长", "id_number": "141129197001011234", "phone": "13912345678",
        "education": "bachelor", "major": "采矿工程", "major_is_mining": True, "frontline_years": 20,
        "appointed_on": None, "holds_mine_head_post": False, "active": True})
    shown = actions.reveal_personal_data(world.a1.pk, member.pk, by=world.actor(world.inspector))
    assert shown.id_number == "141129197001011234"
    assert_audited("registry.leadershipmember.personal_data_viewed", member, by=world.inspector)
    with unchanged(member), pytest.raises(PermissionDenied):  # and no "viewed" event for a refusal
        actions.reveal_personal_data(world.a1.pk, member.pk, by=world.actor(world.mine_dispatcher))
    with unchanged(member), pytest.raises(PermissionDenied):
        actions.reveal_personal_data(world.a1.pk, member.pk, by=world.actor(world.foreign_inspector))


def test_save_enterprise_creates_and_updates(world):
    by = world.actor(world.inspector)
    ent = actions.save_enterprise(by=by, data={"name": "中阳县新煤业有限公司", "credit_code": None,
                                               "division": Division.objects.get(code="141129")})
    assert_audited("registry.enterprise.created", ent, by=world.inspector)
    actions.save_enterprise(by=by, enterprise_id=ent.pk, data={"legal_representative": "孙八"})
    assert_audited("registry.enterprise.updated", ent)
    with unchanged(ent), pytest.raises(DomainError, match="企业不能是自己的上级公司。"):
        actions.save_enterprise(by=by, enterprise_id=ent.pk, data={"parent": ent})
    with unchanged(ent), pytest.raises(PermissionDenied):
        actions.save_enterprise(by=world.actor(world.foreign_inspector), enterprise_id=ent.pk,
                                data={"legal_representative": "x"})
