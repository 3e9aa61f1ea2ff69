"""The enforcement tick (`kuangan tick --at T`): planned mines not inspected by their month's end, the
re-inspection reminder of a rectification order, and the class recompute; each stamped with its due time (or the
tick's instant for the recompute) and idempotent: a second run at the same T writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command

from kuangan.core import clock, periodic
from kuangan.core.choices import OrganizationKind, Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.models import AuditEvent, Notification
from kuangan.enforcement import actions
from kuangan.enforcement import periodic as enforcement_periodic
from kuangan.enforcement.actions import Finding, InspectionOrder
from kuangan.enforcement.choices import FindingKind, InspectionMethod
from kuangan.enforcement.models import EnforcementDocument, MissedPlanItem, SupervisionClassChange
from kuangan.testing import assert_audited, make_user

T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SHANGHAI)
AUGUST = datetime(2024, 8, 1, 0, 0, tzinfo=SHANGHAI)  # the first instant after July (Beijing)


@pytest.fixture
def second(world):  # type: ignore[no-untyped-def]
    return make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")


def _open(world, second, mine, day, plan_item=None):  # type: ignore[no-untyped-def]
    return actions.open_inspection(by=world.actor(world.inspector), order=InspectionOrder(
        mine_id=mine.pk, method=InspectionMethod.UNANNOUNCED, planned_on=day, leader_id=world.inspector.pk,
        team=[(world.inspector.pk, "14110001"), (second.pk, "14110002")],
        **({"plan_item_id": plan_item.pk} if plan_item else {"source": "tip_off", "source_note": "举报"})))


@pytest.fixture
def july(world, second):  # type: ignore[no-untyped-def]
    """A July plan with a1 and a2; a2's inspection arrives on 5 July, a1's only on 1 August."""
    with clock.frozen(T0):
        plan = actions.generate_plan(by=world.actor(world.inspector), year=2024, month=7)
        for mine in (world.a1, world.a2):
            if not plan.items.filter(mine=mine).exists():
                actions.add_plan_item(plan.pk, by=world.actor(world.inspector), mine_id=mine.pk, method="covert",
                                      reason="专项检查")
    with clock.frozen(datetime(2024, 7, 5, 9, 0, tzinfo=SHANGHAI)):
        inspection = _open(world, second, world.a2, date(2024, 7, 5), plan.items.get(mine=world.a2))
        actions.arrive(inspection.pk, by=world.actor(world.inspector))
    with clock.frozen(datetime(2024, 7, 31, 20, 0, tzinfo=SHANGHAI)):
        late = _open(world, second, world.a1, date(2024, 8, 1), plan.items.get(mine=world.a1))
    with clock.frozen(AUGUST + timedelta(hours=9)):
        actions.arrive(late.pk, by=world.actor(world.inspector))
    return plan


def test_a_planned_mine_not_inspected_within_its_month_is_recorded_once(world, july,
                                                                        django_capture_on_commit_callbacks):
    assert enforcement_periodic.record_missed_plan_items(AUGUST - timedelta(seconds=1)) == {"missed plan items": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert enforcement_periodic.record_missed_plan_items(AUGUST + timedelta(days=3)) == {"missed plan items": 1}
    missed = MissedPlanItem.objects.get()
    assert (missed.mine, missed.due_at) == (world.a1, AUGUST)  # stamped with the month's end, not the tick
    event = assert_audited("enforcement.missedplanitem.recorded", missed)
    assert event.actor is None and event.at == AUGUST and event.parent_type == "enforcement.enforcementplan"
    told = Notification.objects.filter(title__contains="2024年7月执法计划有 1 家矿山未按期检查")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["inspector", "inspector2"]  # once each
    assert not Notification.objects.filter(title__contains="执法计划", recipient__organization__kind__in=(
        OrganizationKind.MINE, OrganizationKind.ENTERPRISE)).exists()
    # idempotent: a second run at the same instant, and a later one, write nothing and tell no one again
    events, notes = AuditEvent.objects.count(), Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert enforcement_periodic.record_missed_plan_items(AUGUST + timedelta(days=3)) == {"missed plan items": 0}
        assert enforcement_periodic.record_missed_plan_items(AUGUST + timedelta(days=40)) == {"missed plan items": 0}
    assert (AuditEvent.objects.count(), Notification.objects.count(), MissedPlanItem.objects.count()) == (events, notes, 1)


def test_a_missed_item_can_no_longer_be_removed_and_shows_on_the_plan(world, july, login):
    enforcement_periodic.record_missed_plan_items(AUGUST)
    page = login(world.inspector).get(f"/enforcement/plans/{july.pk}/").content.decode()
    assert "未按期检查" in page and "当月已检查" in page and 'id="plan-add"' not in page


@pytest.fixture
def order(world, second):  # type: ignore[no-untyped-def]
    """A rectification order served on 12 June with its deadline on 30 June: re-inspection reminded 27 June 08:00."""
    with clock.frozen(datetime(2024, 6, 12, 9, 30, tzinfo=SHANGHAI)):
        inspection = _open(world, second, world.a1, date(2024, 6, 12))
        actions.arrive(inspection.pk, by=world.actor(world.inspector))
        finding = actions.record_finding(inspection.pk, by=world.actor(world.inspector), finding=Finding(
            kind=FindingKind.ORDINARY_HAZARD, description="皮带机头无防护栏"))
        return actions.issue_order(inspection.pk, by=world.actor(world.inspector), finding_ids=[finding.pk],
                                   deadline=date(2024, 6, 30))


def test_the_re_inspection_reminder_goes_once_to_the_leader_at_its_due_time(world, order,
                                                                           django_capture_on_commit_callbacks):
    due = order.next_due_at
    assert due == datetime(2024, 6, 27, 8, 0, tzinfo=SHANGHAI)
    assert enforcement_periodic.remind_documents(due - timedelta(minutes=1)) == {"re-inspection reminders": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert enforcement_periodic.remind_documents(due + timedelta(hours=5)) == {"re-inspection reminders": 1}
    order.refresh_from_db()
    assert (order.reminded_at, order.next_due_at) == (due, None)
    event = assert_audited("enforcement.enforcementdocument.reminded", order)
    assert event.actor is None and event.at == due
    reminders = Notification.objects.filter(title__startswith="复查提醒")
    assert [(n.recipient, n.created_at) for n in reminders] == [(world.inspector, due)]
    assert "甲一煤矿" in reminders[0].title and "2024-06-30" in reminders[0].title
    with django_capture_on_commit_callbacks(execute=True):
        assert enforcement_periodic.remind_documents(due + timedelta(hours=5)) == {"re-inspection reminders": 0}
    assert Notification.objects.filter(title__startswith="复查提醒").count() == 1
    assert not Notification.objects.filter(title__startswith="复查提醒",
                                            recipient__organization=world.a1.organization).exists()


def test_the_enforcement_tick_is_registered_and_idempotent_at_one_instant(world, order):
    assert ("enforcement", enforcement_periodic.tick) in periodic.JOBS
    at = datetime(2024, 6, 28, 9, 0, tzinfo=SHANGHAI)
    first = periodic.run(at)
    assert first["re-inspection reminders"] == 1 and first["supervision class changes"] == 3
    counts = (AuditEvent.objects.count(), Notification.objects.count(), SupervisionClassChange.objects.count())
    second_run = periodic.run(at)
    assert second_run["re-inspection reminders"] == 0 and second_run["supervision class changes"] == 0
    assert second_run["missed plan items"] == 0
    assert (AuditEvent.objects.count(), Notification.objects.count(), SupervisionClassChange.objects.count()) == counts
    assert EnforcementDocument.objects.filter(next_due_at__isnull=False).count() == 0


def test_kuangan_tick_runs_the_enforcement_jobs(world, order):
    call_command("tick", "--at", "2024-06-28T09:00")
    order.refresh_from_db()
    assert order.reminded_at is not None
    assert SupervisionClassChange.objects.filter(mine=world.a1).exists()
