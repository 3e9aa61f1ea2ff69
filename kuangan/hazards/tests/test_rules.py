"""Pure rules of the hazard loop, with Hypothesis: the life cycle's invariants and the exact day
boundaries of escalation and monthly reports in Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuangan.core.clock import SHANGHAI
from kuangan.hazards import rules
from kuangan.hazards.choices import HazardLevel, HazardStatus

pytestmark = pytest.mark.nodb

DAYS = (1, 15, 30, 60)
SH = SHANGHAI


@given(st.lists(st.tuples(st.sampled_from(rules.ACTIONS), st.booleans()), max_size=30),
       st.sampled_from(HazardLevel.values))
def test_no_sequence_reaches_closed_without_the_regulators_verification(steps, level):
    """Whatever a mine does, in any order, a major hazard closes only through a regulator's verification."""
    status = HazardStatus.REPORTED
    verified_by_regulator = False
    for action, actor_is_regulator in steps:
        if action == "verify_close_out" and not rules.may_verify(level=level, verifier_is_regulator=actor_is_regulator):
            continue  # refused
        to = rules.next_status(status, action)
        if to is None:
            continue  # refused
        if to == HazardStatus.CLOSED:
            verified_by_regulator = actor_is_regulator
        status = to
        if status == HazardStatus.CLOSED:
            assert level == HazardLevel.ORDINARY or verified_by_regulator
    # closed is terminal: no action leads anywhere from it
    assert all(rules.next_status(HazardStatus.CLOSED, a) is None for a in rules.ACTIONS)


def test_rectification_is_the_only_way_out_of_reported():
    assert [a for a in rules.ACTIONS if rules.next_status(HazardStatus.REPORTED, a)] == ["start_rectification"]


PLAN = rules.FiveImplementations("张三", "更换传感器", Decimal("12.5"), date(2024, 7, 31), "撤人预案")


def test_five_implementations_complete():
    assert rules.missing_implementations(PLAN, date(2024, 6, 30)) == []


@pytest.mark.parametrize("change,missing", [
    ({"responsible_person": " "}, "整改责任人"), ({"measures": ""}, "整改措施"), ({"funds": None}, "整改资金"),
    ({"deadline": None}, "整改时限"), ({"contingency_plan": ""}, "应急预案"),
    ({"deadline": date(2024, 6, 1)}, "整改时限（不能早于排查日期）"),
])
def test_each_missing_implementation_is_named(change, missing):
    plan = rules.FiveImplementations(**{**PLAN.__dict__, **change})
    assert rules.missing_implementations(plan, date(2024, 6, 30)) == [missing]


def test_zero_funds_is_an_answer_but_negative_is_not():
    assert rules.missing_implementations(rules.FiveImplementations(**{**PLAN.__dict__, "funds": Decimal(0)}),
                                         date(2024, 6, 30)) == []
    assert rules.missing_implementations(rules.FiveImplementations(**{**PLAN.__dict__, "funds": Decimal(-1)}),
                                         date(2024, 6, 30)) == ["整改资金"]


def test_close_out_needs_an_evaluation_and_after_a_stop_the_resumption_one():
    assert rules.close_out_problems(evaluation_by="", evaluation="", stopped_production=False,
                                    resume_evaluation="") == ["评估人员（矿山工程技术人员或专家）", "评估意见"]
    assert len(rules.close_out_problems(evaluation_by="总工", evaluation="合格", stopped_production=True,
                                        resume_evaluation="")) == 1
    assert rules.close_out_problems(evaluation_by="总工", evaluation="合格", stopped_production=True,
                                    resume_evaluation="具备复产条件") == []


DEADLINE = date(2024, 6, 30)


@pytest.mark.parametrize("local,steps", [
    (datetime(2024, 6, 30, 23, 59, 59, tzinfo=SH), []),  # the deadline day itself is in time
    (datetime(2024, 7, 1, 0, 0, tzinfo=SH), ["letter"]),  # 1 day after, from midnight Beijing time
    (datetime(2024, 7, 14, 23, 59, tzinfo=SH), ["letter"]),
    (datetime(2024, 7, 15, 0, 0, tzinfo=SH), ["letter", "circular"]),
    (datetime(2024, 7, 30, 0, 0, tzinfo=SH), ["letter", "circular", "summons"]),
    (datetime(2024, 8, 29, 0, 0, tzinfo=SH), ["letter", "circular", "summons", "exposure"]),
])
def test_escalation_steps_at_exact_day_boundaries(local, steps):
    assert [s for s, _due in rules.escalation_reached(DEADLINE, local, DAYS)] == steps


def test_the_boundary_is_beijing_midnight_not_utc_midnight():
    just_before = datetime(2024, 6, 30, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Beijing
    at_midnight = datetime(2024, 6, 30, 16, 0, 0, tzinfo=UTC)  # 00:00 on 1 July in Beijing
    assert rules.escalation_reached(DEADLINE, just_before, DAYS) == []
    assert [s for s, _ in rules.escalation_reached(DEADLINE, at_midnight, DAYS)] == ["letter"]


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
       st.integers(min_value=0, max_value=200 * 24 * 60))
def test_escalation_is_monotonic_and_next_due_is_the_first_step_not_reached(deadline, minutes):
    at = rules.day_start(deadline) + timedelta(minutes=minutes)
    reached = [s for s, _ in rules.escalation_reached(deadline, at, DAYS)]
    later = [s for s, _ in rules.escalation_reached(deadline, at + timedelta(days=1), DAYS)]
    assert later[:len(reached)] == reached
    nxt = rules.next_escalation_at(deadline, HazardStatus.RECTIFYING, reached, DAYS)
    if len(reached) == 4:
        assert nxt is None
    else:
        assert nxt is not None and nxt > at
    assert rules.next_escalation_at(deadline, HazardStatus.CLOSED, [], DAYS) is None


def test_monthly_report_due_boundaries():
    june = date(2024, 6, 1)
    due = rules.report_due_at(june, 5)
    assert due == datetime(2024, 7, 6, 0, 0, tzinfo=SH)  # missing from the start of the day after the 5th
    producing = [(date(2024, 1, 10), "producing")]
    assert june not in rules.months_owed(producing, {"producing"}, due - timedelta(seconds=1), 5)
    assert june in rules.months_owed(producing, {"producing"}, due, 5)
    assert rules.report_due_at(date(2024, 12, 1), 5) == datetime(2025, 1, 6, tzinfo=SH)


def test_repeat_within_twelve_calendar_months():
    t = datetime(2024, 6, 30, 8, tzinfo=SH)
    assert rules.find_repeat([(1, datetime(2023, 6, 30, tzinfo=SH))], t) == 1  # the same date a year earlier
    assert rules.find_repeat([(1, datetime(2023, 6, 29, 23, 59, tzinfo=SH))], t) is None
    assert rules.find_repeat([(1, t - timedelta(days=100)), (2, t - timedelta(days=10))], t) == 2
    assert rules.year_before(date(2024, 2, 29)) == date(2023, 2, 28)


def test_closure_needs_the_repeats_within_one_window():
    day = [datetime(2023, 7, 19, tzinfo=SH), datetime(2024, 1, 10, tzinfo=SH), datetime(2024, 7, 20, tzinfo=SH)]
    assert rules.repeats_for_closure(list(enumerate(day)), 2, 2) is None  # the first is a day too old
    late = [(0, day[1]), (1, day[2]), (2, datetime(2023, 12, 1, tzinfo=SH))]  # reported last, found in between
    assert rules.repeats_for_closure(late, 2, 2) == [2, 0, 1]


def test_months_owed_follow_the_status_history():
    history = [(date(2023, 11, 20), "producing"), (date(2024, 2, 1), "long_term_stopped"),
               (date(2024, 4, 30), "building")]
    owed = rules.months_owed(history, {"producing", "building"}, datetime(2024, 6, 6, tzinfo=SH), 5)
    assert owed == [date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1), date(2024, 4, 1), date(2024, 5, 1)]
    assert rules.days_late(date(2024, 5, 1), 5, date(2024, 6, 5)) == 0
    assert rules.days_late(date(2024, 5, 1), 5, date(2024, 6, 6)) == 1


@pytest.mark.parametrize("producing,complete,ages,expected", [
    (True, False, [10, 80], True),
    (True, False, [10, 100], False),  # the second is outside 90 days
    (True, True, [10, 20], False),  # licences complete
    (False, False, [10, 20], False),  # not producing
    (True, False, [10], False),
])
def test_closure_proposal_rule(producing, complete, ages, expected):
    at = datetime(2024, 6, 30, tzinfo=SH)
    assert rules.closure_proposal_due(producing=producing, licences_complete=complete,
                                      major_found_at=[at - timedelta(days=a) for a in ages], at=at,
                                      window_days=90, minimum=2) is expected
