"""An enforcement inspection in a real browser, from the alarm that prompts it: the county's inspector opens the
alarm, opens an inspection of the mine with a colleague, arrives, records a major hazard citing a standard item,
issues the rectification order and downloads its PDF, leaves the site and closes the inspection. The page reads
in Chinese, in Beijing time, and fits a 1,440-px screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from kuangan.core import clock
from kuangan.core.choices import Role
from kuangan.monitoring.models import Alarm
from kuangan.monitoring.tests.alarm_data import at, aware, ingest_between, over_limit
from kuangan.testing import PASSWORD, World, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FINDING = "1303 综采工作面上隅角甲烷传感器未按规定标校，超限后未断电"
ORDER = "中阳应急责改〔2024〕1号"
# Words a Chinese page may still show in Latin letters (none of them is a code of ours).
LATIN_ALLOWED = {"SHA"}


def log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def assert_reads_in_chinese(page: Page) -> None:
    text = page.locator("main").inner_text()
    # words, not the letters inside a sensor's point code (141129000101MN000100100005, shown as the alarm's name)
    latin = {w for w in re.findall(r"(?<![0-9A-Za-z])[A-Za-z_]{2,}(?![0-9A-Za-z])", text)} - LATIN_ALLOWED
    assert not latin, f"the page shows {sorted(latin)}: " + " | ".join(
        text[max(0, m.start() - 60):m.end() + 20] for m in re.finditer("|".join(sorted(latin)), text))
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\+00:00|UTC", text)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440, "the page must fit 1,440 px"


def test_an_alarm_leads_to_an_inspection_with_a_rectification_order(
    live_server, world: World, page: Page, page_errors: list[str], screenshot: Callable[[str], Path],
    settings, tmp_path: Path,
) -> None:
    settings.MONITORING_DIR = tmp_path / "monitoring"
    settings.SESSION_IDLE_MINUTES = 24 * 60  # the clock jumps hours between the steps below
    make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")
    try:
        ingest_between(at(8), at(9), [over_limit(at(8, 20), 10, peak=1.8)])
        _flow(live_server.url, world, page, screenshot)
    finally:
        connections.close_all()  # the ingestion ran on a connection of its own (see the `browser` fixture)
    assert page_errors == []


def _flow(base: str, world: World, page: Page, screenshot: Callable[[str], Path]) -> None:
    alarm = Alarm.objects.get()
    start = aware(at(9, 5))

    # The inspector opens the alarm and opens an inspection from it, with a colleague.
    with clock.frozen(start):
        log_in(page, base, world.inspector.username)
        page.goto(f"{base}/monitoring/alarms/{alarm.pk}/")
        page.get_by_role("link", name="立项执法检查").click()
        expect(page.locator("#open-alarm")).to_contain_text("超限报警")
        expect(page.locator("#id_mine option:checked")).to_have_text("甲一煤矿")
        expect(page.locator("#id_source option:checked")).to_have_text("监测报警")
        expect(page.locator("#id_method option:checked")).to_have_text("四不两直")
        expect(page.locator("#id_planned_on")).to_have_value("2024-06-01")
        page.locator("#id_team").get_by_label(re.compile("李执法")).check()
        expect(page.locator("#id_team").get_by_label(re.compile("王检查"))).to_be_checked()
        page.fill("#id_credentials", "王检查：14112900001\n李执法：14112900002")
        assert_reads_in_chinese(page)
        screenshot("open-form")
        page.get_by_role("button", name="立项").click()
        expect(page.locator("#inspection-status")).to_have_text("待检查")
        expect(page.locator("#inspection-team")).to_contain_text("李执法")
        expect(page.locator("#inspection-team")).to_contain_text("14112900002")
        expect(page.locator("#briefing-when")).to_contain_text("到达现场时冻结")
        expect(page.locator("#briefing")).to_contain_text("超限报警 1")
        inspection_url = page.url
        assert_reads_in_chinese(page)
        screenshot("planned")

    # On site at ten: the arrival time is filled in with now.
    with clock.frozen(start + timedelta(minutes=55)):
        page.goto(inspection_url)
        arrive = page.locator("#action-arrive")
        expect(arrive.locator("[name=at]")).to_have_value("2024-06-01T10:00")
        arrive.locator("[name=place]").fill("1303 综采工作面")
        arrive.locator("[name=mine_representative]").fill("赵安全")
        arrive.get_by_role("button", name="到达现场").click()
        expect(page.locator("#inspection-status")).to_have_text("现场检查中")
        expect(page.locator("#on-site-start")).to_have_text("2024-06-01 10:00")
        expect(page.locator("#briefing-when")).to_have_text("研判于 2024-06-01 10:00 冻结")

    # A major hazard, citing its standard item: it enters the hazard ledger.
    with clock.frozen(start + timedelta(minutes=85)):
        card = page.locator("#action-record_finding")
        card.locator("[name=kind]").select_option(label="重大事故隐患")
        card.locator("[name=description]").fill(FINDING)
        card.locator("[name=place]").fill("1303 综采工作面上隅角")
        option = card.locator("[name=standard_item] option", has_text="C04-02").first
        card.locator("[name=standard_item]").select_option(value=option.get_attribute("value"))
        card.locator("[name=deadline]").fill("2024-06-15")
        card.get_by_role("button", name="记录").click()
        expect(page.locator(".messages")).to_contain_text("已登记为隐患")
        findings = page.locator("#findings")
        expect(findings).to_contain_text(FINDING)
        expect(findings).to_contain_text("C04-02")
        expect(findings).to_contain_text("2024-06-15")
        screenshot("on-site")

    # The leader issues the rectification order and downloads it.
    with clock.frozen(start + timedelta(minutes=115)):
        card = page.locator("#action-issue_order")
        card.get_by_label(re.compile("甲烷传感器未按规定标校")).check()
        card.locator("[name=deadline]").fill("2024-06-30")
        card.locator("[name=reinspect_on]").fill("2024-06-25")
        card.get_by_role("button", name="签发并送达").click()
        expect(page.locator(".messages")).to_contain_text(f"已签发责令限期整改指令书 {ORDER} 并送达。")
        expect(page.locator("#findings")).to_contain_text(ORDER)
        row = page.locator("#documents tr", has_text="责令限期整改指令书")
        with page.expect_download() as download_info:
            row.get_by_role("link", name="下载").click()
        download = download_info.value
        assert download.suggested_filename == f"责令限期整改指令书-{ORDER}-第1版.pdf"
        data = Path(download.path()).read_bytes()
        assert data.startswith(b"%PDF")
        text = "".join(p.extract_text() for p in pypdf.PdfReader(download.path()).pages).replace(" ", "")
        assert ORDER in text and "甲一煤矿" in text
        page.locator("#documents").get_by_role("link", name=ORDER).click()
        expect(page.locator("#document-content")).to_contain_text("1303 综采工作面上隅角甲烷传感器")
        expect(page.locator("#versions")).to_contain_text("首次签发")
        assert_reads_in_chinese(page)
        screenshot("order")
        page.goto(inspection_url)

    # The hazard ledger shows the hazard as found by the inspection.
    with clock.frozen(start + timedelta(minutes=120)):
        page.locator("#findings").get_by_role("link", name=re.compile(r"^#\d+$")).click()
        expect(page.locator("main")).to_contain_text("监管部门执法检查")
        expect(page.locator("#investigation")).to_be_visible()
        page.goto(inspection_url)

    # The leader leaves the site (the on-site record is signed) and closes the inspection.
    with clock.frozen(start + timedelta(hours=3, minutes=25)):
        page.reload()
        card = page.locator("#action-leave_site")
        card.locator("[name=summary]").fill("检查了通风、安全监控系统，发现重大事故隐患 1 项，已下达整改指令。")
        card.get_by_role("button", name="离开现场并签发检查记录").click()
        expect(page.locator("#inspection-status")).to_have_text("已离场，待结案")
        expect(page.locator("#on-site-end")).to_have_text("2024-06-01 12:30")
        card = page.locator("#action-close_inspection")
        card.locator("[name=note]").fill("整改指令已送达，待复查")
        card.get_by_role("button", name="结案").click()
        expect(page.locator("#inspection-status")).to_have_text("已结案")
        expect(page.locator("#inspection-facts")).to_contain_text("2.5 小时")
        expect(page.locator("#documents")).to_contain_text("现场检查记录")
        expect(page.locator(".action")).to_have_count(0)
        history = page.locator("#history")
        for step in ("立项", "到达现场", "离开现场", "结案"):
            expect(history.locator("tr", has_text=step).first).to_contain_text("王检查")
        assert_reads_in_chinese(page)
        screenshot("closed")
