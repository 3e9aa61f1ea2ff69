"""The live demo's incident schedule (`kuangan monitoring simulate --live --demo-incidents`): the mine of
the demo's logins gets an alarm-raising incident within minutes of the start, wherever it sorts among the
mines, and the round still reaches every mine with every kind (issue 18: 鑫岩 waited 85 minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kuangan.core.choices import Role
from kuangan.demo.monitoring import ROLE_LOGINS, live_incidents, role_mine_codes
from kuangan.engine.simulate import SAFETY_INCIDENT_KINDS, Incident, MineSpec
from kuangan.testing import World, make_user

START = datetime(2026, 12, 6, 14, 20, 13)  # noqa: DTZ001 - Beijing time, naive like the engine's
MINES = [MineSpec(f"14112900{i:02d}", f"测试{i}号煤矿", points=40, outstations=2) for i in range(1, 21)]
# the kinds a mine's people see as an alarm to handle right away (a stuck sensor takes hours to show)
PROMPT = {"over_limit", "feed_failure", "unreported_over_limit", "silence"}


def first_alarm(code: str, incidents: list[Incident]) -> timedelta:
    return min(i.start - START for i in incidents if i.mine_code == code and i.kind in PROMPT)


@pytest.mark.nodb
@pytest.mark.parametrize("index", [0, 12, 19])
def test_role_mine_has_an_alarm_within_10_minutes_wherever_it_sorts(index: int) -> None:
    role = MINES[index].code
    incidents = live_incidents(MINES, START, hours=24, first=[role])
    assert first_alarm(role, incidents) <= timedelta(minutes=2)
    # its first incident is an over-limit (the alarm a mine head handles), not the hours-long stuck sensor
    assert min((i for i in incidents if i.mine_code == role), key=lambda i: i.start).kind == "over_limit"
    assert next(i for i in incidents if i.kind == "stuck").mine_code != role


@pytest.mark.nodb
def test_two_role_mines_both_within_10_minutes() -> None:
    roles = [MINES[5].code, MINES[17].code]
    incidents = live_incidents(MINES, START, hours=24, first=roles)
    assert all(first_alarm(code, incidents) <= timedelta(minutes=10) for code in roles)


@pytest.mark.nodb
def test_every_mine_and_every_kind_within_a_round() -> None:
    incidents = live_incidents(MINES, START, hours=24, first=[MINES[12].code])
    first_round = [i for i in incidents if i.start - START < timedelta(minutes=2 + 7 * len(MINES))]
    assert {i.mine_code for i in first_round} == {m.code for m in MINES}
    assert {i.kind for i in incidents} == set(SAFETY_INCIDENT_KINDS) - {"over_capacity"}  # capacity takes a month
    assert all(i.start < START + timedelta(hours=24) for i in incidents)


@pytest.mark.nodb
def test_without_role_mines_the_round_follows_the_codes() -> None:
    incidents = live_incidents(MINES, START, hours=1)
    assert incidents[0].kind == "stuck" and incidents[0].mine_code == MINES[0].code
    assert [i.mine_code for i in incidents[1:]] == [m.code for m in MINES[:len(incidents) - 1]]
    assert live_incidents([], START, hours=1) == []


@pytest.mark.django_db
def test_role_mines_are_the_mines_of_the_demo_logins(world: World) -> None:
    assert role_mine_codes() == []  # outside the demo data: the plain round
    assert world.a2.organization is not None
    make_user(ROLE_LOGINS[0], world.a2.organization, Role.MINE_HEAD)
    assert role_mine_codes() == [world.a2.code]
