"""Log-in limits (R10.7, 等保 2.0 level 3): one message whatever the cause, a limit per client address,
the lock-out per (account, address), the report of an account failing from many addresses."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from kuangan.core import actions, clock
from kuangan.core.models import AuditEvent, LoginAttempt, Notification, User
from kuangan.testing import PASSWORD, assert_audited

WRONG = "Wrong-Pass-2024!"


def attempt(client, username, password, address="10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return "_auth_user_id" in client.session


def error_of(response) -> str:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    start = body.index('<li class="error">')
    return body[start:body.index("</li>", start)]


def test_a_locked_account_and_a_missing_one_get_the_same_message(world, client, frozen_clock):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        attempt(client, "inspector", WRONG)
    assert_audited("core.user.locked", world.inspector)
    locked = attempt(client, "inspector", PASSWORD)  # the right password, but locked for this address
    missing = attempt(client, "nobody_here", PASSWORD)
    world.mine_dispatcher.is_active = False
    world.mine_dispatcher.save(update_fields=["is_active"])
    inactive = attempt(client, "mine_dispatcher", PASSWORD)
    wrong = attempt(client, "expert", WRONG)
    assert not logged_in(client)
    assert error_of(locked) == error_of(missing) == error_of(inactive) == error_of(wrong)
    assert "用户名或密码不正确，或账户暂时不能登录" in error_of(missing)
    assert "锁定" not in locked.content.decode().split('<p class="muted">')[0]  # nothing tells it is locked
    # the unknown name is audited too, on its attempt row
    row = LoginAttempt.objects.get(username="nobody_here")
    assert_audited("core.login_attempt.failed", row)  # LockoutBackend


def test_the_lock_out_holds_for_its_address_only(world, client, frozen_clock):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        attempt(client, "inspector", WRONG, address="203.0.113.9")  # a stranger
    refused = attempt(client, "inspector", PASSWORD, address="203.0.113.9")
    assert refused.status_code == 200 and "用户名或密码不正确，或账户暂时不能登录" in error_of(refused)
    assert not logged_in(client)
    # the inspector at the office is not locked out by the stranger
    assert attempt(client, "inspector", PASSWORD, address="10.1.1.1").status_code == 302
    assert logged_in(client)
    assert_audited("core.user.logged_in", world.inspector, by=world.inspector)
    event = assert_audited("core.user.locked", world.inspector)
    assert event.after["address"] == "203.0.113.9"


def test_the_lock_out_ends_after_its_time_and_the_security_administrator_can_end_it(world, client, frozen_clock):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        attempt(client, "inspector", WRONG)
    assert "用户名或密码不正确，或账户暂时不能登录" in error_of(attempt(client, "inspector", PASSWORD))
    with clock.frozen(frozen_clock + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES, seconds=1)):
        assert attempt(client, "inspector", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        attempt(client, "inspector", WRONG)
    assert "用户名或密码不正确，或账户暂时不能登录" in error_of(attempt(client, "inspector", PASSWORD))
    actions.unlock_user(world.inspector.pk, by=world.actor(world.sec_admin))
    assert_audited("core.user.unlocked", world.inspector, by=world.sec_admin)  # unlock_user
    assert attempt(client, "inspector", PASSWORD).status_code == 302


def test_one_address_is_refused_after_its_limit_whatever_the_accounts(world, client, frozen_clock):
    attempts, _seconds = settings.LOGIN_RATE
    for n in range(40):
        User.objects.create(username=f"acct{n:02d}", full_name="x", password_changed_at=frozen_clock)
    for n in range(attempts + 1):  # 21 guesses over 21 different accounts
        attempt(client, f"acct{n:02d}", WRONG, address="198.51.100.7")
    # now even the right password of a real account is refused from that address ...
    refused = attempt(client, "inspector", PASSWORD, address="198.51.100.7")
    assert not logged_in(client)
    assert "用户名或密码不正确" in error_of(refused)
    # ... the refusal is audited once for the window, however many follow
    for n in range(5):
        attempt(client, f"acct{30 + n}", WRONG, address="198.51.100.7")
    assert AuditEvent.objects.filter(verb="core.login_attempt.rate_limited").count() == 1
    row = LoginAttempt.objects.get(outcome="rate_limited")
    assert_audited("core.login_attempt.rate_limited", row)
    assert LoginAttempt.objects.filter(address="198.51.100.7", outcome="failed").count() == attempts
    # other addresses are not affected, and the address may try again after the window
    assert attempt(client, "inspector", PASSWORD, address="10.9.9.9").status_code == 302
    client.logout()
    with clock.frozen(frozen_clock + timedelta(seconds=settings.LOGIN_RATE[1] + 1)):
        assert attempt(client, "inspector", PASSWORD, address="198.51.100.7").status_code == 302


def test_an_account_failing_from_many_addresses_is_reported_to_the_security_administrator(
        world, client, frozen_clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"):
            attempt(client, "mine_head", WRONG, address=address)
    [note] = Notification.objects.filter(recipient=world.sec_admin)
    assert "mine_head" in note.title and "3" in note.title
    assert not Notification.objects.filter(recipient=world.county_admin).exists()
    assert not Notification.objects.filter(recipient=world.auditor).exists()
    assert AuditEvent.objects.filter(verb="core.user.login_failures_reported").count() == 1  # once per window
    assert_audited("core.user.login_failures_reported", world.mine_head)
    # the security administrator's page lists it; the mine head can still log in from its own address
    page = client_for(world.sec_admin).get("/system/security/").content.decode()
    assert "登录异常" in page and "mine_head" in page.split("账户、角色与令牌")[0]
    assert attempt(client, "mine_head", PASSWORD, address="10.2.2.2").status_code == 302


def client_for(user):  # type: ignore[no-untyped-def]
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_machine_accounts_cannot_log_in_to_pages(world, client, frozen_clock):
    from kuangan.testing import make_user

    make_user("a1_system", world.a1.organization, "mine_system", is_machine=True)
    response = attempt(client, "a1_system", PASSWORD)
    assert not logged_in(client) and "用户名或密码不正确" in error_of(response)


def test_behind_the_proxy_the_address_is_the_one_it_appended(world, client, frozen_clock, settings):
    """Behind the TLS proxy every request comes from the proxy's address: the limits count the client's
    address the proxy appended, and a client cannot escape them by sending a forged X-Forwarded-For."""
    settings.BEHIND_PROXY = True

    def via_proxy(username, password, client_address, forged=""):  # type: ignore[no-untyped-def]
        forwarded = f"{forged}, {client_address}" if forged else client_address
        return client.post("/accounts/login/", {"username": username, "password": password},
                           REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)

    for i in range(settings.LOGIN_MAX_FAILURES):
        via_proxy("inspector", WRONG, "203.0.113.9", forged=f"198.51.100.{i}")  # a new forged address each time
    assert LoginAttempt.objects.filter(address="203.0.113.9").count() == settings.LOGIN_MAX_FAILURES + 1
    stranger = via_proxy("inspector", PASSWORD, "203.0.113.9")  # locked for the stranger
    assert stranger.status_code == 200 and "用户名或密码不正确，或账户暂时不能登录" in error_of(stranger)
    assert via_proxy("inspector", PASSWORD, "10.1.1.1").status_code == 302  # not for the office behind the proxy
