"""Sessions (R10.7): the idle time counts from the last request a person made; the alarm page's polling
does not keep a session alive; log-in and log-out are audited."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings

from kuangan.core import clock
from kuangan.core.models import AuditEvent
from kuangan.testing import PASSWORD, assert_audited

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_KUANGAN_POLL": "1",
        "HTTP_HX_CURRENT_URL": "http://testserver/monitoring/alarms/?status=active"}
IDLE = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
ALARMS = "<h1>报警列表</h1>"  # what the protected page shows


def _logged_in(client, at):  # type: ignore[no-untyped-def]
    """A client logged in through the log-in page at `at` (kuangan's clock), and its first page."""
    with clock.frozen(at):
        response = client.post("/accounts/login/", {"username": "inspector", "password": PASSWORD})
        assert response.status_code == 302
        assert ALARMS in client.get("/monitoring/alarms/").content.decode()
    return client


def _shows_the_log_in_instead(response, client) -> None:  # type: ignore[no-untyped-def]
    """Sent to the log-in page (back to the page afterwards); nothing of the protected page is shown."""
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/monitoring/alarms/"
    assert ALARMS not in response.content.decode()
    login_page = client.get(response["Location"]).content.decode()
    assert 'name="password"' in login_page and ALARMS not in login_page
    assert "_auth_user_id" not in client.session


def test_a_session_lives_the_whole_idle_time_and_ends_just_after(world, client, frozen_clock):
    _logged_in(client, frozen_clock)
    at = frozen_clock + IDLE  # idle for exactly the limit: still the person's session (the timer restarts)
    with clock.frozen(at):
        alive = client.get("/monitoring/alarms/")
    assert alive.status_code == 200 and ALARMS in alive.content.decode()
    at += IDLE - timedelta(seconds=1)
    with clock.frozen(at):
        assert ALARMS in client.get("/monitoring/alarms/").content.decode()
    with clock.frozen(at + IDLE + timedelta(seconds=1)):  # one second too long
        _shows_the_log_in_instead(client.get("/monitoring/alarms/"), client)
    event = assert_audited("core.user.logged_out", world.inspector, by=world.inspector)
    assert "无操作" in event.reason


def test_polling_does_not_keep_an_idle_session_alive(world, client, frozen_clock):
    _logged_in(client, frozen_clock)
    for seconds in (10, *range(5 * 60, int(IDLE.total_seconds()) + 1, 5 * 60)):  # the page polls on its own
        with clock.frozen(frozen_clock + timedelta(seconds=seconds)):
            poll = client.get("/monitoring/alarms/", **POLL)
        assert poll.status_code == 200 and "HX-Redirect" not in poll, seconds  # up to the limit: rows
        assert "_auth_user_id" in client.session, seconds
    with clock.frozen(frozen_clock + IDLE + timedelta(seconds=10)):
        poll = client.get("/monitoring/alarms/", **POLL)
    assert poll["HX-Redirect"] == "/accounts/login/?next=%2Fmonitoring%2Falarms%2F%3Fstatus%3Dactive"
    assert "_auth_user_id" not in client.session
    event = assert_audited("core.user.logged_out", world.inspector, by=world.inspector)
    assert "无操作" in event.reason
    # a normal page now asks for the log-in too
    with clock.frozen(frozen_clock + IDLE + timedelta(seconds=20)):
        _shows_the_log_in_instead(client.get("/monitoring/alarms/"), client)


def test_the_alarm_page_marks_its_polling(world, login):
    body = login(world.inspector).get("/monitoring/alarms/").content.decode()
    polling = re.findall(r"<[^>]*hx-trigger=\"every[^>]*>", body)
    assert polling and all('"X-Kuangan-Poll": "1"' in tag for tag in polling)


def test_a_person_s_requests_restart_the_idle_timer(world, client, frozen_clock):
    _logged_in(client, frozen_clock)
    for minutes in (20, 40, 60):  # a click every 20 minutes keeps working
        with clock.frozen(frozen_clock + timedelta(minutes=minutes)):
            assert ALARMS in client.get("/monitoring/alarms/").content.decode(), minutes
    with clock.frozen(frozen_clock + timedelta(minutes=60) + IDLE + timedelta(seconds=1)):
        _shows_the_log_in_instead(client.get("/monitoring/alarms/"), client)


def test_log_in_and_log_out_are_audited(world, client, frozen_clock):
    response = client.post("/accounts/login/", {"username": "inspector", "password": PASSWORD},
                           REMOTE_ADDR="10.3.3.3")
    assert response.status_code == 302
    event = assert_audited("core.user.logged_in", world.inspector, by=world.inspector)  # LoginView
    assert event.after == {"address": "10.3.3.3"}
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    assert_audited("core.user.logged_out", world.inspector, by=world.inspector)  # LogoutView
    assert AuditEvent.objects.filter(verb="core.user.logged_out").count() == 1


def test_the_api_session_also_ends_when_idle(world, client, frozen_clock):
    _logged_in(client, frozen_clock)
    at = frozen_clock + IDLE - timedelta(seconds=1)  # just inside the limit (the timer restarts)
    with clock.frozen(at):
        mines = client.get("/api/v1/registry/mines")
    assert mines.status_code == 200 and "甲一煤矿" in [m["name"] for m in mines.json()["items"]]
    with clock.frozen(at + IDLE + timedelta(seconds=1)):
        refused = client.get("/api/v1/registry/mines")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert "items" not in refused.json() and "甲一煤矿" not in refused.content.decode()
    assert "_auth_user_id" not in client.session
