"""A mine head's home page in a real browser (issue 18): it is about their mine — its open hazards with
their deadlines (the overdue one marked), the monthly report due now, its unacknowledged alarm and its
planned window waiting for the county — not the regulator's tiles; and it fits a 1,440 px screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kuangan.core import clock
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards import rules as hazard_rules
from kuangan.hazards.models import HazardStandardItem
from kuangan.monitoring import actions as monitoring_actions
from kuangan.monitoring.tests.alarm_data import at, aware, ingest_between, over_limit
from kuangan.testing import World

from .test_hazards_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NOW = aware(at(9, 5))  # 2024-06-01 09:05 Beijing time
OVERDUE = "回风巷甲烷传感器未按规定标校（已超期）"
IN_TIME = "井下消防器材配备不足"
WINDOW = "主要通风机检修，停风五小时"


def _mine_a1_today(world: World) -> None:
    found = NOW - timedelta(days=31)  # 1 May: a major hazard whose deadline (20 May) has passed
    with clock.frozen(found):
        major = hazard_actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer),
                                             report=hazard_actions.HazardReport(
            level="major", source="self_inspection", description=OVERDUE, found_at=found, found_by="安全科",
            standard_item_id=HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02").pk))
        hazard_actions.start_rectification(major.pk, by=world.actor(world.mine_safety_officer),
                                           plan=hazard_rules.FiveImplementations(
            "李安全", "更换并标校甲烷传感器", Decimal("2"), date(2024, 5, 20), "超限撤人预案"))
    with clock.frozen(NOW - timedelta(hours=1)):
        hazard_actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer),
                                     report=hazard_actions.HazardReport(
            level="ordinary", source="self_inspection", description=IN_TIME, found_at=NOW - timedelta(hours=1),
            found_by="安全科", standard_item_id=None))
        monitoring_actions.declare_planned_window(world.a1.pk, by=world.actor(world.mine_head),
                                                  window=monitoring_actions.Window(
            "maintenance", NOW + timedelta(hours=1), NOW + timedelta(hours=6), "", WINDOW))
    ingest_between(at(8), at(9), [over_limit(at(8, 20), 10)])  # a methane alarm nobody acknowledged yet


def test_a_mine_heads_home_is_about_their_mine(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
) -> None:
    _mine_a1_today(world)
    with clock.frozen(NOW):
        log_in(page, live_server.url, world.mine_head.username)
        screenshot("mine-home")
        body = page.locator("main, body").first
        expect(body).not_to_contain_text("管辖矿山")
        expect(body).not_to_contain_text("待决定的提请关闭")
        expect(page.locator("#home-mines")).to_contain_text("甲一煤矿")
        expect(page.locator("#home-mines")).not_to_contain_text("甲二煤矿")

        hazards = page.locator("#home-hazards")
        expect(hazards).to_contain_text("未销号的隐患 2 项")
        overdue = hazards.locator("tr", has_text="回风巷甲烷传感器")
        expect(overdue).to_contain_text("2024-05-20")
        expect(overdue.locator(".tag.bad", has_text="超期")).to_have_count(1)
        expect(hazards.locator("tr", has_text=IN_TIME).locator(".tag", has_text="超期")).to_have_count(0)

        expect(page.locator("#home-reports")).to_contain_text("2024-05 的月度报告（截止 2024-06-05）")
        expect(page.locator("#home-reports")).to_contain_text("未报")
        expect(page.locator("#home-windows")).to_contain_text(WINDOW)
        expect(page.locator("#home-unacknowledged")).to_contain_text("甲一煤矿")

        assert page.evaluate("document.documentElement.scrollWidth") <= 1440
        hazards.get_by_role("link", name=OVERDUE[:20], exact=False).click()
        expect(page.locator("#hazard-status")).to_have_text("整改中")
    assert page_errors == []
