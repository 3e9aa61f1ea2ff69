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
from kuangan.core.access import is_regulator, locked_for_action, require, visible
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
from kuangan.registry.models import Mine, WorkingFace
from kuangan.registry.people import county_inspectors

from . import rules
from .alarms import recipients
from .choices import (
    GAS_RESPONSE,
    OPEN_LEAD,
    AlarmAction,
    AreaUse,
    LeadAction,
    LeadStatus,
    WindowKind,
    WindowStatus,
)
from .models import (
    Alarm,
    AlarmDisposal,
    AlarmTransition,
    AreaMappingChange,
    Fence,
    Lead,
    LeadTransition,
    PersonnelProfile,
    PlannedWindow,
    PositioningArea,
)


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


# --- Leads of illegal production (R4.7): the regulator's, never the mine's -------------------------------

def _lead_for_update(lead_id: int, by: Actor) -> Lead:
    return locked_for_action(by.user, Lead, lead_id, Perm.LEAD_HANDLE, "mine")


def _lead_log(lead: Lead, action: str, by: Actor, note: str = "") -> None:
    LeadTransition.objects.create(lead=lead, action=action, at=by.at, by=by.user, note=note)


def _require_open(lead: Lead) -> None:
    if not lead.is_open:
        raise DomainError(_("该线索已处理（%(status)s）。") % {"status": lead.get_status_display()})


@transaction.atomic(durable=True)
def review_lead(lead_id: int, *, by: Actor, note: str = "") -> Lead:
    """研判: the inspector takes the lead up; it stays open until dismissed or acted on."""
    lead = _lead_for_update(lead_id, by)
    if lead.status != LeadStatus.NEW:
        raise DomainError(_("只有新线索可以开始研判（当前：%(status)s）。") % {"status": lead.get_status_display()})
    lead.reviewer = by.user
    transition(lead, to=LeadStatus.UNDER_REVIEW, fields=("reviewer",))
    _lead_log(lead, LeadAction.REVIEWED, by, note.strip())
    # no parent: a lead's events never show on the mine's history page
    audit.record("monitoring.lead.reviewed", lead, by=by, before={"status": LeadStatus.NEW},
                 after={"status": lead.status, "reviewer": by.user.pk if by.user else None, "note": note.strip()})
    return lead


@transaction.atomic(durable=True)
def dismiss_lead(lead_id: int, *, by: Actor, reason: str) -> Lead:
    """排除: the signal has an innocent explanation, which is kept."""
    lead = _lead_for_update(lead_id, by)
    _require_open(lead)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("排除线索须填写理由。"), field="reason")
    before = {"status": lead.status}
    lead.dismissed_reason = reason
    transition(lead, to=LeadStatus.DISMISSED, fields=("dismissed_reason",))
    _lead_log(lead, LeadAction.DISMISSED, by, reason)
    audit.record("monitoring.lead.dismissed", lead, by=by, before=before, after={"status": lead.status},
                 reason=reason)
    return lead


@transaction.atomic(durable=True)
def link_lead_hazard(lead_id: int, *, by: Actor, report: HazardReport) -> Hazard:
    """登记隐患: the hazard (a monitoring lead, found no later than the signal began) and the lead's link to it
    in one transaction, under the lead's row lock."""
    lead = _lead_for_update(lead_id, by)
    _require_open(lead)
    hazard = hazard_actions._report_hazard(lead.mine_id, by=by, report=replace(
        report, source=HazardSource.MONITORING_LEAD, found_at=min(report.found_at, lead.start)))
    before = {"status": lead.status}
    lead.hazard = hazard
    transition(lead, to=LeadStatus.HAZARD_OPENED, fields=("hazard",))
    _lead_log(lead, LeadAction.HAZARD_OPENED, by, str(hazard))
    audit.record("monitoring.lead.hazard_linked", lead, by=by, before=before,
                 after={"status": lead.status, "hazard": hazard.pk})
    return hazard


@transaction.atomic(durable=True)
def open_lead_from_alarm(alarm_id: int, *, by: Actor, note: str = "") -> Lead:
    """A regulator keeps an alarm (people at a stopped mine, no leader on shift …) as a lead, with the
    alarm's evidence; one open lead per (mine, subject, kind)."""
    require(by.user, Perm.LEAD_HANDLE)
    alarm = _alarm_for_update(alarm_id, by, Perm.LEAD_HANDLE)
    if Lead.objects.filter(mine_id=alarm.mine_id, subject=alarm.point_code, kind=alarm.kind,
                           status__in=OPEN_LEAD).exists():
        raise DomainError(_("该对象已有同类未办结线索。"))
    lead = Lead.objects.create(
        mine=alarm.mine, kind=alarm.kind, subject=alarm.point_code, status=LeadStatus.UNDER_REVIEW, start=alarm.start,
        end=alarm.end, peak=alarm.peak, evidence={**alarm.evidence, "alarm": alarm.pk}, episode_start=alarm.start,
        raised_at=by.at, reviewer=by.user, alarm=alarm)
    _lead_log(lead, LeadAction.RAISED, by, note.strip() or _("由报警转为线索"))
    audit.record("monitoring.lead.opened_from_alarm", lead, by=by,
                 after={"alarm": alarm.pk, "kind": alarm.kind, "subject": alarm.point_code, "note": note.strip()})
    return lead


# --- Positioning areas, fences, shifts ------------------------------------------------------------------

@dataclass(frozen=True)
class AreaMapping:
    declared_as: str  # AreaUse value, "" = undeclared
    face_id: int | None
    note: str = ""


@transaction.atomic(durable=True)
def map_positioning_area(area_id: int, *, by: Actor, mapping: AreaMapping) -> PositioningArea:
    """What an area is underground. A regulator's mapping is confirmed and counts; the mine's own is kept as
    evidence and unconfirms the area until a regulator confirms it again (a mine hiding a face would map its
    area as a roadway)."""
    area = locked_for_action(by.user, PositioningArea, area_id, Perm.AREA_MAP_EDIT, "mine", "face")
    if mapping.declared_as not in ("", *AreaUse.values):
        raise DomainError(_("未知的区域用途。"), field="declared_as")
    face = None
    if mapping.face_id is not None:
        face = WorkingFace.objects.filter(mine_id=area.mine_id, pk=mapping.face_id).first()
        if face is None:
            raise DomainError(_("该工作面不属于此矿山。"), field="face")
    if mapping.declared_as == AreaUse.FACE and face is None:
        raise DomainError(_("用途为采掘工作面时，须选择对应的工作面。"), field="face")
    if mapping.declared_as != AreaUse.FACE and face is not None:
        raise DomainError(_("只有用途为采掘工作面的区域才能对应工作面。"), field="face")
    regulator = is_regulator(by.user)
    before = {"declared_as": area.declared_as, "face": area.face_id, "confirmed_at": area.confirmed_at}
    area.declared_as, area.face = mapping.declared_as, face
    area.mapped_by, area.mapped_at = by.user, by.at
    area.confirmed_by, area.confirmed_at = (by.user, by.at) if regulator else (None, None)
    area.save(update_fields=["declared_as", "face", "mapped_by", "mapped_at", "confirmed_by", "confirmed_at"])
    AreaMappingChange.objects.create(area=area, at=by.at, by=by.user, declared_as=area.declared_as,
                                     face_name=face.name if face else "", confirmed=regulator,
                                     note=mapping.note.strip()[:300])
    audit.record("monitoring.area.mapped", area, by=by, before=before,
                 after={"declared_as": area.declared_as, "face": area.face_id, "confirmed_at": area.confirmed_at},
                 reason=mapping.note.strip(), parent=area.mine)
    if not regulator:
        notify(county_inspectors(area.mine), by=by, url=reverse("monitoring:personnel", args=[area.mine_id]),
               title=_("%(mine)s 修改了定位区域 %(area)s 的用途，待确认") % {"mine": area.mine.name, "area": area})
    return area


@dataclass(frozen=True)
class FenceSpec:
    name: str
    area_codes: list[str]
    station_codes: list[str]
    start: datetime
    end: datetime | None
    reason: str


@transaction.atomic(durable=True)
def draw_fence(mine_id: int, *, by: Actor, fence: FenceSpec) -> Fence:
    """An inspector bars areas or base stations (a sealed area, a stopped face); anyone entering them raises
    restricted_area_entry. The mine is told: a fence is an order to keep out, not a trap."""
    require(by.user, Perm.FENCE_EDIT)
    mine = visible(by.user, Mine).filter(pk=mine_id).first()
    if mine is None:
        raise PermissionDenied(Perm.FENCE_EDIT)
    if not fence.name.strip():
        raise DomainError(_("请填写围栏名称。"), field="name")
    if not fence.reason.strip():
        raise DomainError(_("请填写划定理由。"), field="reason")
    codes = [c.strip() for c in [*fence.area_codes, *fence.station_codes] if c.strip()]
    if not codes:
        raise DomainError(_("请至少填写一个区域编码或基站编码。"), field="area_codes")
    foreign = [c for c in codes if not c.startswith(mine.code)]
    if foreign:
        raise DomainError(_("编码须以本矿编码 %(code)s 开头：%(bad)s") % {"code": mine.code, "bad": foreign[0]},
                          field="area_codes")
    if fence.end is not None and fence.end <= fence.start:
        raise DomainError(_("结束时间须晚于生效时间。"), field="end")
    row = Fence.objects.create(
        mine=mine, name=fence.name.strip()[:100], area_codes=[c.strip() for c in fence.area_codes if c.strip()],
        station_codes=[c.strip() for c in fence.station_codes if c.strip()], start=fence.start, end=fence.end,
        reason=fence.reason.strip()[:300], created_by=by.user, created_at=by.at)
    audit.record("monitoring.fence.drawn", row, by=by, after=audit.snapshot(row), parent=mine)
    notify(recipients(mine), by=by, url=reverse("monitoring:personnel", args=[mine.pk]),
           title=_("%(mine)s 划定电子围栏：%(name)s") % {"mine": mine.name, "name": row.name}, body=row.reason)
    return row


@transaction.atomic(durable=True)
def end_fence(fence_id: int, *, by: Actor) -> Fence:
    row = locked_for_action(by.user, Fence, fence_id, Perm.FENCE_EDIT, "mine")
    if row.end is not None and row.end <= by.at:
        raise DomainError(_("该围栏已结束。"))
    before = {"end": row.end}
    row.end = max(by.at, row.start)
    row.save(update_fields=["end"])
    audit.record("monitoring.fence.ended", row, by=by, before=before, after={"end": row.end}, parent=row.mine)
    return row


@transaction.atomic(durable=True)
def set_shifts(mine_id: int, *, by: Actor, starts: list[str], maintenance: str = "") -> PersonnelProfile:
    """The mine's shift starts ("HH:MM", 1 to 6 of them) and its maintenance shift, if any."""
    require(by.user, Perm.MINE_EDIT)
    mine = visible(by.user, Mine).filter(pk=mine_id).first()
    if mine is None:
        raise PermissionDenied(Perm.MINE_EDIT)
    parsed = sorted({s.strip() for s in starts if s.strip()})
    if not 1 <= len(parsed) <= 6 or any(rules.shift_minutes(s) is None for s in parsed):
        raise DomainError(_("班次开始时间须为 1～6 个，格式如 08:00。"), field="starts")
    maintenance = maintenance.strip()
    if maintenance and maintenance not in parsed:
        raise DomainError(_("检修班须是其中一个班次的开始时间。"), field="maintenance")
    profile = PersonnelProfile.objects.select_for_update().filter(mine=mine).first()
    before = {"shift_starts": profile.shift_starts, "maintenance_shift": profile.maintenance_shift} if profile else None
    profile, _created = PersonnelProfile.objects.update_or_create(
        mine=mine, defaults={"shift_starts": parsed, "maintenance_shift": maintenance, "updated_at": by.at})
    audit.record("monitoring.shifts.set", profile, by=by, before=before,
                 after={"shift_starts": parsed, "maintenance_shift": maintenance}, parent=mine)
    return profile
