"""Pages of the workforce: a mine's workers ledger, a worker's file (一人一档), the forms and the Excel import.
Thin: parse, call queries/actions, render. Every page first finds the mine through the access policy (the
same 404 for another mine's or another county's user), then checks the permission an edit needs."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuangan.core import clock
from kuangan.core.access import can
from kuangan.core.choices import Perm
from kuangan.core.errors import DomainError
from kuangan.core.excel import xlsx_response
from kuangan.core.filters import page_filter, parse_filter
from kuangan.core.http import AuthedRequest
from kuangan.registry.actions import ImportRejected, RowError
from kuangan.registry.models import Mine
from kuangan.registry.queries import get_visible_mine

from . import actions, excel, queries
from .choices import CertificateFilter, RosterFilter
from .constants import CERTIFICATE_NOTICE_SOURCE, MAX_IMPORT_BYTES
from .filters import WorkerFilter
from .forms import CertificateForm, ReasonForm, WorkerForm

PAGE_SIZE = 50


def _mine(request: AuthedRequest, pk: int) -> Mine:
    return get_visible_mine(request.user, pk)


def _require_edit(request: AuthedRequest) -> None:
    if not can(request.user, Perm.WORKFORCE_EDIT):
        raise PermissionDenied(Perm.WORKFORCE_EDIT)


def _list_url(mine: Mine) -> str:
    return reverse("workforce:worker_list", args=[mine.pk])


def _query(request: AuthedRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def worker_list(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = _mine(request, pk)
    today = clock.today()
    filters = page_filter(WorkerFilter, request)
    page = Paginator(queries.worker_ledger(request.user, mine, filters, today), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "workforce/worker_list.html", {
        "mine": mine, "tab": "workers", "page": page, "rows": queries.ledger_rows(page, today), "filters": filters,
        "query": _query(request), "certificate_choices": CertificateFilter.choices, "roster_choices": RosterFilter.choices,
        "can_edit": can(request.user, Perm.WORKFORCE_EDIT), "notice_days": queries.notice_days(),
        "notice_source": CERTIFICATE_NOTICE_SOURCE,
    })


@login_required
def worker_export(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = _mine(request, pk)
    filters, _bad = parse_filter(WorkerFilter, request.GET)
    today = clock.today()
    now = clock.now().astimezone(clock.SHANGHAI)
    data = excel.export_workers(
        queries.worker_ledger(request.user, mine, filters, today), today=today, notice_days=queries.notice_days(),
        title=f"{mine.name}从业人员及特种作业操作证台账",
        subtitle=f"导出人：{request.user.display_name}　导出时间：{now:%Y-%m-%d %H:%M}")
    return xlsx_response(data, f"从业人员-{mine.code}-{now:%Y%m%d}.xlsx", by=request.actor,
                         description=_("导出%(mine)s从业人员台账") % {"mine": mine.name})


@login_required
def worker_detail(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    mine = _mine(request, pk)
    file = queries.worker_file(request.user, mine, record_id, clock.today())
    return render(request, "workforce/worker_detail.html", {
        "mine": mine, "tab": "workers", "f": file, "w": file.worker, "rows": file.history,
        "can_edit": can(request.user, Perm.WORKFORCE_EDIT), "can_reveal": can(request.user, Perm.PERSONAL_DATA_VIEW),
        "reason_form": ReasonForm(), "notice_days": queries.notice_days(),
    })


def _form_page(request: AuthedRequest, mine: Mine, form: Any, title: str, back: str, **extra: Any) -> HttpResponse:
    return render(request, "workforce/worker_form.html", {
        "mine": mine, "tab": "workers", "form": form, "title": title, "back": back, **extra})


@login_required
def worker_create(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = _mine(request, pk)
    _require_edit(request)
    form = WorkerForm(request.POST or None, initial={"card_code": mine.code})
    if request.method == "POST" and form.is_valid():
        try:
            worker = actions.create_worker(mine.pk, by=request.actor, data=form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("已登记：%(name)s") % {"name": worker.name})
            return redirect(worker)
    return _form_page(request, mine, form, _("登记从业人员"), _list_url(mine))


@login_required
def worker_edit(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    mine = _mine(request, pk)
    worker = queries.get_visible_worker(request.user, mine, record_id)
    _require_edit(request)
    form = WorkerForm(request.POST or None, instance=copy.copy(worker))  # the form must not touch the row
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            actions.update_worker(worker.pk, by=request.actor, data=data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("已保存。"))
            return redirect(worker)
    return _form_page(request, mine, form, _("编辑从业人员：%(name)s") % {"name": worker.name},
                      worker.get_absolute_url())


@login_required
@require_POST
def worker_deactivate(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    return _set_active(request, pk, record_id, active=False)


@login_required
@require_POST
def worker_reactivate(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    return _set_active(request, pk, record_id, active=True)


def _set_active(request: AuthedRequest, pk: int, record_id: int, *, active: bool) -> HttpResponse:
    mine = _mine(request, pk)
    worker = queries.get_visible_worker(request.user, mine, record_id)
    _require_edit(request)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if active:
            actions.reactivate_worker(worker.pk, by=request.actor, reason=reason)
        else:
            actions.deactivate_worker(worker.pk, by=request.actor, reason=reason)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("已恢复在册。") if active else _("已标记为不在册。"))
    return redirect(worker)


@login_required
@require_POST
def worker_reveal(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    """查看: the worker's full ID number, recorded (R10.8)."""
    mine = _mine(request, pk)
    queries.get_visible_worker(request.user, mine, record_id)
    worker = actions.reveal_worker_id(record_id, by=request.actor)
    return render(request, "workforce/_worker_id.html", {"w": worker, "revealed": True})


@login_required
def certificate_create(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    mine = _mine(request, pk)
    worker = queries.get_visible_worker(request.user, mine, record_id)
    _require_edit(request)
    form = CertificateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_certificate(worker.pk, by=request.actor, data=form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("已登记操作证。"))
            return redirect(worker)
    return _form_page(request, mine, form, _("登记特种作业操作证：%(name)s") % {"name": worker.name},
                      worker.get_absolute_url())


@login_required
def certificate_edit(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    mine = _mine(request, pk)
    certificate = queries.get_visible_certificate(request.user, mine, record_id)
    _require_edit(request)
    worker = certificate.worker
    form = CertificateForm(request.POST or None, instance=copy.copy(certificate))
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            actions.update_certificate(certificate.pk, by=request.actor, data=data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("已保存。"))
            return redirect(worker)
    return _form_page(request, mine, form, _("编辑特种作业操作证：%(name)s") % {"name": worker.name},
                      worker.get_absolute_url(), certificate=certificate)


@login_required
@require_POST
def certificate_delete(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    mine = _mine(request, pk)
    certificate = queries.get_visible_certificate(request.user, mine, record_id)
    _require_edit(request)
    form = ReasonForm(request.POST)
    actions.delete_certificate(certificate.pk, by=request.actor,
                               reason=form.cleaned_data["reason"] if form.is_valid() else "")
    messages.success(request, _("已删除操作证。"))
    return redirect(certificate.worker)


@login_required
def worker_import(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = _mine(request, pk)
    _require_edit(request)
    errors: list[RowError] = []
    summary = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [RowError(0, "", _("请选择要导入的 Excel 文件。"))]
        elif not (upload.name or "").lower().endswith(".xlsx"):
            errors = [RowError(0, "", _("只接受 .xlsx 格式的 Excel 文件。"))]
        elif (upload.size or 0) > MAX_IMPORT_BYTES:
            errors = [RowError(0, "", _("文件超过 %(mb)d MB。") % {"mb": MAX_IMPORT_BYTES // 2**20})]
        else:
            rows, errors = excel.parse_worker_workbook(upload.read(), mine_code=mine.code)
            if not errors:
                try:
                    summary = actions.import_workers(mine.pk, rows, by=request.actor)
                except ImportRejected as e:
                    errors = e.errors
        if summary is not None:
            messages.success(request, _("导入完成。"))
    return render(request, "workforce/worker_import.html", {
        "mine": mine, "tab": "workers", "errors": errors, "summary": summary})


@login_required
def worker_import_template(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = _mine(request, pk)
    _require_edit(request)
    data = excel.export_workers(
        [], today=clock.today(), notice_days=queries.notice_days(), title=f"{mine.name}从业人员导入模板",
        subtitle=f"从第 4 行起每行一张操作证（无证人员一行）；人员卡编码以本矿编码 {mine.code} 开头；"
                 f"作业类别填写中文类别，日期写成 2024-06-30；“在册”“证件状态”两列导入时不读取。")
    return xlsx_response(data, "从业人员导入模板.xlsx", by=request.actor, description=_("下载从业人员导入模板"))
