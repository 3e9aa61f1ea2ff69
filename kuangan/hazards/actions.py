"""Every state change of the major-hazard loop (R2): permission, rules, write, audit, notification."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
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
from kuangan.registry.models import Mine, WorkingFace
from kuangan.registry.people import county_inspectors, mine_users

from . import queries, rules
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


def _closure_grounds(hazard: Hazard) -> tuple[str, list[int]] | None:
    """R2.8: why the report of major hazard `hazard` makes its mine due for 提请关闭, and the hazards cited:
    repeats of its category within 12 months, or an unlicensed producing mine's major hazards."""
    mine, item = hazard.mine, hazard.standard_item
    assert item is not None
    majors = Hazard.objects.filter(mine=mine, level=HazardLevel.MAJOR)
    same = list(majors.filter(standard_item__category_code=item.category_code).values_list("pk", "found_at"))
    cited = rules.repeats_for_closure(same, hazard.pk, settings.HAZARD_REPEATS_FOR_CLOSURE)
    if cited is not None:
        when = dict(same)
        return _("“%(category)s”类重大事故隐患 12 个月内出现 %(n)d 次（R2.8 反复出现）：%(list)s") % {
            "category": f"{item.category_code} {item.category_name}", "n": len(cited),
            "list": join_list([f"#{pk}（{when[pk].astimezone(SHANGHAI):%Y-%m-%d}）" for pk in cited])}, cited
    at, days = hazard.reported_at, settings.HAZARD_CLOSURE_WINDOW_DAYS
    licences = [registry_rules.LicenceFacts(x.kind, x.number, x.expires_on) for x in mine.licences.all()]
    found = list(majors.filter(found_at__lte=at).values_list("pk", "found_at"))
    recent = [pk for pk, t in found if at - timedelta(days=days) <= t]
    if hazard.pk in recent and rules.closure_proposal_due(
            producing=mine.status == MineStatus.PRODUCING,
            licences_complete=registry_rules.licences_complete(licences, at.astimezone(SHANGHAI).date()),
            major_found_at=[t for _pk, t in found], at=at, window_days=days,
            minimum=settings.HAZARD_CLOSURE_MIN_MAJOR):
        return _("证照不全的生产矿井 %(days)d 天内发现 %(n)d 项以上重大事故隐患（R2.8）") % {
            "days": days, "n": settings.HAZARD_CLOSURE_MIN_MAJOR}, recent
    return None


def _check_closure(hazard: Hazard, *, by: Actor) -> ClosureProposal | None:
    """R2.8: the proposal this major hazard's report made due, dated at that report (not when a tick ran).
    One per occurrence; while another proposal of the mine awaits its decision, the tick judges it later."""
    mine = hazard.mine
    if ClosureProposal.objects.filter(Q(mine=mine, status=ProposalStatus.OPEN) | Q(trigger=hazard)).exists():
        return None
    grounds = _closure_grounds(hazard)
    if grounds is None:
        return None
    reason, cited = grounds
    proposal = ClosureProposal.objects.create(mine=mine, raised_at=hazard.reported_at, reason=reason, trigger=hazard)
    proposal.hazards.set(cited)
    audit.record("hazards.closureproposal.raised", proposal, by=by, after={"hazards": cited, "trigger": hazard.pk},
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
    return _report_hazard(mine_id, by=by, report=report, photos=photos)


def _report_hazard(mine_id: int, *, by: Actor, report: HazardReport, photos: list[Any] | None = None,
                   via_inspection: bool = False) -> Hazard:
    """`report_hazard` inside the caller's transaction: a hazard reported by another action (from an alarm,
    an inspection's finding) commits or rolls back with that action. `via_inspection`: the caller has checked
    that the user is on the team of an open inspection of this mine, which a team member from another
    county (交叉执法) may be without seeing the mine otherwise."""
    require(by.user, Perm.HAZARD_REPORT)
    mines = Mine.objects.all() if via_inspection else visible(by.user, Mine)
    mine = mines.select_related("division", "organization").filter(pk=mine_id).first()
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
    if item is not None:  # R2.8: repeats per mine and category (C02, MU …), not per item
        previous = Hazard.objects.filter(mine=mine, level=HazardLevel.MAJOR, found_at__lte=report.found_at,
                                         standard_item__category_code=item.category_code)
        repeat_of = rules.find_repeat(previous.values_list("pk", "found_at"), report.found_at)
    hazard = Hazard.objects.create(
        mine=mine, level=report.level, standard_item=item, source=report.source,
        description=report.description.strip(), face=face, place=report.place.strip(),
        found_at=report.found_at, found_by=report.found_by.strip() or by.name, reported_by=by.user,
        reported_at=by.at, repeat_of_id=repeat_of)
    if hazard.is_major:  # no plan yet: overdue PLAN_DAYS after the report day, and the ladder counts from it
        hazard.due_on = rules.plan_due_on(by.at.astimezone(SHANGHAI).date(), settings.HAZARD_PLAN_DAYS)
        _schedule(hazard, reached=())
        hazard.save(update_fields=["due_on", "next_due_at"])
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
        _contradict_zero_report(hazard, by=by)
        _check_closure(hazard, by=by)
    return hazard


def _contradict_zero_report(hazard: Hazard, *, by: Actor) -> None:
    """R2.6: a major hazard found in a month whose zero report was signed shows that report untrue."""
    mine = hazard.mine
    month = rules.month_start(hazard.found_at.astimezone(SHANGHAI).date())
    report = MonthlyReport.objects.filter(mine=mine, month=month, is_zero=True, contradicted_by=None).first()
    if report is None:
        return
    report.contradicted_by, report.contradicted_at = hazard, by.at
    report.save(update_fields=["contradicted_by", "contradicted_at"])
    reason = _("%(month)s 报送零报告，但该月发现的重大事故隐患 #%(pk)d 后来才登记（零报告不实）") % {
        "month": f"{month:%Y-%m}", "pk": hazard.pk}
    audit.record("hazards.monthlyreport.contradicted", report, by=by, after={"contradicted_by": hazard.pk},
                 reason=reason, parent=mine)
    notify(county_inspectors(mine) + mine_users(mine, Role.MINE_HEAD), by=by,
           url=f"/hazards/monthly-reports/?month={month:%Y-%m}",
           title=_("%(mine)s 零报告不实") % {"mine": mine.name}, body=reason)


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
    refusal = rules.deadline_refusal(plan.deadline, by.at.astimezone(SHANGHAI).date())
    if refusal:
        raise DomainError(refusal, field="deadline")
    if hazard.order_deadline and plan.deadline and plan.deadline > hazard.order_deadline:  # R3.5
        raise DomainError(_("整改时限不能晚于监管部门整改指令书规定的期限（%(day)s）。")
                          % {"day": hazard.order_deadline.isoformat()}, field="deadline")
    before = audit.snapshot(hazard)
    for k, v in asdict(plan).items():
        setattr(hazard, k, v)
    hazard.rectification_started_at = by.at
    hazard.due_on = plan.deadline  # steps taken before the plan are kept; the next counts from its deadline
    _schedule(hazard)
    previous = transition(hazard, to=to, fields=(*asdict(plan), "rectification_started_at", "due_on",
                                                 "next_due_at"))
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
    requested_on = by.at.astimezone(SHANGHAI).date()
    # Made in time, the request stops the mine's clock: the regulator owes the answer now.
    hazard.paused = rules.pauses_clock(level=hazard.level, requested_on=requested_on, due_on=hazard.due_on)
    hazard.verify_due_on = rules.verify_due_on(requested_on, settings.HAZARD_VERIFY_DAYS) if hazard.is_major \
        else None
    _schedule(hazard)
    previous = transition(hazard, to=to, fields=("evaluation_by", "evaluation", "resume_evaluation",
                                                 "close_out_requested_at", "paused", "verify_due_on",
                                                 "next_due_at"))
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
    elif hazard.paused:  # the mine's clock resumes; the days of waiting are not counted against it
        assert hazard.due_on is not None and hazard.close_out_requested_at is not None
        hazard.due_on = rules.resumed_due_on(hazard.due_on, hazard.close_out_requested_at.astimezone(SHANGHAI).date(),
                                             by.at.astimezone(SHANGHAI).date())
        hazard.paused = False
        _schedule(hazard)
        fields += ("due_on", "paused", "next_due_at")
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
    if month >= rules.month_start(today):  # a month is reported once it is over (Beijing dates)
        raise DomainError(_("%(month)s 的报告自 %(day)s 起方可签字报送。") % {
            "month": f"{month:%Y-%m}", "day": rules.next_month(month).isoformat()}, field="month")
    if MonthlyReport.objects.filter(mine=mine, month=month).exists():
        raise DomainError(_("%(month)s 的报告已报送。") % {"month": f"{month:%Y-%m}"}, field="month")
    found = list(Hazard.objects.filter(
        mine=mine, level=HazardLevel.MAJOR, found_at__gte=rules.day_start(month),
        found_at__lt=rules.day_start(rules.next_month(month))))
    if is_zero and found:
        raise DomainError(_("本月已登记 %(n)d 项重大事故隐患，不能报送零报告。") % {"n": len(found)}, field="is_zero")
    if not is_zero and not found:
        raise DomainError(_("本月没有登记重大事故隐患：请先登记，或报送零报告。"), field="is_zero")
    late = rules.days_late(month, settings.HAZARD_REPORT_DUE_DAY, today)
    report = MonthlyReport.objects.create(mine=mine, month=month, is_zero=is_zero, note=note.strip(),
                                          signed_by=by.user, signed_at=by.at, days_late=late)
    report.hazards.set(found)
    audit.record("hazards.monthlyreport.submitted", report, by=by, parent=mine,
                 after={"month": month, "is_zero": is_zero, "hazards": [h.pk for h in found], "days_late": late})
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

def _schedule(hazard: Hazard, reached: Iterable[str] | None = None) -> None:
    """Set when `kuangan tick` must look at the hazard again (its next ladder step, or its one notice)."""
    if reached is None:
        reached = hazard.escalations.values_list("step", flat=True)
    hazard.next_due_at = rules.next_due(level=hazard.level, status=hazard.status, due_on=hazard.due_on,
                                        paused=hazard.paused, reached=reached,
                                        told=hazard.overdue_told_at is not None,
                                        days=settings.HAZARD_ESCALATION_DAYS)


def _escalate(hazard_id: int, at: datetime) -> int:
    """The ladder steps of a major hazard fallen due by `at`, or the one overdue notice of an ordinary
    hazard (no ladder, no word of 重大事故隐患), each stamped with the instant it fell due."""
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update().select_related("mine__division").get(pk=hazard_id)
        if hazard.next_due_at is None or hazard.next_due_at > at or hazard.due_on is None:
            return 0
        if not hazard.is_major:
            return _tell_overdue(hazard)
        done = set(hazard.escalations.values_list("step", flat=True))
        new = [(s, due) for s, due in rules.escalation_reached(hazard.due_on, at, settings.HAZARD_ESCALATION_DAYS)
               if s not in done]
        reason = _("超过整改时限 %(day)s") % {"day": hazard.due_on.isoformat()} if hazard.deadline else \
            _("登记后未在 %(day)s 前落实“五落实”") % {"day": hazard.due_on.isoformat()}
        for step, due in new:
            by = Actor.system("tick", at=due)  # stamped with the due time, not the tick's time
            HazardEscalation.objects.create(hazard=hazard, step=step, due_at=due)
            before = {"escalation_step": hazard.escalation_step}
            hazard.escalation_step = step
            audit.record("hazards.hazard.escalated", hazard, by=by, before=before, after={"escalation_step": step},
                         reason=reason, parent=hazard.mine)
            notify(mine_users(hazard.mine, Role.MINE_HEAD) + county_inspectors(hazard.mine), by=by,
                   url=hazard.get_absolute_url(),
                   title=_("%(mine)s 重大事故隐患超期未整改，督办升级为“%(step)s”") % {
                       "mine": hazard.mine.name, "step": hazard.get_escalation_step_display()})
        _schedule(hazard, done | {s for s, _d in new})
        hazard.save(update_fields=["escalation_step", "next_due_at"])
        return len(new)


def _tell_overdue(hazard: Hazard) -> int:
    """An ordinary hazard past its deadline: the mine and the county are told once."""
    assert hazard.due_on is not None
    due = rules.day_start(hazard.due_on + timedelta(days=1))
    by = Actor.system("tick", at=due)
    hazard.overdue_told_at = due
    _schedule(hazard, ())
    hazard.save(update_fields=["overdue_told_at", "next_due_at"])
    reason = _("超过整改时限 %(day)s") % {"day": hazard.due_on.isoformat()}
    audit.record("hazards.hazard.overdue_told", hazard, by=by, after={"overdue_told_at": due}, reason=reason,
                 parent=hazard.mine)
    notify(mine_users(hazard.mine, Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER) + county_inspectors(hazard.mine),
           by=by, url=hazard.get_absolute_url(),
           title=_("%(mine)s 一般隐患超过整改时限（%(day)s）仍未销号") % {
               "mine": hazard.mine.name, "day": hazard.due_on.isoformat()}, body=hazard.description)
    return 1


def _record_missing_reports(at: datetime) -> int:
    """R2.6: a finding for every month a mine owed a report (by its status history) and had none by the
    due day, however long since the last tick; once each (unique mine and month), stamped at its due."""
    due_day = settings.HAZARD_REPORT_DUE_DAY
    done = {*MonthlyReport.objects.values_list("mine", "month"), *MissingMonthlyReport.objects.values_list("mine", "month")}
    count = 0
    for mine_id, owed in queries.owed_months(at).items():
        months = [m for m in owed if (mine_id, m) not in done]
        if not months:
            continue
        mine = Mine.objects.select_related("division", "organization").get(pk=mine_id)
        with transaction.atomic():
            for month in months:
                due = rules.report_due_at(month, due_day)
                missing = MissingMonthlyReport.objects.create(mine=mine, month=month, due_at=due)
                audit.record("hazards.missingmonthlyreport.recorded", missing, by=Actor.system("tick", at=due),
                             after={"month": month}, parent=mine)
            # One notice per mine, however many months a long pause in the ticks left to find.
            notify(mine_users(mine, Role.MINE_HEAD) + county_inspectors(mine),
                   by=Actor.system("tick", at=rules.report_due_at(months[-1], due_day)), url="/hazards/monthly-reports/",
                   title=_("%(mine)s 未按期报送 %(month)s 重大隐患月报（或零报告）") % {
                       "mine": mine.name, "month": join_list([f"{m:%Y-%m}" for m in months])})
        count += len(months)
    return count


def _catch_up_closures(at: datetime) -> int:
    """R2.8: a major hazard reported while its mine had a proposal awaiting decision is judged once that
    one is decided; a proposal it makes due is dated at its report, not at the tick."""
    reported = OuterRef("reported_at")
    was_open = ClosureProposal.objects.filter(mine=OuterRef("mine"), raised_at__lte=reported) \
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gt=reported))
    hazards = Hazard.objects.filter(level=HazardLevel.MAJOR, reported_at__lte=at).filter(Exists(was_open)) \
        .exclude(Exists(ClosureProposal.objects.filter(mine=OuterRef("mine"), status=ProposalStatus.OPEN))) \
        .exclude(Exists(ClosureProposal.objects.filter(trigger=OuterRef("pk")))) \
        .select_related("mine__division", "mine__organization", "standard_item").order_by("reported_at", "pk")
    count = 0
    for hazard in hazards:
        with transaction.atomic():
            count += _check_closure(hazard, by=Actor.system("tick", at=hazard.reported_at)) is not None
    return count
