"""Accounts (R10.7): complexity, expiry, first log-in, separated duties, inbox. Log-in limits, sessions and
the three administrators have their own files (test_login_limits, test_sessions, test_admins)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from kuangan.core import actions, clock
from kuangan.core.errors import DomainError
from kuangan.core.models import Notification, User
from kuangan.core.notify import notify
from kuangan.core.passwords import complexity_problems
from kuangan.testing import assert_audited, unchanged


def login_post(client, username, password):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.nodb
@pytest.mark.parametrize("password,ok", [
    ("Short1!", False), ("alllowercaseletters", False), ("lowercase123456", False), ("Lower-case-12", True),
    ("UPPER and lower", True),
])
def test_password_complexity(password, ok):
    assert (complexity_problems(password) == []) is ok


def test_a_new_account_must_change_its_password_first(world, client):
    by = world.actor(world.county_admin)
    actions.create_user(by=by, username="new_officer", full_name="新员工", organization=world.a1.organization,
                        role="mine_safety_officer", password="Initial-Pass-1")
    assert_audited("core.user.created", User.objects.get(username="new_officer"), by=world.county_admin)
    login_post(client, "new_officer", "Initial-Pass-1")
    response = client.get("/registry/mines/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    with unchanged(User.objects.filter(username="new_officer")):
        response = client.post("/accounts/password/", {"old_password": "Initial-Pass-1", "new_password": "simple",
                                                       "new_password2": "simple"})
    assert "至少需要" in response.content.decode()
    response = client.post("/accounts/password/", {"old_password": "Initial-Pass-1",
                                                   "new_password": "Better-Pass-22", "new_password2": "Better-Pass-22"})
    assert response.status_code == 302
    assert_audited("core.user.password_changed", User.objects.get(username="new_officer"))  # change_password
    ledger = client.get("/registry/mines/")
    assert ledger.status_code == 200 and "矿山台账" in ledger.content.decode() and "甲一煤矿" in ledger.content.decode()


def test_an_expired_password_must_be_changed(world, client):
    client.force_login(world.inspector)
    home = client.get("/")
    assert home.status_code == 200 and "中阳县应急管理局 · 首页" in home.content.decode()
    with clock.frozen(clock.now() + timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)):
        client.logout()  # the old session ended when it sat idle: a new log-in
        client.force_login(world.inspector)
        assert client.get("/")["Location"] == "/accounts/password/"


def test_administrator_and_auditor_duties_are_separated(world, login):
    admin = login(world.county_admin)
    assert admin.get("/system/audit/").status_code == 403
    users = admin.get("/system/users/")
    assert users.status_code == 200 and "<h1>用户管理</h1>" in users.content.decode()
    auditor = login(world.auditor)
    assert auditor.get("/system/users/").status_code == 403
    page = auditor.get("/system/audit/?verify=1").content.decode()
    assert "审计链完整" in page
    with unchanged(User), pytest.raises(PermissionDenied):
        actions.create_user(by=world.actor(world.auditor), username="x", full_name="x",
                            organization=world.county, role="inspector", password="Initial-Pass-1")


def test_an_administrator_manages_only_its_jurisdiction(world):
    with unchanged(User), pytest.raises(PermissionDenied):
        actions.create_user(by=world.actor(world.county_admin), username="x", full_name="x",
                            organization=world.foreign_county, role="inspector", password="Initial-Pass-1")
    with unchanged(User), pytest.raises(DomainError, match="角色"):
        actions.create_user(by=world.actor(world.county_admin), username="x", full_name="x",
                            organization=world.county, role="mine_head", password="Initial-Pass-1")


def test_deactivating_and_unlocking_an_account(world, login):
    client = login(world.county_admin)
    client.post(f"/system/users/{world.inspector.pk}/active/", {"active": "0"})
    world.inspector.refresh_from_db()
    assert not world.inspector.is_active
    assert_audited("core.user.deactivated", world.inspector, by=world.county_admin)  # set_user_active
    with unchanged(world.foreign_inspector):
        assert client.post(f"/system/users/{world.foreign_inspector.pk}/active/", {"active": "0"}).status_code == 404


def test_there_is_no_way_to_delete_audit_events(world, login):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from kuangan.core.admin import AuditEventAdmin
    from kuangan.core.models import AuditEvent

    admin = AuditEventAdmin(AuditEvent, site)
    request = RequestFactory().get("/admin/core/auditevent/")
    world.auditor.is_staff = True
    request.user = world.auditor
    assert admin.has_view_permission(request)  # the audit administrator reads it ...
    assert not admin.has_delete_permission(request) and not admin.has_change_permission(request)  # ... only
    auditor = login(world.auditor)
    assert auditor.post("/system/audit/", {"delete": "1"}).status_code == 405
    from kuangan.api import api

    assert not [p for p in api.get_openapi_schema()["paths"] if "audit" in p]


def test_inbox_lists_and_marks_notifications_read(world, login, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify([world.inspector], title="甲一煤矿 状态变更", url="/registry/mines/", by=world.actor(world.county_admin))
    client = login(world.inspector)
    home = client.get("/").content.decode()
    assert "甲一煤矿 状态变更" in home and 'id="unread-count">1<' in home
    client.post("/inbox/read/", {})
    assert not Notification.objects.filter(recipient=world.inspector, read_at__isnull=True).exists()
    assert_audited("core.notification.read", world.inspector, by=world.inspector)  # mark_notifications_read
