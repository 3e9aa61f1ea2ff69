"""The tick tells the mine's head and safety officers once of each certificate expiring within the notice days
(KUANGAN_CERTIFICATE_NOTICE_DAYS, 30): `kuangan tick --at` run twice notifies once."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.management import call_command

from kuangan.core import clock
from kuangan.core.models import AuditEvent, Notification
from kuangan.testing import assert_audited
from kuangan.workforce import actions
from kuangan.workforce.models import OperatorCertificate

from .helpers import make_certificate, make_worker

RECORDED = datetime(2024, 5, 1, 9)  # Beijing


@pytest.fixture
def expiring(world):  # type: ignore[no-untyped-def]
    """张三's electrical certificate expires on 2024-07-30: due for its notice from 2024-06-30 (30 days before)."""
    with clock.frozen(clock.from_local(RECORDED)):
        worker = make_worker(world)
        return make_certificate(world, worker, expires=date(2024, 7, 30))


def tick(at: str, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        call_command("tick", "--at", at)


def notices(user) -> list[Notification]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(recipient=user, title__contains="特种作业操作证").order_by("created_at"))


def test_the_notice_goes_out_once_on_its_day(world, expiring, django_capture_on_commit_callbacks):
    tick("2024-06-29T23:59", django_capture_on_commit_callbacks)  # 31 days before: not yet
    assert notices(world.mine_head) == []
    tick("2024-06-30T08:00", django_capture_on_commit_callbacks)
    tick("2024-06-30T08:00", django_capture_on_commit_callbacks)  # the same tick again
    tick("2024-07-05T08:00", django_capture_on_commit_callbacks)  # and a later one
    for user in (world.mine_head, world.mine_safety_officer):
        [notice] = notices(user)
        assert notice.title == "特种作业操作证将于 2024-07-30 到期：张三（井下电气作业）"
        assert "证号 T141129********1234" in notice.body and "甲一煤矿" in notice.body  # the number holds the ID
        assert notice.url == expiring.worker.get_absolute_url()
        assert notice.created_at == clock.from_local(datetime(2024, 6, 30))  # stamped with the day it fell due
    assert notices(world.mine_dispatcher) == [] and notices(world.inspector) == []
    event = assert_audited("workforce.operatorcertificate.expiry_notified", expiring)
    assert event.via == "tick" and event.actor_id is None
    assert AuditEvent.objects.filter(verb="workforce.operatorcertificate.expiry_notified").count() == 1
    expiring.refresh_from_db()
    assert expiring.expiry_notified_at == clock.from_local(datetime(2024, 6, 30))


def test_the_notice_days_are_a_setting(world, expiring, settings, django_capture_on_commit_callbacks):
    settings.WORKFORCE_CERTIFICATE_NOTICE_DAYS = 10
    tick("2024-07-19T08:00", django_capture_on_commit_callbacks)
    assert notices(world.mine_head) == []
    tick("2024-07-20T08:00", django_capture_on_commit_callbacks)
    assert len(notices(world.mine_head)) == 1


def test_a_renewed_certificate_is_not_told(world, expiring, django_capture_on_commit_callbacks):
    with clock.frozen(clock.from_local(datetime(2024, 6, 1, 9))):
        make_certificate(world, expiring.worker, issued=date(2024, 6, 1), expires=date(2030, 5, 31), number="T-NEW")
    tick("2024-07-01T08:00", django_capture_on_commit_callbacks)
    assert notices(world.mine_head) == []


def test_a_certificate_recorded_after_it_lapsed_is_history_not_news(world, django_capture_on_commit_callbacks):
    with clock.frozen(clock.from_local(datetime(2024, 6, 30, 9))):
        make_certificate(world, make_worker(world), issued=date(2018, 1, 1), expires=date(2024, 1, 1))
    tick("2024-07-01T08:00", django_capture_on_commit_callbacks)
    assert notices(world.mine_head) == []


def test_one_recorded_inside_the_window_is_told_from_the_day_it_was_recorded(world, django_capture_on_commit_callbacks):
    with clock.frozen(clock.from_local(datetime(2024, 7, 10, 15))):
        make_certificate(world, make_worker(world), expires=date(2024, 7, 20))
    tick("2024-07-11T08:00", django_capture_on_commit_callbacks)
    [notice] = notices(world.mine_head)
    assert notice.created_at == clock.from_local(datetime(2024, 7, 10))


def test_a_worker_off_the_roster_is_not_told_about(world, expiring, django_capture_on_commit_callbacks):
    actions.deactivate_worker(expiring.worker.pk, by=world.actor(world.mine_head), reason="离职")
    tick("2024-07-01T08:00", django_capture_on_commit_callbacks)
    assert notices(world.mine_head) == []


def test_a_new_expiry_date_is_told_again(world, expiring, django_capture_on_commit_callbacks):
    tick("2024-07-01T08:00", django_capture_on_commit_callbacks)
    with clock.frozen(clock.from_local(datetime(2024, 7, 2, 9))):
        actions.update_certificate(expiring.pk, by=world.actor(world.mine_head), data={"expires": date(2024, 8, 15)})
    tick("2024-07-16T08:00", django_capture_on_commit_callbacks)
    assert [n.title for n in notices(world.mine_head)] == [
        "特种作业操作证将于 2024-07-30 到期：张三（井下电气作业）", "特种作业操作证将于 2024-08-15 到期：张三（井下电气作业）"]
    assert OperatorCertificate.objects.get(pk=expiring.pk).expiry_notified_at is not None
