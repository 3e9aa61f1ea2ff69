"""What people do with alarms (R4.8) and planned windows (declared by the mines, approved by the
county when long). Raising and clearing alarms is the engine's part (kuangan.monitoring.alarms,
inside ingestion)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.access import locked_for_action, require, visible
from kuangan.core.actor import Actor
from kuangan.core.choices import Perm
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.models import User
from kuangan.core.notify import notify
from kuangan.core.transitions import transition
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.actions import HazardReport
from kuangan.hazards.choices import HazardSource
from kuangan.hazards.models import Hazard
from kuangan.registry.models import Mine
from kuangan.registry.people import county_inspectors

from . import rules
from .alarms import recipients
from .choices import GAS_RESPONSE, AlarmAction, WindowKind, WindowStatus
from .models import Alarm, AlarmDisposal, AlarmTransition, PlannedWindow


def _alarm_for_update(alarm_id: int, by: Actor, perm: str) -> Alarm:
    return locked_for_action(by.user, Alarm, alarm_id, perm, "mine", "point")


def _log(alarm: Alarm, action: str, by: Actor, note: str = "") -> None:
    AlarmTransition.objects.create(alarm=alarm, action=action, at=by.at, by=by.user, note=note)


@transaction.atomic(durable=True)
def acknowledge_alarm(alarm_id: int, *, by: Actor, note: str = "") -> Alarm:
    """Acknowledged is independent of active: an alarm can be acknowledged while it lasts."""
    alarm = _alarm_for_update(alarm_id, by, Perm.ALARM_HANDLE)
    if alarm.acknowledged_at is not None:
        raise DomainError(_("该报警已由 %(who)s 确认。") % {"who": alarm.acknowledged_by or "-"})
    alarm.acknowledged_at, alarm.acknowledged_by = by.at, by.user
    alarm.save(update_fields=["acknowledged_at", "acknowledged_by"])
    _log(alarm, AlarmAction.ACKNOWLEDGED, by, note)
    audit.record("monitoring.alarm.acknowledged", alarm, by=by, after={"acknowledged_at": by.at, "note": note},
                 parent=alarm.mine)
    return alarm


@transaction.atomic(durable=True)
def assign_alarm(alarm_id: int, *, by: Actor, assignee_id: int) -> Alarm:
    alarm = _alarm_for_update(alarm_id, by, Perm.ALARM_HANDLE)
    assignee = User.objects.filter(pk=assignee_id, is_active=True, is_machine=False).first()
    if assignee is None or not visible(assignee, Mine).filter(pk=alarm.mine_id).exists():
        raise DomainError(_("处置人须是能看到该矿山的在岗用户。"), field="assignee")
    before = {"assignee": alarm.assignee_id}
    alarm.assignee = assignee
    alarm.save(update_fields=["assignee"])
    _log(alarm, AlarmAction.ASSIGNED, by, str(assignee.display_name))
    audit.record("monitoring.alarm.assigned", alarm, by=by, before=before, after={"assignee": assignee.pk},
                 parent=alarm.mine)
    notify([assignee], by=by, url=alarm.get_absolute_url(),
           title=_("请处置报警：%(mine)s %(kind)s") % {"mine": alarm.mine.name, "kind": alarm.get_kind_display()})
    return alarm


@dataclass(frozen=True)
class Disposal:
    cause: str
    measures: str
    checklist: dict[str, bool]


def _is_gas_over_limit(alarm: Alarm) -> bool:
    # the decision is rules.is_gas_over_limit (pure); a public helper here would count as an action
    return rules.is_gas_over_limit(alarm.kind, alarm.point_code, alarm.point.sensor_type if alarm.point else None)


@transaction.atomic(durable=True)
def dispose_alarm(alarm_id: int, *, by: Actor, disposal: Disposal) -> AlarmDisposal:
    """The disposal record; a gas over-limit needs every item of 两停一撤六查 checked (R4.2)."""
    alarm = _alarm_for_update(alarm_id, by, Perm.ALARM_HANDLE)
    if hasattr(alarm, "disposal"):
        raise DomainError(_("该报警已有处置记录。"))
    if not disposal.cause.strip():
        raise DomainError(_("请填写原因。"), field="cause")
    if not disposal.measures.strip():
        raise DomainError(_("请填写处置措施。"), field="measures")
    checklist = {key: bool(disposal.checklist.get(key)) for key, _label in GAS_RESPONSE}
    if _is_gas_over_limit(alarm):
        missing = [str(label) for key, label in GAS_RESPONSE if not checklist[key]]
        if missing:
            from kuangan.core.text import join_list

            raise DomainError(_("瓦斯超限须落实“两停一撤六查”，尚未落实：%(items)s。") % {"items": join_list(missing)},
                              field="checklist")
    record = AlarmDisposal.objects.create(alarm=alarm, cause=disposal.cause.strip(),
                                          measures=disposal.measures.strip(), checklist=checklist,
                                          disposed_by=by.user, disposed_at=by.at)
    if alarm.acknowledged_at is None:  # disposing of an alarm acknowledges it
        alarm.acknowledged_at, alarm.acknowledged_by = by.at, by.user
        alarm.save(update_fields=["acknowledged_at", "acknowledged_by"])
    _log(alarm, AlarmAction.DISPOSED, by, record.measures)
    audit.record("monitoring.alarm.disposed", alarm, by=by, after=audit.snapshot(record), parent=alarm.mine)
    notify(recipients(alarm.mine), by=by, url=alarm.get_absolute_url(),
           title=_("报警已处置：%(mine)s %(kind)s") % {"mine": alarm.mine.name, "kind": alarm.get_kind_display()})
    return record


@transaction.atomic(durable=True)
def report_hazard_from_alarm(alarm_id: int, *, by: Actor, report: HazardReport) -> Hazard:
    """登记为隐患: the hazard (of the alarm's mine, a monitoring lead) and its link to the alarm in one
    transaction, under the alarm's row lock: neither a crash between the two nor two people at once can
    leave a hazard without its alarm or an alarm with two hazards."""
    alarm = _alarm_for_update(alarm_id, by, Perm.HAZARD_REPORT)
    if alarm.hazard_id is not None:
        raise DomainError(_("该报警已登记为隐患。"))
    hazard = hazard_actions._report_hazard(alarm.mine_id, by=by, report=replace(
        report, source=HazardSource.MONITORING_LEAD, found_at=min(report.found_at, alarm.start)))
    alarm.hazard = hazard
    alarm.save(update_fields=["hazard"])
    _log(alarm, AlarmAction.HAZARD_OPENED, by, str(hazard))
    audit.record("monitoring.alarm.hazard_linked", alarm, by=by, after={"hazard": hazard.pk}, parent=alarm.mine)
    return hazard


@dataclass(frozen=True)
class Window:
    kind: str
    start: datetime
    end: datetime
    points: str
    reason: str


def _span(w: PlannedWindow) -> rules.WindowSpan:
    return rules.WindowSpan(w.start, w.end, tuple(w.point_codes()))


def _window_title(w: PlannedWindow) -> str:
    return _("%(mine)s 申报%(kind)s计划作业：%(start)s～%(end)s") % {
        "mine": w.mine.name, "kind": w.get_kind_display(), "start": rules.beijing(w.start)[:16],
        "end": rules.beijing(w.end)[:16]}


@transaction.atomic(durable=True)
def declare_planned_window(mine_id: int, *, by: Actor, window: Window) -> PlannedWindow:
    """A mine declares calibration or maintenance ahead: alarms raised inside it (and only those
    raised after it takes effect; nothing already raised changes) are planned ones, kept and shown,
    the mine's dispatchers not paged (kuangan.monitoring.alarms). A window longer than settings.MONITORING_WINDOW_MAX_HOURS, or one that would bring
    the windows of one of its points above settings.MONITORING_WINDOW_DAILY_HOURS on a Beijing day,
    waits for the county's approval (pending); any other takes effect at once. The county's
    inspectors are told of every window."""
    require(by.user, Perm.PLANNED_WINDOW_DECLARE)
    mine = visible(by.user, Mine).filter(pk=mine_id).first()
    if mine is None:
        raise PermissionDenied(Perm.PLANNED_WINDOW_DECLARE)
    if window.kind not in WindowKind.values:
        raise DomainError(_("未知的作业类别。"), field="kind")
    if window.start < by.at:  # no retroactive window: it would turn alarms already raised into planned ones
        raise DomainError(_("开始时间不得早于申报时间（%(now)s）：计划作业须事先申报。") % {
            "now": rules.beijing(by.at)}, field="start")
    if window.end <= window.start:
        raise DomainError(_("结束时间须晚于开始时间。"), field="end")
    if not window.reason.strip():
        raise DomainError(_("请填写事由。"), field="reason")
    # one declaration per mine at a time: the daily hours are counted over the windows already saved
    Mine.objects.select_for_update().filter(pk=mine.pk).first()
    new = rules.WindowSpan(window.start, window.end,
                           tuple(line.strip() for line in window.points.splitlines() if line.strip()))
    others = (PlannedWindow.objects.filter(mine=mine, status__in=[WindowStatus.APPROVED, WindowStatus.PENDING],
                                           end__gt=rules.day_start(window.start.astimezone(SHANGHAI).date()),
                                           start__lt=window.end + timedelta(days=1))
              .only("start", "end", "points"))
    why = rules.window_approval_reason(new, [_span(w) for w in others],
                                       max_hours=settings.MONITORING_WINDOW_MAX_HOURS,
                                       daily_hours=settings.MONITORING_WINDOW_DAILY_HOURS)
    w = PlannedWindow.objects.create(mine=mine, kind=window.kind, start=window.start, end=window.end,
                                     points="\n".join(new.points), reason=window.reason.strip(),
                                     declared_by=by.user, declared_at=by.at,
                                     status=WindowStatus.PENDING if why else WindowStatus.APPROVED)
    audit.record("monitoring.plannedwindow.declared", w, by=by, after=audit.snapshot(w), reason=why, parent=mine)
    url = reverse("monitoring:window_list") + f"?mine={mine.pk}#window-{w.pk}"
    if why:
        notify(county_inspectors(mine), by=by, url=url,
               title=_("请审批：%(title)s") % {"title": _window_title(w)},
               body=_("%(why)s，须县局审批后生效。事由：%(reason)s") % {"why": why, "reason": w.reason})
    else:
        notify(county_inspectors(mine), by=by, url=url, title=_window_title(w),
               body=_("已生效。事由：%(reason)s") % {"reason": w.reason})
    return w


@transaction.atomic(durable=True)
def decide_planned_window(window_id: int, *, by: Actor, approve: bool, note: str = "") -> PlannedWindow:
    """The county approves a pending window (it takes effect from then on: alarms already raised stay
    as they are) or rejects it (with a note); the declarer is told. Decided once: a second decision,
    or two at the same time, is refused (a conditional update of the status)."""
    w = locked_for_action(by.user, PlannedWindow, window_id, Perm.PLANNED_WINDOW_DECIDE, "mine", "declared_by")
    if w.status != WindowStatus.PENDING:
        raise DomainError(_("该计划作业已审批（%(status)s），不能再次审批。") % {"status": w.get_status_display()})
    note = note.strip()
    if not approve and not note:
        raise DomainError(_("驳回须填写审批意见。"), field="note")
    w.decided_by, w.decided_at, w.decision_note = by.user, by.at, note
    transition(w, to=WindowStatus.APPROVED if approve else WindowStatus.REJECTED,
               fields=("decided_by", "decided_at", "decision_note"))
    audit.record("monitoring.plannedwindow.approved" if approve else "monitoring.plannedwindow.rejected", w, by=by,
                 before={"status": WindowStatus.PENDING},
                 after={"status": w.status, "decided_at": by.at, "decision_note": note}, reason=note, parent=w.mine)
    title = _("计划作业已批准：%(title)s") if approve else _("计划作业被驳回：%(title)s")
    notify([w.declared_by], by=by, url=reverse("monitoring:window_list") + f"?mine={w.mine_id}#window-{w.pk}",
           title=title % {"title": _window_title(w)}, body=note)
    return w
