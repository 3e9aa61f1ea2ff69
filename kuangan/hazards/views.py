"""Pages of the hazard loop. Thin: parse, call queries/actions, render."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuangan.core import clock
from kuangan.core.access import can, get_visible_or_404, visible
from kuangan.core.choices import OrganizationKind, Perm, Role
from kuangan.core.decorators import require_perm
from kuangan.core.errors import DomainError
from kuangan.core.excel import ledger_file, xlsx_response
from kuangan.core.filters import page_filter, parse_filter
from kuangan.core.http import AuthedRequest
from kuangan.core.paging import LateRowPaginator
from kuangan.registry.models import Mine, WorkingFace
from kuangan.registry.queries import get_visible_mine

from . import actions, queries, rules
from .choices import HazardLevel, HazardSource, HazardStatus
from .filters import HazardFilter
from .forms import (
    ACTION_FORMS,
    DecisionForm,
    HazardReportForm,
    MonthlyReportForm,
)
from .tables import HAZARD_COLUMNS, row_context

EXPORT_CHUNK = 2000  # rows fetched per round trip by the streamed export


def _report_form(request: AuthedRequest) -> HazardReportForm:
    mines = visible(request.user, Mine).select_related("division").order_by("division__code", "name")
    faces = visible(request.user, WorkingFace).select_related("mine")
    initial: dict[str, Any] = {"found_at": clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
               "found_by": request.user.display_name}
    if request.GET.get("mine", "").isdigit():
        initial["mine"] = int(request.GET["mine"])
    return HazardReportForm(request.POST or None, request.FILES or None, initial=initial, mines=mines,
                            items=queries.items_for_mine(None, clock.today()), faces=faces)


@require_perm(Perm.MINE_VIEW)
def hazard_list(request: AuthedRequest) -> HttpResponse:
    filters = page_filter(HazardFilter, request)
    today = clock.today()
    page = LateRowPaginator(queries.visible_hazards(request.user, filters, today), 50).get_page(request.GET.get("page"))
    row = row_context(today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "hazards/hazard_list.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "today": today,
        "columns": [c for c in HAZARD_COLUMNS if c.on_page],
        "rows": [(h, [c.get(h, row) for c in HAZARD_COLUMNS if c.on_page]) for h in page],
        "mines": visible(request.user, Mine).order_by("name"),
        "choices": {"level": HazardLevel.choices, "source": HazardSource.choices, "status": HazardStatus.choices},
        "categories": queries.standards(),
        "can_report": can(request.user, Perm.HAZARD_REPORT),
    })


@require_perm(Perm.MINE_VIEW)
def hazard_export(request: AuthedRequest) -> HttpResponseBase:
    filters, _bad = parse_filter(HazardFilter, request.GET)
    today = clock.today()
    now = clock.now().astimezone(clock.SHANGHAI)
    org = request.user.organization
    hazards = queries.export_hazards(request.user, filters, today, chunk_size=EXPORT_CHUNK)
    row = row_context(today)
    data = ledger_file(  # streamed: write-only workbook, rows fetched in chunks (R2.11)
        sheet="隐患台账", title=f"{org.name if org else ''}隐患排查治理台账",
        subtitle=f"导出人：{request.user.display_name}　导出时间：{now:%Y-%m-%d %H:%M}",
        headers=[("序号", 6), *[(c.label, c.width) for c in HAZARD_COLUMNS]],
        rows=([i, *[c.get(h, row) for c in HAZARD_COLUMNS]]
              for i, h in enumerate(hazards, start=1)))
    return xlsx_response(data, f"隐患台账-{now:%Y%m%d}.xlsx", by=request.actor, description=_("导出隐患台账"))


@require_perm(Perm.HAZARD_REPORT)
def hazard_report(request: AuthedRequest) -> HttpResponse:
    form = _report_form(request)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        report = actions.HazardReport(
            level=d["level"], source=d["source"], description=d["description"], found_at=d["found_at"],
            found_by=d["found_by"], standard_item_id=d["standard_item"].pk if d["standard_item"] else None,
            face_id=d["face"].pk if d["face"] else None, place=d["place"])
        try:
            hazard = actions.report_hazard(d["mine"].pk, by=request.actor, report=report, photos=d["photos"])
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("隐患已登记。"))
            return redirect(hazard)
    return render(request, "hazards/hazard_report.html", {"form": form})


def _allowed_actions(user: Any, hazard: Any) -> list[str]:
    """The forms to show on a hazard's page: what its status allows and the user's role may do."""
    regulator = user.organization is not None and user.organization.kind == OrganizationKind.REGULATOR
    status, major, closed = hazard.status, hazard.is_major, hazard.status == HazardStatus.CLOSED
    wanted = []
    if rules.next_status(status, "start_rectification"):
        wanted.append("start_rectification")
    if rules.next_status(status, "request_close_out"):
        wanted.append("request_close_out")
    if rules.next_status(status, "verify_close_out") and rules.may_verify(level=hazard.level,
                                                                          verifier_is_regulator=regulator):
        wanted.append("verify_close_out")
    if major and not closed and not hazard.supervised:
        wanted.append("list_for_supervision")
    if major and not closed and not hazard.stopped_production and hazard.mine.status == "producing":
        wanted.append("order_stop_production")
    wanted += ["record_root_cause", "add_attachments"]
    perms = {name: perm for name, (_form, perm) in ACTION_FORMS.items()}
    rectify_or_supervise = Perm.HAZARD_SUPERVISE if regulator else Perm.HAZARD_RECTIFY
    return [a for a in wanted if can(user, perms[a] if perms[a] != Perm.MINE_VIEW else rectify_or_supervise)]


@require_perm(Perm.MINE_VIEW)
def hazard_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _detail(request: AuthedRequest, pk: int, forms: dict[str, Any] | None = None) -> HttpResponse:
    """The hazard's page; `forms` holds a submitted form with its errors (answered with 400)."""
    page = queries.hazard_page(request.user, pk)
    hazard = page.hazard
    allowed = _allowed_actions(request.user, hazard)
    bound = forms or {}
    action_forms = [(name, bound.get(name) or ACTION_FORMS[name][0](initial=_initial(name, hazard)))
                    for name in allowed]
    inv_form = None
    if page.investigation is not None and can(request.user, Perm.HAZARD_SUPERVISE) \
            and page.investigation.status == "open":
        inv_form = bound.get("update_investigation") or ACTION_FORMS["update_investigation"][0](initial={
            "cause": page.investigation.cause, "responsibility": page.investigation.responsibility,
            "accountability_proposal": page.investigation.accountability_proposal})
    return render(request, "hazards/hazard_detail.html", {
        "p": page, "hazard": hazard, "action_forms": action_forms, "inv_form": inv_form,
        "overdue": hazard.is_overdue_on(clock.today()),
    }, status=400 if forms else 200)


def _initial(name: str, hazard: Any) -> dict[str, Any]:
    if name == "start_rectification":
        return {"deadline": hazard.deadline, "responsible_person": hazard.responsible_person}
    if name == "record_root_cause":
        return {"cause_analysis": hazard.cause_analysis, "prevention_measures": hazard.prevention_measures,
                "finder_reward": hazard.finder_reward, "cause_penalty": hazard.cause_penalty}
    return {}


def _run(name: str, hazard: Any, d: dict[str, Any], request: AuthedRequest) -> str:
    by = request.actor
    if name == "start_rectification":
        actions.start_rectification(hazard.pk, by=by, plan=rules.FiveImplementations(
            responsible_person=d["responsible_person"], measures=d["measures"], funds=d["funds"],
            deadline=d["deadline"], contingency_plan=d["contingency_plan"]))
        return _("已落实“五落实”，进入整改。")
    if name == "request_close_out":
        actions.request_close_out(hazard.pk, by=by, evaluation_by=d["evaluation_by"], evaluation=d["evaluation"],
                                  resume_evaluation=d["resume_evaluation"], documents=d["documents"])
        return _("已申请销号，等待验收。")
    if name == "verify_close_out":
        actions.verify_close_out(hazard.pk, by=by, approve=d["approve"], opinion=d["opinion"])
        return _("已验收销号。") if d["approve"] else _("已退回整改。")
    if name == "list_for_supervision":
        actions.list_for_supervision(hazard.pk, by=by, reason=d["reason"])
        return _("已挂牌督办。")
    if name == "order_stop_production":
        actions.order_stop_production(hazard.pk, by=by, reason=d["reason"], document_number=d["document_number"])
        return _("已责令停产，矿山状态已变更。")
    if name == "record_root_cause":
        actions.record_root_cause(hazard.pk, by=by, **d)
        return _("已保存。")
    if name == "add_attachments":
        actions.add_attachments(hazard.pk, by=by, kind=d["kind"], files=d["documents"])
        return _("附件已上传。")
    if name == "update_investigation":
        assert hazard.investigation is not None
        actions.update_investigation(hazard.investigation.pk, by=by, **d)
        return _("调查记录已保存。")
    raise Http404


@require_perm(Perm.MINE_VIEW)
@require_POST
def hazard_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    if name not in ACTION_FORMS:
        raise Http404
    hazard = queries.get_visible_hazard(request.user, pk)
    form = ACTION_FORMS[name][0](request.POST, request.FILES)
    if form.is_valid():
        try:
            message = _run(name, hazard, form.cleaned_data, request)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, message)
            return redirect(hazard)
    return _detail(request, pk, forms={name: form})


@require_perm(Perm.MINE_VIEW)
def attachment_download(request: AuthedRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    att = queries.get_visible_attachment(request.user, pk, attachment_pk)
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


def _month_param(value: str | None, today: date) -> date:
    try:
        return date.fromisoformat(f"{value}-01") if value else rules.month_start(today)
    except ValueError:
        return rules.month_start(today)


@require_perm(Perm.MINE_VIEW)
def monthly_reports(request: AuthedRequest) -> HttpResponse:
    today = clock.today()
    month = _month_param(request.GET.get("month"), today)
    if "month" not in request.GET:  # by default the month whose report is due now: the previous one
        month = rules.month_start(month - timedelta(days=1))
    form = None
    if request.user.role == Role.MINE_HEAD and can(request.user, Perm.MONTHLY_REPORT_SIGN):
        form = MonthlyReportForm(request.POST or None, initial={"month": month, "is_zero": "1"})
        if request.method == "POST" and form.is_valid():
            mine = visible(request.user, Mine).first()
            try:
                if mine is None:
                    raise DomainError(_("您的账户没有关联矿山。"))
                actions.submit_monthly_report(mine.pk, by=request.actor, **form.cleaned_data)
            except DomainError as e:
                form.add_error(e.field if e.field in form.fields else None, e.message)
            else:
                messages.success(request, _("月度报告已签字报送。"))
                return redirect(f"{request.path}?month={form.cleaned_data['month']:%Y-%m}")
    return render(request, "hazards/monthly_reports.html", {
        "month": month, "rows": queries.monthly_overview(request.user, month), "form": form,
        "missing": queries.missing_reports(request.user)[:100],
        "due_day": rules.report_due_on(month, settings.HAZARD_REPORT_DUE_DAY), "sign_from": rules.next_month(month),
    })


@require_perm(Perm.HAZARD_SUPERVISE)
def closure_proposals(request: AuthedRequest) -> HttpResponse:
    return render(request, "hazards/closure_proposals.html", {
        "proposals": queries.visible_proposals(request.user), "form": DecisionForm(),
        "repeats": settings.HAZARD_REPEATS_FOR_CLOSURE})


@require_perm(Perm.HAZARD_SUPERVISE)
@require_POST
def closure_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    get_visible_or_404(request.user, queries.visible_proposals(request.user), pk=pk)  # before the form: no id probing
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.decide_closure_proposal(pk, by=request.actor, **form.cleaned_data)
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("已作出决定。"))
    else:
        messages.error(request, _("请填写决定意见。"))
    return redirect("hazards:closure_proposals")


@require_perm(Perm.MINE_VIEW)
def analysis(request: AuthedRequest) -> HttpResponse:
    filters = page_filter(HazardFilter, request)
    today = clock.today()
    charts = queries.hazard_statistics(request.user, filters, today)
    return render(request, "hazards/analysis.html", {
        "filters": filters, "charts": {k: [[a, n] for a, n in v] for k, v in charts.items()}, "targets": queries.stock_targets(request.user, today), "today": today,
        "choices": {"level": HazardLevel.choices, "source": HazardSource.choices},
    })


@require_perm(Perm.MINE_VIEW)
def standard_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "hazards/standard_list.html", {"standards": queries.standards()})


@require_perm(Perm.MINE_VIEW)
def mine_hazards(request: AuthedRequest, pk: int) -> HttpResponse:
    """The dossier's hazard tab: the mine's hazards, repeats, closure proposals and monthly reports."""
    mine = get_visible_mine(request.user, pk)
    today = clock.today()
    hazards = queries.visible_hazards(request.user).filter(mine=mine)
    return render(request, "hazards/mine_hazards.html", {
        "mine": mine, "tab": "hazards", "summary": queries.mine_hazard_summary(request.user, mine),
        "rows": [(h, h.is_overdue_on(today)) for h in hazards[:200]],
        "reports": queries.mine_reports(request.user, mine)[:12],
        "can_report": can(request.user, Perm.HAZARD_REPORT),
    })
