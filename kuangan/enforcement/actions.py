"""Every state change of enforcement (R3): permission, rules, write, audit, notification.

四不两直: nothing here tells a mine about an inspection before the team arrives; the events of a planned
inspection name no mine as their parent, so the mine's history does not show them either."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.access import locked_for_action, perms_of, require, visible
from kuangan.core.actor import Actor
from kuangan.core.choices import OrganizationKind, Perm, Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.models import Organization, User
from kuangan.core.notify import notify
from kuangan.core.text import join_list
from kuangan.core.transitions import transition
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.actions import HazardReport
from kuangan.hazards.choices import HazardLevel, HazardSource, HazardStatus
from kuangan.hazards.models import Hazard
from kuangan.monitoring.leads import lead_inspection_opened
from kuangan.monitoring.models import Alarm, Lead
from kuangan.registry import actions as registry_actions
from kuangan.registry.choices import MineStatus, SupervisionClass
from kuangan.registry.models import LeadershipMember, Mine, WorkingFace, id_number_validator
from kuangan.registry.people import county_inspectors, mine_users

from . import pdf, queries, rules
from .choices import (
    CaseAction,
    CaseStatus,
    ClassSource,
    DocumentKind,
    FindingKind,
    InspectionAction,
    InspectionMethod,
    InspectionSource,
    InspectionStatus,
    MeasureKind,
    PartyKind,
    PenaltyType,
)
from .models import (
    DocumentPattern,
    DocumentSequence,
    DocumentVersion,
    EnforcementDocument,
    EnforcementPlan,
    ExamRetake,
    Inspection,
    InspectionExam,
    InspectionFinding,
    InspectionFrequency,
    InspectionTeamMember,
    InspectionTransition,
    MineHeadScore,
    MissedPlanItem,
    OnSiteMeasure,
    PenaltyCase,
    PenaltyCaseTransition,
    PenaltyParty,
    PlanItem,
    Referral,
    SupervisionClassChange,
)


def _today(by: Actor) -> date:
    return by.at.astimezone(SHANGHAI).date()


def _regulator(by: Actor) -> Organization:
    org: Organization | None = by.org
    if org is None or org.kind != OrganizationKind.REGULATOR:
        raise PermissionDenied(Perm.INSPECTION_CONDUCT)
    return org


# --- inspections ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionOrder:
    """What opening an inspection needs: where, how, when and who (谁检查、谁签名、谁负责)."""

    mine_id: int
    method: str
    planned_on: date
    leader_id: int
    team: Sequence[tuple[int, str]]  # (user id, 执法证号); the leader is added if missing
    source: str = InspectionSource.PLAN
    plan_item_id: int | None = None
    alarm_id: int | None = None
    lead_id: int | None = None  # source LEAD: a lead of illegal production (else the note says what the lead is)
    source_note: str = ""
    notice: str = ""


def _inspection_for_update(by: Actor, inspection_id: int, perm: str = Perm.INSPECTION_CONDUCT) -> Inspection:
    """The inspection, locked, if the user may see it (its jurisdiction, or its open team) and holds `perm`."""
    return locked_for_action(by.user, Inspection, inspection_id, perm, "mine__division", "organization")


def _on_team(inspection: Inspection, by: Actor) -> None:
    if not inspection.team.filter(user=by.user).exists():
        raise DomainError(_("只有本次检查的执法人员可以记录。"))


def _leader_only(inspection: Inspection, by: Actor) -> None:
    """谁检查、谁签名、谁负责: only the inspection's leader signs and decides."""
    require(by.user, Perm.DOCUMENT_SIGN)
    if inspection.leader_id != by.user.pk:
        raise DomainError(_("只有带队人 %(leader)s 可以签发。") % {"leader": inspection.leader.display_name})


def _log(inspection: Inspection, *, by: Actor, action: str, previous: str, note: str = "") -> None:
    InspectionTransition.objects.create(inspection=inspection, from_status=previous, to_status=inspection.status,
                                        action=action, at=by.at, by=by.user, by_name=by.name, note=note)


def _parent(inspection: Inspection) -> Any:
    """Audit events of an inspection show on its mine's history only once the team has arrived (四不两直)."""
    return None if inspection.status in (InspectionStatus.PLANNED, InspectionStatus.CANCELLED) else inspection.mine


def _owner_scope(inspection: Inspection) -> str | None:
    """Before arrival an inspection's events are in its owner's audit log only, not in the mine's county's
    (a city's unannounced visit to one of the county's mines); from arrival on, the mine's."""
    if inspection.status in (InspectionStatus.PLANNED, InspectionStatus.CANCELLED):
        return str(inspection.organization.division.path)
    return None


def _team_users(org: Organization, mine: Mine, order: InspectionOrder) -> list[tuple[User, str]]:
    """The team: regulators' inspectors within the owning organization's reach; at least MIN_TEAM people
    (行政处罚法 第四十二条). Someone who cannot see the mine may join only a cross-region inspection
    owned by a common parent of his county and the mine's (交叉执法)."""
    credentials = dict(order.team)
    credentials.setdefault(order.leader_id, "")
    users = {u.pk: u for u in User.objects.filter(pk__in=credentials, is_active=True)
             .select_related("organization__division")}
    team = []
    for pk, credential in credentials.items():
        user = users.get(pk)
        if user is None or user.organization is None or user.organization.kind != OrganizationKind.REGULATOR \
                or Perm.INSPECTION_CONDUCT not in perms_of(user) \
                or not user.organization.division.path.startswith(org.division.path):
            raise DomainError(_("检查组成员须为本单位或下级单位的执法人员。"), field="team")
        if not visible(user, Mine).filter(pk=mine.pk).exists() and order.method != InspectionMethod.CROSS_REGION:
            raise DomainError(_("%(name)s 不属于该矿山的属地监管部门：请选择“交叉执法”并由共同的上级单位组织。")
                              % {"name": user.display_name}, field="team")
        team.append((user, credential.strip()[:40]))
    if len(team) < settings.ENFORCEMENT_MIN_TEAM:
        raise DomainError(_("执法人员不得少于 %(n)d 人（行政处罚法第四十二条）。") % {"n": settings.ENFORCEMENT_MIN_TEAM},
                          field="team")
    return team


@transaction.atomic(durable=True)
def open_inspection(*, by: Actor, order: InspectionOrder) -> Inspection:
    """R3.3: an inspection is opened from a plan item, an alarm, a tip-off or a lead. The mine is not told."""
    require(by.user, Perm.INSPECTION_CONDUCT)
    org = _regulator(by)
    mine = visible(by.user, Mine).select_related("division").filter(pk=order.mine_id).first()
    if mine is None:
        raise PermissionDenied(Perm.INSPECTION_CONDUCT)
    if order.method not in InspectionMethod.values:
        raise DomainError(_("未知的检查方式。"), field="method")
    if order.source not in InspectionSource.values:
        raise DomainError(_("未知的检查来源。"), field="source")
    if order.method == InspectionMethod.CROSS_REGION and org.division_id == mine.division_id:
        raise DomainError(_("交叉执法由矿山所在县的上级单位组织。"), field="method")
    if mine.status == MineStatus.CLOSED:
        raise DomainError(_("该矿山已关闭。"))
    plan_item = alarm = lead = None
    if order.source == InspectionSource.PLAN:
        plan_item = visible(by.user, PlanItem).select_for_update(of=("self",)).filter(
            pk=order.plan_item_id, mine=mine).first() if order.plan_item_id else None
        if plan_item is None:
            raise DomainError(_("请选择该矿山的计划检查项。"), field="plan_item")
        if Inspection.objects.filter(plan_item=plan_item).exists():
            raise DomainError(_("该计划检查项已立项。"), field="plan_item")
    elif order.source == InspectionSource.ALARM:
        alarm = visible(by.user, Alarm).filter(pk=order.alarm_id, mine=mine).first() if order.alarm_id else None
        if alarm is None:
            raise DomainError(_("请选择该矿山的报警。"), field="alarm")
    elif order.source == InspectionSource.LEAD and order.lead_id is not None:
        lead = visible(by.user, Lead).select_for_update(of=("self",)).filter(pk=order.lead_id, mine=mine).first()
        if lead is None or Perm.LEAD_HANDLE not in perms_of(by.user):
            raise DomainError(_("请选择该矿山的违法生产线索。"), field="lead")
        if not lead.is_open:
            raise DomainError(_("该线索已处理（%(status)s）。") % {"status": lead.get_status_display()}, field="lead")
    elif not order.source_note.strip():
        raise DomainError(_("请写明线索内容。"), field="source_note")
    team = _team_users(org, mine, order)
    inspection = Inspection.objects.create(
        mine=mine, organization=org, plan_item=plan_item, source=order.source, alarm=alarm, lead=lead,
        source_note=order.source_note.strip(), method=order.method, notice=order.notice.strip(),
        leader_id=order.leader_id, planned_on=order.planned_on, opened_by=by.user, opened_at=by.at)
    for user, credential in team:
        InspectionTeamMember.objects.create(inspection=inspection, user=user, credential=credential)
    _log(inspection, by=by, action=InspectionAction.OPENED, previous="")
    audit.record("enforcement.inspection.opened", inspection, by=by, after={
        **audit.snapshot(inspection), "team": [str(u.display_name) for u, _c in team]}, parent=_parent(inspection),
        scope=_owner_scope(inspection))
    if lead is not None:
        lead_inspection_opened(lead, inspection.pk, by=by)
    notify([u for u, _c in team if u.pk != by.user.pk], by=by, url=inspection.get_absolute_url(),
           title=_("您已列入 %(mine)s 的执法检查组（%(day)s，%(method)s）") % {
               "mine": mine.name, "day": order.planned_on.isoformat(), "method": inspection.get_method_display()})
    return inspection


@transaction.atomic(durable=True)
def cancel_inspection(inspection_id: int, *, by: Actor, reason: str) -> Inspection:
    inspection = _inspection_for_update(by, inspection_id)
    _leader_only(inspection, by)
    if not reason.strip():
        raise DomainError(_("请写明取消理由。"), field="reason")
    if inspection.status != InspectionStatus.PLANNED:
        raise DomainError(_("已到达现场的检查不能取消。"))
    inspection.cancel_reason = reason.strip()
    previous = transition(inspection, to=InspectionStatus.CANCELLED, fields=("cancel_reason",))
    _log(inspection, by=by, action=InspectionAction.CANCELLED, previous=previous, note=inspection.cancel_reason)
    audit.record("enforcement.inspection.cancelled", inspection, by=by, before={"status": previous},
                 after={"status": inspection.status}, reason=inspection.cancel_reason, scope=_owner_scope(inspection))
    return inspection


def _instant(by: Actor, at: datetime | None, field: str, *, after: datetime | None = None) -> datetime:
    at = at or by.at
    if at > by.at:
        raise DomainError(_("时间不能晚于现在。"), field=field)
    if after is not None and at < after:
        raise DomainError(_("离开时间不能早于到达时间。"), field=field)
    if at < by.at - timedelta(days=7):
        raise DomainError(_("只能补记 7 天以内的时间。"), field=field)
    return at


@transaction.atomic(durable=True)
def arrive(inspection_id: int, *, by: Actor, at: datetime | None = None, place: str = "",
           mine_representative: str = "") -> Inspection:
    """The team is on site: the briefing is frozen as it stood, and the inspection becomes the mine's to see."""
    inspection = _inspection_for_update(by, inspection_id)
    _on_team(inspection, by)
    if inspection.status != InspectionStatus.PLANNED:
        raise DomainError(_("该检查已到达现场或已结束。"))
    inspection.on_site_start = _instant(by, at, "at")
    inspection.place, inspection.mine_representative = place.strip()[:200], mine_representative.strip()[:100]
    inspection.briefing = queries.briefing(inspection.mine, at=by.at)
    inspection.briefing_at = by.at
    previous = transition(inspection, to=InspectionStatus.ON_SITE, fields=(
        "on_site_start", "place", "mine_representative", "briefing", "briefing_at"))
    _log(inspection, by=by, action=InspectionAction.ARRIVED, previous=previous)
    audit.record("enforcement.inspection.arrived", inspection, by=by, before={"status": previous},
                 after={"status": inspection.status, "on_site_start": inspection.on_site_start,
                        "place": inspection.place}, parent=inspection.mine)
    return inspection


@dataclass(frozen=True)
class Finding:
    kind: str
    description: str
    place: str = ""
    standard_item_id: int | None = None
    face_id: int | None = None
    benchmark_id: int | None = None
    legal_basis: str = ""
    deadline: date | None = None


@transaction.atomic(durable=True)
def record_finding(inspection_id: int, *, by: Actor, finding: Finding) -> InspectionFinding:
    """A finding on site; a hazard enters the hazard ledger in the same transaction (a major one opens its
    investigation and runs the repeat and closure checks there)."""
    inspection = _inspection_for_update(by, inspection_id)
    _on_team(inspection, by)
    if inspection.status != InspectionStatus.ON_SITE:
        raise DomainError(_("只能在现场检查期间记录发现的问题。"))
    if finding.kind not in FindingKind.values:
        raise DomainError(_("未知的问题类型。"), field="kind")
    if not finding.description.strip():
        raise DomainError(_("请填写问题描述。"), field="description")
    if finding.deadline is not None and finding.deadline < _today(by):
        raise DomainError(_("整改期限不能早于今天。"), field="deadline")
    benchmark = None
    if finding.kind == FindingKind.VIOLATION:
        benchmark = queries.benchmarks().filter(pk=finding.benchmark_id).first() if finding.benchmark_id else None
        if benchmark is None:
            raise DomainError(_("违法行为须选择裁量基准中的违法行为。"), field="benchmark")
    hazard = None
    if finding.kind in (FindingKind.MAJOR_HAZARD, FindingKind.ORDINARY_HAZARD):
        level = HazardLevel.MAJOR if finding.kind == FindingKind.MAJOR_HAZARD else HazardLevel.ORDINARY
        names = join_list([str(m.user.display_name) for m in inspection.team.select_related("user")])
        hazard = hazard_actions._report_hazard(inspection.mine_id, by=by, via_inspection=True, report=HazardReport(
            level=level, source=HazardSource.REGULATOR_INSPECTION, description=finding.description,
            found_at=by.at, found_by=f"{inspection.organization.name}：{names}"[:100],
            standard_item_id=finding.standard_item_id, face_id=finding.face_id, place=finding.place))
    row = InspectionFinding.objects.create(
        inspection=inspection, kind=finding.kind, description=finding.description.strip(),
        place=finding.place.strip()[:100], standard_item_id=hazard.standard_item_id if hazard else None,
        hazard=hazard, benchmark=benchmark,
        legal_basis=(finding.legal_basis.strip() or (benchmark.basis_violation if benchmark else ""))[:300],
        deadline=finding.deadline, recorded_by=by.user, recorded_at=by.at)
    audit.record("enforcement.inspectionfinding.recorded", row, by=by, after=audit.snapshot(row), parent=inspection)
    return row


def _face(mine: Mine, face_id: int | None) -> WorkingFace | None:
    if face_id is None:
        return None
    face = WorkingFace.objects.filter(mine=mine, pk=face_id).first()
    if face is None:
        raise DomainError(_("该工作面不属于此矿山。"), field="face")
    return face


@transaction.atomic(durable=True)
def order_measure(inspection_id: int, *, by: Actor, kind: str, reason: str, place: str = "",
                  face_id: int | None = None) -> OnSiteMeasure:
    """现场处理措施: decided by the leader, served on the spot as a numbered, signed decision; stopping
    production changes the mine's status with that decision's number (R1.5)."""
    inspection = _inspection_for_update(by, inspection_id)
    _leader_only(inspection, by)
    if inspection.status != InspectionStatus.ON_SITE:
        raise DomainError(_("现场处理措施只能在现场检查期间作出。"))
    if kind not in MeasureKind.values:
        raise DomainError(_("未知的现场处理措施。"), field="kind")
    if not reason.strip():
        raise DomainError(_("请写明理由（发现的问题和依据）。"), field="reason")
    mine = Mine.objects.select_for_update().get(pk=inspection.mine_id)
    if kind == MeasureKind.STOP_PRODUCTION and mine.status != MineStatus.PRODUCING:
        raise DomainError(_("该矿山当前不是正常生产状态（%(status)s），无需责令停产整顿。")
                          % {"status": mine.get_status_display()}, field="kind")
    label = MeasureKind(kind).label
    document = _new_document(inspection.organization, mine, DocumentKind.MEASURES_DECISION, by=by,
                             inspection=inspection)
    measure = OnSiteMeasure.objects.create(
        inspection=inspection, kind=kind, face=_face(mine, face_id), place=place.strip()[:100], reason=reason.strip(),
        document=document, ordered_by=by.user, ordered_at=by.at)
    _sign(document, by=by, content={"measures": [str(label) + (f"（{measure.place}）" if measure.place else "")],
                                     "basis": measure.reason, "place": measure.place or inspection.place})
    _serve(document, by=by)
    if kind == MeasureKind.STOP_PRODUCTION:
        require(by.user, Perm.MINE_STATUS_CHANGE)
        registry_actions._change_status(mine, by=by, to_status=MineStatus.SUSPENDED_FOR_RECTIFICATION,
                                        reason=f"{document.number}：{measure.reason}", document_number=document.number)
        measure.status_change = mine.status_changes.order_by("-id").first()
        measure.save(update_fields=["status_change"])
    audit.record("enforcement.onsitemeasure.ordered", measure, by=by, after=audit.snapshot(measure),
                 parent=inspection)
    return measure


@transaction.atomic(durable=True)
def issue_order(inspection_id: int, *, by: Actor, finding_ids: Sequence[int], deadline: date,
                reinspect_on: date | None = None) -> EnforcementDocument:
    """责令限期整改指令书 for findings of this inspection: its deadline caps each hazard's rectification
    deadline (the mine's five-implementations plan may not go beyond it), and the leader is reminded to
    re-inspect before it."""
    inspection = _inspection_for_update(by, inspection_id)
    _leader_only(inspection, by)
    if inspection.status not in (InspectionStatus.ON_SITE, InspectionStatus.FINDINGS_RECORDED):
        raise DomainError(_("整改指令书在现场检查期间或离场后结案前签发。"))
    if deadline < _today(by):
        raise DomainError(_("整改期限不能早于今天。"), field="deadline")
    if reinspect_on is not None and reinspect_on < _today(by):
        raise DomainError(_("复查日期不能早于今天。"), field="reinspect_on")
    findings = list(inspection.findings.select_for_update(of=("self",)).select_related("hazard", "benchmark")
                    .filter(pk__in=finding_ids, order__isnull=True))
    if not findings or len(findings) != len(set(finding_ids)):
        raise DomainError(_("请选择本次检查中尚未下达整改指令的问题。"), field="findings")
    document = _new_document(inspection.organization, inspection.mine, DocumentKind.RECTIFICATION_ORDER, by=by,
                             inspection=inspection, deadline=deadline)
    items = []
    for f in findings:
        due = min(f.deadline or deadline, deadline)
        if f.hazard is not None:
            hazard = Hazard.objects.select_for_update().get(pk=f.hazard.pk)
            if hazard.deadline and hazard.deadline > due:
                raise DomainError(_("隐患 #%(pk)d 的整改时限 %(day)s 已晚于指令期限。") % {
                    "pk": hazard.pk, "day": hazard.deadline.isoformat()}, field="deadline")
            before = {"order_deadline": hazard.order_deadline}
            hazard.order_deadline = due
            hazard.save(update_fields=["order_deadline"])
            audit.record("hazards.hazard.order_deadline_set", hazard, by=by, before=before,
                         after={"order_deadline": due, "order": document.number}, parent=hazard.mine)
        f.order, f.deadline = document, due
        f.save(update_fields=["order", "deadline"])
        items.append({"text": f.description, "basis": f.legal_basis or (str(f.hazard.standard_item) if f.hazard
                                                                          and f.hazard.standard_item else ""),
                      "deadline": due.isoformat()})
    _sign(document, by=by, content={"items": items, "deadline": deadline.isoformat(),
                                     "reinspect_on": reinspect_on.isoformat() if reinspect_on else ""})
    _serve(document, by=by)
    remind_on = (reinspect_on or deadline) - timedelta(days=settings.ENFORCEMENT_REINSPECT_REMIND_DAYS)
    document.next_due_at = max(datetime.combine(remind_on, time(8), SHANGHAI), by.at)
    document.save(update_fields=["next_due_at"])
    return document


@transaction.atomic(durable=True)
def record_exam(inspection_id: int, *, by: Actor, member_id: int, score: int) -> InspectionExam:
    """逢查必考 (R3.3): the mine head (or a chairman or general manager, RULES §7) sits the exam on site."""
    inspection = _inspection_for_update(by, inspection_id)
    _on_team(inspection, by)
    if inspection.status != InspectionStatus.ON_SITE:
        raise DomainError(_("逢查必考在现场检查期间进行。"))
    member = LeadershipMember.objects.filter(pk=member_id, mine_id=inspection.mine_id, active=True,
                                             post__in=queries.EXAMINED_POSTS).first()
    if member is None:
        raise DomainError(_("受考人须为该矿在任的矿长、董事长或总经理。"), field="member")
    if not 0 <= score <= 100:
        raise DomainError(_("成绩应在 0～100 之间。"), field="score")
    if inspection.exams.filter(member=member).exists():
        raise DomainError(_("%(name)s 本次检查已考核。") % {"name": member.name}, field="member")
    mark = settings.ENFORCEMENT_EXAM_PASS_MARK
    exam = InspectionExam.objects.create(inspection=inspection, member=member, score=score, pass_mark=mark,
                                         passed=score >= mark, examined_by=by.user, examined_at=by.at)
    audit.record("enforcement.inspectionexam.recorded", exam, by=by, after=audit.snapshot(exam), parent=inspection)
    return exam


@transaction.atomic(durable=True)
def refer(inspection_id: int, *, by: Actor, department: str, matter: str) -> Referral:
    inspection = _inspection_for_update(by, inspection_id)
    _on_team(inspection, by)
    if inspection.status not in (InspectionStatus.ON_SITE, InspectionStatus.FINDINGS_RECORDED):
        raise DomainError(_("移送在现场检查期间或离场后结案前办理。"))
    if not department.strip() or not matter.strip():
        raise DomainError(_("请填写移送部门和移送事项。"), field="matter")
    row = Referral.objects.create(inspection=inspection, department=department.strip()[:100], matter=matter.strip(),
                                  referred_by=by.user, referred_at=by.at)
    audit.record("enforcement.referral.made", row, by=by, after=audit.snapshot(row), parent=inspection)
    return row


@transaction.atomic(durable=True)
def leave_site(inspection_id: int, *, by: Actor, at: datetime | None = None, summary: str) -> Inspection:
    """The team leaves: the on-site record (现场检查记录) is signed by the leader and served."""
    inspection = _inspection_for_update(by, inspection_id)
    _leader_only(inspection, by)
    if inspection.status != InspectionStatus.ON_SITE:
        raise DomainError(_("该检查不在现场检查中。"))
    if not summary.strip():
        raise DomainError(_("请填写检查情况。"), field="summary")
    inspection.on_site_end = _instant(by, at, "at", after=inspection.on_site_start)
    inspection.summary = summary.strip()
    previous = transition(inspection, to=InspectionStatus.FINDINGS_RECORDED, fields=("on_site_end", "summary"))
    _log(inspection, by=by, action=InspectionAction.LEFT, previous=previous)
    document = _new_document(inspection.organization, inspection.mine, DocumentKind.INSPECTION_RECORD, by=by,
                             inspection=inspection)
    _sign(document, by=by, content=queries.record_content(inspection))
    _serve(document, by=by)
    audit.record("enforcement.inspection.left", inspection, by=by, before={"status": previous},
                 after={"status": inspection.status, "on_site_end": inspection.on_site_end,
                        "record": document.number}, parent=inspection.mine)
    return inspection


@transaction.atomic(durable=True)
def close_inspection(inspection_id: int, *, by: Actor, note: str = "") -> Inspection:
    inspection = _inspection_for_update(by, inspection_id)
    _leader_only(inspection, by)
    if inspection.status != InspectionStatus.FINDINGS_RECORDED:
        raise DomainError(_("离开现场后才能结案。"))
    orders_missing = inspection.findings.filter(hazard__isnull=False, order__isnull=True).count()
    if orders_missing:
        raise DomainError(_("还有 %(n)d 项隐患未下达整改指令。") % {"n": orders_missing})
    inspection.closed_at = by.at
    previous = transition(inspection, to=InspectionStatus.CLOSED, fields=("closed_at",))
    _log(inspection, by=by, action=InspectionAction.CLOSED, previous=previous, note=note.strip())
    audit.record("enforcement.inspection.closed", inspection, by=by, before={"status": previous},
                 after={"status": inspection.status}, reason=note.strip(), parent=inspection.mine)
    return inspection


# --- documents --------------------------------------------------------------------------------------------


def _pattern(org: Organization, kind: str) -> str:
    row = DocumentPattern.objects.filter(organization=org, kind=kind).first()
    return row.pattern if row else pdf.DEFAULT_PATTERNS[kind]


def _abbreviation(org: Organization) -> str:
    """{org} in the default patterns: the county's name without its suffix, e.g. 中阳县 → 中阳应急."""
    name = org.division.name
    return (name[:-1] if len(name) > 2 and name[-1] in "省市县区旗" else name) + "应急"


def _new_document(org: Organization, mine: Mine, kind: str, *, by: Actor, inspection: Inspection | None = None,
                  case: Any = None, deadline: date | None = None) -> EnforcementDocument:
    """Numbers a document: the sequence per (organization, kind, year) is read and advanced under a row lock,
    so two documents never share a number; a rolled-back action gives its number back."""
    year = _today(by).year
    DocumentSequence.objects.get_or_create(organization=org, kind=kind, year=year)
    seq = DocumentSequence.objects.select_for_update().get(organization=org, kind=kind, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    number = pdf.format_number(_pattern(org, kind), year=year, sequence=seq.last, org=_abbreviation(org))
    return EnforcementDocument.objects.create(mine=mine, organization=org, inspection=inspection, case=case,
                                              kind=kind, year=year, sequence=seq.last, number=number,
                                              deadline=deadline, created_at=by.at)


def _signer(document: EnforcementDocument) -> User:
    source = document.inspection or (document.case.inspection if document.case else None)
    if source is not None:
        return source.leader
    assert document.case is not None  # a document belongs to an inspection or a case
    return document.case.filed_by


def _sign(document: EnforcementDocument, *, by: Actor, content: dict[str, Any], reason: str = "") -> DocumentVersion:
    """A new signed version: the PDF, its SHA-256 in the audit chain, and what changed from the last one."""
    if by.user is None or _signer(document).pk != by.user.pk:
        raise DomainError(_("只有带队人可以签发该文书。"))
    previous = document.versions.filter(n=document.current_version).first()
    if previous is not None and previous.content == content:
        raise DomainError(_("内容没有变化，无需新版本。"))
    n = document.current_version + 1
    try:
        data = pdf.render_document(document.kind, number=document.number, organization=document.organization.name,
                                   mine=document.mine.name, content=content, signer=by.name, signed_at=by.at,
                                   version=n)
    except pdf.PdfUnavailable as e:
        raise DomainError(str(e)) from None
    changes = [[k, old, new] for k, old, new in audit.diff(previous.content if previous else None, content)]
    version = DocumentVersion.objects.create(
        document=document, n=n, content=content, changes=changes, reason=reason.strip(), pdf=data,
        sha256=hashlib.sha256(data).hexdigest(), signed_by=by.user, signed_by_name=by.name, signed_at=by.at)
    document.current_version = n
    document.save(update_fields=["current_version"])
    audit.record("enforcement.documentversion.signed", version, by=by, reason=version.reason, parent=document,
                 after={"number": document.number, "n": n, "sha256": version.sha256, "changes": changes})
    return version


def _serve(document: EnforcementDocument, *, by: Actor) -> None:
    """Served on the mine (on site, or by delivery): from now on the mine sees it, and is told."""
    document.served_at = by.at
    document.save(update_fields=["served_at"])
    audit.record("enforcement.enforcementdocument.served", document, by=by, after={"served_at": by.at},
                 parent=document.mine)
    notify(mine_users(document.mine, Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER), by=by,
           url=document.get_absolute_url(), title=_("收到执法文书：%(kind)s %(number)s") % {
               "kind": document.get_kind_display(), "number": document.number})


@transaction.atomic(durable=True)
def reinspect(order_id: int, *, by: Actor, rectified: bool, opinion: str) -> EnforcementDocument:
    """整改复查 (R3.5): the leader of the order's inspection checks the rectification and signs the re-inspection
    opinion (整改复查意见书), served on the mine; the order's reminder is then done with. A second opinion on the
    same order is refused: a new finding is a new inspection (回马枪)."""
    order = locked_for_action(by.user, EnforcementDocument, order_id, Perm.DOCUMENT_SIGN, "mine", "organization",
                              "inspection")
    if order.kind != DocumentKind.RECTIFICATION_ORDER or order.inspection is None:
        raise DomainError(_("只有整改指令书可以复查。"))
    if not opinion.strip():
        raise DomainError(_("请填写复查意见。"), field="opinion")
    if EnforcementDocument.objects.filter(kind=DocumentKind.REINSPECTION_OPINION, organization=order.organization,
                                          versions__n=1, versions__content__order_number=order.number).exists():
        raise DomainError(_("该整改指令书已经复查。"))
    opinion_document = _new_document(order.organization, order.mine, DocumentKind.REINSPECTION_OPINION, by=by,
                                     inspection=order.inspection, deadline=order.deadline)
    _sign(opinion_document, by=by, content={"order_number": order.number, "opinion": opinion.strip(),
                                            "rectified": _("是") if rectified else _("否")})
    _serve(opinion_document, by=by)
    if order.next_due_at is not None:
        order.next_due_at = None
        order.save(update_fields=["next_due_at"])
    audit.record("enforcement.enforcementdocument.reinspected", order, by=by, after={
        "opinion": opinion_document.number, "rectified": rectified}, parent=order.mine)
    return opinion_document


@transaction.atomic(durable=True)
def revise_document(document_id: int, *, by: Actor, changes: dict[str, str], reason: str) -> DocumentVersion:
    """修改留痕 (R3.5): a signed document is never edited in place; a change is a new signed version of the
    whole content with the changed text fields, and the reason."""
    document = locked_for_action(by.user, EnforcementDocument, document_id, Perm.DOCUMENT_SIGN, "mine",
                                 "organization")
    if not reason.strip():
        raise DomainError(_("请写明修改理由。"), field="reason")
    current = document.versions.get(n=document.current_version).content
    editable = rules.editable_content(current)
    unknown = set(changes) - editable
    if unknown:
        raise DomainError(_("文书中的期限、审批和现场时间不能改写：由相应的操作变更（新的期限须另行下达指令）。"))
    return _sign(document, by=by, content={**current, **{k: v.strip() for k, v in changes.items()}}, reason=reason)


# --- penalty cases ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """The enterprise's principal (一案双罚): a serving mine head, chairman or general manager of the mine's roster,
    or a name and ID number typed in when the roster has none (or lacks his ID number)."""

    member_id: int | None = None
    name: str = ""
    id_number: str = ""


def _case_for_update(by: Actor, case_id: int, perm: str = Perm.PENALTY_CASE) -> PenaltyCase:
    return locked_for_action(by.user, PenaltyCase, case_id, perm, "mine__enterprise", "organization", "benchmark",
                             "inspection")


def _case_log(case: PenaltyCase, *, by: Actor, action: str, previous: str, note: str = "") -> None:
    PenaltyCaseTransition.objects.create(case=case, from_status=previous, to_status=case.status, action=action,
                                         at=by.at, by=by.user, by_name=by.name, note=note)


def _valid_id_number(value: str, field: str) -> str:
    number = value.strip().upper()
    if not number:
        raise DomainError(_("请填写身份证号：一案双罚和矿长记分都按身份证号认定个人。"), field=field)
    try:
        id_number_validator(number)
    except ValidationError:
        raise DomainError(_("身份证号应为 18 位，末位可为 X。"), field=field) from None
    return number


def _head(mine: Mine, member_id: int | None, name: str, id_number: str) -> tuple[str, str, LeadershipMember | None]:
    """The person (name, ID number, roster row): the roster member chosen, else the name and number typed in, else
    the mine's serving head (矿长, then 董事长, then 总经理). The ID number is required (RULES §7 keys on it)."""
    heads = LeadershipMember.objects.filter(mine=mine, active=True, post__in=queries.PRINCIPAL_POSTS)
    member = None
    if member_id is not None:
        member = heads.filter(pk=member_id).first()
        if member is None:
            raise DomainError(_("须为该矿在任的矿长、董事长或总经理。"), field="member")
    elif not name.strip() and not id_number.strip():
        member = min(heads, key=lambda m: queries.PRINCIPAL_POSTS.index(m.post), default=None)
        if member is None:
            raise DomainError(_("该矿领导班子中没有在任的矿长、董事长或总经理：请填写姓名和身份证号。"), field="name")
    who = (member.name if member else name.strip())[:50]
    if not who:
        raise DomainError(_("请填写姓名。"), field="name")
    return who, _valid_id_number((member.id_number if member and member.id_number else "") or id_number,
                                 "id_number"), member


def _fine(amount: Decimal | None, rng: tuple[Decimal, Decimal] | None, *, who: str, tier: int, field: str) -> Decimal:
    """The proposed fine if the tier's range allows it (both ends included); the range is named in the refusal."""
    if rng is None:
        if amount:
            raise DomainError(_("第 %(n)d 档对%(who)s不设罚款。") % {"n": tier, "who": who}, field=field)
        return Decimal(0)
    shown = queries.money_range(rng)
    if amount is None:
        raise DomainError(_("请填写%(who)s罚款：第 %(n)d 档为 %(range)s。") % {"who": who, "n": tier, "range": shown},
                          field=field)
    if not rules.fine_in_range(amount, rng):
        raise DomainError(_("%(who)s罚款 %(amount)s 元不在第 %(n)d 档的幅度内：%(range)s。") % {
            "who": who, "amount": queries.yuan(amount), "n": tier, "range": shown}, field=field)
    return amount.quantize(Decimal("0.01"))


def _range_json(rng: tuple[Decimal, Decimal] | None) -> list[str] | None:
    return [str(rng[0]), str(rng[1])] if rng else None


@transaction.atomic(durable=True)
def file_case(*, by: Actor, finding_id: int | None = None, mine_id: int | None = None, benchmark_id: int,
              circumstance: str, illegal_gains: Decimal | None = None, facts: str, unit_fine: Decimal | None,
              person_fine: Decimal | None = None, principal: Principal | None = None) -> PenaltyCase:
    """立案 (R3.4): the tier is chosen by rules.penalty from the benchmark's tiers and kept with every criterion met
    or not; each proposed fine must lie in the tier's range. 一案双罚: the enterprise and, where the tier fines
    persons, its principal (keyed on the ID number). The mine is not told: it learns of the case from the notice."""
    require(by.user, Perm.PENALTY_CASE)
    org = _regulator(by)
    finding, inspection = None, None
    if finding_id is not None:
        finding = visible(by.user, InspectionFinding).select_for_update(of=("self",)) \
            .select_related("inspection__mine__enterprise", "inspection__organization").filter(pk=finding_id).first()
        if finding is None:
            raise PermissionDenied(Perm.PENALTY_CASE)
        if finding.kind != FindingKind.VIOLATION:
            raise DomainError(_("只有检查发现的违法行为可以立案处罚。"), field="finding")
        if finding.cases.exists():
            raise DomainError(_("该违法行为已经立案。"), field="finding")
        inspection = finding.inspection
        mine, org = inspection.mine, inspection.organization
    elif mine_id is not None:
        found = visible(by.user, Mine).select_related("enterprise", "division").filter(pk=mine_id).first()
        if found is None:
            raise PermissionDenied(Perm.PENALTY_CASE)
        mine = found
    else:
        raise DomainError(_("请选择违法行为或者矿山。"), field="mine")
    benchmark = queries.benchmarks().filter(pk=benchmark_id).first()
    if benchmark is None:
        raise DomainError(_("请选择裁量基准中的违法行为。"), field="benchmark")
    if not facts.strip():
        raise DomainError(_("请填写违法事实。"), field="facts")
    illegal_gains, unit_fine, person_fine = (None if x is None else Decimal(x) for x in (illegal_gains, unit_fine,
                                                                                      person_fine))
    if illegal_gains is not None and illegal_gains < 0:
        raise DomainError(_("违法所得不能为负数。"), field="illegal_gains")
    known = {c for c, _conditions in queries.circumstances(benchmark)}
    if not known:
        raise DomainError(_("该违法行为没有任何裁量档次，不能立案处罚。"), field="benchmark")
    if circumstance not in known:
        raise DomainError(_("请选择该违法行为的情形。"), field="circumstance")
    result = queries.assess(benchmark, circumstance, illegal_gains)
    if result.tier_order is None:
        raise DomainError(_("没有适用的裁量档次，不能按本基准立案：%(why)s。") % {
            "why": "；".join(c.text for c in result.criteria if not c.met)}, field="illegal_gains")
    tier = benchmark.tiers.get(order=result.tier_order)
    unit_amount = _fine(unit_fine, result.unit_fine, who=_("单位"), tier=tier.order, field="unit_fine")
    person_amount = _fine(person_fine, result.person_fine, who=_("个人"), tier=tier.order, field="person_fine")
    person = None
    if result.person_fine is not None:
        p = principal or Principal()
        person = _head(mine, p.member_id, p.name, p.id_number)
    case = PenaltyCase.objects.create(
        mine=mine, organization=org, inspection=inspection, finding=finding, benchmark=benchmark, tier=tier,
        circumstance=circumstance, illegal_gains=illegal_gains, facts=facts.strip(), status=CaseStatus.FILED,
        filed_by=by.user, filed_at=by.at, explanation={
            "criteria": [{"text": c.text, "met": c.met} for c in result.criteria],
            "lines": list(result.explanation), "penalty_types": list(result.penalty_types),
            "unit_range": _range_json(result.unit_fine), "person_range": _range_json(result.person_fine),
            "measures": result.measures, "tiers_found": benchmark.tiers_found})
    parties = [PenaltyParty.objects.create(case=case, kind=PartyKind.UNIT, name=mine.enterprise.name,
                                           penalty_types=list(result.penalty_types), fine=unit_amount)]
    if person is not None:
        name, id_number, member = person
        parties.append(PenaltyParty.objects.create(case=case, kind=PartyKind.PRINCIPAL, name=name, id_number=id_number,
                                                   member=member, penalty_types=[PenaltyType.FINE], fine=person_amount))
    _case_log(case, by=by, action=CaseAction.FILED, previous="")
    # No parent: the mine's history and the inspection's (which the mine may read) must not show a case before
    # its notice is served.
    audit.record("enforcement.penaltycase.filed", case, by=by, after={
        "status": case.status, "violation": benchmark.violation,
        "discretion": _("第 %(n)d 档：%(condition)s") % {"n": tier.order, "condition": tier.condition},
        "illegal_gains": illegal_gains,
        "facts": case.facts, "parties": [{"kind": p.get_kind_display(), "name": p.name, "id_number": p.id_number,
                                          "fine": p.fine} for p in parties]}, scope=org.division.path)
    return case


def _signer_only(case: PenaltyCase, by: Actor) -> None:
    """The inspection's leader signs the case's documents (or the filer, for a case without an inspection)."""
    require(by.user, Perm.DOCUMENT_SIGN)
    signer = case.inspection.leader if case.inspection is not None else case.filed_by
    if by.user is None or signer.pk != by.user.pk:
        raise DomainError(_("只有 %(name)s（检查带队人或立案人）可以签发本案文书。") % {"name": signer.display_name})


@transaction.atomic(durable=True)
def notify_case(case_id: int, *, by: Actor) -> PenaltyCase:
    """行政处罚告知书 served on the mine: from now on the mine sees the case, and its head is told (by _serve). The
    party may state its case for settings.ENFORCEMENT_NOTICE_DAYS days; the decision waits for them."""
    case = _case_for_update(by, case_id)
    _signer_only(case, by)
    if case.status != CaseStatus.FILED:
        raise DomainError(_("该案件已经送达告知书。"))
    parties = queries.case_parties(case)
    document = _new_document(case.organization, case.mine, DocumentKind.PENALTY_NOTICE, by=by,
                             inspection=case.inspection, case=case)
    _sign(document, by=by, content=queries.notice_content(case, parties))
    _serve(document, by=by)
    case.notified_at = by.at
    case.next_due_at = by.at + timedelta(days=settings.ENFORCEMENT_NOTICE_DAYS)
    previous = transition(case, to=CaseStatus.NOTIFIED, fields=("notified_at", "next_due_at"))
    _case_log(case, by=by, action=CaseAction.NOTIFIED, previous=previous, note=document.number)
    audit.record("enforcement.penaltycase.notified", case, by=by, before={"status": previous},
                 after={"status": case.status, "notified_at": case.notified_at, "next_due_at": case.next_due_at,
                        "document": document.number}, parent=case.mine)
    return case


def _notice_ended(case: PenaltyCase, by: Actor) -> None:
    assert case.notified_at is not None
    ends = case.notified_at + timedelta(days=settings.ENFORCEMENT_NOTICE_DAYS)
    if by.at < ends:
        raise DomainError(_("告知书送达后 %(n)d 日内当事人可以陈述、申辩（%(at)s 届满），届满后才能审批和作出决定。") % {
            "n": settings.ENFORCEMENT_NOTICE_DAYS, "at": ends.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")})


@transaction.atomic(durable=True)
def approve_case(case_id: int, *, by: Actor, note: str = "") -> PenaltyCase:
    """行政处罚法 第五十七条: the agency's head approves the decision, after the party's time to state its case."""
    case = _case_for_update(by, case_id, Perm.PENALTY_APPROVE)
    if case.status != CaseStatus.NOTIFIED:
        raise DomainError(_("只有已送达告知书、尚未作出决定的案件可以审批。"))
    if case.approved_at is not None:
        raise DomainError(_("该案件已经审批。"))
    if by.org is None or by.org.pk != case.organization_id:
        raise DomainError(_("须由 %(org)s 的负责人审批。") % {"org": case.organization.name})
    _notice_ended(case, by)
    case.approved_by, case.approved_at, case.next_due_at = by.user, by.at, None
    previous = transition(case, to=CaseStatus.NOTIFIED, fields=("approved_by", "approved_at", "next_due_at"))
    _case_log(case, by=by, action=CaseAction.APPROVED, previous=previous, note=note.strip())
    audit.record("enforcement.penaltycase.approved", case, by=by, before={"approved_at": None},
                 after={"approved_by": by.user.pk, "approved_at": by.at}, reason=note.strip(), parent=case.mine)
    signer = case.inspection.leader if case.inspection is not None else case.filed_by
    notify([signer], by=by, url=case.get_absolute_url(),
           title=_("行政处罚案件已审批，可以作出处罚决定：%(mine)s") % {"mine": case.mine.name})
    return case


def _payment_overdue_at(due: date) -> datetime:
    """A fine is overdue from the start of the day after its last day (Beijing)."""
    return datetime.combine(due + timedelta(days=1), time(0), SHANGHAI)


@transaction.atomic(durable=True)
def decide_case(case_id: int, *, by: Actor, payment_account: str = "") -> PenaltyCase:
    """行政处罚决定书, after the head's approval: it names the approver, and the fines are due within
    settings.ENFORCEMENT_PAYMENT_DAYS days of the decision."""
    case = _case_for_update(by, case_id)
    _signer_only(case, by)
    if case.status != CaseStatus.NOTIFIED:
        raise DomainError(_("只有已送达告知书的案件可以作出处罚决定。"))
    _notice_ended(case, by)
    if case.approved_at is None or case.approved_by is None:
        raise DomainError(_("处罚决定须经执法机关负责人审批（行政处罚法第五十七条）。"))
    parties = queries.case_parties(case)
    total = queries.case_total(parties)
    due = _today(by) + timedelta(days=settings.ENFORCEMENT_PAYMENT_DAYS) if total else None
    document = _new_document(case.organization, case.mine, DocumentKind.PENALTY_DECISION, by=by,
                             inspection=case.inspection, case=case, deadline=due)
    _sign(document, by=by, content={
        **queries.notice_content(case, parties),
        "approved_by": str(case.approved_by.display_name),
        "approved_at": case.approved_at.astimezone(SHANGHAI).date().isoformat(),
        "payment_due": due.isoformat() if due else "",
        "payment_account": payment_account.strip()[:200]})
    _serve(document, by=by)
    case.decided_at, case.payment_due_on = by.at, due
    case.next_due_at = _payment_overdue_at(due) if due else None
    previous = transition(case, to=CaseStatus.DECIDED, fields=("decided_at", "payment_due_on", "next_due_at"))
    _case_log(case, by=by, action=CaseAction.DECIDED, previous=previous, note=document.number)
    audit.record("enforcement.penaltycase.decided", case, by=by, before={"status": previous},
                 after={"status": case.status, "decided_at": case.decided_at, "payment_due_on": due,
                        "document": document.number}, parent=case.mine)
    return case


@transaction.atomic(durable=True)
def record_payment(case_id: int, *, by: Actor, amount: Decimal, paid_at: datetime | None = None) -> PenaltyCase:
    """The fines are paid: the amount must be the decided fines' total."""
    case = _case_for_update(by, case_id)
    if case.status != CaseStatus.DECIDED:
        raise DomainError(_("只有已作出处罚决定的案件可以登记缴款。"))
    total = queries.case_total(list(case.parties.all()))
    if not total:
        raise DomainError(_("本案没有罚款，无需登记缴款。"))
    if amount != total:
        raise DomainError(_("缴纳金额应为决定的罚款合计 %(total)s 元。") % {"total": queries.yuan(total)},
                          field="amount")
    assert case.decided_at is not None
    paid = paid_at or by.at
    if paid > by.at or paid < case.decided_at:
        raise DomainError(_("缴款时间应在作出决定之后、现在之前。"), field="paid_at")
    case.paid_at, case.next_due_at = paid, None
    previous = transition(case, to=CaseStatus.PAID, fields=("paid_at", "next_due_at"))
    note = _("缴纳罚款 %(total)s 元") % {"total": queries.yuan(total)}
    _case_log(case, by=by, action=CaseAction.PAID, previous=previous, note=note)
    audit.record("enforcement.penaltycase.paid", case, by=by, before={"status": previous},
                 after={"status": case.status, "paid_at": paid, "amount": total}, parent=case.mine)
    return case


@transaction.atomic(durable=True)
def close_case(case_id: int, *, by: Actor, note: str = "") -> PenaltyCase:
    """结案: once the fines are paid, or once decided when the decision sets no fine."""
    case = _case_for_update(by, case_id)
    no_fine = not queries.case_total(list(case.parties.all()))
    if not (case.status == CaseStatus.PAID or (case.status == CaseStatus.DECIDED and no_fine)):
        raise DomainError(_("罚款缴纳后才能结案。") if case.status == CaseStatus.DECIDED
                          else _("作出处罚决定并执行完毕后才能结案。"))
    case.closed_at, case.next_due_at = by.at, None
    previous = transition(case, to=CaseStatus.CLOSED, fields=("closed_at", "next_due_at"))
    _case_log(case, by=by, action=CaseAction.CLOSED, previous=previous, note=note.strip())
    audit.record("enforcement.penaltycase.closed", case, by=by, before={"status": previous},
                 after={"status": case.status, "closed_at": case.closed_at}, reason=note.strip(), parent=case.mine)
    return case


@transaction.atomic(durable=True)
def reveal_party_id(case_id: int, *, by: Actor, kind: str) -> PenaltyParty:
    """R10.8: the principal's full ID number, to roles that need it; each viewing is recorded."""
    require(by.user, Perm.PERSONAL_DATA_VIEW)
    party = visible(by.user, PenaltyParty).select_related("case__mine").filter(case_id=case_id, kind=kind).first()
    if party is None or not party.id_number:
        raise PermissionDenied(Perm.PERSONAL_DATA_VIEW)
    # No parent: a case not yet notified must not show on the mine's history.
    audit.record("enforcement.penaltycase.personal_data_viewed", party.case, by=by, reason=str(party))
    return party


def _case_due(case_id: int, at: datetime) -> int:
    """A case's reminder fallen due by `at`, stamped with its due time: the end of the party's time to state its
    case (the agency's heads are asked to approve), or a fine unpaid after its last day (the filer is told, once)."""
    with transaction.atomic():
        case = PenaltyCase.objects.select_for_update().select_related("mine", "organization").get(pk=case_id)
        due = case.next_due_at
        if due is None or due > at:
            return 0
        by = Actor.system("tick", at=due)
        if case.status == CaseStatus.NOTIFIED and case.approved_at is None:
            case.next_due_at = None
            case.save(update_fields=["next_due_at"])
            audit.record("enforcement.penaltycase.approval_requested", case, by=by, before={"next_due_at": due},
                         after={"next_due_at": None}, parent=case.mine)
            leaders = User.objects.filter(is_active=True, role=Role.REGULATOR_LEADER, organization=case.organization)
            notify(leaders, by=by, url=case.get_absolute_url(),
                   title=_("陈述、申辩期限已满，请审批行政处罚案件：%(mine)s") % {"mine": case.mine.name})
            return 1
        if case.status == CaseStatus.DECIDED and case.reminded_at is None:
            case.reminded_at, case.next_due_at = due, None
            case.save(update_fields=["reminded_at", "next_due_at"])
            audit.record("enforcement.penaltycase.payment_reminded", case, by=by, after={"reminded_at": due},
                         parent=case.mine)
            assert case.payment_due_on is not None
            notify([case.filed_by], by=by, url=case.get_absolute_url(),
                   title=_("罚款逾期未缴纳：%(mine)s（缴款期限 %(day)s）") % {
                       "mine": case.mine.name, "day": case.payment_due_on.isoformat()})
            return 1
        case.next_due_at = None  # nothing waits on this step any more
        case.save(update_fields=["next_due_at"])
        return 0


def _remind_cases(at: datetime) -> int:
    due = list(PenaltyCase.objects.filter(next_due_at__lte=at).values_list("pk", flat=True))
    return sum(_case_due(pk, at) for pk in due)


# --- mine-head scoring ------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def score_mine_head(*, by: Actor, deduction_id: int, finding_id: int | None = None, case_id: int | None = None,
                    member_id: int | None = None, name: str = "", id_number: str = "") -> MineHeadScore:
    """R3.8 谁执法、谁考核、谁记分: points for a finding or a penalty case, given to the mine's head (矿长, 董事长 or
    总经理), keyed on his ID number, in the calendar year (Beijing) of the scoring. The tick lists him for the
    exam retake once his year reaches the threshold."""
    require(by.user, Perm.INSPECTION_CONDUCT)
    _regulator(by)
    if (finding_id is None) == (case_id is None):
        raise DomainError(_("请选择一项检查发现的问题或者一个处罚案件。"), field="finding")
    finding, case = None, None
    if finding_id is not None:
        finding = visible(by.user, InspectionFinding).select_related("inspection__mine").filter(pk=finding_id).first()
        if finding is None:
            raise PermissionDenied(Perm.INSPECTION_CONDUCT)
        mine = finding.inspection.mine
    else:
        assert case_id is not None
        case = visible(by.user, PenaltyCase).select_related("mine").filter(pk=case_id).first()
        if case is None:
            raise PermissionDenied(Perm.INSPECTION_CONDUCT)
        if case.status == CaseStatus.FILED:
            raise DomainError(_("案件送达告知书后才能据此记分。"), field="case")
        mine = case.mine
    deduction = queries.score_deductions().filter(pk=deduction_id).first()
    if deduction is None:
        raise DomainError(_("请选择记分情形。"), field="deduction")
    who, number, member = _head(mine, member_id, name, id_number)
    if MineHeadScore.objects.filter(id_number=number, deduction=deduction, finding=finding, case=case).exists():
        raise DomainError(_("%(name)s 已因此项按“%(what)s”记分。") % {"name": who, "what": deduction.violation},
                          field="deduction")
    score = MineHeadScore.objects.create(
        mine=mine, member=member, name=who, id_number=number, year=_today(by).year, deduction=deduction,
        points=deduction.points, finding=finding, case=case, scored_by=by.user, scored_at=by.at)
    audit.record("enforcement.mineheadscore.scored", score, by=by, after=audit.snapshot(score), parent=mine)
    notify(mine_users(mine, Role.MINE_HEAD), by=by, url=reverse("enforcement:score_list"),
           title=_("矿长安全生产记分：%(name)s 记 %(points)d 分（%(what)s）") % {
               "name": who, "points": score.points, "what": deduction.violation})
    return score


def _list_retakes(at: datetime) -> int:
    """R3.8: each mine head whose year reached settings.ENFORCEMENT_SCORE_THRESHOLD points (以上包括本数), listed
    once for the exam retake, stamped with the scoring that reached it; the county's inspectors are told."""
    threshold = settings.ENFORCEMENT_SCORE_THRESHOLD
    listed = ExamRetake.objects.filter(id_number=OuterRef("id_number"), year=OuterRef("year"))
    reached = (MineHeadScore.objects.filter(~Exists(listed), scored_at__lte=at)
               .values("id_number", "year").annotate(total=Sum("points")).filter(total__gte=threshold))
    count = 0
    for person in reached:
        with transaction.atomic():
            if ExamRetake.objects.filter(id_number=person["id_number"], year=person["year"]).exists():
                continue
            running, crossing = 0, None
            for s in MineHeadScore.objects.filter(id_number=person["id_number"], year=person["year"],
                                                  scored_at__lte=at).select_related("mine").order_by("scored_at", "id"):
                running += s.points
                if rules.retake_due(running, threshold):
                    crossing = s
                    break
            if crossing is None:
                continue
            by = Actor.system("tick", at=crossing.scored_at)
            retake = ExamRetake.objects.create(mine=crossing.mine, name=crossing.name, id_number=crossing.id_number,
                                               year=crossing.year, points=person["total"], listed_at=crossing.scored_at)
            audit.record("enforcement.examretake.listed", retake, by=by, after=audit.snapshot(retake),
                         parent=crossing.mine)
            notify(county_inspectors(crossing.mine), by=by, url=reverse("enforcement:score_list"),
                   title=_("%(name)s（%(mine)s）%(year)d 年安全生产记分累计 %(points)d 分，须重新参加安全生产知识和管理能力考核")
                   % {"name": crossing.name, "mine": crossing.mine.name, "year": crossing.year,
                      "points": person["total"]})
            count += 1
    return count


# --- supervision classes ----------------------------------------------------------------------------------
# Mine.supervision_class is set once at registration (registry: creation, Excel import) and from then on
# written only here: by the tick from the mine's facts, or by an inspector's override with a reason.


def _class_url(mine: Mine) -> str:
    return reverse("enforcement:class_detail", args=[mine.pk])


def _set_class(mine: Mine, to_class: str, *, by: Actor, outcome: queries.ClassOutcome, source: str,
               reasons: Sequence[str], verb: str, reason: str, note: str = "") -> SupervisionClassChange:
    """The one writer of a mine's class after registration: the history row (with the computed class, score and
    factors at that instant), the mine, the audit event, and the county's inspectors told. The caller holds the
    mine's row lock and has checked that the class moves."""
    previous = mine.supervision_class
    result = outcome.result
    change = SupervisionClassChange.objects.create(
        mine=mine, at=by.at, from_class=previous, to_class=to_class, computed_class=result.klass,
        score=None if result.score is None else Decimal(str(result.score)), reasons=list(reasons),
        factors=[asdict(f) for f in result.factors], source=source, by=by.user, by_name=by.name, note=note)
    mine.supervision_class = to_class
    mine.save(update_fields=["supervision_class", "updated_at"])
    audit.record(verb, mine, by=by, before={"supervision_class": previous},
                 after={"supervision_class": to_class, "computed_class": result.klass, "score": change.score},
                 reason=reason)
    notify([u for u in county_inspectors(mine) if by.user is None or u.pk != by.user.pk], by=by,
           url=_class_url(mine), title=_("%(mine)s 分级分类由 %(a)s 类调整为 %(b)s 类（%(source)s）") % {
               "mine": mine.name, "a": previous or "—", "b": to_class, "source": ClassSource(source).label},
           body=reason)
    return change


CLASS_CHUNK = 500  # mines whose facts are read together by the tick (a few grouped queries per chunk)


def _recompute_classes(at: datetime) -> int:
    """R3.1 (kuangan tick): every mine not closed gets the class its facts give at `at` (an override of this
    calendar year holding, rules.settle_class). Only a class that moves is written, stamped `at`: a second run
    at the same instant finds every class already as computed and writes nothing."""
    tables = queries.class_tables()
    by = Actor.system("tick", at=at)
    mines = list(Mine.objects.exclude(status=MineStatus.CLOSED).order_by("pk"))
    count = 0
    for first in range(0, len(mines), CLASS_CHUNK):
        chunk = mines[first:first + CLASS_CHUNK]
        outcomes = queries.class_outcomes(chunk, at, tables)
        for mine in chunk:
            outcome = outcomes[mine.pk]
            if outcome.klass == mine.supervision_class:
                continue
            with transaction.atomic():
                locked = Mine.objects.select_for_update().select_related("division").get(pk=mine.pk)
                if locked.supervision_class == outcome.klass or locked.status == MineStatus.CLOSED:
                    continue  # moved meanwhile
                _set_class(locked, outcome.klass, by=by, outcome=outcome, source=ClassSource.RECOMPUTED,
                           reasons=outcome.reasons, verb="enforcement.mine.class_changed",
                           reason="；".join(outcome.reasons))
                count += 1
    return count


@transaction.atomic(durable=True)
def override_class(mine_id: int, *, by: Actor, to_class: str, reason: str) -> SupervisionClassChange:
    """R3.1: an inspector sets a mine's class, with a reason. The override holds for the rest of its calendar
    year (Beijing): until then the tick moves the class only worse than it, when the computed class becomes worse
    than it was at the override (rules.settle_class); from 1 January the computed class applies again."""
    mine = locked_for_action(by.user, Mine, mine_id, Perm.CLASS_OVERRIDE, "division")
    if to_class not in SupervisionClass.values:
        raise DomainError(_("请选择 A、B、C、D 类之一。"), field="to_class")
    reason = reason.strip()
    if not reason:
        raise DomainError(_("请写明调整理由。"), field="reason")
    if mine.status == MineStatus.CLOSED:
        raise DomainError(_("已关闭的矿山为 D 类，不能调整。"))
    if to_class == mine.supervision_class:
        raise DomainError(_("该矿山当前已是 %(k)s 类。") % {"k": to_class}, field="to_class")
    outcome = queries.class_outcomes([mine], by.at)[mine.pk]
    score = "—" if outcome.result.score is None else f"{outcome.result.score:.1f}"
    reasons = [_("执法人员调整为 %(k)s 类：%(reason)s") % {"k": to_class, "reason": reason},
               _("调整时计算结果为 %(k)s 类（综合得分 %(score)s 分）；调整在 %(year)d 年内有效，其间计算结果变差时仍会调低类别，"
                 "但不会高于调整的类别") % {"k": outcome.result.klass, "score": score, "year": _today(by).year}]
    return _set_class(mine, to_class, by=by, outcome=outcome, source=ClassSource.OVERRIDE, reasons=reasons,
                      verb="enforcement.mine.class_overridden", reason=reason, note=reason)


# --- plans ------------------------------------------------------------------------------------------------
# 四不两直: a plan names mines that must not learn of it. Plans and their items are regulator-only
# (access.scope_q); their audit events hang on the plan, never on the mine, and nothing here notifies a mine.

PLAN_ALARM_DAYS = 30  # R3.2: alarms of the last 30 days put a mine on every month's plan


def _plan_org(by: Actor) -> Organization:
    require(by.user, Perm.PLAN_EDIT)
    org: Organization | None = by.org
    if org is None or org.kind != OrganizationKind.REGULATOR:
        raise PermissionDenied(Perm.PLAN_EDIT)
    return org


def _month_over(year: int, month: int, by: Actor) -> bool:
    today = _today(by)
    return (year, month) < (today.year, today.month)


def _plan_for_update(by: Actor, plan_id: int) -> EnforcementPlan:
    plan = locked_for_action(by.user, EnforcementPlan, plan_id, Perm.PLAN_EDIT, "organization__division")
    _check_plan_open(plan, by)
    return plan


def _check_plan_open(plan: EnforcementPlan, by: Actor) -> None:
    if by.org is None or plan.organization_id != by.org.pk:
        raise DomainError(_("只能调整本单位编制的执法计划。"))
    if _month_over(plan.year, plan.month, by):
        raise DomainError(_("%(y)d年%(m)d月已经结束，该计划不能再调整。") % {"y": plan.year, "m": plan.month})


def _add_item(plan: EnforcementPlan, mine_id: int, *, by: Actor, method: str, reason: str) -> PlanItem:
    item = PlanItem.objects.create(plan=plan, mine_id=mine_id, method=method, reason=reason, added_by=by.user,
                                   added_at=by.at)
    audit.record("enforcement.planitem.added", item, by=by, after=audit.snapshot(item), parent=plan,
                 scope=plan.organization.division.path)  # the plan's, not the mine's county's
    return item


@transaction.atomic(durable=True)
def generate_plan(*, by: Actor, year: int, month: int, method: str = InspectionMethod.UNANNOUNCED,
                  note: str = "") -> EnforcementPlan:
    """R3.2: the regulator's plan for a month, from its jurisdiction's mines that are not closed: each mine in
    its class's due months (InspectionFrequency, rules.plan_month) and every month while it has open risks (a
    supervised major hazard not closed, alarms in the last 30 days); a mine already planned or inspected in
    that month this year is left out. One plan per organization and month; mines are then added or removed."""
    org = _plan_org(by)
    if not 1 <= month <= 12:
        raise DomainError(_("月份应为 1–12。"), field="month")
    if _month_over(year, month, by):
        raise DomainError(_("不能为已经过去的月份编制计划。"), field="month")
    if year > _today(by).year + 1:
        raise DomainError(_("只能编制本年度和下一年度的计划。"), field="year")
    if method not in InspectionMethod.values:
        raise DomainError(_("未知的检查方式。"), field="method")
    existing = EnforcementPlan.objects.filter(organization=org, year=year, month=month).first()
    if existing is not None:
        raise DomainError(_("本单位 %(y)d年%(m)d月 的执法计划已经编制（%(day)s），请在该计划中增删矿山。") % {
            "y": year, "m": month, "day": existing.created_at.astimezone(SHANGHAI).date().isoformat()}, field="month")
    mines = list(visible(by.user, Mine).filter(division__path__startswith=org.division.path)
                 .exclude(status=MineStatus.CLOSED).order_by("division__code", "name", "pk"))
    ids = [m.pk for m in mines]
    risk: dict[int, list[str]] = defaultdict(list)
    for mine_id, n in Hazard.objects.filter(mine_id__in=ids, level=HazardLevel.MAJOR, supervised=True) \
            .exclude(status=HazardStatus.CLOSED).order_by().values("mine_id").annotate(n=Count("pk")) \
            .values_list("mine_id", "n"):
        risk[mine_id].append(_("挂牌督办的重大事故隐患 %(n)d 项未销号") % {"n": n})
    for mine_id, n in Alarm.objects.filter(mine_id__in=ids, withdrawn_at__isnull=True, start__lte=by.at,
                                           start__gte=by.at - timedelta(days=PLAN_ALARM_DAYS)) \
            .order_by().values("mine_id").annotate(n=Count("pk")).values_list("mine_id", "n"):
        risk[mine_id].append(_("近 %(days)d 天监测报警 %(n)d 次") % {"days": PLAN_ALARM_DAYS, "n": n})
    months: dict[int, set[int]] = defaultdict(set)
    for mine_id, planned in PlanItem.objects.filter(mine_id__in=ids, plan__year=year) \
            .values_list("mine_id", "plan__month"):
        months[mine_id].add(planned)
    for mine_id, day in Inspection.objects.filter(mine_id__in=ids, planned_on__year=year) \
            .exclude(status=InspectionStatus.CANCELLED).values_list("mine_id", "planned_on"):
        months[mine_id].add(day.month)
    chosen = rules.plan_month([rules.PlanMine(m.pk, m.supervision_class, frozenset(months[m.pk]), tuple(risk[m.pk]))
                               for m in mines], month=month,
                              per_year=dict(InspectionFrequency.objects.values_list("klass", "per_year")))
    plan = EnforcementPlan.objects.create(organization=org, year=year, month=month, created_by=by.user,
                                          created_at=by.at, note=note.strip())
    for mine_id, why in chosen:
        _add_item(plan, mine_id, by=by, method=method, reason=why)
    audit.record("enforcement.enforcementplan.created", plan, by=by, after={**audit.snapshot(plan), "items": len(chosen)},
                 parent=org)
    return plan


@transaction.atomic(durable=True)
def add_plan_item(plan_id: int, *, by: Actor, mine_id: int, method: str, reason: str) -> PlanItem:
    """R3.2: a mine added to a plan by hand, with the reason (a tip-off, a higher level's instruction …)."""
    plan = _plan_for_update(by, plan_id)
    if method not in InspectionMethod.values:
        raise DomainError(_("未知的检查方式。"), field="method")
    if not reason.strip():
        raise DomainError(_("请写明列入理由。"), field="reason")
    mine = visible(by.user, Mine).filter(pk=mine_id, division__path__startswith=plan.organization.division.path) \
        .first()
    if mine is None:
        raise DomainError(_("请选择本单位管辖范围内的矿山。"), field="mine")
    if mine.status == MineStatus.CLOSED:
        raise DomainError(_("该矿山已关闭。"), field="mine")
    if plan.items.filter(mine=mine).exists():
        raise DomainError(_("%(mine)s 已在本计划中。") % {"mine": mine.name}, field="mine")
    return _add_item(plan, mine.pk, by=by, method=method, reason=reason.strip())


@transaction.atomic(durable=True)
def remove_plan_item(item_id: int, *, by: Actor, reason: str) -> PlanItem:
    """R3.2: a mine taken off a plan, with the reason; refused once an inspection was opened from it."""
    item = locked_for_action(by.user, PlanItem, item_id, Perm.PLAN_EDIT, "plan__organization", "mine")
    _check_plan_open(item.plan, by)
    if not reason.strip():
        raise DomainError(_("请写明移出理由。"), field="reason")
    if Inspection.objects.filter(plan_item=item).exists():
        raise DomainError(_("已从该计划项立项检查，不能移出计划。"))
    if MissedPlanItem.objects.filter(item=item).exists():
        raise DomainError(_("该计划项已记为未按期检查，不能移出计划。"))
    audit.record("enforcement.planitem.removed", item, by=by, before=audit.snapshot(item), reason=reason.strip(),
                 parent=item.plan, scope=item.plan.organization.division.path)
    item.delete()
    return item


def _record_missed_plan_items(at: datetime) -> int:
    """R3.2 (kuangan tick): each planned mine not inspected on site within its plan's month (Beijing) is recorded
    once when the month has ended, stamped with the first instant of the next month; the plan's organization's
    inspectors are told once per plan. An inspection opened from the item that arrives later still counts as
    missed for the month."""
    local = at.astimezone(SHANGHAI)
    ended = EnforcementPlan.objects.filter(Q(year__lt=local.year) | Q(year=local.year, month__lt=local.month))
    arrived = Q(pk__in=[])
    for year, month in sorted(set(ended.values_list("year", "month"))):
        start, end = queries.month_span(year, month)
        arrived |= Q(plan__year=year, plan__month=month, inspection__on_site_start__gte=start,
                     inspection__on_site_start__lt=end)
    items = PlanItem.objects.filter(plan__in=ended, missed__isnull=True).exclude(arrived) \
        .select_related("plan__organization", "mine").order_by("plan_id", "pk")
    count = 0
    for _plan_id, group in groupby(items, key=lambda i: i.plan_id):
        rows = list(group)
        plan = rows[0].plan
        _start, due = queries.month_span(plan.year, plan.month)
        by = Actor.system("tick", at=due)  # stamped with the month's end, not the tick's time
        with transaction.atomic():
            for item in rows:
                missed = MissedPlanItem.objects.create(item=item, mine=item.mine, due_at=due)
                audit.record("enforcement.missedplanitem.recorded", missed, by=by, after=audit.snapshot(missed),
                             parent=plan, scope=plan.organization.division.path)
            inspectors = User.objects.filter(is_active=True, role=Role.INSPECTOR, organization=plan.organization)
            notify(inspectors, by=by, url=plan.get_absolute_url(),
                   title=_("%(y)d年%(m)d月执法计划有 %(n)d 家矿山未按期检查") % {"y": plan.year, "m": plan.month,
                                                                       "n": len(rows)},
                   body=join_list(i.mine.name for i in rows))
        count += len(rows)
    return count


# --- document reminders -----------------------------------------------------------------------------------


def _remind_documents(at: datetime) -> int:
    """R3.5 (kuangan tick): a rectification order's re-inspection reminder fallen due by `at` goes once to the
    one who signs the order (the inspection's leader), stamped with its due time; it is then cleared."""
    count = 0
    for pk in list(EnforcementDocument.objects.filter(next_due_at__lte=at).values_list("pk", flat=True)):
        with transaction.atomic():
            document = EnforcementDocument.objects.select_for_update(of=("self",)) \
                .select_related("mine", "inspection", "case__inspection").get(pk=pk)
            due = document.next_due_at
            if due is None or due > at:
                continue
            by = Actor.system("tick", at=due)
            document.reminded_at, document.next_due_at = due, None
            document.save(update_fields=["reminded_at", "next_due_at"])
            audit.record("enforcement.enforcementdocument.reminded", document, by=by, before={"next_due_at": due},
                         after={"reminded_at": due, "next_due_at": None})
            signer = queries.document_signer_id(document)
            notify(User.objects.filter(pk=signer or 0), by=by, url=document.get_absolute_url(),
                   title=_("复查提醒：%(mine)s %(number)s，整改期限 %(day)s") % {
                       "mine": document.mine.name, "number": document.number,
                       "day": document.deadline.isoformat() if document.deadline else "—"})
            count += 1
    return count
