"""Pages of enforcement inspections and their documents. Thin: parse, call queries/actions, render."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kuangan.core import clock
from kuangan.core.access import can, visible
from kuangan.core.choices import OrganizationKind, Perm
from kuangan.core.decorators import require_perm
from kuangan.core.errors import DomainError
from kuangan.core.excel import ledger_workbook, xlsx_response
from kuangan.core.filters import page_filter
from kuangan.core.http import AuthedRequest
from kuangan.core.paging import LateRowPaginator
from kuangan.hazards.queries import items_for_mine
from kuangan.monitoring import queries as monitoring_queries
from kuangan.registry.choices import SupervisionClass
from kuangan.registry.filters import MineFilter
from kuangan.registry.forms import division_choices_for
from kuangan.registry.models import LeadershipMember, Mine
from kuangan.registry.queries import get_visible_mine

from . import actions, pdf, queries
from .choices import CaseStatus, DocumentKind, InspectionMethod, InspectionSource, InspectionStatus, PartyKind
from .filters import CaseFilter, DocumentFilter, InspectionFilter
from .forms import (
    ACTION_FORMS,
    CASE_FORMS,
    CaseFileForm,
    GeneratePlanForm,
    OpenInspectionForm,
    OverrideClassForm,
    PlanItemForm,
    ReinspectForm,
    RemovePlanItemForm,
    ReviseForm,
    ScoreForm,
    alarm_label,
)
from .models import EnforcementDocument, Inspection
from .statistics import enforcement_statistics

PAGE_SIZE = 50


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 19 else None


def _add_error(form: forms.Form, e: DomainError) -> None:
    """The refusal beside the field it is about; a hidden or unknown field's above the form."""
    field = e.field if e.field in form.fields and not form.fields[e.field].widget.is_hidden else None
    form.add_error(field, e.message)


def _query(request: AuthedRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _now_input() -> str:
    return clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _is_regulator(user: Any) -> bool:
    return user.organization is not None and user.organization.kind == OrganizationKind.REGULATOR


# --- the inspection ledger and opening an inspection ------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def inspection_list(request: AuthedRequest) -> HttpResponse:
    filters = page_filter(InspectionFilter, request)
    page = LateRowPaginator(queries.inspection_ledger(request.user, filters), PAGE_SIZE) \
        .get_page(request.GET.get("page"))
    return render(request, "enforcement/inspection_list.html", {
        "page": page, "filters": filters, "query": _query(request),
        "choices": {"status": InspectionStatus.choices, "method": InspectionMethod.choices},
        "can_open": can(request.user, Perm.INSPECTION_CONDUCT),
    })


@require_perm(Perm.INSPECTION_CONDUCT)
def inspection_open(request: AuthedRequest) -> HttpResponse:
    """立项: from the ledger, a mine's dossier, a plan item (?plan_item=), an alarm (?alarm=) or a lead of illegal
    production (?lead=, for holders of LEAD_HANDLE: the lead is then closed as inspection_opened)."""
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    alarm = queries.alarm_for_inspection(user, _int(params.get("alarm")))
    lead = monitoring_queries.lead_for_inspection(user, _int(params.get("lead"))) \
        if can(user, Perm.LEAD_HANDLE) else None
    plan_item = queries.plan_item_for_inspection(user, _int(request.GET.get("plan_item")))
    people = queries.team_candidates(user)
    initial: dict[str, Any] = {"method": InspectionMethod.UNANNOUNCED, "planned_on": clock.today(),
                               "source": InspectionSource.LEAD}
    if people.filter(pk=user.pk).exists():
        initial |= {"leader": user.pk, "team": [user.pk]}
    if alarm is not None:
        initial |= {"mine": alarm.mine_id, "source": InspectionSource.ALARM, "alarm": alarm.pk}
    elif lead is not None:
        initial |= {"mine": lead.mine_id, "source": InspectionSource.LEAD, "lead": lead.pk,
                    "source_note": _("违法生产线索 #%(pk)d：%(kind)s，信号开始于 %(start)s") % {
                        "pk": lead.pk, "kind": lead.get_kind_display(),
                        "start": lead.start.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")}}
    elif plan_item is not None:
        initial |= {"mine": plan_item.mine_id, "source": InspectionSource.PLAN, "plan_item": plan_item.pk,
                    "method": plan_item.method}
    elif _int(request.GET.get("mine")):
        initial["mine"] = _int(request.GET.get("mine"))
    form = OpenInspectionForm(
        request.POST or None, initial=initial, people=people, plan_items=queries.open_plan_items(user),
        mines=visible(user, Mine).select_related("division").order_by("division__code", "name"))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        credentials = d["credential_of"]
        members = {u.pk: u for u in d["team"]}
        members.setdefault(d["leader"].pk, d["leader"])
        order = actions.InspectionOrder(
            mine_id=d["mine"].pk, method=d["method"], planned_on=d["planned_on"], leader_id=d["leader"].pk,
            team=[(pk, credentials.get(pk, "")) for pk in members], source=d["source"],
            plan_item_id=d["plan_item"].pk if d["plan_item"] else None,
            alarm_id=alarm.pk if alarm is not None else None, source_note=d["source_note"], notice=d["notice"],
            lead_id=lead.pk if lead is not None and d["source"] == InspectionSource.LEAD else None)
        try:
            inspection = actions.open_inspection(by=request.actor, order=order)
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("已立项。检查组成员已收到通知；到达现场前矿山看不到这次检查。"))
            return redirect(inspection)
    return render(request, "enforcement/inspection_open.html", {
        "form": form, "alarm": alarm, "alarm_label": alarm_label(alarm) if alarm is not None else "", "lead": lead})


# --- an inspection's page and its steps ---------------------------------------------------------------------


def _forms_data(user: Any, inspection: Inspection) -> dict[str, Any]:
    """The choices the step forms offer, for this inspection's mine."""
    return {
        "items": items_for_mine(inspection.mine, clock.today()),
        "faces": queries.mine_faces(user, inspection.mine),
        "benchmarks": queries.benchmarks(),
        "findings": queries.unordered_findings(inspection),
        "examinees": queries.examinees(inspection),
    }


def _form(name: str, data: Any, choices: dict[str, Any], initial: dict[str, Any] | None = None) -> forms.Form:
    form_class = ACTION_FORMS[name][0]
    kwargs: dict[str, Any] = {}
    if name == "record_finding":
        kwargs = {"items": choices["items"], "faces": choices["faces"], "benchmarks": choices["benchmarks"]}
    elif name == "order_measure":
        kwargs = {"faces": choices["faces"]}
    elif name == "issue_order":
        kwargs = {"findings": choices["findings"]}
    elif name == "record_exam":
        kwargs = {"examinees": choices["examinees"]}
    return form_class(data, initial=initial, **kwargs)


def _allowed_actions(user: Any, inspection: Inspection, team_ids: set[int], choices: dict[str, Any]) -> list[str]:
    """The steps to offer: what the status allows, to a team member (and, for signing, to the leader)."""
    if not can(user, Perm.INSPECTION_CONDUCT) or user.pk not in team_ids:
        return []
    leader = inspection.leader_id == user.pk and can(user, Perm.DOCUMENT_SIGN)
    unordered = bool(choices["findings"])
    status = inspection.status
    wanted: list[tuple[str, bool]] = []
    if status == InspectionStatus.PLANNED:
        wanted = [("arrive", True), ("cancel_inspection", leader)]
    elif status == InspectionStatus.ON_SITE:
        wanted = [("record_finding", True), ("order_measure", leader), ("issue_order", leader and unordered),
                  ("record_exam", bool(choices["examinees"])), ("refer", True), ("leave_site", leader)]
    elif status == InspectionStatus.FINDINGS_RECORDED:
        wanted = [("issue_order", leader and unordered), ("refer", True), ("close_inspection", leader)]
    return [name for name, ok in wanted if ok]


def _initial(name: str) -> dict[str, Any]:
    if name in ("arrive", "leave_site"):
        return {"at": _now_input()}
    return {}


@require_perm(Perm.MINE_VIEW)
def inspection_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _detail(request: AuthedRequest, pk: int, bound: dict[str, forms.Form] | None = None) -> HttpResponse:
    """The inspection's page; `bound` holds a submitted form with the reason it was refused."""
    user = request.user
    page = queries.inspection_page(user, pk, request.actor.at)
    inspection = page.inspection
    team_ids = {m.user_id for m in page.team}
    choices = _forms_data(user, inspection)
    allowed = _allowed_actions(user, inspection, team_ids, choices)
    bound = bound or {}
    names = allowed + [n for n in bound if n not in allowed]
    cards = [(name, ACTION_FORMS[name][1], ACTION_FORMS[name][2],
              bound.get(name) or _form(name, None, choices, _initial(name))) for name in names]
    return render(request, "enforcement/inspection_detail.html", {
        "p": page, "inspection": inspection, "cards": cards,
        "show_briefing": _is_regulator(user),
        "briefing": page.briefing, "on_team": user.pk in team_ids,
        "leader_note": user.pk in team_ids and inspection.leader_id != user.pk
        and inspection.status in (InspectionStatus.PLANNED, InspectionStatus.ON_SITE,
                                  InspectionStatus.FINDINGS_RECORDED),
        "pdf_reason": pdf.pdf_available() if _is_regulator(user) else None,
        # read live, never frozen into the briefing: the mine sees the inspection from arrival on
        "open_leads": monitoring_queries.open_leads(user, inspection.mine) if can(user, Perm.LEAD_VIEW) else None,
    })


def _run(name: str, inspection: Inspection, d: dict[str, Any], request: AuthedRequest) -> str:
    by, pk = request.actor, inspection.pk
    if name == "arrive":
        actions.arrive(pk, by=by, at=d["at"], place=d["place"], mine_representative=d["mine_representative"])
        return _("已到达现场，检查前研判已冻结。")
    if name == "record_finding":
        finding = actions.record_finding(pk, by=by, finding=actions.Finding(
            kind=d["kind"], description=d["description"], place=d["place"],
            standard_item_id=d["standard_item"].pk if d["standard_item"] else None,
            face_id=d["face"].pk if d["face"] else None,
            benchmark_id=d["benchmark"].pk if d["benchmark"] else None,
            legal_basis=d["legal_basis"], deadline=d["deadline"]))
        if finding.hazard_id:
            return _("已记录，并已登记为隐患 #%(pk)d（隐患台账）。") % {"pk": finding.hazard_id}
        return _("已记录。")
    if name == "order_measure":
        measure = actions.order_measure(pk, by=by, kind=d["kind"], reason=d["reason"], place=d["place"],
                                        face_id=d["face"].pk if d["face"] else None)
        number = measure.document.number if measure.document else ""
        return _("已作出现场处理措施决定（%(number)s）并送达。") % {"number": number}
    if name == "issue_order":
        document = actions.issue_order(pk, by=by, finding_ids=d["findings"], deadline=d["deadline"],
                                       reinspect_on=d["reinspect_on"])
        return _("已签发责令限期整改指令书 %(number)s 并送达。") % {"number": document.number}
    if name == "record_exam":
        exam = actions.record_exam(pk, by=by, member_id=d["member"].pk, score=d["score"])
        return _("已记录考核成绩：合格。") if exam.passed else _("已记录考核成绩：不合格。")
    if name == "refer":
        actions.refer(pk, by=by, department=d["department"], matter=d["matter"])
        return _("已移送。")
    if name == "leave_site":
        actions.leave_site(pk, by=by, at=d["at"], summary=d["summary"])
        return _("已离开现场，现场检查记录已签发并送达。")
    if name == "close_inspection":
        actions.close_inspection(pk, by=by, note=d["note"])
        return _("已结案。")
    if name == "cancel_inspection":
        actions.cancel_inspection(pk, by=by, reason=d["reason"])
        return _("检查已取消。")
    raise Http404


@require_perm(Perm.MINE_VIEW)
@require_POST
def inspection_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    if name not in ACTION_FORMS:
        raise Http404
    inspection = queries.get_visible_inspection(request.user, pk)
    form = _form(name, request.POST, _forms_data(request.user, inspection))
    if form.is_valid():
        try:
            message = _run(name, inspection, form.cleaned_data, request)
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, message)
            return redirect(inspection)
    return _detail(request, pk, bound={name: form})


# --- documents ------------------------------------------------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def document_list(request: AuthedRequest) -> HttpResponse:
    filters = page_filter(DocumentFilter, request)
    page = LateRowPaginator(queries.document_ledger(request.user, filters), PAGE_SIZE) \
        .get_page(request.GET.get("page"))
    return render(request, "enforcement/document_list.html", {
        "page": page, "filters": filters, "query": _query(request),
        "choices": {"kind": DocumentKind.choices},
    })


_NUMBERED = re.compile(r"（\d+）$")
_OTHER = "\u0000"


def field_labels(kind: str, keys: Any) -> dict[str, str]:
    """Each content key's label as the document shows it (pdf.content_text), found by marking the key's value."""
    labels = {}
    for key in keys:
        marker = f"{_OTHER}{key}{_OTHER}"
        for label, text in pdf.content_text(kind, {key: marker}):
            if marker in text:
                labels[key] = _NUMBERED.sub("", label)
                break
        else:
            labels[key] = _("其他内容")
    return labels


def _shown(value: Any) -> str:
    """A content value as text (a list's items joined, an item's parts joined)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return "；".join(_shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return "，".join(str(v) for v in value.values() if v not in (None, "")) or "—"
    return str(value)


def _document_context(request: AuthedRequest, pk: int, form: ReviseForm | None = None,
                      reinspect_form: ReinspectForm | None = None) -> dict[str, Any]:
    user = request.user
    page = queries.document_page(user, pk)
    document, current = page.document, page.current
    content = current.content if current is not None else {}
    labels = field_labels(document.kind, {*content, *(k for v in page.versions for k, _o, _n in v.changes)})
    versions = [(v, [(labels.get(k, _("其他内容")), _shown(old), _shown(new)) for k, old, new in v.changes])
                for v in page.versions]
    reason = pdf.pdf_available() if _is_regulator(user) else None
    may_sign = (current is not None and reason is None and can(user, Perm.DOCUMENT_SIGN)
                and queries.document_signer_id(document) == user.pk)
    if may_sign and form is None:
        form = ReviseForm(content=content, labels=labels)
    reinspect = may_sign and document.kind == DocumentKind.RECTIFICATION_ORDER and document.next_due_at is not None
    return {"p": page, "document": document, "current": current, "versions": versions,
            "rows": pdf.content_text(document.kind, content) if current is not None else [],
            "pdf_reason": reason, "form": form if may_sign else None,
            "reinspect_form": (reinspect_form or ReinspectForm()) if reinspect else reinspect_form}


@require_perm(Perm.MINE_VIEW)
def document_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return render(request, "enforcement/document_detail.html", _document_context(request, pk))


@require_perm(Perm.MINE_VIEW)
@require_POST
def document_revise(request: AuthedRequest, pk: int) -> HttpResponse:
    page = queries.document_page(request.user, pk)
    if page.current is None:
        raise Http404
    form = ReviseForm(request.POST, content=page.current.content,
                      labels=field_labels(page.document.kind, page.current.content))
    if form.is_valid():
        try:
            version = actions.revise_document(pk, by=request.actor, changes=form.changes(),
                                              reason=form.cleaned_data["reason"])
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("已签发第 %(n)d 版。") % {"n": version.n})
            return redirect(page.document)
    context = _document_context(request, pk, form)
    context["form"] = form  # the refusal is shown even to whom the form is no longer offered
    return render(request, "enforcement/document_detail.html", context)


@require_perm(Perm.MINE_VIEW)
@require_POST
def document_reinspect(request: AuthedRequest, pk: int) -> HttpResponse:
    """整改复查: the order's leader signs the re-inspection opinion."""
    page = queries.document_page(request.user, pk)
    form = ReinspectForm(request.POST)
    if form.is_valid():
        try:
            opinion = actions.reinspect(page.document.pk, by=request.actor, rectified=form.cleaned_data["rectified"],
                                        opinion=form.cleaned_data["opinion"])
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("整改复查意见书 %(number)s 已签发并送达。") % {"number": opinion.number})
            return redirect(opinion)
    return render(request, "enforcement/document_detail.html", _document_context(request, pk, reinspect_form=form))


def pdf_filename(document: EnforcementDocument, n: int) -> str:
    """责令限期整改指令书-中阳应急责改〔2024〕1号-第1版.pdf (no path separators from a user's number pattern)."""
    number = re.sub(r'[\\/:*?"<>|\s]+', "-", document.number).strip("-")
    return f"{pdf.DOCUMENT_KINDS.get(document.kind, document.kind)}-{number}-第{n}版.pdf"


@require_perm(Perm.MINE_VIEW)
def document_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    """A version's PDF as signed (?v=n; the current version without it), as a download."""
    n = _int(request.GET.get("v"))
    if n is None:
        if request.GET.get("v"):
            raise Http404
        n = queries.document_page(request.user, pk).document.current_version
    document, version = queries.document_pdf(request.user, pk, n)
    response = HttpResponse(bytes(version.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(pdf_filename(document, n))}"
    return response


# --- the mine dossier's tab -------------------------------------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def mine_inspections(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = get_visible_mine(request.user, pk)
    inspections, documents = queries.mine_inspections(request.user, mine)
    return render(request, "enforcement/mine_inspections.html", {
        "mine": mine, "tab": "enforcement", "inspections": inspections, "documents": documents,
        "can_open": can(request.user, Perm.INSPECTION_CONDUCT),
    })


# --- penalty cases ----------------------------------------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def case_list(request: AuthedRequest) -> HttpResponse:
    filters = page_filter(CaseFilter, request)
    page = LateRowPaginator(queries.case_ledger(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "enforcement/case_list.html", {
        "page": page, "filters": filters, "query": _query(request), "statuses": CaseStatus.choices,
        "can_file": can(request.user, Perm.PENALTY_CASE),
    })


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(value) if isinstance(value, str) and value.strip() and len(value) < 20 else None
    except ArithmeticError:
        return None


def _pick(qs: Any, value: Any) -> Any:
    """The row of `qs` whose id is `value` (a query parameter), or None."""
    pk = _int(value)
    return qs.filter(pk=pk).first() if pk is not None else None


def _case_file_form(request: AuthedRequest) -> tuple[CaseFileForm, dict[str, Any]]:
    """The filing form for a finding (?finding=) or a mine; its benchmark's circumstances and the mine's heads
    follow the values chosen so far (the page reloads the form when the benchmark, mine or gains change)."""
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    finding = queries.case_finding(user, _int(params.get("finding")))
    if params.get("finding") and finding is None:
        raise Http404
    mines = queries.case_mines(user)
    mine = finding.inspection.mine if finding is not None else _pick(mines, params.get("mine"))
    benchmarks = queries.benchmarks()
    benchmark = _pick(benchmarks, params.get("benchmark")) or (finding.benchmark if finding else None)
    heads = queries.principal_candidates(mine) if mine is not None else visible(user, LeadershipMember).none()
    circumstances = queries.circumstances(benchmark) if benchmark is not None else []
    initial: dict[str, Any] = {"finding": finding.pk if finding else None, "mine": mine, "benchmark": benchmark,
                               "member": heads.first() if mine is not None else None,
                               "facts": finding.description if finding else ""}
    if request.method != "POST":  # a reload keeps what was typed
        initial = {**initial, **{k: v for k, v in request.GET.items() if k in CaseFileForm.base_fields and k not in
                                 ("finding", "mine", "benchmark", "member") and v}}
        if "member" in request.GET:
            initial["member"] = _pick(heads, request.GET["member"])
    form = CaseFileForm(request.POST or None, initial=initial, mines=mines, benchmarks=benchmarks,
                        circumstances=circumstances, heads=heads)
    circumstance = params.get("circumstance", "")
    preview = None
    if benchmark is not None and circumstance in dict(circumstances):
        preview = queries.assess(benchmark, circumstance, _decimal(params.get("illegal_gains")))
    return form, {"finding": finding, "mine": mine, "benchmark": benchmark, "preview": preview,
                  "tiers": queries.tier_summaries(benchmark) if benchmark is not None else [],
                  "existing": queries.visible_cases(user).filter(finding=finding).first() if finding else None}


@require_perm(Perm.PENALTY_CASE)
def case_file(request: AuthedRequest) -> HttpResponse:
    """立案: from a violation found by an inspection (?finding=), or for a mine."""
    form, context = _case_file_form(request)
    if context["existing"] is not None:
        messages.info(request, _("该违法行为已经立案。"))
        return redirect(context["existing"])
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = actions.file_case(
                by=request.actor, finding_id=d["finding"], mine_id=None if d["finding"] else
                (d["mine"].pk if d["mine"] else None), benchmark_id=d["benchmark"].pk,
                circumstance=d["circumstance"], illegal_gains=d["illegal_gains"], facts=d["facts"],
                unit_fine=d["unit_fine"], person_fine=d["person_fine"], principal=actions.Principal(
                    member_id=d["member"].pk if d["member"] else None, name=d["name"], id_number=d["id_number"]))
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("已立案。送达行政处罚告知书后，矿山才能看到本案。"))
            return redirect(case)
    return render(request, "enforcement/case_file.html", {"form": form, **context},
                  status=400 if request.method == "POST" else 200)


def _case_steps(user: Any, page: queries.CasePage) -> list[str]:
    """The steps the case's status allows and the user may take."""
    case = page.case
    signer = user.pk == queries.case_signer_id(case)
    steps = []
    if case.status == CaseStatus.FILED and signer and can(user, Perm.PENALTY_CASE):
        steps.append("notify")
    if case.status == CaseStatus.NOTIFIED and case.approved_at is None and can(user, Perm.PENALTY_APPROVE) \
            and user.organization_id == case.organization_id:
        steps.append("approve")
    if case.status == CaseStatus.NOTIFIED and case.approved_at is not None and signer:
        steps.append("decide")
    if case.status == CaseStatus.DECIDED and page.total and can(user, Perm.PENALTY_CASE):
        steps.append("pay")
    if (case.status == CaseStatus.PAID or (case.status == CaseStatus.DECIDED and not page.total)) \
            and can(user, Perm.PENALTY_CASE):
        steps.append("close")
    return steps


def _case_initial(name: str, page: queries.CasePage) -> dict[str, Any]:
    if name == "pay":
        return {"amount": page.total, "paid_at": _now_input()}
    return {}


def _case_detail(request: AuthedRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    page = queries.case_page(request.user, pk)
    bound = bound or {}
    cards = [(name, CASE_FORMS[name][1], CASE_FORMS[name][2],
              bound.get(name) or CASE_FORMS[name][0](initial=_case_initial(name, page)))
             for name in _case_steps(request.user, page)]
    case = page.case
    return render(request, "enforcement/case_detail.html", {
        "p": page, "case": case, "cards": cards, "signer": queries.case_signer_name(case),
        "can_reveal": can(request.user, Perm.PERSONAL_DATA_VIEW),
        "can_score": can(request.user, Perm.INSPECTION_CONDUCT) and _is_regulator(request.user)
        and case.status != CaseStatus.FILED,
        "pdf_reason": pdf.pdf_available() if case.status in (CaseStatus.FILED, CaseStatus.NOTIFIED) else None,
        "tiers": queries.tier_summaries(case.benchmark),
        "notice_open": page.notice_ends_at is not None and clock.now() < page.notice_ends_at,
    }, status=400 if bound else 200)


@require_perm(Perm.MINE_VIEW)
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _case_detail(request, pk)


@require_perm(Perm.MINE_VIEW)
@require_POST
def case_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    if name not in CASE_FORMS:
        raise Http404
    case = queries.get_visible_case(request.user, pk)
    form = CASE_FORMS[name][0](request.POST)
    if form.is_valid():
        d, by = form.cleaned_data, request.actor
        try:
            if name == "notify":
                actions.notify_case(case.pk, by=by)
                done = _("行政处罚告知书已签发并送达。")
            elif name == "approve":
                actions.approve_case(case.pk, by=by, note=d["note"])
                done = _("已审批。")
            elif name == "decide":
                actions.decide_case(case.pk, by=by, payment_account=d["payment_account"])
                done = _("行政处罚决定书已签发并送达。")
            elif name == "pay":
                actions.record_payment(case.pk, by=by, amount=d["amount"], paid_at=d["paid_at"])
                done = _("已登记缴款。")
            else:
                actions.close_case(case.pk, by=by, note=d["note"])
                done = _("已结案。")
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, done)
            return redirect(case)
    return _case_detail(request, pk, {name: form})


@require_perm(Perm.MINE_VIEW)
@require_POST
def case_reveal(request: AuthedRequest, pk: int) -> HttpResponse:
    """查看: the principal's full ID number, recorded (R10.8)."""
    queries.get_visible_case(request.user, pk)
    party = actions.reveal_party_id(pk, by=request.actor, kind=PartyKind.PRINCIPAL)
    return render(request, "enforcement/_case_party.html", {"party": party, "revealed": True})


# --- mine-head scoring ------------------------------------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def score_list(request: AuthedRequest) -> HttpResponse:
    this_year = clock.today().year
    year = _int(request.GET.get("year")) or this_year
    if not 2000 <= year <= this_year + 1:
        year = this_year
    return render(request, "enforcement/score_list.html", {
        "year": year, "years": list(range(this_year, this_year - 5, -1)),
        "board": queries.score_board(request.user, year),
        "threshold": settings.ENFORCEMENT_SCORE_THRESHOLD, "deductions": queries.score_deductions(),
    })


@require_perm(Perm.INSPECTION_CONDUCT)
def score_new(request: AuthedRequest) -> HttpResponse:
    """记分: for a finding (?finding=) or a penalty case (?case=)."""
    params = request.POST if request.method == "POST" else request.GET
    finding_id, case_id = _int(params.get("finding")), _int(params.get("case"))
    if finding_id is not None:
        case_id = None
    target = queries.score_target(request.user, finding_id, case_id)
    if target is None:
        raise Http404
    mine, item = target
    heads = queries.principal_candidates(mine)
    form = ScoreForm(request.POST or None, initial={"member": heads.first()}, deductions=queries.score_deductions(),
                     heads=heads)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.score_mine_head(
                by=request.actor, deduction_id=d["deduction"].pk, finding_id=finding_id, case_id=case_id, member_id=d["member"].pk if d["member"] else None, name=d["name"],
                id_number=d["id_number"])
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("已记分。"))
            return redirect("enforcement:score_list")
    return render(request, "enforcement/score_new.html", {
        "form": form, "mine": mine, "item": item, "is_case": case_id is not None, "finding_id": finding_id,
        "case_id": case_id, "threshold": settings.ENFORCEMENT_SCORE_THRESHOLD,
    }, status=400 if request.method == "POST" else 200)


# --- supervision classes ----------------------------------------------------------------------------------


@require_perm(Perm.ENFORCEMENT_STATS_VIEW)
def class_list(request: AuthedRequest) -> HttpResponse:
    """R3.1: the visible mines with their class and today's computed score, counts per class (regulators)."""
    filters = page_filter(MineFilter, request)
    page = Paginator(queries.class_ledger(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    outcomes = queries.class_outcomes(list(page), request.actor.at)
    return render(request, "enforcement/class_list.html", {
        "page": page, "rows": [(m, outcomes[m.pk]) for m in page], "filters": filters, "query": _query(request),
        "counts": queries.class_counts(request.user, filters), "divisions": division_choices_for(request.user),
        "classes": SupervisionClass.choices,
    })


def _class_detail(request: AuthedRequest, pk: int, form: OverrideClassForm | None = None,
                  status: int = 200) -> HttpResponse:
    page = queries.class_page(request.user, pk, request.actor.at)
    can_override = can(request.user, Perm.CLASS_OVERRIDE) and page.mine.status != "closed"
    if can_override and form is None:
        form = OverrideClassForm(initial={"to_class": page.mine.supervision_class})
    return render(request, "enforcement/class_detail.html", {
        "p": page, "mine": page.mine, "form": form if can_override else None,
        "screen_months": settings.ENFORCEMENT_SCREEN_MONTHS,
    }, status=status)


@require_perm(Perm.MINE_VIEW)
def class_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A mine's class: whoever may see the mine (its own users read-only, like its dossier); 404 otherwise."""
    return _class_detail(request, pk)


@require_perm(Perm.CLASS_OVERRIDE)
@require_POST
def class_override(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = get_visible_mine(request.user, pk)
    form = OverrideClassForm(request.POST)
    if form.is_valid():
        try:
            actions.override_class(mine.pk, by=request.actor, to_class=form.cleaned_data["to_class"],
                                   reason=form.cleaned_data["reason"])
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("已调整为 %(k)s 类。") % {"k": form.cleaned_data["to_class"]})
            return redirect("enforcement:class_detail", mine.pk)
    return _class_detail(request, mine.pk, form)


# --- plans ------------------------------------------------------------------------------------------------


def _month_param(value: Any, default: tuple[int, int]) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if m is None or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        return default
    return int(m.group(1)), int(m.group(2))


def _plan_list(request: AuthedRequest, form: GeneratePlanForm | None = None) -> HttpResponse:
    today = clock.today()
    year, month = _month_param(request.GET.get("month"), (today.year, today.month))
    can_edit = can(request.user, Perm.PLAN_EDIT) and _is_regulator(request.user)
    if can_edit and form is None:
        form = GeneratePlanForm(initial={"month": f"{today.year + today.month // 12:04d}-{today.month % 12 + 1:02d}"})
    page = Paginator(queries.plan_ledger(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "enforcement/plan_list.html", {
        "page": page, "form": form if can_edit else None, "coverage": queries.plan_coverage(request.user, year, month),
        "coverage_month": f"{year:04d}-{month:02d}", "frequencies": queries.inspection_frequencies(),
    })


@require_perm(Perm.ENFORCEMENT_STATS_VIEW)
def plan_list(request: AuthedRequest) -> HttpResponse:
    """R3.2: the plans of the user's organization and those below it, by month; the generate form."""
    return _plan_list(request)


@require_perm(Perm.PLAN_EDIT)
@require_POST
def plan_generate(request: AuthedRequest) -> HttpResponse:
    form = GeneratePlanForm(request.POST)
    if form.is_valid():
        year, month = form.cleaned_data["month"]
        try:
            plan = actions.generate_plan(by=request.actor, year=year, month=month, method=form.cleaned_data["method"],
                                         note=form.cleaned_data["note"])
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("已编制 %(y)d年%(m)d月执法计划，列入 %(n)d 家矿山。") % {
                "y": year, "m": month, "n": plan.items.count()})
            return redirect(plan)
    return _plan_list(request, form)


def _plan_detail(request: AuthedRequest, pk: int, add_form: PlanItemForm | None = None,
                 remove_errors: dict[int, str] | None = None) -> HttpResponse:
    page = queries.plan_page(request.user, pk, request.actor.at)
    user = request.user
    can_edit = (can(user, Perm.PLAN_EDIT) and not page.month_over
                and user.organization_id == page.plan.organization_id)
    if can_edit and add_form is None:
        add_form = PlanItemForm(mines=queries.plan_candidates(user, page.plan))
    return render(request, "enforcement/plan_detail.html", {
        "p": page, "plan": page.plan, "add_form": add_form if can_edit else None, "can_edit": can_edit,
        "can_open": can(user, Perm.INSPECTION_CONDUCT) and not page.month_over,
        "remove_form": RemovePlanItemForm(), "remove_errors": remove_errors or {},
    })


@require_perm(Perm.ENFORCEMENT_STATS_VIEW)
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _plan_detail(request, pk)


@require_perm(Perm.PLAN_EDIT)
@require_POST
def plan_item_add(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = queries.plan_page(request.user, pk, request.actor.at).plan
    form = PlanItemForm(request.POST, mines=queries.plan_candidates(request.user, plan))
    if form.is_valid():
        try:
            item = actions.add_plan_item(plan.pk, by=request.actor, mine_id=form.cleaned_data["mine"].pk,
                                         method=form.cleaned_data["method"], reason=form.cleaned_data["reason"])
        except DomainError as e:
            _add_error(form, e)
        else:
            messages.success(request, _("已将 %(mine)s 列入计划。") % {"mine": item.mine.name})
            return redirect(plan)
    return _plan_detail(request, plan.pk, add_form=form)


@require_perm(Perm.PLAN_EDIT)
@require_POST
def plan_item_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    item = queries.get_visible_plan_item(request.user, pk)
    form = RemovePlanItemForm(request.POST)
    if not form.is_valid():
        return _plan_detail(request, item.plan_id, remove_errors={item.pk: _("请写明移出理由。")})
    try:
        actions.remove_plan_item(item.pk, by=request.actor, reason=form.cleaned_data["reason"])
    except DomainError as e:
        return _plan_detail(request, item.plan_id, remove_errors={item.pk: e.message})
    messages.success(request, _("已将 %(mine)s 移出计划。") % {"mine": item.mine.name})
    return redirect("enforcement:plan_detail", item.plan_id)


# --- statistics -----------------------------------------------------------------------------------------------


def _period(request: AuthedRequest) -> tuple[date, date, list[str]]:
    """The period asked for (Beijing dates, both included); this year so far when none or a bad one is given."""
    today = clock.today()
    since, until, errors = date(today.year, 1, 1), today, []
    for name, label in (("since", _("起始日期")), ("until", _("截止日期"))):
        raw = (request.GET.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = date.fromisoformat(raw)
            if not 2000 <= value.year <= 2100:
                raise ValueError(raw)
        except ValueError:
            errors.append(_("%(field)s应写成 2024-06-30 这样的日期。") % {"field": label})
            continue
        if name == "since":
            since = value
        else:
            until = value
    if until < since:
        errors.append(_("截止日期不能早于起始日期。"))
        since, until = date(today.year, 1, 1), today
    return since, until, errors


STAT_COLUMNS = [
    (gettext_lazy("检查次数"), "inspections"), (gettext_lazy("现场时长（小时）"), "hours"),
    (gettext_lazy("查出重大隐患"), "major_hazards"), (gettext_lazy("行政处罚（件）"), "penalties"),
    (gettext_lazy("罚款（元）"), "fines"), (gettext_lazy("每百小时重大隐患"), "majors_per_100h"),
    (gettext_lazy("每百小时处罚"), "penalties_per_100h"), (gettext_lazy("查出重大隐患未处罚（次）"), "soft"),
]


@require_perm(Perm.ENFORCEMENT_STATS_VIEW)
def statistics_page(request: AuthedRequest) -> HttpResponse:
    since, until, errors = _period(request)
    stats = enforcement_statistics(request.user, since, until + timedelta(days=1))
    charts = {"county": [[r.label, r.inspections, r.hours, r.major_hazards, r.penalties] for r in stats.counties]}
    return render(request, "enforcement/statistics.html", {
        "stats": stats, "since": since, "until": until, "errors": errors, "columns": STAT_COLUMNS, "charts": charts,
        "coverage": queries.plan_coverage(request.user, clock.today().year, clock.today().month),
        "lookback_months": settings.ENFORCEMENT_LOOKBACK_MONTHS,
    })


@require_perm(Perm.ENFORCEMENT_STATS_VIEW)
def statistics_export(request: AuthedRequest) -> HttpResponseBase:
    since, until, _errors = _period(request)
    stats = enforcement_statistics(request.user, since, until + timedelta(days=1))
    now = clock.now().astimezone(clock.SHANGHAI)
    org = request.user.organization

    def rows() -> Any:
        for group, items in ((_("县（区）"), [*stats.counties, stats.total]), (_("执法人员"), stats.inspectors)):
            for r in items:
                yield [group, r.label, *[getattr(r, key) if getattr(r, key) is not None else "—"
                                         for _label, key in STAT_COLUMNS], "、".join(r.flags)]

    data = ledger_workbook(
        sheet="执法统计", title=f"{org.name if org else ''}监管执法统计（{since:%Y-%m-%d}至{until:%Y-%m-%d}）",
        subtitle=f"导出人：{request.user.display_name}　导出时间：{now:%Y-%m-%d %H:%M}",
        headers=[("类别", 10), ("名称", 18), *[(str(label), 12) for label, _key in STAT_COLUMNS], ("提示", 30)],
        rows=rows())
    return xlsx_response(data, f"执法统计-{since:%Y%m%d}-{until:%Y%m%d}.xlsx", by=request.actor,
                         description=_("导出监管执法统计"))
