"""Every state change of the major-hazard loop (R2): permission, rules, write, audit, notification."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from kuangan.core import audit
from kuangan.core.access import locked_for_action, require, visible
from kuangan.core.actor import Actor
from kuangan.core.choices import OrganizationKind, Perm, Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.notify import notify
from kuangan.core.text import join_list
from kuangan.core.transitions import transition
from kuangan.core.uploads import check_upload
from kuangan.registry import actions as registry_actions
from kuangan.registry import rules as registry_rules
from kuangan.registry.choices import MineKind, MineStatus
from kuangan.registry.models import Mine, MineStatusChange, WorkingFace
from kuangan.registry.people import county_inspectors, mine_users

from . import rules
from .choices import (
    REGULATOR_SOURCES,
    AttachmentKind,
    HazardLevel,
    HazardSource,
    HazardStatus,
    Industry,
    InvestigationStatus,
    ProposalStatus,
)
from .models import (
    ClosureProposal,
    Hazard,
    HazardAttachment,
    HazardEscalation,
    HazardStandardItem,
    HazardTransition,
    Investigation,
    MissingMonthlyReport,
    MonthlyReport,
)

COAL_KINDS = (MineKind.COAL_UNDERGROUND, MineKind.COAL_OPEN_PIT)
REPORTING_STATUSES = (MineStatus.PRODUCING, MineStatus.BUILDING)  # mines that owe a monthly report (R2.6)


@dataclass(frozen=True)
class HazardReport:
    level: str
    source: str
    description: str
    found_at: datetime
    found_by: str
    standard_item_id: int | None = None
    face_id: int | None = None
    place: str = ""


def _is_regulator(by: Actor) -> bool:
    return by.org is not None and by.org.kind == OrganizationKind.REGULATOR


def _hazard_for_update(by: Actor, hazard_id: int, perm: str) -> Hazard:
    return locked_for_action(by.user, Hazard, hazard_id, perm, "mine__division")


def _history(hazard: Hazard, *, by: Actor, action: str, previous: str, note: str = "") -> None:
    HazardTransition.objects.create(hazard=hazard, from_status=previous, to_status=hazard.status, action=action,
                                    at=by.at, by=by.user, by_name=by.name, note=note)


def _industry(mine: Mine) -> str:
    return Industry.COAL if mine.kind in COAL_KINDS else Industry.METAL_NONMETAL


def _check_item(mine: Mine, item_id: int | None, found_on: date) -> HazardStandardItem:
    """A major hazard cites one item of the standard of its industry in force on the day it was found."""
    item = HazardStandardItem.objects.select_related("standard").filter(pk=item_id).first() if item_id else None
    if item is None:
        raise DomainError(_("重大事故隐患须选择判定依据（判定标准条目）。"), field="standard_item")
    std = item.standard
    if std.industry != _industry(mine):
        raise DomainError(_("判定依据不属于该矿山所在行业的标准。"), field="standard_item")
    if std.effective_from > found_on or (std.effective_to is not None and std.effective_to < found_on):
        raise DomainError(_("判定依据所属标准在排查日期（%(day)s）不在施行期内。") % {"day": found_on.isoformat()},
                          field="standard_item")
    return item


def _check_closure(mine: Mine, *, by: Actor) -> ClosureProposal | None:
    """R2.8: raise a closure proposal when the rule holds and none is open for the mine."""
    if ClosureProposal.objects.filter(mine=mine, status=ProposalStatus.OPEN).exists():
        return None
    today = by.at.astimezone(SHANGHAI).date()
    licences = [registry_rules.LicenceFacts(x.kind, x.number, x.expires_on) for x in mine.licences.all()]
    majors = list(Hazard.objects.filter(mine=mine, level=HazardLevel.MAJOR).values_list("pk", "found_at"))
    if not rules.closure_proposal_due(
            producing=mine.status == MineStatus.PRODUCING,
            licences_complete=registry_rules.licences_complete(licences, today),
            major_found_at=[at for _pk, at in majors], at=by.at,
            window_days=settings.HAZARD_CLOSURE_WINDOW_DAYS, minimum=settings.HAZARD_CLOSURE_MIN_MAJOR):
        return None
    proposal = ClosureProposal.objects.create(
        mine=mine, raised_at=by.at,
        reason=_("证照不全的生产矿井 %(days)d 天内发现 %(n)d 项以上重大事故隐患（R2.8）")
        % {"days": settings.HAZARD_CLOSURE_WINDOW_DAYS, "n": settings.HAZARD_CLOSURE_MIN_MAJOR})
    recent = [pk for pk, at in majors if (by.at - at).days <= settings.HAZARD_CLOSURE_WINDOW_DAYS]
    proposal.hazards.set(recent)
    audit.record("hazards.closureproposal.raised", proposal, by=by, after={"hazards": recent},
                 reason=proposal.reason, parent=mine)
    notify(county_inspectors(mine), by=by, url="/hazards/closure-proposals/",
           title=_("%(mine)s 触发提请关闭条件，请决定") % {"mine": mine.name}, body=proposal.reason)
    return proposal


def _save_files(hazard: Hazard, files: list[Any], kind: str, by: Actor) -> None:
    for f in files:
        check_upload(f)
    for f in files:
        att = HazardAttachment.objects.create(hazard=hazard, kind=kind, file=f, name=str(f.name)[:200],
                                              size=f.size, uploaded_by=by.user, uploaded_at=by.at)
        audit.record("hazards.hazardattachment.added", att, by=by, after={"name": att.name, "kind": kind,
                                                                           "size": att.size}, parent=hazard)


@transaction.atomic(durable=True)
def report_hazard(mine_id: int, *, by: Actor, report: HazardReport, photos: list[Any] | None = None) -> Hazard:
    """R2.2: a hazard found by any source enters the one database; a major one cites its standard item."""
    require(by.user, Perm.HAZARD_REPORT)
    mine = visible(by.user, Mine).select_related("division", "organization").filter(pk=mine_id).first()
    if mine is None:
        raise PermissionDenied(Perm.HAZARD_REPORT)
    if report.level not in HazardLevel.values:
        raise DomainError(_("未知的隐患级别。"), field="level")
    if report.source not in HazardSource.values:
        raise DomainError(_("未知的隐患来源。"), field="source")
    if report.source in REGULATOR_SOURCES and not _is_regulator(by):
        raise DomainError(_("只有监管部门可以登记执法检查或体检式精查发现的隐患。"), field="source")
    if report.found_at > by.at:
        raise DomainError(_("排查时间不能晚于现在。"), field="found_at")
    if not report.description.strip():
        raise DomainError(_("请填写隐患描述。"), field="description")
    found_on = report.found_at.astimezone(SHANGHAI).date()
    item = _check_item(mine, report.standard_item_id, found_on) if report.level == HazardLevel.MAJOR else None
    face = None
    if report.face_id is not None:
        face = WorkingFace.objects.filter(mine=mine, pk=report.face_id).first()
        if face is None:
            raise DomainError(_("该工作面不属于此矿山。"), field="face")
    repeat_of = None
    if item is not None:
        previous = Hazard.objects.filter(mine=mine, standard_item=item).values_list("pk", "found_at")
        repeat_of = rules.find_repeat(previous, report.found_at, settings.HAZARD_REPEAT_WINDOW_DAYS)
    hazard = Hazard.objects.create(
        mine=mine, level=report.level, standard_item=item, source=report.source,
        description=report.description.strip(), face=face, place=report.place.strip(),
        found_at=report.found_at, found_by=report.found_by.strip() or by.name, reported_by=by.user,
        reported_at=by.at, repeat_of_id=repeat_of)
    _history(hazard, by=by, action="report_hazard", previous="")
    audit.record("hazards.hazard.reported", hazard, by=by, after=audit.snapshot(hazard), parent=mine)
    _save_files(hazard, photos or [], AttachmentKind.PHOTO, by)
    if hazard.is_major:
        if report.source in REGULATOR_SOURCES:  # R2.10
            inv = Investigation.objects.create(hazard=hazard, opened_at=by.at)
            audit.record("hazards.investigation.opened", inv, by=by, parent=hazard)
        notify(mine_users(mine, Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER) + county_inspectors(mine), by=by,
               url=hazard.get_absolute_url(),
               title=_("%(mine)s 登记重大事故隐患%(repeat)s，请落实“五落实”") % {
                   "mine": mine.name, "repeat": _("（重复出现）") if repeat_of else ""},
               body=hazard.description)
        _check_closure(mine, by=by)
    return hazard


@transaction.atomic(durable=True)
def start_rectification(hazard_id: int, *, by: Actor, plan: rules.FiveImplementations) -> Hazard:
    """R2.3: rectification starts only with all five implementations."""
    hazard = _hazard_for_update(by, hazard_id, Perm.HAZARD_RECTIFY)
    to = rules.next_status(hazard.status, "start_rectification")
    if to is None:
        raise DomainError(_("当前状态不能开始整改。"))
    missing = rules.missing_implementations(plan, hazard.found_at.astimezone(SHANGHAI).date())
    if missing:
        raise DomainError(_("“五落实”不全，缺少：%(items)s。") % {"items": join_list(missing)})
    before = audit.snapshot(hazard)
    for k, v in asdict(plan).items():
        setattr(hazard, k, v)
    hazard.rectification_started_at = by.at
    hazard.next_due_at = rules.next_escalation_at(hazard.deadline, to, [], settings.HAZARD_ESCALATION_DAYS)
    previous = transition(hazard, to=to, fields=(*asdict(plan), "rectification_started_at", "next_due_at"))
    _history(hazard, by=by, action="start_rectification", previous=previous)
    audit.record("hazards.hazard.rectification_started", hazard, by=by, before=before,
                 after=audit.snapshot(hazard), parent=hazard.mine)
    if hazard.is_major:
        notify(county_inspectors(hazard.mine), by=by, url=hazard.get_absolute_url(),
               title=_("%(mine)s 重大事故隐患已落实整改，时限 %(day)s") % {
                   "mine": hazard.mine.name, "day": plan.deadline.isoformat() if plan.deadline else ""})
    return hazard


@transaction.atomic(durable=True)
def request_close_out(hazard_id: int, *, by: Actor, evaluation_by: str, evaluation: str,
                      resume_evaluation: str = "", documents: list[Any] | None = None) -> Hazard:
    """R2.4: the mine asks for close-out with its engineers' or experts' evaluation."""
    hazard = _hazard_for_update(by, hazard_id, Perm.HAZARD_RECTIFY)
    to = rules.next_status(hazard.status, "request_close_out")
    if to is None:
        raise DomainError(_("当前状态不能申请销号。"))
    problems = rules.close_out_problems(evaluation_by=evaluation_by, evaluation=evaluation,
                                        stopped_production=hazard.stopped_production,
                                        resume_evaluation=resume_evaluation)
    if problems:
        raise DomainError(_("申请销号须提供：%(items)s。") % {"items": join_list(problems)})
    before = audit.snapshot(hazard)
    hazard.evaluation_by, hazard.evaluation = evaluation_by.strip(), evaluation.strip()
    hazard.resume_evaluation = resume_evaluation.strip()
    hazard.close_out_requested_at = by.at
    previous = transition(hazard, to=to, fields=("evaluation_by", "evaluation", "resume_evaluation",
                                                 "close_out_requested_at"))
    _history(hazard, by=by, action="request_close_out", previous=previous, note=hazard.evaluation)
    audit.record("hazards.hazard.close_out_requested", hazard, by=by, before=before,
                 after=audit.snapshot(hazard), parent=hazard.mine)
    _save_files(hazard, documents or [], AttachmentKind.EVALUATION, by)
    recipients = county_inspectors(hazard.mine) if hazard.is_major else mine_users(hazard.mine, Role.MINE_HEAD)
    notify(recipients, by=by, url=hazard.get_absolute_url(),
           title=_("%(mine)s 申请隐患销号，请验收") % {"mine": hazard.mine.name}, body=hazard.description)
    return hazard


@transaction.atomic(durable=True)
def verify_close_out(hazard_id: int, *, by: Actor, approve: bool, opinion: str) -> Hazard:
    """R2.4: the regulator verifies and closes out a major hazard, or sends it back to rectification.
    A mine can never close its own major hazard."""
    hazard = _hazard_for_update(by, hazard_id, Perm.HAZARD_VERIFY)
    if not rules.may_verify(level=hazard.level, verifier_is_regulator=_is_regulator(by)):
        raise PermissionDenied(_("重大事故隐患须由监管部门验收销号，矿山不能自行销号。"))
    to = rules.next_status(hazard.status, "verify_close_out" if approve else "reject_close_out")
    if to is None:
        raise DomainError(_("只有已申请销号的隐患才能验收。"))
    if not opinion.strip():
        raise DomainError(_("请填写验收意见。"), field="opinion")
    before = audit.snapshot(hazard)
    hazard.verification_opinion = opinion.strip()
    fields: tuple[str, ...] = ("verification_opinion",)
    if approve:
        hazard.verified_by, hazard.verified_at, hazard.closed_at, hazard.next_due_at = by.user, by.at, by.at, None
        fields += ("verified_by", "verified_at", "closed_at", "next_due_at")
    previous = transition(hazard, to=to, fields=fields)
    _history(hazard, by=by, action="verify_close_out" if approve else "reject_close_out", previous=previous,
             note=hazard.verification_opinion)
    audit.record("hazards.hazard.closed_out" if approve else "hazards.hazard.close_out_rejected", hazard, by=by,
                 before=before, after=audit.snapshot(hazard), reason=hazard.verification_opinion,
                 parent=hazard.mine)
    notify(mine_users(hazard.mine, Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER), by=by, url=hazard.get_absolute_url(),
           title=(_("%(mine)s 隐患已验收销号") if approve else _("%(mine)s 隐患销号申请被退回，请继续整改"))
           % {"mine": hazard.mine.name}, body=hazard.verification_opinion)
    return hazard


@transaction.atomic(durable=True)
def list_for_supervision(hazard_id: int, *, by: Actor, reason: str) -> Hazard:
    """R2.5: the regulator lists a major hazard for supervision (挂牌督办)."""
    hazard = _hazard_for_update(by, hazard_id, Perm.HAZARD_SUPERVISE)
    if not hazard.is_major or hazard.status == HazardStatus.CLOSED:
        raise DomainError(_("只有未销号的重大事故隐患可以挂牌督办。"))
    if hazard.supervised:
        raise DomainError(_("该隐患已挂牌督办。"))
    hazard.supervised, hazard.supervised_by, hazard.supervised_at = True, by.user, by.at
    hazard.save(update_fields=["supervised", "supervised_by", "supervised_at"])
    audit.record("hazards.hazard.listed_for_supervision", hazard, by=by, after={"supervised": True},
                 reason=reason, parent=hazard.mine)
    notify(mine_users(hazard.mine, Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER), by=by, url=hazard.get_absolute_url(),
           title=_("%(mine)s 重大事故隐患被挂牌督办") % {"mine": hazard.mine.name}, body=reason)
    return hazard


@transaction.atomic(durable=True)
def order_stop_production(hazard_id: int, *, by: Actor, reason: str, document_number: str = "") -> Hazard:
    """R2.12: a major hazard that threatens people while the mine produces → stop-production order."""
    hazard = _hazard_for_update(by, hazard_id, Perm.HAZARD_SUPERVISE)
    require(by.user, Perm.MINE_STATUS_CHANGE)
    if not hazard.is_major or hazard.status == HazardStatus.CLOSED:
        raise DomainError(_("只有未销号的重大事故隐患可以责令停产。"))
    mine = Mine.objects.select_for_update().get(pk=hazard.mine_id)
    if mine.status != MineStatus.PRODUCING:
        raise DomainError(_("该矿山当前不在生产状态。"))
    if not reason.strip():
        raise DomainError(_("请写明责令停产的理由。"), field="reason")
    registry_actions._change_status(mine, by=by, to_status=MineStatus.SUSPENDED_FOR_RECTIFICATION,
                                   reason=_("重大事故隐患责令停产：%(reason)s") % {"reason": reason.strip()},
                                   effective_on=by.at.astimezone(SHANGHAI).date(),
                                   document_number=document_number)
    hazard.stopped_production = True
    hazard.save(update_fields=["stopped_production"])
    audit.record("hazards.hazard.production_stopped", hazard, by=by, after={"stopped_production": True},
                 reason=reason, parent=mine)
    return hazard


@transaction.atomic(durable=True)
def record_root_cause(hazard_id: int, *, by: Actor, cause_analysis: str, prevention_measures: str,
                      finder_reward: str = "", cause_penalty: str = "") -> Hazard:
    """R2.9: root cause, source-prevention measures, the finder's reward and the penalty for the cause."""
    perm = Perm.HAZARD_SUPERVISE if _is_regulator(by) else Perm.HAZARD_RECTIFY
    hazard = _hazard_for_update(by, hazard_id, perm)
    before = audit.snapshot(hazard)
    hazard.cause_analysis, hazard.prevention_measures = cause_analysis.strip(), prevention_measures.strip()
    hazard.finder_reward, hazard.cause_penalty = finder_reward.strip(), cause_penalty.strip()
    hazard.save(update_fields=["cause_analysis", "prevention_measures", "finder_reward", "cause_penalty"])
    audit.record("hazards.hazard.root_cause_recorded", hazard, by=by, before=before, after=audit.snapshot(hazard),
                 parent=hazard.mine)
    return hazard


@transaction.atomic(durable=True)
def add_attachments(hazard_id: int, *, by: Actor, kind: str, files: list[Any]) -> Hazard:
    perm = Perm.HAZARD_SUPERVISE if _is_regulator(by) else Perm.HAZARD_RECTIFY
    hazard = _hazard_for_update(by, hazard_id, perm)
    if kind not in AttachmentKind.values:
        raise DomainError(_("未知的附件类型。"), field="kind")
    if not files:
        raise DomainError(_("请选择文件。"), field="files")
    _save_files(hazard, files, kind, by)
    return hazard


@transaction.atomic(durable=True)
def update_investigation(investigation_id: int, *, by: Actor, cause: str, responsibility: str,
                         accountability_proposal: str, conclude: bool = False) -> Investigation:
    """R2.10: cause, responsibility and the accountability proposal of a regulator-found major hazard."""
    require(by.user, Perm.HAZARD_SUPERVISE)
    inv = locked_for_action(by.user, Investigation, investigation_id, Perm.HAZARD_SUPERVISE)
    if inv.status == InvestigationStatus.CONCLUDED:
        raise DomainError(_("调查已结案，不能再修改。"))
    if conclude and not (cause.strip() and responsibility.strip() and accountability_proposal.strip()):
        raise DomainError(_("结案须填写原因、责任认定和追责建议。"))
    before = audit.snapshot(inv)
    inv.cause, inv.responsibility, inv.accountability_proposal = (
        cause.strip(), responsibility.strip(), accountability_proposal.strip())
    fields = ["cause", "responsibility", "accountability_proposal"]
    if conclude:
        inv.status, inv.concluded_by, inv.concluded_at = InvestigationStatus.CONCLUDED, by.user, by.at
        fields += ["status", "concluded_by", "concluded_at"]
    inv.save(update_fields=fields)
    audit.record("hazards.investigation.concluded" if conclude else "hazards.investigation.updated", inv, by=by,
                 before=before, after=audit.snapshot(inv), parent=inv.hazard)
    return inv


@transaction.atomic(durable=True)
def submit_monthly_report(mine_id: int, *, by: Actor, month: date, is_zero: bool, note: str = "") -> MonthlyReport:
    """R2.6: the mine head signs the month's self-inspection result: its major hazards, or zero."""
    require(by.user, Perm.MONTHLY_REPORT_SIGN)
    if by.user.role != Role.MINE_HEAD:
        raise PermissionDenied(_("月度报告须由矿长签字报送。"))
    mine = visible(by.user, Mine).filter(pk=mine_id).first()
    if mine is None:
        raise PermissionDenied(Perm.MONTHLY_REPORT_SIGN)
    month = rules.month_start(month)
    today = by.at.astimezone(SHANGHAI).date()
    if month > rules.month_start(today):
        raise DomainError(_("不能报送未来月份的报告。"), field="month")
    if MonthlyReport.objects.filter(mine=mine, month=month).exists():
        raise DomainError(_("%(month)s 的报告已报送。") % {"month": f"{month:%Y-%m}"}, field="month")
    found = list(Hazard.objects.filter(
        mine=mine, level=HazardLevel.MAJOR, found_at__gte=rules.day_start(month),
        found_at__lt=rules.day_start(rules.next_month(month))))
    if is_zero and found:
        raise DomainError(_("本月已登记 %(n)d 项重大事故隐患，不能报送零报告。") % {"n": len(found)}, field="is_zero")
    if not is_zero and not found:
        raise DomainError(_("本月没有登记重大事故隐患：请先登记，或报送零报告。"), field="is_zero")
    report = MonthlyReport.objects.create(mine=mine, month=month, is_zero=is_zero, note=note.strip(),
                                          signed_by=by.user, signed_at=by.at)
    report.hazards.set(found)
    audit.record("hazards.monthlyreport.submitted", report, by=by,
                 after={"month": month, "is_zero": is_zero, "hazards": [h.pk for h in found]}, parent=mine)
    return report


@transaction.atomic(durable=True)
def decide_closure_proposal(proposal_id: int, *, by: Actor, accept: bool, note: str) -> ClosureProposal:
    require(by.user, Perm.HAZARD_SUPERVISE)
    proposal = locked_for_action(by.user, ClosureProposal, proposal_id, Perm.HAZARD_SUPERVISE)
    if proposal.status != ProposalStatus.OPEN:
        raise DomainError(_("该提议已有决定。"))
    if not note.strip():
        raise DomainError(_("请填写决定意见。"), field="note")
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_note = by.user, by.at, note.strip()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record("hazards.closureproposal.decided", proposal, by=by, after={"status": proposal.status},
                 reason=proposal.decision_note, parent=proposal.mine)
    return proposal


# Periodic work: `kuangan tick --at T`. Each part is idempotent: a second run at the same T finds
# nothing left to do (the next_due_at index, unique constraints, the open-proposal constraint).

def _escalate(hazard_id: int, at: datetime) -> int:
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update().select_related("mine__division").get(pk=hazard_id)
        if hazard.next_due_at is None or hazard.next_due_at > at or hazard.deadline is None:
            return 0
        done = set(hazard.escalations.values_list("step", flat=True))
        new = [(s, due) for s, due in rules.escalation_reached(hazard.deadline, at, settings.HAZARD_ESCALATION_DAYS)
               if s not in done]
        for step, due in new:
            by = Actor.system("tick", at=due)  # stamped with the due time, not the tick's time
            HazardEscalation.objects.create(hazard=hazard, step=step, due_at=due)
            before = {"escalation_step": hazard.escalation_step}
            hazard.escalation_step = step
            audit.record("hazards.hazard.escalated", hazard, by=by, before=before, after={"escalation_step": step},
                         reason=_("超过整改时限 %(day)s") % {"day": hazard.deadline.isoformat()}, parent=hazard.mine)
            notify(mine_users(hazard.mine, Role.MINE_HEAD) + county_inspectors(hazard.mine), by=by,
                   url=hazard.get_absolute_url(),
                   title=_("%(mine)s 重大事故隐患超期未整改，督办升级为“%(step)s”") % {
                       "mine": hazard.mine.name, "step": hazard.get_escalation_step_display()})
        hazard.next_due_at = rules.next_escalation_at(hazard.deadline, hazard.status, done | {s for s, _d in new},
                                                      settings.HAZARD_ESCALATION_DAYS)
        hazard.save(update_fields=["escalation_step", "next_due_at"])
        return len(new)


def _record_missing_reports(at: datetime) -> int:
    count = 0
    for month in rules.months_due(at, settings.HAZARD_REPORT_DUE_DAY):
        due = rules.report_due_at(month, settings.HAZARD_REPORT_DUE_DAY)
        # A mine owes the reports of the months that end after it was registered (its first status row).
        registered = MineStatusChange.objects.filter(mine=OuterRef("pk"), from_status="",
                                                     at__lt=rules.day_start(rules.next_month(month)))
        owing = Mine.objects.filter(status__in=REPORTING_STATUSES).filter(Exists(registered)) \
            .exclude(monthly_reports__month=month).exclude(missing_reports__month=month) \
            .select_related("division", "organization")
        for mine in owing:
            with transaction.atomic():
                missing = MissingMonthlyReport.objects.create(mine=mine, month=month, due_at=due)
                by = Actor.system("tick", at=due)
                audit.record("hazards.missingmonthlyreport.recorded", missing, by=by,
                             after={"month": month}, parent=mine)
                notify(mine_users(mine, Role.MINE_HEAD) + county_inspectors(mine), by=by,
                       url="/hazards/monthly-reports/",
                       title=_("%(mine)s 未按期报送 %(month)s 重大隐患月报（或零报告）") % {
                           "mine": mine.name, "month": f"{month:%Y-%m}"})
            count += 1
    return count
