"""The home page by organization (issue 18): a mine's or an enterprise's is about its own mines; a
regulator's keeps the jurisdiction's tiles."""

from __future__ import annotations

import re


def _mines_card(body: str) -> str:
    match = re.search(r'id="home-mines">(.*?)</div>\s*<div class="card" id="home-hazards"', body, re.S)
    assert match, "no mines card"
    return match.group(1)


def test_an_enterprise_home_shows_its_mines_not_the_regulators_tiles(world, login, django_assert_max_num_queries):
    client = login(world.group_manager)
    with django_assert_max_num_queries(30):
        body = client.get("/").content.decode()
    mines = _mines_card(body)
    assert "甲一煤矿" in mines and "甲二煤矿" in mines and "乙一煤矿" not in mines
    assert "管辖矿山" not in body and "待决定的提请关闭" not in body
    assert "没有未销号的隐患。" in body


def test_a_mine_home_shows_only_its_mine(world, login):
    body = login(world.mine_head).get("/").content.decode()
    mines = _mines_card(body)
    assert "甲一煤矿" in mines and "甲二煤矿" not in mines


def test_a_regulator_keeps_the_jurisdiction_tiles(world, login):
    body = login(world.inspector).get("/").content.decode()
    assert "管辖矿山" in body and 'id="home-mines"' not in body
