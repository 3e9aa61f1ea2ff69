"""Positioning areas, fences and shifts: a regulator's mapping counts, a mine's is evidence that unconfirms
the area; fences are drawn by inspectors and told to the mine; shifts set by those who edit the mine. Each
audited, each refused to a foreign county and a foreign mine."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.monitoring import actions, facts
from kuangan.monitoring.choices import AreaUse
from kuangan.monitoring.models import AreaMappingChange, Fence, PersonnelProfile, PositioningArea
from kuangan.registry.choices import FaceKind, FaceStatus, MiningMethod
from kuangan.registry.models import WorkingFace
from kuangan.testing import assert_audited, unchanged

NOW = datetime(2024, 6, 10, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def area(world):
    with clock.frozen(NOW):
        yield PositioningArea.objects.create(mine=world.a1, code=world.a1.code + "0001", name="1303综采工作面",
                                             area_type="重点区域", updated_at=NOW)


@pytest.fixture
def face(world):
    return WorkingFace.objects.create(mine=world.a1, name="1303综采工作面", kind=FaceKind.LONGWALL,
                                      mining_method=MiningMethod.FULLY_MECHANIZED, status=FaceStatus.PRODUCING)


def declared(area_code: str) -> str | None:
    return {r["area_code"]: r["declared_as"] for r in facts.build().areas.to_dicts()}[area_code]


def test_a_regulators_mapping_counts_and_the_mines_own_edit_unconfirms_it(world, area, face,
                                                                          django_capture_on_commit_callbacks):
    mapped = actions.map_positioning_area(area.pk, by=world.actor(world.inspector),
                                          mapping=actions.AreaMapping(AreaUse.FACE, face.pk, "现场核实"))
    assert (mapped.declared_as, mapped.face, mapped.confirmed_by) == (AreaUse.FACE, face, world.inspector)
    assert declared(area.code) == AreaUse.FACE
    assert_audited("monitoring.area.mapped", area, world.inspector)
    with django_capture_on_commit_callbacks(execute=True):
        edited = actions.map_positioning_area(area.pk, by=world.actor(world.mine_head),
                                              mapping=actions.AreaMapping(AreaUse.ROADWAY, None, "改为运输巷"))
    assert (edited.declared_as, edited.confirmed_at, edited.mapped_by) == (AreaUse.ROADWAY, None, world.mine_head)
    assert declared(area.code) is None  # a mine calling its face a roadway makes it undeclared, not a roadway
    assert list(AreaMappingChange.objects.filter(area=area).values_list("declared_as", "confirmed", "by__username")) == [
        (AreaUse.FACE, True, "inspector"), (AreaUse.ROADWAY, False, "mine_head")]
    assert Notification.objects.filter(recipient=world.inspector, title__contains="待确认").exists()


def test_a_mapping_must_name_the_mines_own_face_for_a_face_only(world, area, face):
    by = world.actor(world.inspector)
    other = WorkingFace.objects.create(mine=world.b1, name="乙矿工作面", kind=FaceKind.HEADING,
                                       mining_method=MiningMethod.MECHANIZED_HEADING, status=FaceStatus.PRODUCING)
    with unchanged(area, AreaMappingChange), pytest.raises(DomainError, match="该工作面不属于此矿山"):
        actions.map_positioning_area(area.pk, by=by, mapping=actions.AreaMapping(AreaUse.FACE, other.pk))
    with unchanged(area, AreaMappingChange), pytest.raises(DomainError, match="须选择对应的工作面"):
        actions.map_positioning_area(area.pk, by=by, mapping=actions.AreaMapping(AreaUse.FACE, None))
    with unchanged(area, AreaMappingChange), pytest.raises(DomainError, match="只有用途为采掘工作面的区域才能对应工作面"):
        actions.map_positioning_area(area.pk, by=by, mapping=actions.AreaMapping(AreaUse.CHAMBER, face.pk))
    with unchanged(area, AreaMappingChange), pytest.raises(DomainError, match="未知的区域用途"):
        actions.map_positioning_area(area.pk, by=by, mapping=actions.AreaMapping("tunnel", None))
    area.refresh_from_db()
    assert (area.declared_as, area.face, area.confirmed_at) == ("", None, None)
    assert not AreaMappingChange.objects.exists()


def test_fences_are_drawn_by_inspectors_told_to_the_mine_and_ended(world, django_capture_on_commit_callbacks):
    by = world.actor(world.inspector)
    spec = actions.FenceSpec("3号密闭", [world.a1.code + "0009"], [], NOW, None, "封闭区域，禁止人员进入")
    with django_capture_on_commit_callbacks(execute=True), clock.frozen(NOW):
        fence = actions.draw_fence(world.a1.pk, by=by, fence=spec)
    assert (fence.area_codes, fence.created_by, fence.end) == ([world.a1.code + "0009"], world.inspector, None)
    assert_audited("monitoring.fence.drawn", fence, world.inspector)
    assert Notification.objects.filter(recipient=world.mine_dispatcher, title__contains="3号密闭").exists()
    with unchanged(Fence), pytest.raises(DomainError, match="编码须以本矿编码"):
        actions.draw_fence(world.a1.pk, by=by, fence=actions.FenceSpec("x", [world.b1.code + "0001"], [], NOW,
                                                                        None, "x"))
    with unchanged(Fence), pytest.raises(DomainError, match="结束时间须晚于生效时间"):
        actions.draw_fence(world.a1.pk, by=by, fence=actions.FenceSpec("x", [world.a1.code + "0001"], [], NOW,
                                                                        NOW - timedelta(hours=1), "x"))
    with clock.frozen(NOW + timedelta(hours=2)):
        ended = actions.end_fence(fence.pk, by=world.actor(world.inspector))
        assert ended.end == NOW + timedelta(hours=2)
        assert_audited("monitoring.fence.ended", fence, world.inspector)
        with unchanged(fence), pytest.raises(DomainError, match="该围栏已结束"):
            actions.end_fence(fence.pk, by=world.actor(world.inspector))
    assert Fence.objects.count() == 1


def test_shifts_are_set_with_a_maintenance_shift_among_them(world):
    by = world.actor(world.mine_head)
    profile = actions.set_shifts(world.a1.pk, by=by, starts=["06:00", "14:00", "22:00"], maintenance="06:00")
    assert (profile.shift_starts, profile.maintenance_shift) == (["06:00", "14:00", "22:00"], "06:00")
    assert_audited("monitoring.shifts.set", profile, world.mine_head)
    for starts, maintenance, message in ((["8点"], "", "格式如 08:00"), ([], "", "1～6 个"),
                                         (["06:00", "18:00"], "12:00", "检修班须是其中一个班次")):
        with unchanged(profile), pytest.raises(DomainError, match=message):
            actions.set_shifts(world.a1.pk, by=by, starts=starts, maintenance=maintenance)
    profile.refresh_from_db()
    assert profile.shift_starts == ["06:00", "14:00", "22:00"]


@pytest.mark.parametrize("persona", ["foreign_inspector", "foreign_mine_head"])
def test_foreigners_change_nothing(world, area, persona):
    by = world.actor(getattr(world, persona))
    events = AuditEvent.objects.count()
    attempts = [
        lambda: actions.map_positioning_area(area.pk, by=by, mapping=actions.AreaMapping(AreaUse.ROADWAY, None)),
        lambda: actions.draw_fence(world.a1.pk, by=by, fence=actions.FenceSpec(
            "x", [world.a1.code + "0001"], [], NOW, None, "x")),
        lambda: actions.set_shifts(world.a1.pk, by=by, starts=["08:00"]),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    area.refresh_from_db()
    assert (area.declared_as, area.mapped_by) == ("", None)
    assert not Fence.objects.exists() and not PersonnelProfile.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_mine_user_may_not_draw_fences(world):
    with unchanged(Fence), pytest.raises(PermissionDenied):
        actions.draw_fence(world.a1.pk, by=world.actor(world.mine_head), fence=actions.FenceSpec(
            "x", [world.a1.code + "0001"], [], NOW, None, "x"))
    assert not Fence.objects.exists()
