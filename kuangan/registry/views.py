"""Pages of the mine dossier. Thin: parse, call queries/actions, render."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kuangan.core import audit, clock
from kuangan.core.access import can, visible
from kuangan.core.choices import OrganizationKind, Perm
from kuangan.core.decorators import require_perm
from kuangan.core.errors import DomainError
from kuangan.core.excel import xlsx_response
from kuangan.core.filters import page_filter, parse_filter
from kuangan.core.http import AuthedRequest

from . import actions, excel, queries
from .choices import (
    GasClass,
    MineChangeProposalStatus,
    MineChangeProposalTarget,
    MineKind,
    MineStatus,
    StandardizationGrade,
    SupervisionClass,
)
from .filters import MineFilter
from .forms import (
    EnterpriseForm,
    LeadershipMemberForm,
    LicenceForm,
    MineFactsProposalForm,
    MineForm,
    MineStatusForm,
    MineSupervisorForm,
    MiningLevelForm,
    ProductionReturnForm,
    ProposalDecisionForm,
    ProposalReasonForm,
    WorkingFaceForm,
    division_choices_for,
)
from .models import Enterprise
from .rules import REGULATED_RECORDS
from .tables import PAGE_COLUMNS

RECORD_FORMS = {
    "licence": (LicenceForm, gettext_lazy("证照")),
    "leadership": (LeadershipMemberForm, gettext_lazy("领导班子成员")),
    "level": (MiningLevelForm, gettext_lazy("开采水平")),
    "face": (WorkingFaceForm, gettext_lazy("采掘工作面")),
    "supervisor": (MineSupervisorForm, gettext_lazy("监管专员与包保责任人")),
}
RECORD_TABS = {"licence": "licences", "leadership": "leadership", "level": "workings", "face": "workings",
               "supervisor": "supervisors"}


def _is_regulator(user: Any) -> bool:
    return user.organization is not None and user.organization.kind == OrganizationKind.REGULATOR


@require_perm(Perm.MINE_VIEW)
def mine_list(request: AuthedRequest) -> HttpResponse:
    filters = page_filter(MineFilter, request)
    page = Paginator(queries.ledger_mines(request.user, filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(request, "registry/mine_list.html", {
        "page": page, "filters": filters, "columns": PAGE_COLUMNS, "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "divisions": division_choices_for(request.user) if _is_regulator(request.user) else [],
        "enterprises": queries.visible_enterprises(request.user),
        "can_create": can(request.user, Perm.MINE_CREATE),
        "can_import": can(request.user, Perm.MINE_IMPORT),
        "choices": {"kind": MineKind.choices, "status": MineStatus.choices, "gas_class": GasClass.choices,
                    "standardization_grade": StandardizationGrade.choices,
                    "supervision_class": SupervisionClass.choices},
    })


@require_perm(Perm.MINE_VIEW)
def mine_export(request: AuthedRequest) -> HttpResponse:
    filters, _bad = parse_filter(MineFilter, request.GET)
    now = clock.now().astimezone(clock.SHANGHAI)
    org = request.user.organization
    data = excel.export_mines(queries.ledger_mines(request.user, filters),
                              title=f"{org.name if org else ''}矿山台账",
                              subtitle=f"导出人：{request.user.display_name}　导出时间：{now:%Y-%m-%d %H:%M}")
    return xlsx_response(data, f"矿山台账-{now:%Y%m%d}.xlsx", by=request.actor, description=_("导出矿山台账"))


@require_perm(Perm.MINE_VIEW)
def mine_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = queries.mine_dossier(request.user, pk, clock.today())
    tab = request.GET.get("tab", "basic")
    user = request.user
    return render(request, "registry/mine_detail.html", {
        "d": dossier, "mine": dossier.mine, "tab": tab,
        "can_edit": can(user, Perm.MINE_EDIT), "can_status": can(user, Perm.MINE_STATUS_CHANGE),
        "can_supervise": can(user, Perm.SUPERVISION_EDIT),
        "can_reveal": can(user, Perm.PERSONAL_DATA_VIEW),
        # regulated facts (licences, faces, gas class …): a regulator edits them, a mine proposes
        "can_edit_regulated": can(user, Perm.MINE_EDIT) and _is_regulator(user),
        "can_propose": can(user, Perm.MINE_EDIT) and not _is_regulator(user),
        "status_form": MineStatusForm(initial={"effective_on": clock.today()}),
    })


def _mine_form(request: AuthedRequest, instance: Any = None) -> MineForm:
    user = request.user
    return MineForm(request.POST or None, instance=instance, divisions=division_choices_for(user),
                    enterprises=visible(user, Enterprise), regulator=_is_regulator(user),
                    creating=instance is None)


@require_perm(Perm.MINE_CREATE)
def mine_create(request: AuthedRequest) -> HttpResponse:
    form = _mine_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            mine = actions.create_mine(by=request.actor, data=form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field, e.message)
        else:
            messages.success(request, _("已建档：%(name)s") % {"name": mine.name})
            return redirect(mine)
    return render(request, "registry/mine_form.html", {"form": form, "mine": None})


@require_perm(Perm.MINE_EDIT)
def mine_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = queries.get_visible_mine(request.user, pk)
    form = _mine_form(request, instance=mine)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            actions.update_mine(pk, by=request.actor, data=data)
        except DomainError as e:
            form.add_error(e.field, e.message)
        else:
            messages.success(request, _("矿山档案已保存。"))
            return redirect(mine)
    return render(request, "registry/mine_form.html", {"form": form, "mine": mine})


@require_perm(Perm.MINE_STATUS_CHANGE)
def mine_status(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = queries.get_visible_mine(request.user, pk)
    form = MineStatusForm(request.POST or None, initial={"effective_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_mine_status(pk, by=request.actor, **form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("状态已变更。"))
            return redirect(f"{mine.get_absolute_url()}?tab=status")
    return render(request, "registry/mine_status.html", {"form": form, "mine": mine})


def _record_form(kind: str, request: AuthedRequest, mine: Any, instance: Any = None) -> Any:
    form_class, _label = RECORD_FORMS[kind]
    kwargs: dict[str, Any] = {"instance": instance}
    if kind == "face":
        kwargs["mine"] = mine
    return form_class(request.POST or None, **kwargs)


@login_required
def mine_record_edit(request: AuthedRequest, pk: int, kind: str, record_id: int | None = None) -> HttpResponse:
    if kind not in RECORD_FORMS:
        raise Http404
    model, perm = actions.MINE_RECORDS[kind]
    if not can(request.user, perm):
        raise PermissionDenied(perm)
    mine = queries.get_visible_mine(request.user, pk)
    instance = None
    if record_id is not None:
        instance = visible(request.user, model).filter(mine=mine, pk=record_id).first()
        if instance is None:
            raise Http404
    if kind in REGULATED_RECORDS and not _is_regulator(request.user) and request.method != "POST":
        # a mine proposes its licences and faces; a POST still reaches the action, which refuses it
        args = [mine.pk, kind] + ([record_id] if record_id is not None else [])
        return redirect("registry:proposal_record_edit" if record_id else "registry:proposal_record_create", *args)
    form = _record_form(kind, request, mine, instance)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_mine_record(kind, mine.pk, by=request.actor, data=form.cleaned_data, record_id=record_id)
        except DomainError as e:
            form.add_error(e.field, e.message)
        else:
            messages.success(request, _("已保存。"))
            return redirect(f"{mine.get_absolute_url()}?tab={RECORD_TABS[kind]}")
    return render(request, "registry/mine_record_form.html", {
        "form": form, "mine": mine, "kind": kind, "label": RECORD_FORMS[kind][1], "instance": instance,
        "tab": RECORD_TABS[kind]})


@login_required
@require_POST
def mine_record_delete(request: AuthedRequest, pk: int, kind: str, record_id: int) -> HttpResponse:
    if kind not in RECORD_FORMS:
        raise Http404
    mine = queries.get_visible_mine(request.user, pk)
    try:
        actions.delete_mine_record(kind, mine.pk, record_id, by=request.actor, reason=request.POST.get("reason", ""))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("已删除。"))
    return redirect(f"{mine.get_absolute_url()}?tab={RECORD_TABS[kind]}")


@login_required
@require_POST
def leader_reveal(request: AuthedRequest, pk: int, member_id: int) -> HttpResponse:
    queries.get_visible_mine(request.user, pk)
    member = actions.reveal_personal_data(pk, member_id, by=request.actor)
    return render(request, "registry/_leader_personal.html", {"m": member})


@require_perm(Perm.MINE_VIEW)
def mine_history(request: AuthedRequest, pk: int) -> HttpResponse:
    mine, events = queries.mine_history(request.user, pk)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = audit.with_changes(page)
    return render(request, "registry/mine_history.html", {"mine": mine, "page": page, "rows": rows, "tab": "history"})


@require_perm(Perm.MINE_IMPORT)
def mine_import(request: AuthedRequest) -> HttpResponse:
    errors: list[actions.RowError] = []
    created: list[Any] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [actions.RowError(0, "", _("请选择要导入的 Excel 文件。"))]
        elif not (upload.name or "").lower().endswith(".xlsx"):
            errors = [actions.RowError(0, "", _("只接受 .xlsx 格式的 Excel 文件。"))]
        elif (upload.size or 0) > excel.MAX_IMPORT_BYTES:
            errors = [actions.RowError(0, "", _("文件超过 %(mb)d MB。") % {"mb": excel.MAX_IMPORT_BYTES // 2**20})]
        else:
            rows, errors = excel.parse_mine_workbook(
                upload.read(), divisions=division_choices_for(request.user),
                enterprises=visible(request.user, Enterprise))
            if not errors:
                try:
                    created = actions.import_mines(rows, by=request.actor)
                except actions.ImportRejected as e:
                    errors = e.errors
        if created:
            messages.success(request, _("已导入 %(n)d 座矿山。") % {"n": len(created)})
    return render(request, "registry/mine_import.html", {"errors": errors, "created": created})


@require_perm(Perm.MINE_IMPORT)
def mine_import_template(request: AuthedRequest) -> HttpResponse:
    return xlsx_response(excel.export_mines([], subtitle=_("从第 4 行起每行一座矿山；选项列填写中文选项，日期写成 2024-06-30。")),
                 "矿山台账导入模板.xlsx", by=request.actor, description=_("下载矿山台账导入模板"))


@require_perm(Perm.MINE_VIEW)
def enterprise_list(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = queries.visible_enterprises(request.user)
    if q:
        qs = qs.filter(name__icontains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "registry/enterprise_list.html", {
        "page": page, "q": q, "can_edit": can(request.user, Perm.ENTERPRISE_EDIT)})


@require_perm(Perm.MINE_VIEW)
def enterprise_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    ent = queries.get_visible_enterprise(request.user, pk)
    mines = queries.visible_mines(request.user).filter(enterprise__in=[ent.pk, *ent.subsidiaries.values_list("pk", flat=True)])
    events = audit.history(ent)[:50]
    return render(request, "registry/enterprise_detail.html", {
        "ent": ent, "mines": mines, "can_edit": can(request.user, Perm.ENTERPRISE_EDIT),
        "rows": audit.with_changes(events)})


@require_perm(Perm.ENTERPRISE_EDIT)
def enterprise_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    instance = queries.get_visible_enterprise(user, pk) if pk is not None else None
    form = EnterpriseForm(request.POST or None, instance=instance, divisions=division_choices_for(user),
                          enterprises=visible(user, Enterprise))
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.fields}
        try:
            ent = actions.save_enterprise(by=request.actor, data=data, enterprise_id=pk)
        except DomainError as e:
            form.add_error(e.field, e.message)
        else:
            messages.success(request, _("企业信息已保存。"))
            return redirect(ent)
    return render(request, "registry/enterprise_form.html", {"form": form, "ent": instance})


# Proposals of regulated facts (issue 17)

@require_perm(Perm.MINE_EDIT)
def proposal_create(request: AuthedRequest, pk: int, kind: str = MineChangeProposalTarget.MINE,
                    record_id: int | None = None) -> HttpResponse:
    if kind not in MineChangeProposalTarget.values or (kind == MineChangeProposalTarget.MINE and record_id):
        raise Http404
    mine = queries.get_visible_mine(request.user, pk)
    instance = None
    if kind == MineChangeProposalTarget.MINE:
        facts: Any = MineFactsProposalForm(request.POST or None, instance=copy.copy(mine))
    else:
        if record_id is not None:
            instance = visible(request.user, actions.PROPOSAL_RECORDS[kind]).filter(mine=mine, pk=record_id).first()
            if instance is None:
                raise Http404
        facts = _record_form(kind, request, mine, copy.copy(instance))  # the form must not touch the record
    form = ProposalReasonForm(request.POST or None, record=instance is not None)
    if request.method == "POST" and facts.is_valid() and form.is_valid():
        changed = facts.changed_data if instance is not None or kind == MineChangeProposalTarget.MINE else facts.fields
        try:
            proposal = actions.propose_mine_change(
                mine.pk, by=request.actor, target=kind, record_id=record_id,
                delete=form.cleaned_data.get("delete", False), reason=form.cleaned_data["reason"],
                changes={k: facts.cleaned_data[k] for k in changed}, files=request.FILES.getlist("evidence"))
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("变更申请已提交，县级监管部门审核批准后生效。"))
            return redirect(proposal)
    return render(request, "registry/proposal_form.html", {
        "mine": mine, "facts": facts, "form": form, "kind": kind, "instance": instance,
        "label": MineChangeProposalTarget(kind).label})


@require_perm(Perm.MINE_VIEW)
def proposal_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", MineChangeProposalStatus.PENDING)
    qs = queries.visible_proposals(request.user)
    if status in MineChangeProposalStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "registry/proposal_list.html", {
        "page": page, "status": status, "statuses": MineChangeProposalStatus.choices})


@require_perm(Perm.MINE_VIEW)
def proposal_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    p = queries.get_visible_proposal(request.user, pk)
    subject, lines = queries.proposal_lines(p)
    pending = p.status == MineChangeProposalStatus.PENDING
    editor = can(request.user, Perm.MINE_EDIT)
    return render(request, "registry/proposal_detail.html", {
        "p": p, "mine": p.mine, "subject": subject, "lines": lines, "attachments": p.attachments.all(),
        "can_decide": pending and editor and _is_regulator(request.user),
        "can_withdraw": pending and editor and not _is_regulator(request.user),
        "decision_form": ProposalDecisionForm()})


def _decide(request: AuthedRequest, pk: int, approve: bool) -> HttpResponse:
    p = queries.get_visible_proposal(request.user, pk)
    form = ProposalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("审核意见不得超过 2000 字。"))
        return redirect(p)
    try:
        actions.decide_mine_change(p.pk, by=request.actor, approve=approve, note=form.cleaned_data["note"])
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("已批准，变更已写入矿山档案。") if approve else _("已驳回该申请。"))
    return redirect(p)


@require_perm(Perm.MINE_EDIT)
@require_POST
def proposal_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@require_perm(Perm.MINE_EDIT)
@require_POST
def proposal_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@require_perm(Perm.MINE_EDIT)
@require_POST
def proposal_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    p = queries.get_visible_proposal(request.user, pk)
    try:
        actions.withdraw_mine_change(p.pk, by=request.actor)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("已撤回该申请。"))
    return redirect(p)


@require_perm(Perm.MINE_VIEW)
def proposal_attachment(request: AuthedRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    att = queries.get_visible_proposal_attachment(request.user, pk, attachment_pk)
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


# --- production returns (issue 20) ----------------------------------------------------------------------------

@login_required
def production_returns(request: AuthedRequest, pk: int) -> HttpResponse:
    """月度产量: the mine's returns by month against the capacity's lines; its head submits or corrects one."""
    data = queries.production_returns(request.user, pk)  # 404 for another mine's or county's user
    can_submit = can(request.user, Perm.PRODUCTION_RETURN_SUBMIT)
    form = ProductionReturnForm(request.POST or None, initial={"month": clock.today().replace(day=1)})
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied(Perm.PRODUCTION_RETURN_SUBMIT)
        if form.is_valid():
            try:
                actions.submit_production_return(pk, by=request.actor, **form.cleaned_data)
            except DomainError as e:
                form.add_error(e.field if e.field in form.fields else None, e.message)
            else:
                messages.success(request, _("已填报 %(month)s 的产量。") % {
                    "month": form.cleaned_data["month"].strftime("%Y-%m")})
                return redirect("registry:production_returns", pk)
    return render(request, "registry/production_returns.html", {
        "mine": data.mine, "d": data, "form": form, "can_submit": can_submit})
