"""The mine ledger in a real browser, as the county inspector uses it: log in, filter, open a dossier,
switch tabs, export to Excel. Every assertion is on what the user sees (or downloads)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from kuangan.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OURS = ("甲一煤矿", "甲二煤矿")
FOREIGN = "乙一煤矿"  # in 孝义市: outside the county inspector's jurisdiction


def _ledger_names(page: Page) -> list[str]:
    """The mine names in the ledger's rows, in the order shown."""
    return [n.strip() for n in page.locator("#mine-ledger tbody tr td a").all_inner_texts()]


def test_inspector_filters_opens_and_exports_the_ledger(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    base = live_server.url
    ledger = page.locator("#mine-ledger")

    # Log in through the form.
    page.goto(f"{base}/accounts/login/")
    expect(page.get_by_role("heading", name="矿安 · 矿山安全监管平台")).to_be_visible()
    screenshot("login")
    page.fill("#id_username", world.inspector.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    expect(page.locator(".topbar .who")).to_contain_text("王检查")
    screenshot("home")

    # Open the ledger from the menu: our two mines, never the foreign one.
    page.locator("nav.sidenav").get_by_role("link", name="矿山台账").click()
    page.wait_for_url(f"{base}/registry/mines/")
    expect(page.get_by_role("heading", name="矿山台账")).to_be_visible()
    expect(ledger).to_contain_text(OURS[0])
    assert sorted(_ledger_names(page)) == sorted(OURS)
    expect(ledger).not_to_contain_text(FOREIGN)
    screenshot("ledger")

    # Filter on the status 正常建设: only 甲二煤矿 (甲一煤矿 is producing).
    page.locator("#mine-filters select[name=status]").select_option(label="正常建设")
    page.locator("#mine-filters").get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"/registry/mines/\?.*status=building"))
    expect(ledger.locator("tbody tr")).to_have_count(1)
    expect(ledger).to_contain_text("甲二煤矿")
    expect(ledger).not_to_contain_text("甲一煤矿")
    expect(ledger).not_to_contain_text(FOREIGN)
    expect(page.locator("#mine-filters select[name=status] option:checked")).to_have_text("正常建设")
    screenshot("ledger-filtered")

    # Clear the filter: both of ours again.
    page.locator("#mine-filters").get_by_role("link", name="清除").click()
    page.wait_for_url(f"{base}/registry/mines/")
    expect(ledger.locator("tbody tr")).to_have_count(2)
    assert sorted(_ledger_names(page)) == sorted(OURS)
    expect(page.locator("#mine-filters select[name=status] option:checked")).to_have_text("全部")

    # Open a dossier by its name, then the leadership tab.
    ledger.get_by_role("link", name="甲一煤矿", exact=True).click()
    page.wait_for_url(f"{base}/registry/mines/{world.a1.pk}/")
    heading = page.locator("main h1").first
    expect(heading).to_contain_text("甲一煤矿")
    expect(heading).to_contain_text("1411290001")
    expect(page.locator("#mine-status")).to_have_text("正常生产")
    tabs = page.locator("nav.tabs")
    expect(tabs.locator("a.active")).to_have_text("基本信息")
    expect(page.locator("dl.facts")).to_contain_text("中阳县甲煤业有限公司")
    screenshot("dossier")

    tabs.get_by_role("link", name="领导班子").click()
    page.wait_for_url(f"{base}/registry/mines/{world.a1.pk}/?tab=leadership")
    expect(tabs.locator("a.active")).to_have_text("领导班子")
    expect(page.get_by_role("heading", name=re.compile("^领导班子"))).to_be_visible()
    expect(page.get_by_text("未登记领导班子。")).to_be_visible()
    expect(page.locator("dl.facts")).to_have_count(0)  # the basic facts are another tab's
    screenshot("dossier-leadership")

    # Back to the ledger, export it to Excel: the same mines as on screen, never the foreign one.
    page.locator("nav.sidenav").get_by_role("link", name="矿山台账").click()
    page.wait_for_url(f"{base}/registry/mines/")
    on_screen = _ledger_names(page)
    with page.expect_download() as download_info:
        page.locator("#export-xlsx").click()
    download = download_info.value
    assert download.failure() is None
    assert re.fullmatch(r"矿山台账-\d{8}\.xlsx", download.suggested_filename), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    screenshot("ledger-exported")

    sheet = load_workbook(saved, read_only=True).active
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert cells[0] == "中阳县应急管理局矿山台账"
    for name in on_screen:
        assert name in cells, f"{name} is on the ledger but not in the export"
    assert FOREIGN not in cells
    assert "1411810001" not in cells  # nor its code

    assert page_errors == []
