"""Each auditor reads the trail of their own jurisdiction only (county, city subtree, province), on the
page, through its filters and through its verify button; and the trail never shows a full ID or phone
number, neither written by now nor held by an event from before the masking."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from kuangan.core import actions as core_actions
from kuangan.core import clock
from kuangan.core.choices import OrganizationKind, Role
from kuangan.core.models import AuditEvent
from kuangan.core.queries import audit_events
from kuangan.registry import actions
from kuangan.testing import make_org, make_user, tamper_audit

FULL_ID, MASKED_ID = "141129197001011234", "141129********1234"
FULL_PHONE, MASKED_PHONE = "13912345678", "139****5678"
URL = reverse("core:audit_log")


@pytest.fixture(autouse=True)
def anchor_log(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.log"
    return Path(settings.AUDIT_ANCHOR_PATH)


@pytest.fixture
def trail(world):  # type: ignore[no-untyped-def]
    """Events of our county (a mine, a roster member with personal data, an account) and one foreign."""
    actions.update_mine(world.a1.pk, by=world.actor(world.inspector), data={"address": "中阳县宁乡镇"})
    member = actions.save_mine_record("leadership", world.a1.pk, by=world.actor(world.mine_head), data={
        "post": "mine_head", "name": "甲一矿长", "id_number": FULL_ID, "phone": FULL_PHONE,
        "education": "bachelor", "major": "采矿工程", "major_is_mining": True, "frontline_years": 20,
        "appointed_on": None, "holds_mine_head_post": False, "active": True})
    account = core_actions.create_user(by=world.actor(world.county_admin), username="new_inspector",
                                       full_name="赵新", organization=world.county, role=Role.INSPECTOR,
                                       password="Kuangan-2024-Strong!", phone="13800001111")
    actions.update_mine(world.b1.pk, by=world.actor(world.foreign_inspector), data={"address": "孝义市兑镇"})
    return member, account


def _rows(html: str) -> str:
    """The table of events (the filter form repeats what was searched for)."""
    return html.split('<table class="ledger diff">', 1)[1]


def _auditor(name: str, org):  # type: ignore[no-untyped-def]
    return make_user(name, org, Role.AUDITOR, full_name=name)


def test_a_foreign_countys_auditor_sees_none_of_our_events(world, trail, login):
    foreign = _auditor("foreign_auditor", world.foreign_county)
    seen = set(audit_events(foreign).values_list("target_repr", flat=True))
    assert seen == {"乙一煤矿"}
    html = _rows(login(foreign).get(URL).content.decode())
    assert "乙一煤矿" in html
    for ours in ("甲一煤矿", "甲一矿长", "赵新", "宁乡镇", MASKED_ID):
        assert ours not in html


def test_a_foreign_auditor_cannot_filter_their_way_into_our_mine(world, trail, login):
    client = login(_auditor("foreign_auditor", world.foreign_county))
    html = client.get(URL, {"mine": world.a1.pk}).content.decode()
    assert "所选矿山不存在或不在您的辖区内" in html and "甲一煤矿" not in html
    assert f'<option value="{world.a1.pk}"' not in html  # not offered either
    for params in ({"obj": "甲一"}, {"person": "王检查"}, {"obj": "领导班子"}):
        assert "甲一" not in _rows(client.get(URL, params).content.decode())


def test_the_verify_button_tells_a_foreign_auditor_nothing_about_our_events(world, trail, login):
    client = login(_auditor("foreign_auditor", world.foreign_county))
    total = AuditEvent.objects.count()
    html = client.get(URL, {"verify": "1"}).content.decode()
    assert "已校验本辖区 1 条记录" in html and f"{total} 条" not in html
    ours = AuditEvent.objects.filter(target_repr="甲一煤矿").first()
    # someone edits one of our county's events behind the app's back
    tamper_audit("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", [ours.pk])
    html = client.get(URL, {"verify": "1"}).content.decode()
    assert "本辖区以外" in html and f"第 {ours.seq} 条" not in html
    county_html = login(world.auditor).get(URL, {"verify": "1"}).content.decode()
    assert f"审计链在第 {ours.seq} 条处断开" in county_html


def test_the_city_sees_its_counties_and_the_county_its_own(world, trail):
    city = " ".join(audit_events(_auditor("city_auditor", world.city)).values_list("target_repr", flat=True))
    assert all(name in city for name in ("甲一煤矿", "乙一煤矿", "甲一矿长", "赵新"))
    county = " ".join(audit_events(world.auditor).values_list("target_repr", flat=True))
    assert all(name in county for name in ("甲一煤矿", "甲一矿长", "赵新")) and "乙一煤矿" not in county


def test_account_events_belong_to_the_accounts_organization(world, trail):
    _member, account = trail
    event = AuditEvent.objects.get(verb="core.user.created", target_id=str(account.pk))
    assert event.division_path == world.county.division.path
    assert audit_events(world.auditor).filter(pk=event.pk).exists()
    assert not audit_events(_auditor("foreign_auditor", world.foreign_county)).filter(pk=event.pk).exists()


def test_only_the_province_sees_events_that_belong_to_no_division(world, trail):
    from kuangan.core import audit
    from kuangan.core.actor import Actor

    machine = make_user("orphan_machine", None, Role.MINE_SYSTEM)
    event = audit.record("core.user.locked", machine, by=Actor.system("web"))
    assert event.division_path == ""
    province = _auditor("province_auditor", make_org("山西省应急管理厅", OrganizationKind.REGULATOR, "140000"))
    assert audit_events(province).filter(pk=event.pk).exists()
    assert audit_events(province).count() == AuditEvent.objects.count()
    assert not audit_events(_auditor("city_auditor", world.city)).filter(pk=event.pk).exists()


def test_the_mine_filter_finds_the_mines_own_rows_and_those_of_its_children(world, trail, login):
    html = _rows(login(world.auditor).get(URL, {"mine": world.a1.pk}).content.decode())
    assert "甲一煤矿" in html and "甲一矿长" in html and "赵新" not in html


def test_the_date_filter_is_in_beijing_days_and_bad_dates_get_a_message(world, trail, login):
    client = login(world.auditor)
    today = AuditEvent.objects.latest("seq").at.astimezone(clock.SHANGHAI).date()
    day = {"since": today.isoformat(), "until": today.isoformat()}
    assert "甲一煤矿" in _rows(client.get(URL, day).content.decode())
    assert "甲一煤矿" not in _rows(client.get(URL, {"until": "2000-01-01"}).content.decode())
    for bad in ({"since": "30/06/2024"}, {"since": "0001-01-01"}, {"until": "9999-12-31"},
                {"mine": "99999999999999999999"}, {"mine": "x"}):
        response = client.get(URL, bad)
        html = response.content.decode()
        assert response.status_code == 200 and ("应写成 2024-06-30" in html or "所选矿山不存在" in html), bad


def test_the_pager_keeps_the_filters(world, trail, login):
    for n in range(55):
        actions.update_mine(world.a1.pk, by=world.actor(world.inspector), data={"address": f"中阳县{n}号"})
    html = login(world.auditor).get(URL, {"mine": world.a1.pk, "person": "王检查"}).content.decode()
    next_page = re.search(r'href="\?([^"]*page=2)"', html)
    assert next_page is not None
    assert parse_qs(unescape(next_page.group(1))) == {"person": ["王检查"], "mine": [str(world.a1.pk)], "page": ["2"]}


# --- personal data -------------------------------------------------------------------------------

def test_the_trail_stores_and_shows_only_masked_personal_data(world, trail, login):
    member, _account = trail
    stored = str(list(AuditEvent.objects.values_list("before", "after", "target_repr")))
    assert FULL_ID not in stored and FULL_PHONE not in stored and "13800001111" not in stored
    audit_html = login(world.auditor).get(URL).content.decode()
    assert MASKED_ID in audit_html and FULL_ID not in audit_html and FULL_PHONE not in audit_html
    history_html = login(world.inspector).get(reverse("registry:mine_history", args=[world.a1.pk])).content.decode()
    assert MASKED_ID in history_html and FULL_ID not in history_html and FULL_PHONE not in history_html


def test_events_from_before_the_masking_are_masked_when_shown(world, trail, login):
    member, _account = trail
    # an event written by an older version held the full values
    tamper_audit("UPDATE core_auditevent SET after = %s WHERE verb = 'registry.leadershipmember.created'",
                 [f'{{"id_number": "{FULL_ID}", "phone": "{FULL_PHONE}", "name": "甲一矿长"}}'])
    for user, url in ((world.auditor, URL), (world.inspector, reverse("registry:mine_history", args=[world.a1.pk]))):
        html = login(user).get(url).content.decode()
        assert MASKED_ID in html and FULL_ID not in html and FULL_PHONE not in html
