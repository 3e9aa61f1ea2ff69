"""Cases of the hazard rules the mutation run (scripts/mutation) found no test for: the clock of a close-out
request, the day arithmetic of deadlines, and the exact boundaries of the monthly reports, repeats and
closure proposals."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kuangan.core.clock import SHANGHAI
from kuangan.hazards import rules
from kuangan.hazards.choices import HazardLevel, HazardStatus

pytestmark = pytest.mark.nodb

SH = SHANGHAI
DAYS = (1, 15, 30, 60)
MAJOR, ORDINARY = HazardLevel.MAJOR, HazardLevel.ORDINARY


def test_a_deadline_before_today_is_refused_naming_both_days():
    assert rules.deadline_refusal(date(2024, 6, 29), date(2024, 6, 30)) == \
        "整改时限（2024-06-29）不能早于今天（2024-06-30）。"


def test_a_deadline_today_or_later_or_none_is_accepted():
    assert rules.deadline_refusal(date(2024, 6, 30), date(2024, 6, 30)) is None
    assert rules.deadline_refusal(date(2024, 7, 1), date(2024, 6, 30)) is None
    assert rules.deadline_refusal(None, date(2024, 6, 30)) is None


@pytest.mark.parametrize("level,requested_on,due_on,paused", [
    (MAJOR, date(2024, 6, 29), date(2024, 6, 30), True),
    (MAJOR, date(2024, 6, 30), date(2024, 6, 30), True),  # on the due day itself: still in time
    (MAJOR, date(2024, 7, 1), date(2024, 6, 30), False),  # late: the hazard keeps escalating
    (MAJOR, date(2024, 6, 29), None, False),
    (ORDINARY, date(2024, 6, 29), date(2024, 6, 30), False),  # the mine may close it out itself
])
def test_only_a_major_hazards_close_out_request_on_time_stops_the_clock(level, requested_on, due_on, paused):
    assert rules.pauses_clock(level=level, requested_on=requested_on, due_on=due_on) is paused


def test_after_a_rejection_the_days_of_waiting_are_added_to_the_due_day():
    assert rules.resumed_due_on(date(2024, 6, 30), date(2024, 6, 20), date(2024, 6, 25)) == date(2024, 7, 5)


def test_the_regulator_answers_within_the_verify_days_and_the_plan_within_the_plan_days():
    assert rules.verify_due_on(date(2024, 6, 20), 7) == date(2024, 6, 27)
    assert rules.plan_due_on(date(2024, 6, 20), 3) == date(2024, 6, 23)


def test_the_resumption_evaluation_is_named_when_it_is_missing_after_a_stop():
    assert rules.close_out_problems(evaluation_by="总工", evaluation="合格", stopped_production=True,
                                    resume_evaluation=" ") == ["复产评估（停产整改的隐患须评估后方可申请复产）"]


@pytest.mark.parametrize("level,verifier_is_regulator,may", [
    (MAJOR, True, True), (MAJOR, False, False), (ORDINARY, False, True), (ORDINARY, True, True),
])
def test_who_may_close_out(level, verifier_is_regulator, may):
    assert rules.may_verify(level=level, verifier_is_regulator=verifier_is_regulator) is may


def test_each_escalation_step_is_due_at_beijing_midnight_its_days_after_the_deadline():
    assert rules.escalation_due(date(2024, 6, 30), DAYS) == [
        ("letter", datetime(2024, 7, 1, tzinfo=SH)), ("circular", datetime(2024, 7, 15, tzinfo=SH)),
        ("summons", datetime(2024, 7, 30, tzinfo=SH)), ("exposure", datetime(2024, 8, 29, tzinfo=SH)),
    ]
    with pytest.raises(ValueError, match="zip"):  # a step without its number of days is a configuration error
        rules.escalation_due(date(2024, 6, 30), DAYS[:3])


def test_a_step_is_reached_at_the_instant_it_falls_due():
    assert rules.escalation_reached(date(2024, 6, 30), datetime(2024, 7, 1, tzinfo=SH), DAYS) == [
        ("letter", datetime(2024, 7, 1, tzinfo=SH))]


def test_the_next_escalation_skips_the_steps_taken_and_none_without_a_deadline():
    deadline = date(2024, 6, 30)
    assert rules.next_escalation_at(deadline, HazardStatus.RECTIFYING, [], DAYS) == datetime(2024, 7, 1, tzinfo=SH)
    assert rules.next_escalation_at(deadline, HazardStatus.RECTIFYING, ["letter"], DAYS) == \
        datetime(2024, 7, 15, tzinfo=SH)
    assert rules.next_escalation_at(None, HazardStatus.RECTIFYING, [], DAYS) is None


@pytest.mark.parametrize("due_on,status,today,paused,overdue", [
    (date(2024, 6, 30), HazardStatus.RECTIFYING, date(2024, 6, 30), False, False),  # the due day is in time
    (date(2024, 6, 30), HazardStatus.RECTIFYING, date(2024, 7, 1), False, True),
    (date(2024, 6, 30), HazardStatus.RECTIFYING, date(2024, 7, 1), True, False),
    (date(2024, 6, 30), HazardStatus.CLOSED, date(2024, 7, 1), False, False),
    (None, HazardStatus.RECTIFYING, date(2024, 7, 1), False, False),
])
def test_overdue_from_the_day_after_the_due_day(due_on, status, today, paused, overdue):
    assert rules.is_overdue(due_on, status, today, paused) is overdue


def test_is_overdue_counts_as_not_paused_by_default():
    assert rules.is_overdue(date(2024, 6, 30), HazardStatus.RECTIFYING, date(2024, 7, 1)) is True


@pytest.mark.parametrize("kwargs,expected", [
    ({"level": MAJOR, "status": HazardStatus.RECTIFYING, "due_on": date(2024, 6, 30), "paused": False,
      "reached": ["letter"], "told": False}, datetime(2024, 7, 15, tzinfo=SH)),
    # an ordinary hazard is told once, at the start of the day after its due day
    ({"level": ORDINARY, "status": HazardStatus.RECTIFYING, "due_on": date(2024, 6, 30), "paused": False,
      "reached": [], "told": False}, datetime(2024, 7, 1, tzinfo=SH)),
    ({"level": ORDINARY, "status": HazardStatus.RECTIFYING, "due_on": date(2024, 6, 30), "paused": False,
      "reached": [], "told": True}, None),
    ({"level": MAJOR, "status": HazardStatus.RECTIFYING, "due_on": None, "paused": False,
      "reached": [], "told": False}, None),
    ({"level": MAJOR, "status": HazardStatus.RECTIFYING, "due_on": date(2024, 6, 30), "paused": True,
      "reached": [], "told": False}, None),
    ({"level": ORDINARY, "status": HazardStatus.CLOSED, "due_on": date(2024, 6, 30), "paused": False,
      "reached": [], "told": False}, None),
])
def test_when_the_tick_looks_at_a_hazard_again(kwargs, expected):
    assert rules.next_due(days=DAYS, **kwargs) == expected


def test_months_and_the_report_due_day():
    assert rules.month_start(date(2024, 2, 29)) == date(2024, 2, 1)
    assert rules.next_month(date(2024, 1, 1)) == date(2024, 2, 1)
    assert rules.next_month(date(2024, 12, 1)) == date(2025, 1, 1)
    assert rules.report_due_on(date(2024, 6, 1), 5) == date(2024, 7, 5)
    assert rules.report_due_at(date(2024, 6, 1), 5) == datetime(2024, 7, 6, tzinfo=SH)


def test_days_late_counts_from_the_due_day():
    assert rules.days_late(date(2024, 6, 1), 5, date(2024, 7, 8)) == 3
    assert rules.days_late(date(2024, 6, 1), 5, date(2024, 7, 1)) == 0  # early is not negative


def test_a_status_that_lasts_no_day_owes_no_report():
    at = datetime(2024, 8, 6, tzinfo=SH)
    # producing on 10 June, replaced the same day: not a day spent producing
    assert rules.months_owed([(date(2024, 6, 10), "producing"), (date(2024, 6, 10), "stopped")],
                             {"producing"}, at, 5) == []
    # a day is enough
    assert rules.months_owed([(date(2024, 6, 10), "producing"), (date(2024, 6, 11), "stopped")],
                             {"producing"}, at, 5) == [date(2024, 6, 1)]


def test_a_status_ending_on_the_first_of_a_month_owes_nothing_for_that_month():
    owed = rules.months_owed([(date(2024, 5, 20), "producing"), (date(2024, 6, 1), "stopped")], {"producing"},
                             datetime(2024, 8, 6, tzinfo=SH), 5)
    assert owed == [date(2024, 5, 1)]


def test_a_repeat_is_found_up_to_the_instant_of_the_new_one_and_not_after():
    found_at = datetime(2024, 6, 30, 8, tzinfo=SH)
    assert rules.find_repeat([(1, found_at)], found_at) == 1
    assert rules.find_repeat([(1, found_at + timedelta(seconds=1))], found_at) is None
    assert rules.find_repeat([], found_at) is None


def test_the_year_before_is_the_same_date():
    assert rules.year_before(date(2024, 6, 30)) == date(2023, 6, 30)
    assert rules.year_before(date(2024, 2, 29)) == date(2023, 2, 28)


def test_closure_needs_more_occurrences_than_the_repeats():
    t = datetime(2024, 6, 30, tzinfo=SH)
    three = [(1, t - timedelta(days=200)), (2, t - timedelta(days=100)), (3, t)]
    assert rules.repeats_for_closure(three, 3, 2) == [1, 2, 3]
    assert rules.repeats_for_closure(three, 3, 3) is None
    # the later occurrences' windows do not reach back to a new one found more than a year before them
    assert rules.repeats_for_closure([(1, t - timedelta(days=20)), (2, t - timedelta(days=10)),
                                      (3, t - timedelta(days=400))], 3, 2) is None


def test_the_closure_window_includes_both_of_its_ends():
    at = datetime(2024, 6, 30, tzinfo=SH)

    def due(*found: datetime) -> bool:
        return rules.closure_proposal_due(producing=True, licences_complete=False, major_found_at=found, at=at,
                                          window_days=90, minimum=2)

    assert due(at, at - timedelta(days=90)) is True
    assert due(at, at - timedelta(days=90, seconds=1)) is False
    assert due(at, at + timedelta(seconds=1)) is False  # not yet found at `at`
