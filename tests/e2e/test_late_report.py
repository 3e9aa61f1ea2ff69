"""The 迟报 mark in a real browser (issue 18, rule 5): a mine head signs May's report on 8 June, three days
after its due day (the 5th): the monthly reports page marks it 迟报 3 天, for the mine head who signed it and
for the county inspector, and leaves the report signed in time unmarked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kuangan.core import clock
from kuangan.core.choices import Role
from kuangan.hazards import actions as hazard_actions
from kuangan.testing import World, make_user

from .test_hazards_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MAY = date(2024, 5, 1)
IN_TIME = datetime(2024, 6, 3, 16, 0, tzinfo=clock.SHANGHAI)  # before the due day, 5 June
LATE = datetime(2024, 6, 8, 10, 30, tzinfo=clock.SHANGHAI)  # 3 days after it
PAGE = "/hazards/monthly-reports/"


def test_a_report_signed_after_its_due_day_is_marked_late_for_mine_and_county(
    live_server: LiveServer, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
) -> None:
    assert world.a2.organization is not None
    a2_head = make_user("a2_head", world.a2.organization, Role.MINE_HEAD, full_name="甲二矿长")
    with clock.frozen(IN_TIME):
        hazard_actions.submit_monthly_report(world.a2.pk, by=world.actor(a2_head), month=MAY, is_zero=True)

    with clock.frozen(LATE):
        # the mine head signs May's zero report on 8 June, through the page
        log_in(page, live_server.url, world.mine_head.username)
        page.goto(f"{live_server.url}{PAGE}")
        expect(page.locator("#due-note")).to_contain_text("截止 2024-06-05")
        expect(page.locator("#id_month")).to_have_value("2024-05")
        page.select_option("#id_is_zero", "1")
        page.get_by_role("button", name="签字报送").click()
        page.wait_for_url(f"{live_server.url}{PAGE}?month=2024-05")
        expect(page.locator("body")).to_contain_text("月度报告已签字报送。")
        own = page.locator("#monthly-reports tr", has_text="甲一煤矿")
        expect(own.locator(".tag.ok", has_text="零报告")).to_have_count(1)
        expect(own.locator(".tag.bad")).to_have_text("迟报 3 天")
        expect(own).to_contain_text("2024-06-08 10:30")
        screenshot("mine-head")

        # the county inspector sees the same mark on the same report, and none on the report made in time
        log_in(page, live_server.url, world.inspector.username)
        page.goto(f"{live_server.url}{PAGE}?month=2024-05")
        rows = page.locator("#monthly-reports tbody tr")
        expect(rows).to_have_count(2)
        late = rows.filter(has_text="甲一煤矿")
        expect(late.locator(".tag.bad")).to_have_text("迟报 3 天")
        expect(late).to_contain_text("甲一矿长")
        in_time = rows.filter(has_text="甲二煤矿")
        expect(in_time.locator(".tag.ok", has_text="零报告")).to_have_count(1)
        expect(in_time).not_to_contain_text("迟报")
        expect(in_time).to_contain_text("2024-06-03 16:00")
        screenshot("county-inspector")
    assert page_errors == []
