"""三员分立 (R10.7): the system administrator (accounts, registry), the security administrator (roles,
lock-outs, tokens) and the audit administrator (reads the trail). None can create, grant, reset,
deactivate or log in as the other two, on the pages, through the actions or in the Django admin."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from kuangan.core import actions, clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.errors import DomainError
from kuangan.core.models import ApiToken, AuditEvent, User
from kuangan.core.passwords import must_change
from kuangan.testing import PASSWORD, assert_audited, make_user, unchanged

NEW = "Initial-Pass-1"


def staff(user: User) -> User:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


# --- the system administrator ---------------------------------------------------------------------

def test_the_system_administrator_manages_people_not_administrators(world, login):
    client = login(world.county_admin)
    page = client.get("/system/users/").content.decode()
    assert "sec_admin" in page and "审计管理员" in page  # listed ...
    for other in (world.sec_admin, world.auditor):  # ... never acted on
        assert f"/system/users/{other.pk}/password/" not in page
        with unchanged(other):
            assert client.post(f"/system/users/{other.pk}/password/").status_code == 403
            assert client.post(f"/system/users/{other.pk}/active/", {"active": "0"}).status_code == 403
        other.refresh_from_db()
        assert other.is_active and not must_change(other)
    form = client.get("/system/users/").content.decode().split("新建用户")[1]
    assert "审计管理员" not in form and "安全管理员" not in form and "系统管理员" not in form
    with unchanged(User):
        response = client.post("/system/users/", {"username": "my_auditor", "full_name": "x", "role": "auditor",
                                                  "organization": world.county.pk, "password": NEW})
    assert not User.objects.filter(username="my_auditor").exists() and response.status_code == 200
    assert "auditor 不在可用的选项中" in response.content.decode()  # the form offers no administrator role
    with unchanged(User), pytest.raises(DomainError, match="命令"):
        actions.create_user(by=world.actor(world.county_admin), username="my_auditor", full_name="x",
                            organization=world.county, role=Role.AUDITOR, password=NEW)
    with unchanged(world.auditor), pytest.raises(PermissionDenied):
        actions.reset_password(world.auditor.pk, by=world.actor(world.county_admin))
    with unchanged(world.sec_admin), pytest.raises(PermissionDenied):
        actions.set_user_active(world.sec_admin.pk, by=world.actor(world.county_admin), active=False)
    assert client.get("/system/audit/").status_code == 403
    assert client.get("/system/security/").status_code == 403


def test_a_password_reset_shows_a_one_time_password_and_forces_a_change(world, login, client):
    admin = login(world.county_admin)
    response = admin.post(f"/system/users/{world.inspector.pk}/password/")
    body = response.content.decode()
    password = body.split('<code id="one-time-password">')[1].split("</code>")[0]
    world.inspector.refresh_from_db()
    assert world.inspector.check_password(password) and must_change(world.inspector)
    event = assert_audited("core.user.password_reset", world.inspector, by=world.county_admin)  # reset_password
    assert password not in str(event.before) + str(event.after) + event.reason
    admin.logout()
    client.post("/accounts/login/", {"username": "inspector", "password": password})
    assert client.get("/registry/mines/")["Location"] == "/accounts/password/"
    assert client.get("/api/v1/registry/mines").status_code in (401, 403)  # every channel (api.py)


def test_the_system_administrator_can_reset_a_fellow_but_not_itself(world):
    other = make_user("county_admin2", world.county, Role.REGULATOR_ADMIN)
    actions.reset_password(other.pk, by=world.actor(world.county_admin))
    with unchanged(world.county_admin), pytest.raises(DomainError, match="请在“修改密码”页面修改自己的密码。"):
        actions.reset_password(world.county_admin.pk, by=world.actor(world.county_admin))


# --- the security administrator -------------------------------------------------------------------

def test_the_security_administrator_changes_business_roles_only(world, login):
    client = login(world.sec_admin)
    page = client.get("/system/security/")
    assert page.status_code == 200 and "<h1>账户安全</h1>" in page.content.decode() and "王检查" in page.content.decode()
    with unchanged(world.inspector):
        client.post(f"/system/security/{world.inspector.pk}/role/", {"role": "mine_head"})  # not a regulator's role
    world.inspector.refresh_from_db()
    assert world.inspector.role == Role.INSPECTOR
    client.post(f"/system/security/{world.mine_safety_officer.pk}/role/", {"role": "mine_dispatcher"})
    world.mine_safety_officer.refresh_from_db()
    assert world.mine_safety_officer.role == Role.MINE_DISPATCHER
    assert_audited("core.user.role_changed", world.mine_safety_officer, by=world.sec_admin)  # change_user_role
    for role in ("auditor", "regulator_admin", "security_admin"):  # no administrator role, to anyone
        with unchanged(world.inspector):
            client.post(f"/system/security/{world.inspector.pk}/role/", {"role": role})
        with unchanged(world.inspector), pytest.raises(
                DomainError, match="只能在业务角色之间调整；管理员和机器账户的角色不能在此修改。"):
            actions.change_user_role(world.inspector.pk, by=world.actor(world.sec_admin), role=role)
    world.inspector.refresh_from_db()
    assert world.inspector.role == Role.INSPECTOR
    for other in (world.county_admin, world.auditor):  # nor take one away
        with unchanged(other):
            client.post(f"/system/security/{other.pk}/role/", {"role": "inspector"})
        other.refresh_from_db()
        assert other.role != Role.INSPECTOR
        with unchanged(other), pytest.raises(PermissionDenied):
            actions.unlock_user(other.pk, by=world.actor(world.sec_admin))
    # no accounts, passwords, registry or audit trail
    for url in ("/system/users/", "/system/audit/", "/registry/mines/import/"):
        assert client.get(url).status_code == 403
    with unchanged(world.inspector):
        assert client.post(f"/system/users/{world.inspector.pk}/password/").status_code == 403
    assert "甲一煤矿" not in client.get("/registry/mines/").content.decode()
    assert client.get("/api/v1/registry/mines").json()["items"] == []
    with unchanged(User), pytest.raises(PermissionDenied):
        actions.create_user(by=world.actor(world.sec_admin), username="x1", full_name="x",
                            organization=world.county, role=Role.INSPECTOR, password=NEW)


def test_the_security_administrator_manages_machine_tokens(world, login):
    machine = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True)
    client = login(world.sec_admin)
    body = client.post(f"/system/security/{machine.pk}/tokens/", {"name": "KJ95N"}).content.decode()
    secret = body.split('<code id="new-token">')[1].split("</code>")[0]
    token = ApiToken.objects.get(user=machine)
    assert_audited("core.api_token.created", token, by=world.sec_admin)  # create_token
    assert secret.startswith("kat_") and token.key_hash != secret
    # a person's token would let its holder act as that person, an administrator's as the administrator
    for person in (world.inspector, world.county_admin):
        with unchanged(ApiToken):
            client.post(f"/system/security/{person.pk}/tokens/", {"name": "x"})
        assert not ApiToken.objects.filter(user=person).exists()
    client.post(f"/system/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_audited("core.api_token.revoked", token, by=world.sec_admin)  # revoke_token
    # the system administrator no longer manages tokens
    with unchanged(ApiToken), pytest.raises(PermissionDenied):
        actions.create_token(machine.pk, by=world.actor(world.county_admin), name="x")


def test_a_machine_token_uploads_but_reads_no_mine_data(world, client, frozen_clock):
    machine = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True)
    token, secret = actions.create_token(machine.pk, by=Actor.system(Via.SHELL), name="KJ95N")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(f"/api/v1/registry/mines/{world.a1.pk}", **auth).status_code in (403, 404)
    listing = client.get("/api/v1/registry/mines", **auth)
    assert listing.status_code == 403 or listing.json()["items"] == []
    from kuangan.core.access import visible
    from kuangan.registry.models import Mine

    assert not visible(machine, Mine).exists()  # no MINE_VIEW, no mine, whatever the channel
    # its first use of a Beijing day is audited once
    assert AuditEvent.objects.filter(verb="core.api_token.used", target_id=str(token.pk)).count() == 1
    assert_audited("core.api_token.used", token, by=machine)
    with clock.frozen(frozen_clock + timedelta(days=1)):
        client.get("/api/v1/registry/mines", **auth)
        client.get("/api/v1/registry/mines", **auth)
    assert AuditEvent.objects.filter(verb="core.api_token.used", target_id=str(token.pk)).count() == 2


# --- the audit administrator ----------------------------------------------------------------------

def test_the_audit_administrator_reads_and_changes_nothing(world, login):
    client = login(world.auditor)
    trail = client.get("/system/audit/")
    assert trail.status_code == 200 and "<h1>审计记录</h1>" in trail.content.decode()
    for url in ("/system/users/", "/system/security/"):
        assert client.get(url).status_code == 403
    for url in (f"/system/users/{world.inspector.pk}/password/", f"/system/security/{world.inspector.pk}/unlock/",
                f"/system/security/{world.inspector.pk}/role/"):
        with unchanged(world.inspector):
            assert client.post(url, {"role": "expert"}).status_code == 403
    for act in (lambda by: actions.reset_password(world.county_admin.pk, by=by),
                lambda by: actions.unlock_user(world.sec_admin.pk, by=by),
                lambda by: actions.change_user_role(world.inspector.pk, by=by, role=Role.EXPERT)):
        with unchanged(User), pytest.raises(PermissionDenied):
            act(world.actor(world.auditor))


def test_navigation_shows_each_administrator_its_own_pages(world, login):
    pages = {"/system/users/", "/system/security/", "/system/audit/"}
    for user, own in ((world.county_admin, "/system/users/"), (world.sec_admin, "/system/security/"),
                      (world.auditor, "/system/audit/")):
        body = login(user).get("/inbox/").content.decode()
        shown = {p for p in pages if f'href="{p}"' in body}
        assert shown == {own}, user.username


# --- administrator accounts come from the command line --------------------------------------------

def test_create_admin_at_the_command_line(world, client):
    out = StringIO()
    call_command("account", "create-admin", "--role", "security_admin", "--organization", "中阳县应急管理局",
                 "--username", "zy_sec2", stdout=out)
    password = out.getvalue().split("one-time password: ")[1].split()[0]
    user = User.objects.get(username="zy_sec2")
    event = assert_audited("core.user.created", user)  # create_admin
    assert event.actor_name == "system:shell" and password not in str(event.after)
    assert user.role == Role.SECURITY_ADMIN and must_change(user)
    client.post("/accounts/login/", {"username": "zy_sec2", "password": password})
    assert client.get("/system/security/")["Location"] == "/accounts/password/"
    with unchanged(User), pytest.raises(PermissionDenied):  # not from a page's administrator
        actions.create_admin(by=world.actor(world.county_admin), username="x", full_name="x",
                             organization=world.county, role=Role.AUDITOR)


# --- the Django admin -----------------------------------------------------------------------------

def test_the_django_admin_follows_the_same_rules(world, login):
    for user in (world.county_admin, world.sec_admin, world.auditor):
        staff(user)
    sys_admin = login(world.county_admin)
    users = sys_admin.get("/admin/core/user/")
    assert users.status_code == 200 and "王检查" in users.content.decode()
    assert sys_admin.get("/admin/core/auditevent/").status_code == 403
    assert sys_admin.get("/admin/core/apitoken/").status_code == 403
    assert sys_admin.get("/admin/core/user/add/").status_code == 403  # accounts are made on the page
    # another administrator's account cannot be changed, nor its password set
    with unchanged(world.auditor):
        assert sys_admin.post(f"/admin/core/user/{world.auditor.pk}/password/",
                              {"password1": "Another-Pass-9", "password2": "Another-Pass-9"}).status_code == 403
    world.auditor.refresh_from_db()
    assert world.auditor.check_password(PASSWORD)
    # the role is not editable here (the security administrator's page), nor are the staff flags
    sys_admin.post(f"/admin/core/user/{world.inspector.pk}/change/", {
        "full_name": "王检查", "phone": "", "email": "", "role": "auditor", "is_superuser": "on"})
    world.inspector.refresh_from_db()
    assert world.inspector.role == Role.INSPECTOR and not world.inspector.is_superuser
    # setting a password there is a reset: audited, changed at the next log-in
    response = sys_admin.post(f"/admin/core/user/{world.inspector.pk}/password/",
                              {"password1": "Another-Pass-9", "password2": "Another-Pass-9"})
    assert response.status_code == 302
    world.inspector.refresh_from_db()
    assert world.inspector.check_password("Another-Pass-9") and must_change(world.inspector)
    assert_audited("core.user.password_reset", world.inspector, by=world.county_admin)
    # foreign accounts are not there at all
    assert sys_admin.get(f"/admin/core/user/{world.foreign_inspector.pk}/change/").status_code in (302, 404)

    sec = login(world.sec_admin)
    assert sec.get("/admin/core/user/").status_code == 403
    machine = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True)
    token, _secret = actions.create_token(machine.pk, by=Actor.system(Via.SHELL), name="KJ95N")
    tokens = sec.get("/admin/core/apitoken/")
    assert tokens.status_code == 200 and "KJ95N" in tokens.content.decode()
    sec.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_audited("core.api_token.revoked", token, by=world.sec_admin)

    auditor = login(world.auditor)
    trail = auditor.get("/admin/core/auditevent/")
    assert trail.status_code == 200 and "吊销接口令牌" in trail.content.decode()  # the readable action
    assert auditor.get("/admin/core/user/").status_code == 403


def test_a_superuser_without_an_administrator_role_gets_nothing_in_the_admin(world, client):
    root = User.objects.create_superuser("root", password=PASSWORD, password_changed_at=clock.now())
    client.force_login(root)
    for url in ("/admin/core/user/", "/admin/core/auditevent/", "/admin/core/apitoken/"):
        assert client.get(url).status_code == 403


def test_the_django_admin_logs_in_and_out_through_the_pages(world, client):
    """The admin's own log-in form would skip the per-address limit, the lock-out and the audit."""
    response = client.get("/admin/login/?next=/admin/core/user/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "next=/admin/core/user/" in response["Location"]
    client.force_login(staff(world.county_admin))
    client.post("/admin/logout/")
    assert "_auth_user_id" not in client.session
    assert_audited("core.user.logged_out", world.county_admin, by=world.county_admin)
