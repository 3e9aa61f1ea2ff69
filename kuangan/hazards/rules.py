"""Pure rules of the major-hazard loop: the transition table and its guards (R2.3, R2.4), escalation
steps (R2.5), monthly report due dates (R2.6), repeats and closure proposals (R2.8).
No ORM, no clock, no settings: callers pass the facts and the numbers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from kuangan.core.clock import SHANGHAI

from .choices import ESCALATION_ORDER, HazardLevel, HazardStatus

S = HazardStatus
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.REPORTED, "start_rectification"): S.RECTIFYING,
    (S.RECTIFYING, "request_close_out"): S.CLOSE_OUT_REQUESTED,
    (S.CLOSE_OUT_REQUESTED, "verify_close_out"): S.CLOSED,
    (S.CLOSE_OUT_REQUESTED, "reject_close_out"): S.RECTIFYING,
}
ACTIONS = sorted({a for _s, a in TRANSITIONS})


def next_status(status: str, action: str) -> str | None:
    """The status an action leads to, or None when the action is not allowed in this status."""
    return TRANSITIONS.get((status, action))


@dataclass(frozen=True)
class FiveImplementations:
    responsible_person: str
    measures: str
    funds: Decimal | None
    deadline: date | None
    contingency_plan: str


def missing_implementations(plan: FiveImplementations, found_on: date) -> list[str]:
    """R2.3: what keeps a hazard from entering rectification (empty when all five are there)."""
    missing = []
    if not plan.responsible_person.strip():
        missing.append(_("整改责任人"))
    if not plan.measures.strip():
        missing.append(_("整改措施"))
    if plan.funds is None or plan.funds < 0:
        missing.append(_("整改资金"))
    if plan.deadline is None:
        missing.append(_("整改时限"))
    elif plan.deadline < found_on:
        missing.append(_("整改时限（不能早于排查日期）"))
    if not plan.contingency_plan.strip():
        missing.append(_("应急预案"))
    return missing


def close_out_problems(*, evaluation_by: str, evaluation: str, stopped_production: bool,
                       resume_evaluation: str) -> list[str]:
    """R2.4: a close-out request needs the mine's evaluation (and, after a stop, the resumption one)."""
    problems = []
    if not evaluation_by.strip():
        problems.append(_("评估人员（矿山工程技术人员或专家）"))
    if not evaluation.strip():
        problems.append(_("评估意见"))
    if stopped_production and not resume_evaluation.strip():
        problems.append(_("复产评估（停产整改的隐患须评估后方可申请复产）"))
    return problems


def may_verify(*, level: str, verifier_is_regulator: bool) -> bool:
    """A major hazard is closed out only by the regulator; an ordinary one also by the mine itself."""
    return verifier_is_regulator or level == HazardLevel.ORDINARY


def day_start(day: date) -> datetime:
    """The instant a Beijing calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def escalation_due(deadline: date, days: Sequence[int]) -> list[tuple[str, datetime]]:
    """The escalation steps of an overdue hazard with the instant each falls due: step k is due at
    the start of the day `days[k]` days after the deadline (the deadline day itself is still in time)."""
    return [(step, day_start(deadline + timedelta(days=d))) for step, d in zip(ESCALATION_ORDER, days, strict=True)]


def escalation_reached(deadline: date, at: datetime, days: Sequence[int]) -> list[tuple[str, datetime]]:
    return [(step, due) for step, due in escalation_due(deadline, days) if due <= at]


def next_escalation_at(deadline: date | None, status: str, reached: Iterable[str], days: Sequence[int]
                       ) -> datetime | None:
    """When `kuangan tick` must look at this hazard again: the next step not yet reached."""
    if deadline is None or status == S.CLOSED:
        return None
    done = set(reached)
    for step, due in escalation_due(deadline, days):
        if step not in done:
            return due
    return None


def is_overdue(deadline: date | None, status: str, today: date) -> bool:
    return deadline is not None and status != S.CLOSED and today > deadline


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def report_due_at(month: date, due_day: int) -> datetime:
    """The report of `month` is missing from the start of the day after its due day in the next month."""
    return day_start(next_month(month).replace(day=due_day) + timedelta(days=1))


def months_due(at: datetime, due_day: int, back: int = 3) -> list[date]:
    """The recent months whose report is overdue at `at` (the last `back` of them)."""
    month = month_start(at.astimezone(SHANGHAI).date())
    months = []
    for _i in range(back + 1):
        if report_due_at(month, due_day) <= at:
            months.append(month)
        month = month_start(month - timedelta(days=1))
    return sorted(months)[-back:]


def find_repeat(previous: Iterable[tuple[int, datetime]], found_at: datetime, window_days: int) -> int | None:
    """R2.8: the latest earlier hazard of the same mine and item within the window, if any."""
    earlier = [(at, pk) for pk, at in previous if found_at - timedelta(days=window_days) <= at <= found_at]
    return max(earlier)[1] if earlier else None


def closure_proposal_due(*, producing: bool, licences_complete: bool, major_found_at: Iterable[datetime],
                         at: datetime, window_days: int, minimum: int) -> bool:
    """R2.8, JC 10: a producing mine with incomplete licences and `minimum` or more major hazards found
    within the window is proposed for closure."""
    if not producing or licences_complete:
        return False
    recent = [t for t in major_found_at if at - timedelta(days=window_days) <= t <= at]
    return len(recent) >= minimum
