"""The simulated personnel, power and seal feeds of the demo: which mines they play and what the specs carry
from the registry (`monitoring.demo_feed.mine_specs`), `kuangan monitoring simulate` writing both feeds, and
the live demo's personnel incidents."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command

from kuangan.demo.monitoring import live_personnel_incidents
from kuangan.engine.simulate import MineSpec
from kuangan.monitoring import demo_feed
from kuangan.registry.actions import change_mine_status, save_mine_record
from kuangan.registry.choices import Education, FaceKind, FaceStatus, LeadershipPost, MineStatus, MiningMethod
from kuangan.registry.models import Mine, WorkingFace

START = datetime(2026, 12, 6, 14, 20, 13)  # noqa: DTZ001 - Beijing time, naive like the engine's


def test_the_personnel_feed_plays_suspended_mines_too_and_carries_the_registry(world):
    admin = world.actor(world.county_admin)
    change_mine_status(world.a2.pk, by=admin, to_status=MineStatus.CONSTRUCTION_STOPPED, reason="手续不全",
                       effective_on=date(2026, 11, 20))
    Mine.objects.filter(pk=world.b1.pk).update(status=MineStatus.CLOSED)  # a closed mine reports nothing
    WorkingFace.objects.create(mine=world.a1, name="1101综采工作面", kind=FaceKind.LONGWALL,
                               mining_method=MiningMethod.FULLY_MECHANIZED, status=FaceStatus.PRODUCING)
    WorkingFace.objects.create(mine=world.a1, name="1102掘进工作面", kind=FaceKind.HEADING,
                               mining_method=MiningMethod.MECHANIZED_HEADING, status=FaceStatus.STOPPED)
    save_mine_record("leadership", world.a1.pk, by=admin, data={
        "post": LeadershipPost.MINE_HEAD, "name": "张矿长", "education": Education.BACHELOR, "frontline_years": 20,
        "card_code": f"{world.a1.code}90001"})
    safety = {s.code for s in demo_feed.mine_specs(None, points=20)}
    personnel = {s.code: s for s in demo_feed.mine_specs(None, points=20, suspended=True)}
    assert world.a1.code in safety and world.a2.code not in safety  # 停建: no safety feed ...
    assert world.b1.code not in personnel
    assert personnel[world.a2.code].status == MineStatus.CONSTRUCTION_STOPPED  # ... but its people and power
    assert personnel[world.a2.code].status_since == datetime(2026, 11, 20)  # noqa: DTZ001
    a1 = personnel[world.a1.code]
    assert [(f.name, f.kind, f.working) for f in a1.faces] == [("1102掘进工作面", "heading", False),
                                                               ("1101综采工作面", "longwall", True)]
    assert a1.leaders == ((f"{world.a1.code}90001", "张矿长"),)
    assert a1.capacity == float(world.a1.approved_capacity) and a1.limit and a1.crew == round(a1.limit * 0.4)
    assert a1.counter  # a producing mine's output counter


def test_simulate_writes_the_safety_feed_of_active_mines_and_the_personnel_feed_of_suspended_ones(world, tmp_path):
    change_mine_status(world.a2.pk, by=world.actor(world.county_admin), to_status=MineStatus.CONSTRUCTION_STOPPED,
                       reason="手续不全", effective_on=date(2026, 11, 20))
    out = tmp_path / "drop"
    call_command("monitoring", "simulate", "--out", str(out), "--hours", "0.25", "--start", "2026-12-06T10:00:00",
                 "--points", "10", "--mines", f"{world.a1.code},{world.a2.code}", stdout=io.StringIO())
    types = {code: Counter(p.name.split("_")[1] for p in (out / code).iterdir()) for code in (world.a1.code,
                                                                                              world.a2.code)}
    assert types[world.a1.code]["CDSS"] == 30 and types[world.a1.code]["RYSS"] == 3
    assert types[world.a2.code]["CDSS"] == 0 and types[world.a2.code]["RYSS"] == 3 and types[world.a2.code]["JZSS"]
    call_command("monitoring", "simulate", "--out", str(tmp_path / "safety"), "--hours", "0.1", "--no-personnel",
                 "--start", "2026-12-06T10:00:00", "--points", "10", "--mines", world.a1.code, stdout=io.StringIO())
    assert {p.name.split("_")[1] for p in (tmp_path / "safety" / world.a1.code).iterdir()} <= {
        "CDDY", "FZDY", "CDSS", "FZSS", "TJSJ", "YCBJ"}


@pytest.mark.nodb
def test_live_personnel_incidents_take_turns_on_five_minute_marks() -> None:
    mines = [MineSpec(f"14112900{i:02d}", f"测试{i}号煤矿") for i in range(1, 6)]
    mines.append(MineSpec("1411290099", "停产煤矿", status=MineStatus.SUSPENDED_FOR_RECTIFICATION))
    incidents = live_personnel_incidents(mines, START, hours=3)
    assert all(i.start.minute % 5 == 0 and i.start.second == 0 for i in incidents)
    assert all(START < i.start < START + timedelta(hours=3) for i in incidents)
    suspended = [i for i in incidents if i.mine_code == "1411290099"]
    assert {i.kind for i in suspended} == {k for k, _m, _p in demo_feed.SUSPENDED_SCHEDULE}
    others = [i for i in incidents if i.mine_code != "1411290099"]
    assert {i.kind for i in others} == {k for k, _m, _p in demo_feed.PERSONNEL_SCHEDULE}
    assert [i.mine_code for i in others[:5]] == [m.code for m in mines[:5]]  # every producing mine in turn
    assert live_personnel_incidents([], START, hours=3) == []
