"""The registry facts the engine judges personnel by (kuangan.monitoring.facts): status intervals from the
effective dates, the headcount limits of the seeded table by capacity and disaster class, faces' limits,
the roster's leaders and certified operators, fences; rebuilt when a source table changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from kuangan.core import clock
from kuangan.monitoring import facts
from kuangan.monitoring.choices import AreaUse
from kuangan.monitoring.models import Fence, PersonnelProfile, PositioningArea, StaffingLimit
from kuangan.registry.choices import FaceKind, FaceStatus, GasClass, MineStatus, MiningMethod
from kuangan.registry.models import MineStatusChange, WorkingFace

NOW = datetime(2024, 6, 10, 9, 0, tzinfo=clock.SHANGHAI)


def naive(*args: int) -> datetime:
    return clock.local(datetime(*args, tzinfo=clock.SHANGHAI))  # type: ignore[misc]


def test_the_seeded_limits_follow_capacity_tiers_with_the_included_bound(world):
    limits = list(StaffingLimit.objects.all())
    assert facts.mine_limit(limits, Decimal("30")).other_limit == 80  # K ≤ 30
    assert facts.mine_limit(limits, Decimal("30.01")).other_limit == 100
    assert facts.mine_limit(limits, Decimal("120")).disaster_limit == 300
    assert facts.mine_limit(limits, Decimal("900")).disaster_limit == 850
    assert all("2019" in r.source for r in limits)  # the superseded table, said so on every row


def test_mines_get_their_limit_by_capacity_and_disaster_class(world):
    world.a1.approved_capacity, world.a1.gas_class = Decimal("90"), GasClass.HIGH
    world.a1.save()
    built = facts.build()
    rows = {r["mine_code"]: r for r in built.mines.to_dicts()}
    assert (rows[world.a1.code]["mine_limit"], rows[world.a1.code]["disaster_severe"]) == (300, True)
    assert (rows[world.b1.code]["mine_limit"], rows[world.b1.code]["disaster_severe"]) == (180, False)
    assert rows[world.a1.code]["certificates_on_file"] is False


def test_status_intervals_start_on_the_effective_day(world):
    MineStatusChange.objects.filter(mine=world.a1).delete()
    MineStatusChange.objects.create(mine=world.a1, from_status=MineStatus.PRODUCING,
                                    to_status=MineStatus.SUSPENDED_FOR_RECTIFICATION, at=NOW,
                                    effective_on=date(2024, 6, 12), by_name="王检查", reason="责令停产整顿")
    status = facts.build().status.filter(pl.col("mine_code") == world.a1.code).sort("start")
    assert status.select("status", "suspended", "end").rows() == [
        (MineStatus.PRODUCING, False, naive(2024, 6, 12)),
        (MineStatus.SUSPENDED_FOR_RECTIFICATION, True, None),
    ]


def test_only_a_confirmed_face_mapping_counts_and_carries_the_face_limits(world):
    face = WorkingFace.objects.create(mine=world.a1, name="1303综采工作面", kind=FaceKind.LONGWALL,
                                      mining_method=MiningMethod.FULLY_MECHANIZED, status=FaceStatus.PRODUCING)
    confirmed = PositioningArea.objects.create(mine=world.a1, code=world.a1.code + "A001", declared_as=AreaUse.FACE,
                                               face=face, confirmed_at=NOW, updated_at=NOW)
    PositioningArea.objects.create(mine=world.a1, code=world.a1.code + "A002", declared_as=AreaUse.FACE, face=face,
                                   updated_at=NOW)  # the mine's own mapping, not confirmed
    areas = {r["area_code"]: r for r in facts.build().areas.to_dicts()}
    assert areas[confirmed.code]["declared_as"] == "face"
    assert (areas[confirmed.code]["face_limit"], areas[confirmed.code]["face_limit_maintenance"]) == (20, 30)
    assert areas[world.a1.code + "A002"]["declared_as"] is None  # undeclared until a regulator confirms


def test_shifts_and_fences(world):
    PersonnelProfile.objects.create(mine=world.a1, shift_starts=["06:00", "14:00", "22:00"],
                                    maintenance_shift="06:00", updated_at=NOW)
    Fence.objects.create(mine=world.a1, name="3号密闭", area_codes=[world.a1.code + "A009"], station_codes=[],
                         start=NOW, end=NOW + timedelta(days=1), reason="封闭区", created_at=NOW)
    built = facts.build()
    assert built.shifts.rows() == [(world.a1.code, 360, True), (world.a1.code, 840, False),
                                   (world.a1.code, 1320, False)]
    assert built.fences.select("fence", "area_code", "start").rows() == [
        ("3号密闭", world.a1.code + "A009", naive(2024, 6, 10, 9))]


def test_the_cache_follows_changes(world):
    first = facts.current()
    assert facts.current() is first
    world.a1.status = MineStatus.SUSPENDED_FOR_RECTIFICATION
    world.a1.save()
    assert facts.current() is not first


@pytest.mark.parametrize("text,minutes", [("08:00", 480), ("0:30", 30), ("23:59", 1439), ("24:00", None),
                                          ("8点", None), ("08:7", None)])
def test_shift_times(text, minutes):
    from kuangan.monitoring.rules import shift_minutes

    assert shift_minutes(text) == minutes


def test_the_personnel_settings_default_to_the_engines_and_each_has_its_source(settings):
    from kuangan.engine.settings import PersonnelSettings
    from kuangan.monitoring.configuration import personnel_settings
    from kuangan.monitoring.constants import PERSONNEL_DEFAULTS

    assert personnel_settings() == PersonnelSettings()
    assert set(PERSONNEL_DEFAULTS) == set(vars(PersonnelSettings()))
    assert all(source for _value, source in PERSONNEL_DEFAULTS.values())
    settings.MONITORING_PERSONNEL = {**settings.MONITORING_PERSONNEL, "suspended_area_max": 5, "overtime": 90}
    changed = personnel_settings()
    assert (changed.suspended_area_max, changed.overtime) == (5, timedelta(minutes=90))
