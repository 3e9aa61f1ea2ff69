"""Personal data (R10.8): a roster member's ID number and phone, a supervisor's phone and a user's phone
never leave the platform in full, on any page, export or API response, for any role, until someone
allowed to see them presses 查看 (the audited reveal). Edit forms show the masked value and keep the
stored one when it comes back unchanged."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from kuangan.core.access import can, visible
from kuangan.core.choices import Perm, Role
from kuangan.core.masking import mask_id_number, mask_phone
from kuangan.core.models import AuditEvent, User
from kuangan.registry import actions
from kuangan.registry.models import LeadershipMember, Mine, MineSupervisor
from kuangan.testing import World, make_user, tamper_audit

from .test_access_matrix import _operations, _our_records, _ours, _pages

ID_NUMBER = "141129197001011234"  # the roster member's, as _our_records stores it
PHONE = "13912345678"
SUPERVISOR_PHONE = "0358-3321234"
USER_PHONES = ["13800001111", "13655556666"]
SECRETS = [ID_NUMBER, PHONE, SUPERVISOR_PHONE, *USER_PHONES]
PERSONAS = [name for name, kind in World.__annotations__.items() if kind in {"User", User}]
SEPARATORS = re.compile(r"[\s\-–—·.()（）]")
QUERY_LINK = re.compile(r'href="([^"?#]*)\?([^"#]+)"')


def _digits(value: str) -> str:
    return SEPARATORS.sub("", value)


def _text(response: Any) -> str:
    kind = response.get("Content-Type", "")
    if kind.startswith("application/vnd.openxmlformats"):
        wb = load_workbook(io.BytesIO(response.content))
        return " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                        for c in row if c is not None)
    if kind.startswith(("text/", "application/json")):
        return response.content.decode("utf-8", "replace")
    return ""


def _assert_no_personal_data(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = _text(response)
    compact = _digits(body)
    for secret in SECRETS:
        assert secret not in body and _digits(secret) not in compact, f"{where} shows {secret}"


def _personal_world(world: World) -> dict[str, list[int]]:
    records = _our_records(world)
    member = LeadershipMember.objects.get(pk=records["leadership"][0])
    assert (member.id_number, member.phone) == (ID_NUMBER, PHONE)
    records["supervisor"].append(actions.save_mine_record("supervisor", world.a1.pk, by=world.actor(world.inspector), data={
        "kind": "assigned_official", "name": "包保副县长", "position": "中阳县人民政府", "phone": SUPERVISOR_PHONE,
        "start_on": "2024-01-01", "end_on": None}).pk)
    make_user("phone_inspector", world.county, Role.INSPECTOR, full_name="李电话", phone=USER_PHONES[0])
    assert world.a1.organization is not None
    make_user("phone_officer", world.a1.organization, Role.MINE_SAFETY_OFFICER, phone=USER_PHONES[1])
    return records


def test_the_scan_can_fail(world, login):
    """The scan finds a full value where one is shown: the reveal answer holds it."""
    records = _personal_world(world)
    response = login(world.inspector).post(f"/registry/mines/{world.a1.pk}/leadership/{records['leadership'][0]}/reveal/")
    with pytest.raises(AssertionError, match=ID_NUMBER):
        _assert_no_personal_data(response, "reveal")


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_or_export_shows_personal_data(world, login, persona):
    records = _personal_world(world)
    client = login(getattr(world, persona))
    with_ids, plain = _pages(_ours(world))
    urls = [url for url, _view in with_ids + plain]
    assert f"/registry/mines/{world.a1.pk}/" in urls and "/registry/mines/export/" in urls
    assert f"/workforce/mines/{world.a1.pk}/workers/{records['worker'][0]}/" in urls  # our roster, issue 20
    seen = set(urls)
    for url in urls:  # grows: each page's links to itself with a query (tabs, pages) are walked too
        response = client.get(url)
        _assert_no_personal_data(response, f"GET {url} as {persona}")
        path = url.split("?")[0]
        for target, query in QUERY_LINK.findall(_text(response)) if response.status_code == 200 else []:
            link = path + "?" + query.replace("&amp;", "&")
            if target in ("", path) and link not in seen:
                seen.add(link)
                urls.append(link)
    if visible(getattr(world, persona), Mine).filter(pk=world.a1.pk).exists():
        assert f"/registry/mines/{world.a1.pk}/?tab=leadership" in seen  # the roster itself was walked


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_api_response_shows_personal_data(world, login, persona):
    records = _personal_world(world)
    client = login(getattr(world, persona))
    gets = [url for _name, method, url, _body in _operations(_ours(world)) if method == "GET"]
    assert f"/api/v1/registry/mines/{world.a1.pk}" in gets and records["leadership"]
    for url in gets:
        _assert_no_personal_data(client.get(url), f"GET {url} as {persona}")


def test_reveal_shows_the_full_value_and_is_recorded(world, login):
    records = _personal_world(world)
    member_id = records["leadership"][0]
    url = f"/registry/mines/{world.a1.pk}/leadership/{member_id}/reveal/"
    page = login(world.inspector).get(f"/registry/mines/{world.a1.pk}/?tab=leadership").content.decode()
    assert mask_id_number(ID_NUMBER) in page and url in page and "查看" in page
    before = AuditEvent.objects.count()
    revealed = login(world.inspector).post(url)
    body = revealed.content.decode()
    assert ID_NUMBER in body and PHONE in body and "已记录查看" in body
    assert revealed["Cache-Control"] == "no-store"  # the one answer with the full value stays in no cache
    event = AuditEvent.objects.get(seq__gt=before)
    assert event.verb == "registry.leadershipmember.personal_data_viewed"
    assert (event.target_type, event.target_id, event.actor_id) == ("registry.leadershipmember", str(member_id),
                                                                     world.inspector.pk)
    stored = json.dumps([event.before, event.after, event.reason, event.target_repr], ensure_ascii=False)
    assert ID_NUMBER not in stored and PHONE not in stored


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_reveal_permission_in_scope_reveals(world, login, persona):
    """Every persona presses 查看: those with the permission over the mine see the full value (audited);
    everyone else gets 403/404, no value and no event."""
    user = getattr(world, persona)
    allowed = can(user, Perm.PERSONAL_DATA_VIEW) and visible(user, Mine).filter(pk=world.a1.pk).exists()
    records = _personal_world(world)
    before = AuditEvent.objects.count()
    response = login(user).post(f"/registry/mines/{world.a1.pk}/leadership/{records['leadership'][0]}/reveal/")
    revealed = AuditEvent.objects.filter(seq__gt=before, verb__endswith="personal_data_viewed").exists()
    if allowed:
        assert response.status_code == 200 and ID_NUMBER in response.content.decode() and revealed
        return
    assert response.status_code in (403, 404)
    _assert_no_personal_data(response, f"reveal as {persona}")
    assert not revealed


def _as_shown(response: Any) -> dict[str, Any]:
    """What a browser sends back for the form as rendered (checkboxes: "on" or absent)."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (False, None):
            data[name] = value
    return data


def test_leadership_edit_form_never_prefills_the_full_values(world, login):
    records = _personal_world(world)
    member = LeadershipMember.objects.get(pk=records["leadership"][0])
    url = f"/registry/mines/{world.a1.pk}/leadership/{member.pk}/"
    client = login(world.mine_safety_officer)  # edits the roster, may not reveal it
    shown = client.get(url)
    html = shown.content.decode()
    assert ID_NUMBER not in html and PHONE not in html
    assert mask_id_number(ID_NUMBER) in html and mask_phone(PHONE) in html

    unchanged = _as_shown(shown)
    assert client.post(url, {**unchanged, "major": "矿井通风"}).status_code == 302
    member.refresh_from_db()
    assert (member.id_number, member.phone, member.major) == (ID_NUMBER, PHONE, "矿井通风")

    assert client.post(url, {**unchanged, "id_number": "14112919800202567X", "phone": "13700002222"}).status_code == 302
    member.refresh_from_db()
    assert (member.id_number, member.phone) == ("14112919800202567X", "13700002222")

    for bad in ("141129********9999", "1411********567X", "14112919800202567*"):
        response = client.post(url, {**unchanged, "id_number": bad, "phone": "137****9999"})
        body = response.content.decode()
        assert response.status_code == 200 and "请填写完整的身份证号" in body and "请填写完整的电话" in body
        assert "14112919800202567X" not in body and "13700002222" not in body
        member.refresh_from_db()
        assert (member.id_number, member.phone) == ("14112919800202567X", "13700002222")

    bad_id = client.post(url, {**unchanged, "id_number": "141129198002025670"[:17]}).content.decode()
    assert "身份证号应为 18 位" in bad_id  # a new value is still validated

    client.post(url, {**_as_shown(client.get(url)), "phone": ""})
    member.refresh_from_db()
    assert member.phone == "" and member.id_number == "14112919800202567X"  # emptied: removed


def test_supervisor_edit_form_never_prefills_the_full_phone(world, login):
    records = _personal_world(world)
    supervisor = MineSupervisor.objects.get(phone=SUPERVISOR_PHONE)
    assert supervisor.pk in records["supervisor"]
    url = f"/registry/mines/{world.a1.pk}/supervisor/{supervisor.pk}/"
    client = login(world.inspector)
    shown = client.get(url)
    html = shown.content.decode()
    assert SUPERVISOR_PHONE not in html and mask_phone(SUPERVISOR_PHONE) in html
    assert client.post(url, {**_as_shown(shown), "position": "中阳县人民政府副县长"}).status_code == 302
    supervisor.refresh_from_db()
    assert (supervisor.phone, supervisor.position) == (SUPERVISOR_PHONE, "中阳县人民政府副县长")


@pytest.mark.parametrize("number", ["3321234", "0358332123", "13912345678", "0358-3321234"])
def test_a_masked_phone_never_shows_the_whole_number(number):
    masked = mask_phone(number)
    assert len(masked) == len(number) and masked.count("*") >= 3 and _digits(number) not in _digits(masked)


def test_the_django_admin_shows_personal_data_masked(world, login):
    """The admin is one more page: the system administrator (staff) sees masked values on the roster,
    supervisor and account forms, and the audit administrator sees older events' snapshots masked."""
    records = _personal_world(world)
    member = LeadershipMember.objects.get(pk=records["leadership"][0])
    officer = User.objects.get(username="phone_officer")
    # an event written before snapshots were masked, as an older database holds it
    tamper_audit("UPDATE core_auditevent SET after = %s WHERE verb = 'registry.leadershipmember.created'",
                 [f'{{"id_number": "{ID_NUMBER}", "phone": "{PHONE}"}}'])
    for user in (world.county_admin, world.auditor):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    admin = login(world.county_admin)
    pages = [f"/admin/registry/leadershipmember/{member.pk}/change/",
             f"/admin/registry/minesupervisor/{records['supervisor'][-1]}/change/",
             f"/admin/core/user/{officer.pk}/change/", "/admin/registry/leadershipmember/"]
    for url in pages:
        response = admin.get(url)
        assert response.status_code == 200, url
        _assert_no_personal_data(response, url)
    assert "141129********1234" in admin.get(pages[0]).content.decode()
    auditor = login(world.auditor)
    old = AuditEvent.objects.get(verb="registry.leadershipmember.created")
    for url in ("/admin/core/auditevent/", f"/admin/core/auditevent/{old.pk}/change/"):
        response = auditor.get(url)
        assert response.status_code == 200, url
        _assert_no_personal_data(response, url)
