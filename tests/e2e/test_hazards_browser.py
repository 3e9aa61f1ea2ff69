"""The major-hazard loop in a real browser, by the people who do it: the mine safety officer reports
a major hazard and fills the five implementations; the county inspector sees it on the ledger; the
mine head requests close-out with an evaluation; the inspector verifies and closes it out; the
hazard's history shows every step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kuangan.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESCRIPTION = "2103 掘进工作面甲烷传感器未按规定标校，断电功能失效"


def log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def submit_action(page: Page, name: str, fields: dict[str, str]) -> None:
    card = page.locator(f"#action-{name}")
    for field, value in fields.items():
        card.locator(f"[name={field}]").fill(value)
    card.get_by_role("button", name="提交").click()


def test_report_rectify_request_and_close_out_a_major_hazard(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
) -> None:
    base = live_server.url

    # The mine's safety officer reports the hazard, citing item C04-02.
    log_in(page, base, world.mine_safety_officer.username)
    page.locator("nav.sidenav").get_by_role("link", name="登记隐患").click()
    page.select_option("#id_mine", label="甲一煤矿")
    page.select_option("#id_level", value="major")
    option = page.locator("#id_standard_item option", has_text="C04-02").first
    page.select_option("#id_standard_item", value=option.get_attribute("value"))
    page.select_option("#id_source", value="self_inspection")
    page.fill("#id_description", DESCRIPTION)
    screenshot("report-form")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#hazard-status")).to_have_text("已上报")
    hazard_url = page.url

    # Without the five implementations rectification cannot start: the page names what is missing.
    submit_action(page, "start_rectification", {"responsible_person": "李安全"})
    expect(page.locator("#action-start_rectification")).to_contain_text("缺少：整改措施、整改资金、整改时限、应急预案")
    submit_action(page, "start_rectification", {
        "responsible_person": "李安全", "measures": "更换并标校甲烷传感器，做断电试验", "funds": "8.5",
        "deadline": "2099-12-31", "contingency_plan": "超限立即停电撤人"})
    expect(page.locator("#hazard-status")).to_have_text("整改中")
    screenshot("rectifying")

    # The county inspector finds it on the hazard ledger.
    log_in(page, base, world.inspector.username)
    page.locator("nav.sidenav").get_by_role("link", name="隐患台账").click()
    ledger = page.locator("#hazard-ledger")
    expect(ledger).to_contain_text("甲一煤矿")
    expect(ledger).to_contain_text("2103 掘进工作面甲烷传感器")
    expect(ledger).to_contain_text("整改中")
    screenshot("ledger")

    # The mine head requests close-out with the engineers' evaluation; closing it out is not offered.
    log_in(page, base, world.mine_head.username)
    page.goto(hazard_url)
    expect(page.locator("#action-verify_close_out")).to_have_count(0)
    submit_action(page, "request_close_out", {"evaluation_by": "总工程师 赵工",
                                              "evaluation": "传感器已更换标校，断电试验合格"})
    expect(page.locator("#hazard-status")).to_have_text("申请销号")
    expect(page.locator("#action-verify_close_out")).to_have_count(0)  # a mine never closes its major hazard

    # The inspector verifies on site and closes it out.
    log_in(page, base, world.inspector.username)
    page.goto(hazard_url)
    card = page.locator("#action-verify_close_out")
    card.locator("[name=approve]").select_option("1")
    card.locator("[name=opinion]").fill("现场核查整改到位，同意销号")
    card.get_by_role("button", name="提交").click()
    expect(page.locator("#hazard-status")).to_have_text("已销号")

    # The history shows every step, with who did it.
    history = page.locator("#history")
    for step, who in (("登记", "mine_safety_officer"), ("落实五落实、开始整改", "mine_safety_officer"),
                      ("申请销号", "甲一矿长"), ("验收销号", "王检查")):
        expect(history.locator("tr", has_text=step).first).to_contain_text(who)
    screenshot("closed")
    assert page_errors == []
