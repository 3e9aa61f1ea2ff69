"""Reads of enforcement through the access policy: inspections (a mine sees its own only once the team has
arrived), documents (once served), the briefing before a visit, the seeded tables."""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kuangan.core.access import accounts_in_reach, get_visible_or_404, visible
from kuangan.core.audit import history, with_changes
from kuangan.core.choices import OrganizationKind, Perm, Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.models import User
from kuangan.hazards.choices import HazardLevel, HazardStatus
from kuangan.hazards.models import Hazard, MissingMonthlyReport
from kuangan.monitoring.models import Alarm
from kuangan.registry import rules as registry_rules
from kuangan.registry.choices import LeadershipPost, MineStatus, SupervisionClass
from kuangan.registry.models import LeadershipMember, Licence, Mine, MineStatusChange, WorkingFace
from kuangan.registry.queries import mine_findings

from . import rules
from .catalog_data import CutoffRow, FactorRow, TierRow, VetoRow
from .choices import ClassSource, DocumentKind, InspectionStatus, PartyKind, PenaltyType
from .models import (
    ClassCutoff,
    ClassFactor,
    ClassVeto,
    DocumentVersion,
    EnforcementDocument,
    EnforcementPlan,
    ExamRetake,
    Inspection,
    InspectionFinding,
    InspectionFrequency,
    MineHeadScore,
    PenaltyBenchmark,
    PenaltyCase,
    PenaltyCaseTransition,
    PenaltyParty,
    PlanItem,
    ScoreDeduction,
    SupervisionClassChange,
)
from .rules import PenaltyFacts, PenaltyResult, penalty, retake_due, score_total

# 逢查必考 examines the mine head; RULES §7 counts the chairman and general manager as mine heads too.
EXAMINED_POSTS = (LeadershipPost.MINE_HEAD, LeadershipPost.CHAIRMAN, LeadershipPost.GENERAL_MANAGER)
BRIEFING_ALARM_DAYS = 90


def _beijing(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at else ""


def visible_inspections(user: Any) -> QuerySet[Inspection]:
    return visible(user, Inspection).select_related("mine__division", "organization", "leader")


def get_visible_inspection(user: Any, pk: int) -> Inspection:
    return get_visible_or_404(user, visible_inspections(user), pk=pk)


@dataclass
class InspectionPage:
    inspection: Inspection
    briefing: dict[str, Any]
    briefing_live: bool
    team: list[Any]
    findings: list[InspectionFinding]
    measures: list[Any]
    exams: list[Any]
    referrals: list[Any]
    documents: list[EnforcementDocument]
    transitions: list[Any]
    audit_events: list[Any]
    examinees: list[LeadershipMember]


def inspection_page(user: Any, pk: int, now: datetime) -> InspectionPage:
    inspection = get_visible_inspection(user, pk)
    live = inspection.status == InspectionStatus.PLANNED
    return InspectionPage(
        inspection=inspection,
        # Before arrival the briefing is read as it stands now; on arrival it was frozen with the inspection.
        briefing=briefing(inspection.mine, at=now) if live else inspection.briefing,
        briefing_live=live,
        team=list(inspection.team.select_related("user__organization")),
        findings=list(inspection.findings.select_related("hazard", "benchmark", "standard_item", "order")),
        measures=list(inspection.measures.select_related("document", "face", "status_change")),
        exams=list(inspection.exams.select_related("member")),
        referrals=list(inspection.referrals.all()),
        documents=list(visible(user, EnforcementDocument).filter(inspection=inspection).order_by("created_at", "id")),
        transitions=list(inspection.transitions.all()),
        audit_events=with_changes(history(inspection)[:50]),
        examinees=list(LeadershipMember.objects.filter(mine=inspection.mine, active=True, post__in=EXAMINED_POSTS)),
    )


def briefing(mine: Mine, *, at: datetime) -> dict[str, Any]:
    """检查前研判: what the team should know before it goes (R3.3), from the other apps' data. The caller has
    checked that the user may act on this mine; the result is plain JSON, frozen on arrival."""
    today = at.astimezone(SHANGHAI).date()
    open_hazards = Hazard.objects.filter(mine=mine).exclude(status=HazardStatus.CLOSED) \
        .select_related("standard_item").order_by("-level", "due_on", "id")
    hazards = [{"id": h.pk, "level": h.get_level_display(), "description": h.description[:200],
                "item": h.standard_item.code if h.standard_item else "", "status": h.get_status_display(),
                "due_on": h.due_on.isoformat() if h.due_on else "", "overdue": h.is_overdue_on(today),
                "supervised": h.supervised} for h in open_hazards[:50]]
    alarms = Alarm.objects.filter(mine=mine, start__gte=at - timedelta(days=BRIEFING_ALARM_DAYS),
                                  withdrawn_at__isnull=True).order_by("-start")
    kinds = Counter(a.get_kind_display() for a in alarms)
    last = Inspection.objects.filter(mine=mine, status__in=(InspectionStatus.FINDINGS_RECORDED,
                                                            InspectionStatus.CLOSED)) \
        .order_by("-on_site_start").first()
    change = SupervisionClassChange.objects.filter(mine=mine).order_by("-at", "-id").first()
    return {
        "at": _beijing(at),
        "class": {"klass": mine.supervision_class, "label": mine.get_supervision_class_display(),
                  "reasons": change.reasons if change else [], "since": _beijing(change.at) if change else ""},
        "status": mine.get_status_display(),
        "open_hazards": hazards,
        "open_hazards_total": open_hazards.count(),
        "alarms": {"days": BRIEFING_ALARM_DAYS, "count": sum(kinds.values()), "by_kind": kinds.most_common(),
                   "recent": [{"id": a.pk, "kind": a.get_kind_display(), "start": _beijing(a.start),
                               "location": a.location, "peak": a.peak} for a in alarms[:20]]},
        "last_inspection": {
            "id": last.pk, "day": _beijing(last.on_site_start)[:10], "method": last.get_method_display(),
            "findings": [f"{f.get_kind_display()}：{f.description[:120]}" for f in last.findings.all()],
        } if last else None,
        "findings": [f.message for f in mine_findings(mine, today)],
        "missing_reports": [f"{m.month:%Y-%m}" for m in MissingMonthlyReport.objects.filter(mine=mine)[:12]],
    }


def record_content(inspection: Inspection) -> dict[str, Any]:
    """The on-site record's content: the same facts the inspection page shows."""
    return {
        "started_at": _beijing(inspection.on_site_start), "ended_at": _beijing(inspection.on_site_end),
        "place": inspection.place, "leader": str(inspection.leader.display_name),
        "team": [str(m.user.display_name) for m in inspection.team.select_related("user")],
        "mine_representative": inspection.mine_representative,
        "findings": [f"{f.get_kind_display()}：{f.description}" for f in inspection.findings.all()],
        "summary": inspection.summary,
    }


def benchmarks() -> QuerySet[PenaltyBenchmark]:
    return PenaltyBenchmark.objects.filter(active=True).prefetch_related("tiers")


def visible_documents(user: Any) -> QuerySet[EnforcementDocument]:
    return visible(user, EnforcementDocument).select_related("mine", "organization", "inspection")


@dataclass
class DocumentPage:
    document: EnforcementDocument
    versions: list[DocumentVersion]
    current: DocumentVersion | None


def document_page(user: Any, pk: int) -> DocumentPage:
    document = get_visible_or_404(user, visible_documents(user), pk=pk)
    versions = list(document.versions.select_related("signed_by").defer("pdf").order_by("-n"))
    return DocumentPage(document=document, versions=versions, current=versions[0] if versions else None)


def document_pdf(user: Any, pk: int, n: int) -> tuple[EnforcementDocument, DocumentVersion]:
    document = get_visible_or_404(user, visible_documents(user), pk=pk)
    return document, get_object_or_404(DocumentVersion, document=document, n=n)


def inspection_label(inspection: Inspection) -> str:
    return _("%(mine)s %(day)s %(method)s") % {"mine": inspection.mine.name, "day": inspection.planned_on.isoformat(),
                                               "method": inspection.get_method_display()}


# --- the pages' reads (views.py) ----------------------------------------------------------------------------


def inspection_ledger(user: Any, filters: Any = None) -> QuerySet[Inspection]:
    """The inspections the user may see, with their findings counted in the same query (the ledger's column)."""
    qs = visible_inspections(user).annotate(findings_count=Count("findings", distinct=True))
    if filters is not None:
        qs = filters.apply(qs)
    return qs.order_by("-planned_on", "-id")


def document_ledger(user: Any, filters: Any = None) -> QuerySet[EnforcementDocument]:
    qs = visible_documents(user)
    if filters is not None:
        qs = filters.apply(qs)
    return qs.order_by("-created_at", "-id")


def team_candidates(user: Any) -> QuerySet[User]:
    """Who may be put on an inspection's team: the active inspectors and agency heads of the regulators in the
    user's organization and below it (the action checks each again, and the mine's jurisdiction)."""
    return accounts_in_reach(user, Perm.INSPECTION_CONDUCT).filter(
        organization__kind=OrganizationKind.REGULATOR, role__in=(Role.INSPECTOR, Role.REGULATOR_LEADER),
        is_active=True, is_machine=False)


def open_plan_items(user: Any) -> QuerySet[PlanItem]:
    """Planned mines not yet inspected (an inspection is opened from one of them)."""
    return visible(user, PlanItem).filter(inspection__isnull=True).select_related("plan", "mine") \
        .order_by("-plan__year", "-plan__month", "mine__name")


def mine_faces(user: Any, mine: Mine) -> QuerySet[WorkingFace]:
    return visible(user, WorkingFace).filter(mine=mine).order_by("name")


def alarm_for_inspection(user: Any, pk: int | None) -> Alarm | None:
    """The alarm an inspection is opened from, if the user may see it (a hidden one is ignored)."""
    if pk is None:
        return None
    return visible(user, Alarm).select_related("mine").filter(pk=pk).first()


def plan_item_for_inspection(user: Any, pk: int | None) -> PlanItem | None:
    if pk is None:
        return None
    return open_plan_items(user).filter(pk=pk).first()


def mine_inspections(user: Any, mine: Mine) -> tuple[list[Inspection], list[EnforcementDocument]]:
    """The dossier tab: a mine's inspections and documents, as far as the user may see them (a mine sees an
    inspection once the team has arrived, a document once it is served)."""
    return (list(inspection_ledger(user).filter(mine=mine)[:200]),
            list(document_ledger(user).filter(mine=mine)[:200]))


def document_signer_id(document: EnforcementDocument) -> int | None:
    """Who signs the document's versions: the inspection's leader (or the case's)."""
    if document.inspection is not None:
        return document.inspection.leader_id
    case = document.case
    if case is None:
        return None
    return case.inspection.leader_id if case.inspection is not None else case.filed_by_id


def unordered_findings(inspection: Inspection) -> list[InspectionFinding]:
    """The inspection's hazards without a rectification order yet (the caller got the inspection through
    get_visible_inspection)."""
    return list(inspection.findings.filter(hazard__isnull=False, order__isnull=True).order_by("id"))


def examinees(inspection: Inspection) -> QuerySet[LeadershipMember]:
    """Who sits 逢查必考 at this inspection's mine (the caller got the inspection through get_visible_inspection)."""
    return LeadershipMember.objects.filter(mine=inspection.mine_id, active=True, post__in=EXAMINED_POSTS) \
        .order_by("post", "name")


# --- penalty cases ----------------------------------------------------------------------------------------

# The principal of 一案双罚 and the person a mine head's score keys on: the posts RULES §7 counts as mine heads.
PRINCIPAL_POSTS = EXAMINED_POSTS
# RULES.md confidence tags of a benchmark, as the pages name them.
SOURCE_TAGS = {"Q": _("引自公开转载的原文"), "S": _("仅见于非官方来源，须核对"), "I": _("据已知数值推断"),
               "R": _("凭记忆，未见来源，须核对"), "NF": _("未找到")}
_TAG_IN_TEXT = re.compile(r"\[(Q|S|I|R|NF)\b\s*([^\]]*)\]")
_INTERNAL_REF = re.compile(r"RULES\s*§\s*\d+(\s*第\s*\d+\s*行)?\s*[：:]?\s*")


def yuan(amount: Decimal | int | None) -> str:
    """An amount of 元 as the pages and documents show it: 15,000 or 15,000.50 (no currency word)."""
    if amount is None:
        return ""
    value = Decimal(amount)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal('0.01')):,}"


def money_range(rng: Sequence[Any] | None) -> str:
    """A fine range as a sentence: "10,000–20,000 元", "不超过 20,000 元", or "不设罚款"."""
    if not rng:
        return _("不设罚款")
    lo, hi = Decimal(rng[0]), Decimal(rng[1])
    if lo == 0:
        return _("不超过 %(hi)s 元") % {"hi": yuan(hi)}
    return _("%(lo)s–%(hi)s 元") % {"lo": yuan(lo), "hi": yuan(hi)}


def source_text(text: str) -> str:
    """A seeded source as a user reads it: the compilation's internal section numbers and the re-posts' web
    addresses left out (they are kept in the admin), its confidence tags ([Q url]) in words."""
    return _TAG_IN_TEXT.sub(lambda m: f"（{SOURCE_TAGS[m.group(1)]}）", _INTERNAL_REF.sub("", text)).strip()


def tag_text(tag: str) -> str:
    return str(SOURCE_TAGS.get(tag.strip(), tag)) if tag else ""


def tier_rows(benchmark: PenaltyBenchmark) -> list[TierRow]:
    """The benchmark's tiers as the pure rules take them."""
    return [TierRow(order=t.order, condition=t.condition, circumstance=t.circumstance, gains_min=t.gains_min,
                    gains_below=t.gains_below, penalty_types=tuple(t.penalty_types), unit_fine_min=t.unit_fine_min,
                    unit_fine_max=t.unit_fine_max, unit_gains_multiple_min=t.unit_gains_multiple_min,
                    unit_gains_multiple_max=t.unit_gains_multiple_max, person_fine_min=t.person_fine_min,
                    person_fine_max=t.person_fine_max, measures=t.measures)
            for t in benchmark.tiers.all()]


def circumstances(benchmark: PenaltyBenchmark) -> list[tuple[str, str]]:
    """The circumstances an inspector chooses from, each with its tiers' Chinese conditions (two tiers may share
    one circumstance and differ by the illegal gains)."""
    out: dict[str, list[str]] = {}
    for t in benchmark.tiers.all():
        out.setdefault(t.circumstance, []).append(t.condition)
    return [(c, "；或".join(conditions)) for c, conditions in out.items()]


def tier_summaries(benchmark: PenaltyBenchmark) -> list[dict[str, Any]]:
    """Each tier of the benchmark as the pages list it: condition, penalty types and fine ranges in words."""
    out = []
    for t in benchmark.tiers.all():
        if t.unit_gains_multiple_max is not None:
            unit = _("违法所得的 %(lo)s–%(hi)s 倍") % {"lo": yuan(t.unit_gains_multiple_min or 0),
                                                  "hi": yuan(t.unit_gains_multiple_max)}
        else:
            unit = money_range((t.unit_fine_min or 0, t.unit_fine_max) if t.unit_fine_max is not None else None)
        person = money_range((t.person_fine_min or 0, t.person_fine_max) if t.person_fine_max is not None else None)
        out.append({"order": t.order, "condition": t.condition, "types": penalty_types_text(t.penalty_types),
                    "unit": unit, "person": person, "measures": t.measures})
    return out


def penalty_types_text(types: Sequence[str]) -> str:
    labels = dict(PenaltyType.choices)
    return "、".join(str(labels.get(t, t)) for t in types)


def assess(benchmark: PenaltyBenchmark, circumstance: str, illegal_gains: Decimal | None) -> PenaltyResult:
    return penalty(tier_rows(benchmark), PenaltyFacts(circumstance=circumstance, illegal_gains=illegal_gains))


def visible_cases(user: Any) -> QuerySet[PenaltyCase]:
    return visible(user, PenaltyCase).select_related("mine", "organization", "benchmark", "tier", "filed_by")


def case_ledger(user: Any, filters: Any = None) -> QuerySet[PenaltyCase]:
    """The cases the user may see (a mine: from the notice on), with each one's fines summed in the same query."""
    qs = visible_cases(user).annotate(
        unit_fine=Sum("parties__fine", filter=Q(parties__kind=PartyKind.UNIT)),
        person_fine=Sum("parties__fine", filter=Q(parties__kind=PartyKind.PRINCIPAL)))
    if filters is not None:
        qs = filters.apply(qs)
    return qs.order_by("-filed_at", "-id")


def get_visible_case(user: Any, pk: int) -> PenaltyCase:
    return get_visible_or_404(user, visible_cases(user), pk=pk)


def case_parties(case: PenaltyCase) -> list[PenaltyParty]:
    """The enterprise first, then its principal (the order of the documents and the page)."""
    return sorted(case.parties.select_related("member"), key=lambda p: p.kind != PartyKind.UNIT)


def case_total(parties: Sequence[PenaltyParty]) -> Decimal:
    return sum((p.fine for p in parties), Decimal(0))


@dataclass
class CasePage:
    case: PenaltyCase
    parties: list[PenaltyParty]
    total: Decimal
    criteria: list[dict[str, Any]]
    documents: list[EnforcementDocument]
    transitions: list[PenaltyCaseTransition]
    audit_events: list[Any]
    notice_ends_at: datetime | None
    scores: list[MineHeadScore]


def case_page(user: Any, pk: int) -> CasePage:
    case = get_visible_case(user, pk)
    parties = case_parties(case)
    notice_ends = case.notified_at + timedelta(days=settings.ENFORCEMENT_NOTICE_DAYS) if case.notified_at else None
    return CasePage(
        case=case, parties=parties, total=case_total(parties),
        criteria=list(case.explanation.get("criteria", [])),
        documents=list(visible(user, EnforcementDocument).filter(case=case).order_by("created_at", "id")),
        transitions=list(case.transitions.all()),
        audit_events=with_changes(history(case)[:50]),
        notice_ends_at=notice_ends,
        scores=list(visible(user, MineHeadScore).filter(case=case).select_related("deduction")),
    )


def case_finding(user: Any, pk: int | None) -> InspectionFinding | None:
    """The violation a case is filed for, if the user may see it."""
    if pk is None:
        return None
    return visible(user, InspectionFinding).select_related("inspection__mine__enterprise", "benchmark") \
        .filter(pk=pk).first()


def case_mines(user: Any) -> QuerySet[Mine]:
    return visible(user, Mine).select_related("enterprise").exclude(status=MineStatus.CLOSED).order_by("name")


def principal_candidates(mine: Mine) -> QuerySet[LeadershipMember]:
    """The mine's serving mine head, chairman and general manager (the caller may act on the mine)."""
    return LeadershipMember.objects.filter(mine=mine, active=True, post__in=PRINCIPAL_POSTS).order_by("post", "name")


def notice_content(case: PenaltyCase, parties: Sequence[PenaltyParty]) -> dict[str, Any]:
    """行政处罚告知书 (pdf.content_text's penalty_notice keys). The principal is named, never by ID number."""
    return {
        "facts": case.facts,
        "basis_violation": case.benchmark.basis_violation,
        "basis_penalty": case.benchmark.basis_penalty,
        "proposed": proposed_text(case, parties),
        "parties": [{"name": p.name, "kind": p.get_kind_display(), "penalty": party_penalty(p)} for p in parties],
    }


def party_penalty(party: PenaltyParty) -> str:
    types = [t for t in party.penalty_types if t != PenaltyType.FINE]
    parts = [penalty_types_text(types)] if types else []
    if party.fine:
        parts.append(_("罚款人民币 %(amount)s 元") % {"amount": yuan(party.fine)})
    return "、".join(parts) or _("无")


def proposed_text(case: PenaltyCase, parties: Sequence[PenaltyParty]) -> str:
    lines = [_("对%(kind)s%(name)s：%(penalty)s") % {"kind": p.get_kind_display(), "name": p.name,
                                                    "penalty": party_penalty(p)} for p in parties]
    measures = case.explanation.get("measures") or ""
    if measures:
        lines.append(_("其他措施：%(m)s") % {"m": measures})
    return "；".join(lines)


def case_signer_id(case: PenaltyCase) -> int:
    """Who signs the case's notice and decision: the inspection's leader, or the filer of a case without one."""
    return case.inspection.leader_id if case.inspection is not None else case.filed_by_id


def case_signer_name(case: PenaltyCase) -> str:
    return str((case.inspection.leader if case.inspection is not None else case.filed_by).display_name)


# --- mine-head scoring ------------------------------------------------------------------------------------


def score_deductions() -> QuerySet[ScoreDeduction]:
    return ScoreDeduction.objects.filter(active=True)


@dataclass
class PersonScore:
    """One mine head's year: the points the user may see, the person's total over every mine, his retake."""

    name: str
    id_number: str
    mines: list[str]
    items: list[MineHeadScore]
    total: int
    visible_total: int
    retake: ExamRetake | None

    @property
    def due(self) -> bool:
        return retake_due(self.total, settings.ENFORCEMENT_SCORE_THRESHOLD)


def score_board(user: Any, year: int) -> list[PersonScore]:
    """The year's scored mine heads the user may see (a regulator: its jurisdiction; a mine: its own heads), highest
    total first. The total is the person's over every mine (the cycle keys on the person, RULES §7); the items
    are those the user may see."""
    items = list(visible(user, MineHeadScore).filter(year=year).select_related("mine", "deduction", "finding",
                                                                              "case").order_by("scored_at", "id"))
    people: dict[str, list[MineHeadScore]] = {}
    for s in items:
        people.setdefault(s.id_number, []).append(s)
    totals = dict(MineHeadScore.objects.filter(year=year, id_number__in=people).values("id_number")
                  .annotate(total=Sum("points")).values_list("id_number", "total"))
    retakes = {r.id_number: r for r in ExamRetake.objects.filter(year=year, id_number__in=people)}
    board = [PersonScore(name=rows[-1].name, id_number=number, mines=sorted({r.mine.name for r in rows}), items=rows,
                         total=int(totals.get(number) or 0), visible_total=score_total(r.points for r in rows),
                         retake=retakes.get(number))
             for number, rows in people.items()]
    return sorted(board, key=lambda p: (-p.total, p.name))


def score_target(user: Any, finding_id: int | None, case_id: int | None) -> tuple[Mine, Any] | None:
    """The finding or case a score is given for, if the user may see it, with its mine."""
    if finding_id is not None:
        finding = case_finding(user, finding_id)
        return (finding.inspection.mine, finding) if finding is not None else None
    if case_id is not None:
        case = visible_cases(user).filter(pk=case_id).first()
        return (case.mine, case) if case is not None else None
    return None


# --- supervision classes ----------------------------------------------------------------------------------


def day_start(day: date) -> datetime:
    """The first instant of a Beijing day."""
    return datetime.combine(day, time(), SHANGHAI)


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it has no such day)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


@dataclass(frozen=True)
class ClassTables:
    """The seeded tables a class is computed with, as the rule's rows (ClassFactor, ClassCutoff and the active
    ClassVeto rows), the rows themselves for the page (source, 未找到依据), and the screen's limits."""

    factors: tuple[FactorRow, ...]
    cutoffs: tuple[CutoffRow, ...]
    vetoes: tuple[VetoRow, ...]
    screen: rules.ScreenLimits
    factor_rows: tuple[ClassFactor, ...]
    cutoff_rows: tuple[ClassCutoff, ...]
    veto_rows: tuple[ClassVeto, ...]


def class_tables() -> ClassTables:
    factors = tuple(ClassFactor.objects.all())
    cutoffs = tuple(ClassCutoff.objects.all())
    vetoes = tuple(ClassVeto.objects.filter(active=True))
    return ClassTables(
        factors=tuple(FactorRow(f.code, f.name, f.weight, f.order, f.source, f.basis_found) for f in factors),
        cutoffs=tuple(CutoffRow(c.klass, c.min_score, c.source, c.basis_found) for c in cutoffs),
        vetoes=tuple(VetoRow(v.code, v.text, v.cap, v.source, v.basis_found) for v in vetoes),
        screen=rules.ScreenLimits(**settings.ENFORCEMENT_SCREEN),
        factor_rows=factors, cutoff_rows=cutoffs, veto_rows=vetoes)


def _stop_starts(ids: list[int], today: date) -> dict[int, date | None]:
    """The first day of each mine's continuous stop up to `today` (None: not stopped by its status history):
    the tail of its status changes in force by then whose new status is a stopped one."""
    start: dict[int, date | None] = {}
    for mine_id, to_status, day in MineStatusChange.objects.filter(mine_id__in=ids, effective_on__lte=today) \
            .order_by("mine_id", "effective_on", "at", "id").values_list("mine_id", "to_status", "effective_on"):
        if to_status not in rules.STOPPED:
            start[mine_id] = None
        elif start.get(mine_id) is None:
            start[mine_id] = day
    return start


def class_facts(mines: Sequence[Mine] | QuerySet[Mine], at: datetime) -> dict[int, rules.ClassFacts]:
    """R3.1: the facts of each mine's class at `at`, in seven grouped queries however many mines (a province's
    thousand as well as one). No access check: the caller passes mines it has scoped (or the tick, all).

    Days are Beijing days. The rolling screen counts from the same day ENFORCEMENT_SCREEN_MONTHS months back;
    "last year" is the previous calendar year; the monthly reports missing are those of the last 12 months.
    A stop is continuous from the first of the last run of stopped statuses in the status history; the
    rectification overrun counts from the deadline of the latest rectification order served since the stop
    began (None, 无数据, without one). Accidents, resource consolidation and full outsourcing are not modelled."""
    mines = list(mines)
    if not mines:
        return {}
    ids = [m.pk for m in mines]
    today = at.astimezone(SHANGHAI).date()
    since = day_start(months_before(today, settings.ENFORCEMENT_SCREEN_MONTHS))
    this_year, last_year = day_start(date(today.year, 1, 1)), day_start(date(today.year - 1, 1, 1))

    stops = _stop_starts(ids, today)
    deadlines: dict[int, date] = {}
    suspended = [m.pk for m in mines if m.status == MineStatus.SUSPENDED_FOR_RECTIFICATION]
    for order in EnforcementDocument.objects.filter(
            mine_id__in=suspended, kind=DocumentKind.RECTIFICATION_ORDER, served_at__lte=at, deadline__isnull=False) \
            .order_by("served_at", "id").only("mine_id", "deadline", "served_at"):
        begun = stops.get(order.mine_id)
        if order.deadline is not None and order.served_at is not None and (
                begun is None or order.served_at.astimezone(SHANGHAI).date() >= begun):
            deadlines[order.mine_id] = order.deadline  # the latest served wins
    licences: dict[int, list[registry_rules.LicenceFacts]] = defaultdict(list)
    for mine_id, kind, number, expires_on in Licence.objects.filter(mine_id__in=ids) \
            .values_list("mine_id", "kind", "number", "expires_on"):
        licences[mine_id].append(registry_rules.LicenceFacts(kind, number, expires_on))
    roster: dict[int, list[registry_rules.Member]] = defaultdict(list)
    for p in LeadershipMember.objects.filter(mine_id__in=ids, active=True).only(
            "mine_id", "post", "name", "education", "major_is_mining", "frontline_years", "holds_mine_head_post"):
        roster[p.mine_id].append(registry_rules.Member(p.post, p.name, p.education, p.major_is_mining,
                                                       p.frontline_years, p.holds_mine_head_post))
    missing = dict(MissingMonthlyReport.objects.filter(mine_id__in=ids, month__gte=months_before(today.replace(day=1), 12))
                   .order_by().values("mine_id").annotate(n=Count("pk")).values_list("mine_id", "n"))
    major, window = Q(level=HazardLevel.MAJOR), Q(found_at__gte=since)
    overdue = Hazard.overdue_q(today)
    hazards: dict[int, Any] = {row["mine_id"]: row for row in Hazard.objects.filter(mine_id__in=ids, found_at__lte=at)
               .filter(Q(found_at__gte=min(since, last_year)) | overdue).order_by().values("mine_id").annotate(
                   last_year=Count("pk", filter=major & Q(found_at__gte=last_year, found_at__lt=this_year)),
                   majors=Count("pk", filter=major & window), overdue=Count("pk", filter=overdue),
                   repeat_count=Count("pk", filter=window & Q(repeat_of__isnull=False)))}
    alarms = dict(Alarm.objects.filter(mine_id__in=ids, withdrawn_at__isnull=True, start__gte=since, start__lte=at)
                  .order_by().values("mine_id").annotate(n=Count("pk")).values_list("mine_id", "n"))

    out = {}
    for m in mines:
        stopped_since = stops.get(m.pk) if m.status in rules.STOPPED else None
        deadline = deadlines.get(m.pk)
        counts = hazards.get(m.pk, {})
        facts = registry_rules.MineFacts(kind=m.kind, status=m.status, has_upgrade_project=m.has_upgrade_project)
        out[m.pk] = rules.ClassFacts(
            status=m.status,
            stopped_days=(today - stopped_since).days if stopped_since is not None else None,
            rectification_overrun_days=max((today - deadline).days, 0) if deadline is not None else None,
            licences_complete=registry_rules.licences_complete(licences[m.pk], today),
            gas_class=m.gas_class, hydro_type=m.hydro_type, rock_burst=m.rock_burst,
            spontaneous_combustion=m.spontaneous_combustion, disaster_grade=m.disaster_grade,
            standardization_grade=m.standardization_grade, intelligent_status=m.intelligent_status,
            has_upgrade_project=m.has_upgrade_project,
            leadership_findings=tuple(f.message for f in registry_rules.leadership_findings(facts, roster[m.pk])),
            missing_reports_12m=missing.get(m.pk, 0),
            major_hazards_last_year=counts.get("last_year", 0),
            accidents_3y=None, resource_consolidation=None, fully_outsourced=None,  # no model yet: 无数据
            majors_12m=counts.get("majors", 0), overdue_open=counts.get("overdue", 0),
            repeats_12m=counts.get("repeat_count", 0), alarms_12m=alarms.get(m.pk, 0),
        )
    return out


def active_overrides(mine_ids: Sequence[int], at: datetime) -> dict[int, SupervisionClassChange]:
    """Each mine's latest override made in the Beijing calendar year of `at`: it holds until that year ends."""
    year_start = day_start(date(at.astimezone(SHANGHAI).year, 1, 1))
    found: dict[int, SupervisionClassChange] = {}
    for change in SupervisionClassChange.objects.filter(mine_id__in=list(mine_ids), source=ClassSource.OVERRIDE,
                                                        at__gte=year_start, at__lte=at).order_by("at", "id"):
        found[change.mine_id] = change
    return found


def as_override(change: SupervisionClassChange) -> rules.Override:
    return rules.Override(to_class=change.to_class, computed_then=change.computed_class or change.to_class,
                          day=change.at.astimezone(SHANGHAI).date().isoformat())


@dataclass(frozen=True)
class ClassOutcome:
    facts: rules.ClassFacts
    result: rules.ClassResult  # what the rules compute from the facts
    klass: str  # what the mine gets: the computed class, or the override while it holds (rules.settle_class)
    reasons: tuple[str, ...]  # the rules' reasons, then the override's
    override: SupervisionClassChange | None


def class_outcomes(mines: Sequence[Mine] | QuerySet[Mine], at: datetime,
                   tables: ClassTables | None = None) -> dict[int, ClassOutcome]:
    """The class each mine gets at `at` (batched: class_facts, one query of overrides). A closed mine keeps its
    class (the tick no longer recomputes it; the rules would say D)."""
    mines = list(mines)
    tables = tables or class_tables()
    facts = class_facts(mines, at)
    overrides = active_overrides([m.pk for m in mines], at)
    out = {}
    for m in mines:
        result = rules.supervision_class(facts[m.pk], factors=tables.factors, cutoffs=tables.cutoffs,
                                         vetoes=tables.vetoes, screen=tables.screen)
        if m.status == MineStatus.CLOSED:  # no longer recomputed by the tick: it keeps the class it had
            out[m.pk] = ClassOutcome(facts[m.pk], result, m.supervision_class,
                                     (*result.reasons, _("矿井已关闭：不再定期重算分级分类")), None)
            continue
        change = overrides.get(m.pk)
        klass, extra = rules.settle_class(result.klass, as_override(change) if change is not None else None)
        out[m.pk] = ClassOutcome(facts[m.pk], result, klass, (*result.reasons, *extra), change)
    return out


def class_ledger(user: Any, filters: Any = None) -> QuerySet[Mine]:
    """The mines the user may see, with the time of their last class change (the classes page)."""
    qs = visible(user, Mine).select_related("division").annotate(last_change=Max("class_changes__at"))
    if filters is not None:
        qs = filters.apply(qs)
    return qs.order_by("supervision_class", "division__code", "name", "pk")


def class_counts(user: Any, filters: Any = None) -> list[tuple[str, str, int]]:
    """(class, label, number of mines) for A–D over the same mines as the ledger (its filters applied)."""
    qs = visible(user, Mine)
    if filters is not None:
        qs = filters.apply(qs)
    counts = dict(qs.order_by().values("supervision_class").annotate(n=Count("pk"))
                  .values_list("supervision_class", "n"))
    return [(k.value, str(k.label), counts.get(k.value, 0)) for k in SupervisionClass]


@dataclass
class ClassPage:
    mine: Mine
    outcome: ClassOutcome
    tables: ClassTables
    factors: list[tuple[ClassFactor | None, rules.FactorScore]]
    vetoes: list[tuple[ClassVeto, rules.VetoCheck]]
    screen: list[tuple[str, int, int, bool]]  # (what, value, limit, reached)
    triggers: tuple[str, ...]
    changes: list[SupervisionClassChange]


SCREEN_LABELS = {"majors_12m": gettext_lazy("近12个月重大事故隐患（项）"), "overdue_open": gettext_lazy("逾期未整改的隐患（项）"),
                 "repeats_12m": gettext_lazy("近12个月重复出现的隐患（次）"), "alarms_12m": gettext_lazy("近12个月监测报警（次）")}


def class_page(user: Any, pk: int, at: datetime) -> ClassPage:
    """A mine's class page: whoever may see the mine (its own users too, read-only); 404 otherwise."""
    mine = get_visible_or_404(user, visible(user, Mine).select_related("division", "enterprise"), pk=pk)
    tables = class_tables()
    outcome = class_outcomes([mine], at, tables)[mine.pk]
    rows = {r.code: r for r in tables.factor_rows}
    vetoes = {r.code: r for r in tables.veto_rows}
    limits = tables.screen
    return ClassPage(
        mine=mine, outcome=outcome, tables=tables,
        factors=[(rows.get(f.code), f) for f in outcome.result.factors],
        vetoes=[(vetoes[c.code], c) for c in rules.veto_checks(outcome.facts, tables.vetoes, limits)],
        screen=[(str(label), getattr(outcome.facts, key), getattr(limits, key),
                 getattr(limits, key) >= 1 and getattr(outcome.facts, key) >= getattr(limits, key))
                for key, label in SCREEN_LABELS.items()],
        triggers=rules.screen_triggers(outcome.facts, limits),
        changes=list(visible(user, SupervisionClassChange).filter(mine=mine).select_related("by")),
    )


# --- plans ------------------------------------------------------------------------------------------------


def month_span(year: int, month: int) -> tuple[datetime, datetime]:
    """The first instant of a Beijing month and of the next one (the month's items are due at the latter)."""
    return day_start(date(year, month, 1)), day_start(date(year + month // 12, month % 12 + 1, 1))


def visible_plans(user: Any) -> QuerySet[EnforcementPlan]:
    """Plans are the regulators' own (四不两直): a mine or enterprise user sees none (access.scope_q)."""
    return visible(user, EnforcementPlan).select_related("organization__division", "created_by")


def visible_plan_items(user: Any) -> QuerySet[PlanItem]:
    """Items of the plans the user may see (a county does not see a higher level's plan for its mines)."""
    return visible(user, PlanItem).filter(plan__in=visible(user, EnforcementPlan).values("pk"))


def plan_ledger(user: Any) -> QuerySet[EnforcementPlan]:
    return visible_plans(user).annotate(item_count=Count("items", distinct=True),
                                        missed_count=Count("items__missed", distinct=True)) \
        .order_by("-year", "-month", "organization__name", "pk")


def inspection_frequencies() -> list[InspectionFrequency]:
    return list(InspectionFrequency.objects.all())


@dataclass
class CountyCoverage:
    county: str
    planned: int
    inspected: int  # an inspection from the item arrived on site within the month
    missed: int  # recorded missed by the tick after the month's end
    share: float | None  # inspected / planned, %

    @property
    def pending(self) -> int:
        return self.planned - self.inspected - self.missed


def plan_coverage(user: Any, year: int, month: int) -> list[CountyCoverage]:
    """R3.2: per county of the planned mines, over the plans of `year`-`month` the user may see."""
    start, end = month_span(year, month)
    arrived = Q(inspection__on_site_start__gte=start, inspection__on_site_start__lt=end)
    rows = visible_plan_items(user).filter(plan__year=year, plan__month=month).order_by() \
        .values("mine__division__code", "mine__division__name") \
        .annotate(planned=Count("pk"), inspected=Count("pk", filter=arrived),
                  missed_count=Count("pk", filter=Q(missed__isnull=False))).order_by("mine__division__code")
    return [CountyCoverage(r["mine__division__name"], r["planned"], r["inspected"], r["missed_count"],
                           round(100 * r["inspected"] / r["planned"], 1) if r["planned"] else None) for r in rows]


def coverage_total(rows: Sequence[CountyCoverage]) -> CountyCoverage:
    """The counties' coverage added up (the home page's figure)."""
    planned, inspected = sum(r.planned for r in rows), sum(r.inspected for r in rows)
    return CountyCoverage(str(_("合计")), planned, inspected, sum(r.missed for r in rows),
                          round(100 * inspected / planned, 1) if planned else None)


@dataclass
class PlanRow:
    item: PlanItem
    inspected_in_month: bool


@dataclass
class PlanPage:
    plan: EnforcementPlan
    rows: list[PlanRow]
    frequencies: list[InspectionFrequency]
    coverage: list[CountyCoverage]
    month_over: bool  # the month has ended: nothing is added or removed any more


def plan_page(user: Any, pk: int, at: datetime) -> PlanPage:
    plan = get_visible_or_404(user, visible_plans(user), pk=pk)
    start, end = month_span(plan.year, plan.month)
    items = visible_plan_items(user).filter(plan=plan).select_related("mine__division", "added_by", "inspection",
                                                                       "missed")
    rows = [PlanRow(i, bool(getattr(i, "inspection", None) and i.inspection.on_site_start
                            and start <= i.inspection.on_site_start < end)) for i in items]
    return PlanPage(plan=plan, rows=rows, frequencies=inspection_frequencies(),
                    coverage=plan_coverage(user, plan.year, plan.month), month_over=end <= at)


def plan_candidates(user: Any, plan: EnforcementPlan) -> QuerySet[Mine]:
    """The mines that may be added to a plan: not closed, in the plan's organization's jurisdiction, not in it."""
    return visible(user, Mine).filter(division__path__startswith=plan.organization.division.path) \
        .exclude(status=MineStatus.CLOSED).exclude(plan_items__plan=plan).select_related("division") \
        .order_by("division__code", "name")


def get_visible_plan_item(user: Any, pk: int) -> PlanItem:
    return get_visible_or_404(user, visible_plan_items(user).select_related("mine", "plan"), pk=pk)
