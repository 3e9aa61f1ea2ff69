"""What people do with alarms (R4.8) and planned windows. Raising and clearing alarms is the
engine's part (kuangan.monitoring.alarms, inside ingestion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.access import require, visible
from kuangan.core.actor import Actor
from kuangan.core.choices import Perm
from kuangan.core.errors import DomainError
from kuangan.core.models import User
from kuangan.core.notify import notify
from kuangan.registry.models import Mine

from . import rules
from .alarms import recipients
from .choices import GAS_RESPONSE, AlarmAction, WindowKind
from .models import Alarm, AlarmDisposal, AlarmTransition, PlannedWindow


def _alarm_for_update(alarm_id: int, by: Actor, perm: str) -> Alarm:
    # lock the alarm row only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to `point`
    alarm = (visible(by.user, Alarm).select_for_update(of=("self",)).select_related("mine", "point")
             .filter(pk=alarm_id).first())
    if alarm is None:
        raise PermissionDenied(perm)
    require(by.user, perm)
    return alarm


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
def link_alarm_hazard(alarm_id: int, hazard_id: int, *, by: Actor) -> Alarm:
    """After a hazard was reported from an alarm (the view reports it first, then links it)."""
    from kuangan.hazards.models import Hazard

    alarm = _alarm_for_update(alarm_id, by, Perm.HAZARD_REPORT)
    if alarm.hazard_id is not None:
        raise DomainError(_("该报警已登记为隐患。"))
    hazard = visible(by.user, Hazard).filter(pk=hazard_id, mine_id=alarm.mine_id).first()
    if hazard is None:
        raise DomainError(_("隐患不属于该报警的矿山。"))
    alarm.hazard = hazard
    alarm.save(update_fields=["hazard"])
    _log(alarm, AlarmAction.HAZARD_OPENED, by, str(hazard))
    audit.record("monitoring.alarm.hazard_linked", alarm, by=by, after={"hazard": hazard.pk}, parent=alarm.mine)
    return alarm


@dataclass(frozen=True)
class Window:
    kind: str
    start: datetime
    end: datetime
    points: str
    reason: str


@transaction.atomic(durable=True)
def declare_planned_window(mine_id: int, *, by: Actor, window: Window) -> PlannedWindow:
    """A mine declares calibration or maintenance ahead; alarms inside it become planned ones
    (kept and shown, nobody paged). Alarms already raised in the window are marked too."""
    require(by.user, Perm.PLANNED_WINDOW_DECLARE)
    mine = visible(by.user, Mine).filter(pk=mine_id).first()
    if mine is None:
        raise PermissionDenied(Perm.PLANNED_WINDOW_DECLARE)
    if window.kind not in WindowKind.values:
        raise DomainError(_("未知的作业类别。"), field="kind")
    if window.end <= window.start:
        raise DomainError(_("结束时间须晚于开始时间。"), field="end")
    if (window.end - window.start).total_seconds() > 24 * 3600:
        raise DomainError(_("单次计划作业不得超过 24 小时。"), field="end")
    if not window.reason.strip():
        raise DomainError(_("请填写事由。"), field="reason")
    w = PlannedWindow.objects.create(mine=mine, kind=window.kind, start=window.start, end=window.end,
                                     points=window.points.strip(), reason=window.reason.strip(),
                                     declared_by=by.user, declared_at=by.at)
    inside: Any = Alarm.objects.filter(mine=mine, start__gte=w.start, start__lte=w.end, planned_window__isnull=True)
    if w.point_codes():
        inside = inside.filter(point_code__in=w.point_codes())
    marked = inside.update(planned_window=w)
    audit.record("monitoring.plannedwindow.declared", w, by=by, after={**audit.snapshot(w), "alarms": marked},
                 parent=mine)
    return w
