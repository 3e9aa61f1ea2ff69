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


def test_polling_does_not_keep_an_idle_session_alive(world, client, frozen_clock):
    client.post("/accounts/login/", {"username": "inspector", "password": PASSWORD})
    assert client.get("/monitoring/alarms/").status_code == 200
    for seconds in range(10, settings.SESSION_IDLE_MINUTES * 60, 5 * 60):  # the page polls on its own
        with clock.frozen(frozen_clock + timedelta(seconds=seconds)):
            assert client.get("/monitoring/alarms/", **POLL).status_code == 200
    with clock.frozen(frozen_clock + timedelta(minutes=settings.SESSION_IDLE_MINUTES, seconds=10)):
        poll = client.get("/monitoring/alarms/", **POLL)
    assert poll["HX-Redirect"] == "/accounts/login/?next=%2Fmonitoring%2Falarms%2F%3Fstatus%3Dactive"
    assert "_auth_user_id" not in client.session
    event = assert_audited("core.user.logged_out", world.inspector, by=world.inspector)
    assert "无操作" in event.reason
    # a normal page now asks for the log-in too
    page = client.get("/monitoring/alarms/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")


def test_the_alarm_page_marks_its_polling(world, login):
    body = login(world.inspector).get("/monitoring/alarms/").content.decode()
    polling = re.findall(r"<[^>]*hx-trigger=\"every[^>]*>", body)
    assert polling and all('"X-Kuangan-Poll": "1"' in tag for tag in polling)


def test_a_person_s_requests_restart_the_idle_timer(world, client, frozen_clock):
    client.post("/accounts/login/", {"username": "inspector", "password": PASSWORD})
    for minutes in (20, 40, 60):  # a click every 20 minutes keeps working
        with clock.frozen(frozen_clock + timedelta(minutes=minutes)):
            assert client.get("/monitoring/alarms/").status_code == 200
    with clock.frozen(frozen_clock + timedelta(minutes=60 + settings.SESSION_IDLE_MINUTES + 1)):
        assert client.get("/monitoring/alarms/").status_code == 302


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
    client.post("/accounts/login/", {"username": "inspector", "password": PASSWORD})
    assert client.get("/api/v1/registry/mines").status_code == 200
    with clock.frozen(frozen_clock + timedelta(minutes=settings.SESSION_IDLE_MINUTES + 1)):
        assert client.get("/api/v1/registry/mines").status_code == 401
