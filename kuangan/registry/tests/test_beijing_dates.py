"""Issue 18 rule 8: the dates the regulations count are Beijing dates; a status change's effective
date is optional and then the Beijing date of the moment it was made."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from kuangan.core import actions as core_actions
from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.registry import actions
from kuangan.registry.choices import MineStatus
from kuangan.registry.models import MineStatusChange
from kuangan.testing import assert_audited, mine_data

# 07:30 on 1 July in Beijing is still 30 June in UTC (the clock reads UTC instants).
EARLY_MORNING = datetime(2024, 6, 30, 23, 30, tzinfo=UTC)


def _latest(mine):  # type: ignore[no-untyped-def]
    return MineStatusChange.objects.filter(mine=mine).latest("pk")


def test_a_change_at_half_past_seven_beijing_time_takes_effect_that_beijing_day(world):
    assert EARLY_MORNING.astimezone(clock.SHANGHAI) == datetime(2024, 7, 1, 7, 30, tzinfo=clock.SHANGHAI)
    with clock.frozen(EARLY_MORNING):
        actions.change_mine_status(world.a1.pk, by=world.actor(world.inspector),
                                   to_status=MineStatus.SUSPENDED_FOR_RECTIFICATION, reason="停产整顿")
    assert _latest(world.a1).effective_on == date(2024, 7, 1)
    assert_audited("registry.mine.status_changed", world.a1, by=world.inspector)


def test_a_given_effective_date_is_kept(world):
    with clock.frozen(EARLY_MORNING):
        actions.change_mine_status(world.a1.pk, by=world.actor(world.inspector),
                                   to_status=MineStatus.SUSPENDED_FOR_RECTIFICATION, reason="停产整顿",
                                   effective_on=date(2024, 6, 25))
    assert _latest(world.a1).effective_on == date(2024, 6, 25)


def test_the_page_accepts_a_change_without_a_date(world, login):
    client = login(world.inspector)
    with clock.frozen(EARLY_MORNING):
        response = client.post(f"/registry/mines/{world.a1.pk}/status/", {
            "to_status": "suspended_for_rectification", "effective_on": "", "reason": "停产整顿"})
        assert response.status_code == 302
        body = client.get(f"/registry/mines/{world.a1.pk}/?tab=status").content.decode()
    assert "2024-07-01" in body
    assert _latest(world.a1).effective_on == date(2024, 7, 1)


def test_the_api_accepts_a_change_without_a_date(world, client):
    _token, secret = core_actions.create_token(world.inspector.pk, by=Actor.system("shell"), name="county")
    with clock.frozen(EARLY_MORNING):
        response = client.post(f"/api/v1/registry/mines/{world.a1.pk}/status",
                               json.dumps({"to_status": "construction_stopped", "reason": "手续不全"}),
                               content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content
    assert _latest(world.a1).effective_on == date(2024, 7, 1)


@pytest.mark.parametrize("at,expected", [
    (datetime(2024, 6, 30, 15, 59, tzinfo=UTC), date(2024, 6, 30)),  # 23:59 Beijing
    (datetime(2024, 6, 30, 16, 0, tzinfo=UTC), date(2024, 7, 1)),  # Beijing midnight
])
def test_a_new_mine_is_registered_on_the_beijing_date(world, at, expected):
    data = mine_data(code="1411290399", name="新建煤矿", enterprise=world.ent_a, division=world.a1.division)
    with clock.frozen(at):
        mine = actions.create_mine(by=world.actor(world.inspector), data=data)
    assert _latest(mine).effective_on == expected
