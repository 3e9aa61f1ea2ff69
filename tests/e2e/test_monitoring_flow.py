"""An alarm in a real browser, as the county's duty inspector meets it: the alarm list is open; the mine's
files arrive with a methane over-limit at the working face's upper corner; the new row appears on the
open page without a reload (the list polls itself); the inspector opens it, sees the point's chart,
acknowledges it, is refused a disposal without the whole 两停一撤六查 checklist, records it with the
checklist; the alarm's history shows both steps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from kuangan.core import clock
from kuangan.monitoring.tests.alarm_data import UPPER_CORNER_CH4, at, aware, ingest_between, over_limit
from kuangan.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_inspector_sees_a_new_alarm_arrive_acknowledges_and_disposes_it(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
    settings, tmp_path: Path,
) -> None:
    settings.MONITORING_DIR = tmp_path / "monitoring"
    settings.MONITORING_POLL_SECONDS = 1  # the page asks every 10 s in production
    try:
        with clock.frozen(aware(at(8, 26))):  # the duty shift of the simulated day (the server reads it too)
            _flow(live_server.url, world, page, screenshot)
    finally:
        # the ingestions above ran on a connection of their own (see the `browser` fixture): close it,
        # or the test database cannot be dropped at the end of the session
        connections.close_all()
    assert page_errors == []


def _flow(base: str, world: World, page: Page, screenshot: Callable[[str], Path]) -> None:

    # Quiet data first: the list is open and empty.
    ingest_between(at(8), at(8, 15))
    log_in(page, base, world.inspector.username)
    page.locator("nav.sidenav").get_by_role("link", name="报警列表").click()
    ledger = page.locator("#alarm-ledger")
    expect(ledger).to_contain_text("没有符合条件的报警")
    expect(page.locator("#alarm-table")).to_have_attribute("hx-trigger", "every 1s")
    page.evaluate("window.__notReloaded = true")
    screenshot("list-empty")

    # The mine's next files carry a methane over-limit (08:20, still going at 08:25).
    ingest_between(at(8, 15), at(8, 25), [over_limit(at(8, 20), 30, peak=1.8)])
    row = ledger.locator("tbody tr.alarm-new")
    expect(row).to_have_count(1, timeout=15_000)
    expect(row).to_contain_text("超限报警")
    expect(row).to_contain_text("1303综采工作面上隅角")
    expect(row).to_contain_text("2024-06-01 08:20:00")
    expect(row).to_contain_text("报警中")
    expect(row).to_contain_text("未确认")
    expect(page.locator("#alarm-pending")).to_contain_text("1 条报警未确认")
    assert page.evaluate("window.__notReloaded === true"), "the row must arrive without a reload"
    screenshot("list-new-alarm")

    # The inspector opens it: what, where, the evidence and the point's chart.
    row.get_by_role("link", name="超限报警").click()
    expect(page.locator("#alarm-active")).to_have_text("报警中")
    expect(page.locator("#alarm-acknowledged")).to_have_text("未确认")
    expect(page.locator("main")).to_contain_text(UPPER_CORNER_CH4)
    expect(page.locator("#alarm-evidence")).to_contain_text("报警值")
    expect(page.locator("#alarm-evidence")).to_contain_text("1.0%")
    expect(page.locator("#alarm-chart canvas").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("6 分 （至今）")  # 08:20:00 to 08:26:00
    screenshot("detail")

    # Acknowledge.
    ack = page.locator("#action-acknowledge")
    ack.locator("[name=note]").fill("已电话通知矿调度室，要求立即停电撤人")
    ack.get_by_role("button", name="确认").click()
    expect(page.locator("#alarm-acknowledged")).to_have_text("已确认")
    expect(page.locator("#action-acknowledge")).to_have_count(0)

    # A disposal without the whole checklist is refused, with the missing items named.
    dispose = page.locator("#action-dispose")
    dispose.locator("[name=cause]").fill("回采推进后上隅角瓦斯积聚")
    dispose.locator("[name=measures]").fill("停止作业、切断电源、撤出人员，调整风量后复查")
    dispose.locator("input[name=checklist][value=stop_work]").check()
    dispose.get_by_role("button", name="提交").click()
    dispose = page.locator("#action-dispose")
    expect(dispose).to_contain_text("瓦斯超限须落实“两停一撤六查”，尚未落实：停电（切断非本安电源）")
    screenshot("disposal-refused")

    # With every item checked it is recorded.
    for box in dispose.locator("input[name=checklist]").all():
        box.check()
    dispose.get_by_role("button", name="提交").click()
    expect(page.locator("#alarm-disposed")).to_have_text("已处置")
    expect(page.locator("#disposal")).to_contain_text("☑ 撤出人员")
    expect(page.locator("#disposal")).to_contain_text("☑ 查责任落实")

    # The history shows both steps, by the inspector.
    history = page.locator("#history")
    expect(history.locator("tr", has_text="已确认").first).to_contain_text("王检查")
    expect(history.locator("tr", has_text="已确认").first).to_contain_text("已电话通知矿调度室")
    expect(history.locator("tr", has_text="已处置").first).to_contain_text("王检查")
    expect(history.locator("tr", has_text="报警产生")).to_have_count(1)
    screenshot("disposed")


def test_the_county_decides_a_long_planned_window(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
) -> None:
    """The mine head declares five hours of maintenance: more than the single limit, so it waits for the
    county. The inspector finds it from the home page, is refused a rejection without a note, approves
    it; the mine head sees the decision. The page fits a 1,440-px screen."""
    base = live_server.url
    with clock.frozen(aware(at(7))):
        log_in(page, base, world.mine_head.username)
        page.locator("nav.sidenav").get_by_role("link", name="计划作业").click()
        expect(page.locator("#window-rules")).to_contain_text("未找到规章依据，可由系统管理员配置")
        form = page.locator("#declare-window")
        form.locator("[name=kind]").select_option(label="检修")
        form.locator("[name=start]").fill("2024-06-01T08:00")
        form.locator("[name=end]").fill("2024-06-01T13:00")
        form.locator("[name=reason]").fill("主要通风机检修")
        form.get_by_role("button", name="申报").click()
        expect(page.locator(".messages")).to_contain_text("须县局审批后才生效")
        row = page.locator("#window-ledger tbody tr").first
        expect(row).to_contain_text("待县局审批")
        expect(row).to_contain_text("5 小时")
        expect(row).to_contain_text("等待县局审批")
        screenshot("declared")

        log_in(page, base, world.inspector.username)
        page.locator("#home-pending-windows").click()
        row = page.locator("#window-ledger tbody tr").first
        expect(row).to_contain_text("主要通风机检修")
        expect(row).to_contain_text("单次超过 4 小时")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1440, "the page must fit 1,440 px"
        screenshot("pending")
        row.get_by_role("button", name="驳回").click()
        expect(page.locator(".messages")).to_contain_text("驳回须填写审批意见")
        row = page.locator("#window-ledger tbody tr").first
        row.locator("[name=note]").fill("已核实检修计划")
        row.get_by_role("button", name="批准").click()
        expect(page.locator(".messages")).to_contain_text("已批准")
        row = page.locator("#window-ledger tbody tr").first
        expect(row).to_contain_text("已生效")
        expect(row).to_contain_text("王检查")
        expect(row).to_contain_text("已核实检修计划")
        screenshot("approved")

        log_in(page, base, world.mine_head.username)
        page.goto(f"{base}/monitoring/windows/")
        expect(page.locator("#window-ledger tbody tr").first).to_contain_text("已生效")
    assert page_errors == []
