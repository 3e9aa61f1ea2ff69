"""Pure rules of the major-hazard loop: the transition table and its guards (R2.3, R2.4), escalation
steps (R2.5), monthly report due dates (R2.6), repeats and closure proposals (R2.8).
No ORM, no clock, no settings: callers pass the facts and the numbers."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
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


def is_overdue(due_on: date | None, status: str, today: date, paused: bool = False) -> bool:
    """Overdue from the day after the due day, unless closed or waiting for the regulator on time."""
    return due_on is not None and not paused and status != S.CLOSED and today > due_on


def deadline_refusal(deadline: date | None, today: date) -> str | None:
    """A rectification deadline may not lie before the Beijing day it is set."""
    if deadline is not None and deadline < today:
        return _("整改时限（%(day)s）不能早于今天（%(today)s）。") % {
            "day": deadline.isoformat(), "today": today.isoformat()}
    return None


def plan_due_on(reported_on: date, plan_days: int) -> date:
    """A major hazard still without its five implementations is overdue after this day, and the ladder
    counts from it as from a deadline (`KUANGAN_PLAN_DAYS`; no official figure found)."""
    return reported_on + timedelta(days=plan_days)


def pauses_clock(*, level: str, requested_on: date, due_on: date | None) -> bool:
    """A close-out request of a major hazard made on or before its due day stops the mine's clock:
    the regulator owes the answer, the hazard does not escalate meanwhile."""
    return level == HazardLevel.MAJOR and due_on is not None and requested_on <= due_on


def resumed_due_on(due_on: date, requested_on: date, rejected_on: date) -> date:
    """After a rejection the mine's clock resumes: the days of waiting are not counted against it."""
    return due_on + (rejected_on - requested_on)


def verify_due_on(requested_on: date, verify_days: int) -> date:
    """The last day the regulator has to answer a close-out request (`KUANGAN_VERIFY_DAYS`)."""
    return requested_on + timedelta(days=verify_days)


def next_due(*, level: str, status: str, due_on: date | None, paused: bool, reached: Iterable[str],
             told: bool, days: Sequence[int]) -> datetime | None:
    """When `kuangan tick` must look at a hazard again. A major hazard climbs the ladder from its due
    day (steps already taken are kept); an ordinary one is only told once, the day after its due day."""
    if due_on is None or paused or status == S.CLOSED:
        return None
    if level == HazardLevel.MAJOR:
        return next_escalation_at(due_on, status, reached, days)
    return None if told else day_start(due_on + timedelta(days=1))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def report_due_on(month: date, due_day: int) -> date:
    """The last day the report of `month` is in time: the due day of the next month."""
    return next_month(month).replace(day=due_day)


def report_due_at(month: date, due_day: int) -> datetime:
    """The report of `month` is missing from the start of the day after its due day in the next month."""
    return day_start(report_due_on(month, due_day) + timedelta(days=1))


def days_late(month: date, due_day: int, signed_on: date) -> int:
    """迟报: the days a report signed on `signed_on` came after its due day (0 when in time)."""
    return max(0, (signed_on - report_due_on(month, due_day)).days)


def months_owed(history: Sequence[tuple[date, str]], owing: Collection[str], at: datetime, due_day: int
                ) -> list[date]:
    """R2.6: every month whose report was due by `at` and in which the mine spent at least a day in a
    status that owes reports. `history` is the mine's (effective date, new status), in the order made."""
    months: set[date] = set()
    for i, (start, status) in enumerate(history):
        end = history[i + 1][0] if i + 1 < len(history) else None  # exclusive
        if status not in owing or (end is not None and end <= start):
            continue
        month = month_start(start)
        while report_due_at(month, due_day) <= at and (end is None or month < end):
            months.add(month)
            month = next_month(month)
    return sorted(months)


def year_before(day: date) -> date:
    """The same date one year earlier (29 February gives 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _within_year(earlier: datetime, later: datetime) -> bool:
    return day_start(year_before(later.astimezone(SHANGHAI).date())) <= earlier <= later


def find_repeat(previous: Iterable[tuple[int, datetime]], found_at: datetime) -> int | None:
    """R2.8: the latest major hazard of the same mine and category found on or after the same date one
    year earlier (calendar: found 2024-07-15, counted from 2023-07-15), if any."""
    earlier = [(at, pk) for pk, at in previous if _within_year(at, found_at)]
    return max(earlier)[1] if earlier else None


def repeats_for_closure(occurrences: Iterable[tuple[int, datetime]], new: int, repeats: int) -> list[int] | None:
    """R2.8: the occurrences of one category at one mine (the `new` one among them) that a closure
    proposal cites when `new` brings them to `repeats` repeats within 12 months; None when it does not.
    A window ends at each occurrence found no earlier than `new` (a late report may fill an old window)."""
    rows = sorted((at, pk) for pk, at in occurrences)
    found = {pk: at for at, pk in rows}
    for end, _pk in rows:
        if end < found[new]:
            continue
        cited = [pk for at, pk in rows if at <= end and _within_year(at, end)]
        if new in cited and len(cited) > repeats:
            return cited
    return None


def closure_proposal_due(*, producing: bool, licences_complete: bool, major_found_at: Iterable[datetime],
                         at: datetime, window_days: int, minimum: int) -> bool:
    """R2.8, JC 10: a producing mine with incomplete licences and `minimum` or more major hazards found
    within the window is proposed for closure."""
    if not producing or licences_complete:
        return False
    recent = [t for t in major_found_at if at - timedelta(days=window_days) <= t <= at]
    return len(recent) >= minimum
