"""Issue 18 (R2.6, R2.8): monthly reports that tell the truth, missing reports found however rarely the
tick runs, and repeats by category within 12 calendar months leading to 提请关闭 — each at its boundary."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.management import call_command

from kuangan.core import clock
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.hazards import actions
from kuangan.hazards.models import ClosureProposal, HazardStandardItem, MissingMonthlyReport, MonthlyReport
from kuangan.registry import actions as registry_actions
from kuangan.registry.choices import LicenceKind, MineStatus
from kuangan.registry.models import Licence
from kuangan.testing import assert_audited, unchanged

SH = clock.SHANGHAI
T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SH)  # the world's mines were registered on 2023-07-01


@pytest.fixture(autouse=True)
def at_t0():
    with clock.frozen(T0):
        yield


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


def report(world, found_at, code="C04-02", mine=None, reported_at=None):  # type: ignore[no-untyped-def]
    """A major hazard found at `found_at`, reported then (or at `reported_at`)."""
    with clock.frozen(reported_at or found_at):
        return actions.report_hazard((mine or world.a1).pk, by=world.actor(world.mine_safety_officer),
                                     report=actions.HazardReport(
                                         level="major", source="self_inspection", description=f"{code} 隐患",
                                         found_at=found_at, found_by="安全科",
                                         standard_item_id=HazardStandardItem.objects.get(
                                             standard__code="coal-2020", code=code).pk))


def sign(world, month, when, is_zero=True):  # type: ignore[no-untyped-def]
    with clock.frozen(when):
        return actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=month,
                                             is_zero=is_zero)


def licensed(world):  # type: ignore[no-untyped-def]
    """A1 with every licence in force, so that only the repeat rule can propose its closure."""
    for kind in (LicenceKind.MINING, LicenceKind.SAFETY_PRODUCTION, LicenceKind.BUSINESS):
        Licence.objects.create(mine=world.a1, kind=kind, number=f"{kind}-1", expires_on=date(2030, 1, 1))


# R2.6 monthly reports ------------------------------------------------------------------------------

def test_a_month_is_signed_from_the_first_of_the_next_month(world):
    with unchanged(MonthlyReport), pytest.raises(DomainError, match="2024-06 的报告自 2024-07-01 起方可签字报送"):
        sign(world, date(2024, 6, 1), at(2024, 6, 30, 23, 59))
    report_ = sign(world, date(2024, 6, 1), at(2024, 7, 1, 0, 0))
    assert (report_.month, report_.days_late) == (date(2024, 6, 1), 0)
    assert_audited("hazards.monthlyreport.submitted", report_, by=world.mine_head)


def test_signing_on_the_due_day_is_in_time_and_the_next_day_is_late(world, login):
    in_time = sign(world, date(2024, 4, 1), at(2024, 5, 5, 23, 59))
    late = sign(world, date(2024, 5, 1), at(2024, 6, 6, 0, 0))
    assert (in_time.days_late, late.days_late) == (0, 1)
    call_command("tick", "--at", "2024-06-06T00:00")  # 甲二煤矿 has not reported May
    client = login(world.inspector)
    may = client.get("/hazards/monthly-reports/?month=2024-05").content.decode()
    april = client.get("/hazards/monthly-reports/?month=2024-04").content.decode()
    assert "迟报 1 天" in may and "迟报" not in april.replace("此后报送为迟报", "")
    # One due date on the page, the same in the text and in the table.
    assert "截止 2024-06-05（含当日）" in may and "<td>2024-05</td><td>2024-06-05</td>" in may


def test_a_zero_report_is_contradicted_by_a_major_hazard_of_its_month_reported_later(
        world, login, django_capture_on_commit_callbacks):
    zero = sign(world, date(2024, 6, 1), at(2024, 7, 1, 9, 0))
    report(world, at(2024, 7, 1, 0, 0), reported_at=at(2024, 7, 2, 9, 0))  # found in July: June's report holds
    zero.refresh_from_db()
    assert zero.contradicted_by is None
    with django_capture_on_commit_callbacks(execute=True):
        june = report(world, at(2024, 6, 30, 23, 59), reported_at=at(2024, 7, 2, 10, 0))
    zero.refresh_from_db()
    assert (zero.contradicted_by, zero.contradicted_at) == (june, at(2024, 7, 2, 10, 0))
    assert_audited("hazards.monthlyreport.contradicted", zero, by=world.mine_safety_officer)
    assert Notification.objects.filter(recipient=world.inspector, title__contains="零报告不实").exists()
    body = login(world.inspector).get("/hazards/monthly-reports/?month=2024-06").content.decode()
    assert "零报告不实" in body and f"/hazards/{june.pk}/" in body


# R2.6 missing reports, however rarely the tick runs -------------------------------------------------

def test_missing_reports_after_a_year_without_a_tick(world, capsys, django_capture_on_commit_callbacks):
    registry_actions.change_mine_status(world.b1.pk, by=world.actor(world.foreign_inspector),
                                        to_status=MineStatus.LONG_TERM_STOPPED, reason="长期停产",
                                        effective_on=date(2024, 1, 1))
    sign(world, date(2024, 6, 1), at(2024, 7, 1, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", "--at", "2025-07-05T23:59")  # a year after the last report; June 2025 not yet due

    def months(mine):  # type: ignore[no-untyped-def]
        return list(MissingMonthlyReport.objects.filter(mine=mine).order_by("month").values_list("month", flat=True))

    every = [date(y, m, 1) for y, m in [(2023, m) for m in range(7, 13)] + [(2024, m) for m in range(1, 13)]
             + [(2025, m) for m in range(1, 6)]]
    assert months(world.a1) == [m for m in every if m != date(2024, 6, 1)]  # June 2024 was filed
    assert months(world.a2) == every  # building: owes reports too
    assert months(world.b1) == every[:6]  # producing until it stopped on 2024-01-01
    first = MissingMonthlyReport.objects.get(mine=world.a1, month=date(2023, 7, 1))
    assert assert_audited("hazards.missingmonthlyreport.recorded", first).at == at(2023, 8, 6)  # its due instant
    assert Notification.objects.filter(recipient=world.mine_head, title__contains="2023-07").count() == 1

    call_command("tick", "--at", "2025-07-06T00:00")
    assert months(world.a1)[-1] == date(2025, 6, 1) and len(months(world.a1)) == len(every)
    events = AuditEvent.objects.count()
    capsys.readouterr()
    call_command("tick", "--at", "2025-07-06T00:00")
    assert "missing monthly reports: 0" in capsys.readouterr().out
    assert AuditEvent.objects.count() == events


# R2.8 repeats by category within 12 calendar months ------------------------------------------------

def test_a_repeat_counts_from_the_same_date_one_year_earlier(world):
    first = report(world, at(2023, 7, 15, 0, 0), code="C04-01")
    again = report(world, at(2024, 7, 15, 9, 0))  # another item of the same category C04
    assert again.repeat_of == first
    other = report(world, at(2024, 7, 15, 10, 0), code="C05-01")
    assert other.repeat_of is None  # another category


def test_one_day_more_than_a_year_is_not_a_repeat(world):
    report(world, at(2023, 7, 14, 23, 59), code="C04-01")
    assert report(world, at(2024, 7, 15, 9, 0)).repeat_of is None


def test_the_third_occurrence_within_twelve_months_proposes_closure_citing_the_earlier_two(
        world, django_capture_on_commit_callbacks):
    licensed(world)
    too_old = report(world, at(2023, 7, 19, 9, 0))
    second = report(world, at(2024, 1, 10, 9, 0), code="C04-01")
    third = report(world, at(2024, 7, 20, 9, 0))  # window from 2023-07-20: two occurrences only
    assert not ClosureProposal.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        fourth = report(world, at(2024, 7, 25, 9, 0), reported_at=at(2024, 7, 26, 15, 0))
    proposal = ClosureProposal.objects.get()
    assert set(proposal.hazards.all()) == {second, third, fourth} and too_old not in proposal.hazards.all()
    assert proposal.raised_at == at(2024, 7, 26, 15, 0)  # when the occurrence that made it due was reported
    assert f"#{second.pk}（2024-01-10）" in proposal.reason and "C04" in proposal.reason
    assert_audited("hazards.closureproposal.raised", proposal, by=world.mine_safety_officer)
    assert Notification.objects.filter(recipient=world.inspector, title__contains="提请关闭").exists()


def test_a_repeat_reported_while_a_proposal_is_open_is_proposed_by_the_tick_dated_at_its_report(world, capsys):
    licensed(world)
    for day in (1, 2, 3):
        report(world, at(2024, 7, day, 9, 0))
    first = ClosureProposal.objects.get()
    fourth = report(world, at(2024, 7, 4, 9, 0))
    assert ClosureProposal.objects.count() == 1  # one open proposal per mine
    call_command("tick", "--at", "2024-07-10T00:00")
    assert ClosureProposal.objects.count() == 1  # still awaiting the regulator
    with clock.frozen(at(2024, 7, 20, 9, 0)):
        actions.decide_closure_proposal(first.pk, by=world.actor(world.inspector), accept=False, note="已整改")
    call_command("tick", "--at", "2024-08-01T00:00")
    second = ClosureProposal.objects.exclude(pk=first.pk).get()
    assert (second.trigger, second.raised_at) == (fourth, at(2024, 7, 4, 9, 0))  # not the tick's time
    assert fourth in second.hazards.all()
    events = AuditEvent.objects.count()
    capsys.readouterr()
    call_command("tick", "--at", "2024-08-01T00:00")
    assert "closure proposals: 0" in capsys.readouterr().out and AuditEvent.objects.count() == events
