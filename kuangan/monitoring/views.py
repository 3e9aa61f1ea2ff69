"""Pages of monitoring: the alarm list (polled by HTMX), an alarm's page and its handling, planned
windows (declared by the mines, approved by the county when long), received files and the dossier's
monitoring tab. Thin: parse, call queries/actions, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kuangan.core import clock
from kuangan.core.access import can
from kuangan.core.choices import OrganizationKind, Perm
from kuangan.core.decorators import require_perm
from kuangan.core.errors import DomainError
from kuangan.core.excel import ledger_workbook, xlsx_response
from kuangan.core.filters import page_filter, parse_filter
from kuangan.core.http import AuthedRequest
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards import queries as hazard_queries
from kuangan.hazards.choices import HazardLevel, HazardSource
from kuangan.registry.forms import division_choices_for
from kuangan.registry.queries import get_visible_mine

from . import actions, constants, queries, rules
from .choices import AlarmKind, Severity, UploadStatus, WindowKind, WindowStatus
from .filters import AlarmFilter, UploadFilter, WindowFilter
from .forms import (
    AcknowledgeForm,
    AssignForm,
    DisposeForm,
    HazardFromAlarmForm,
    PlannedWindowForm,
    WindowDecisionForm,
)
from .tables import ALARM_COLUMNS

PAGE_COLUMNS = [c for c in ALARM_COLUMNS if c.on_page]
SORTS = [("", gettext_lazy("开始时间（新→旧）")), ("start", gettext_lazy("开始时间（旧→新）")),
         ("severity", gettext_lazy("严重程度")), ("mine", gettext_lazy("矿山")), ("kind", gettext_lazy("报警类型")),
         ("-end", gettext_lazy("结束时间（新→旧）"))]
UPLOAD_SORTS = [("", gettext_lazy("接收时间（新→旧）")), ("received_at", gettext_lazy("接收时间（旧→新）")),
                ("-header_time", gettext_lazy("文件时间（新→旧）")), ("header_time", gettext_lazy("文件时间（旧→新）")),
                ("name", gettext_lazy("文件名"))]


def _is_regulator(user: Any) -> bool:
    return user.organization is not None and user.organization.kind == OrganizationKind.REGULATOR


def _query(request: AuthedRequest, *drop: str) -> str:
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()


def poll_seconds() -> int:
    return int(getattr(settings, "MONITORING_POLL_SECONDS", constants.ALARM_LIST_POLL_SECONDS))


# --- the alarm list -------------------------------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def alarm_list(request: AuthedRequest) -> HttpResponse:
    """The alarms in scope; an HTMX request (the page polling itself) gets the rows only."""
    filters = page_filter(AlarmFilter, request)
    now = request.actor.at
    alarms = queries.visible_alarms(request.user, filters)
    page = Paginator(alarms, 50).get_page(request.GET.get("page"))
    context = {
        "page": page, "filters": filters, "query": _query(request), "columns": PAGE_COLUMNS,
        "rows": [(a, {**{c.key: c.get(a, now) for c in PAGE_COLUMNS},
                      "late": rules.late_text(a.delay) if a.late else ""}) for a in page],
        "pending": queries.unacknowledged(alarms).count(),
        "unacknowledged_query": queries.UNACKNOWLEDGED_QUERY,
        "poll_seconds": poll_seconds(), "now": now,
    }
    if request.headers.get("HX-Request"):
        return render(request, "monitoring/_alarm_rows.html", context)
    user = request.user
    return render(request, "monitoring/alarm_list.html", {
        **context,
        "divisions": division_choices_for(user) if _is_regulator(user) else [],
        "mines": queries.window_mines(user),
        "choices": {"kind": AlarmKind.choices, "severity": Severity.choices}, "sorts": SORTS,
    })


@require_perm(Perm.MINE_VIEW)
def alarm_export(request: AuthedRequest) -> HttpResponse:
    filters, _bad = parse_filter(AlarmFilter, request.GET)
    now = request.actor.at
    local = now.astimezone(clock.SHANGHAI)
    org = request.user.organization
    alarms = queries.export_alarms(request.user, filters)
    data = ledger_workbook(
        sheet="报警台账", title=f"{org.name if org else ''}监测报警台账",
        subtitle=f"导出人：{request.user.display_name}　导出时间：{local:%Y-%m-%d %H:%M:%S}",
        headers=[("序号", 6), *[(c.label, c.width) for c in ALARM_COLUMNS]],
        rows=([i, *[c.get(a, now) for c in ALARM_COLUMNS]] for i, a in enumerate(alarms.iterator(), start=1)))
    return xlsx_response(data, f"报警台账-{local:%Y%m%d}.xlsx", by=request.actor, description=_("导出报警台账"))


# --- an alarm's page ------------------------------------------------------------------------------

def _hazard_description(alarm: Any) -> str:
    where = alarm.location or alarm.point_code or alarm.mine.name
    text = _("监测预警：%(where)s %(kind)s，开始于 %(start)s") % {
        "where": where, "kind": alarm.get_kind_display(), "start": rules.beijing(alarm.start)}
    if alarm.peak is not None:
        text += _("，极值 %(peak)s%(unit)s") % {"peak": rules.number(alarm.peak),
                                              "unit": alarm.point.unit if alarm.point else ""}
    if alarm.end is not None:
        text += _("，结束于 %(end)s") % {"end": rules.beijing(alarm.end)}
    if alarm.point_code:
        return text + _("（测点 %(code)s）。") % {"code": alarm.point_code}
    # Translators: the full stop that ends a sentence.
    return text + _("。")


def _forms(request: AuthedRequest, page: queries.AlarmPage, bound: dict[str, Any]) -> dict[str, Any]:
    """The forms the user's role may use on this alarm; a form just submitted (with its errors, say
    "already acknowledged") is shown even when the alarm no longer offers it."""
    user, alarm = request.user, page.alarm
    out: dict[str, Any] = {}
    if can(user, Perm.ALARM_HANDLE):
        if (alarm.acknowledged_at is None and alarm.withdrawn_at is None) or "acknowledge" in bound:
            out["acknowledge"] = bound.get("acknowledge") or AcknowledgeForm()
        out["assign"] = bound.get("assign") or AssignForm(
            users=queries.assignable_users(alarm), initial={"assignee": alarm.assignee_id})
        if page.disposal is None or "dispose" in bound:
            out["dispose"] = bound.get("dispose") or DisposeForm()
    if can(user, Perm.HAZARD_REPORT) and (alarm.hazard_id is None or "hazard" in bound):
        out["hazard"] = bound.get("hazard") or HazardFromAlarmForm(
            items=hazard_queries.items_for_mine(alarm.mine, clock.today()),
            initial={"description": _hazard_description(alarm), "place": alarm.location[:100],
                     "level": HazardLevel.ORDINARY})
    return out


@require_perm(Perm.MINE_VIEW)
def alarm_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _detail(request: AuthedRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    """The alarm's page; `bound` holds a submitted form with its errors (answered with 400)."""
    page = queries.alarm_page(request.user, pk, request.actor.at)
    alarm = page.alarm
    return render(request, "monitoring/alarm_detail.html", {
        "p": page, "alarm": alarm, "forms": _forms(request, page, bound or {}),
        "sensor_name": rules.sensor_name(alarm.point.sensor_type) if alarm.point else "",
        "peak": rules.number(alarm.peak),
        "gas": page.gas,
        "late": rules.late_text(alarm.delay) if alarm.late else "",
        "chart": page.chart.as_dict() if page.chart else None,
    }, status=400 if bound else 200)


def _act(request: AuthedRequest, pk: int, name: str, form: Any, run: Any, done: str) -> HttpResponse:
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, done)
            return redirect("monitoring:alarm_detail", pk=pk)
    return _detail(request, pk, {name: form})


@require_perm(Perm.ALARM_HANDLE)
@require_POST
def alarm_acknowledge(request: AuthedRequest, pk: int) -> HttpResponse:
    alarm = queries.get_visible_alarm(request.user, pk)
    return _act(request, pk, "acknowledge", AcknowledgeForm(request.POST),
                lambda d: actions.acknowledge_alarm(alarm.pk, by=request.actor, note=d["note"]), _("报警已确认。"))


@require_perm(Perm.ALARM_HANDLE)
@require_POST
def alarm_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    alarm = queries.get_visible_alarm(request.user, pk)
    form = AssignForm(request.POST, users=queries.assignable_users(alarm))
    return _act(request, pk, "assign", form,
                lambda d: actions.assign_alarm(alarm.pk, by=request.actor, assignee_id=d["assignee"].pk),
                _("已指派处置人。"))


@require_perm(Perm.ALARM_HANDLE)
@require_POST
def alarm_dispose(request: AuthedRequest, pk: int) -> HttpResponse:
    alarm = queries.get_visible_alarm(request.user, pk)

    def run(d: dict[str, Any]) -> None:
        actions.dispose_alarm(alarm.pk, by=request.actor, disposal=actions.Disposal(
            cause=d["cause"], measures=d["measures"], checklist=dict.fromkeys(d["checklist"], True)))

    return _act(request, pk, "dispose", DisposeForm(request.POST), run, _("处置记录已保存。"))


@require_perm(Perm.HAZARD_REPORT)
@require_POST
def alarm_report_hazard(request: AuthedRequest, pk: int) -> HttpResponse:
    """登记为隐患: report a hazard from the alarm (source: monitoring lead), then link the two."""
    alarm = queries.get_visible_alarm(request.user, pk)
    form = HazardFromAlarmForm(request.POST, items=hazard_queries.items_for_mine(alarm.mine, clock.today()))

    def run(d: dict[str, Any]) -> None:
        by = request.actor
        actions.report_hazard_from_alarm(alarm.pk, by=by, report=hazard_actions.HazardReport(
            level=d["level"], source=HazardSource.MONITORING_LEAD, description=d["description"],
            found_at=min(alarm.start, by.at), found_by=by.name,
            standard_item_id=d["standard_item"].pk if d["standard_item"] else None, place=d["place"]))

    return _act(request, pk, "hazard", form, run, _("已登记为隐患，并与报警关联。"))


# --- planned windows ------------------------------------------------------------------------------


def _windows(request: AuthedRequest, form: PlannedWindowForm | None = None) -> HttpResponse:
    """Every window of the user's mines (the county sees each one declared), the limits that send a
    window to the county for approval, the declaration form for a mine's people and, for the county,
    approve / reject on each pending window."""
    user = request.user
    mines = queries.window_mines(user)
    if form is None and can(user, Perm.PLANNED_WINDOW_DECLARE):
        only = list(mines[:2])
        form = PlannedWindowForm(mines=mines, initial={"mine": only[0].pk if len(only) == 1 else None,
                                                       "kind": WindowKind.CALIBRATION})
    filters = page_filter(WindowFilter, request)
    page = Paginator(queries.visible_windows(user, filters), 50).get_page(request.GET.get("page"))
    max_hours, daily_hours = settings.MONITORING_WINDOW_MAX_HOURS, settings.MONITORING_WINDOW_DAILY_HOURS
    rows = []
    for w in page:
        hours = (w.end - w.start).total_seconds() / 3600
        why = ""
        if w.status == WindowStatus.PENDING:
            why = (_("单次超过 %(h)s 小时") % {"h": max_hours} if hours > max_hours
                   else _("同一测点当日累计超过 %(h)s 小时") % {"h": daily_hours})
        rows.append((w, rules.duration((w.end - w.start).total_seconds()), why))
    return render(request, "monitoring/window_list.html", {
        "page": page, "rows": rows, "form": form, "filters": filters, "query": _query(request),
        "mines": mines, "choices": {"status": WindowStatus.choices},
        "may_decide": can(user, Perm.PLANNED_WINDOW_DECIDE),
        "pending_count": queries.pending_windows(user).count(),
        "max_hours": max_hours, "daily_hours": daily_hours,
    }, status=400 if form is not None and form.is_bound else 200)


@require_perm(Perm.MINE_VIEW)
def window_list(request: AuthedRequest) -> HttpResponse:
    return _windows(request)


@require_perm(Perm.PLANNED_WINDOW_DECLARE)
@require_POST
def window_declare(request: AuthedRequest) -> HttpResponse:
    form = PlannedWindowForm(request.POST, mines=queries.window_mines(request.user))
    if form.is_valid():
        d = form.cleaned_data
        try:
            w = actions.declare_planned_window(d["mine"].pk, by=request.actor, window=actions.Window(
                kind=d["kind"], start=d["start"], end=d["end"], points=d["points"], reason=d["reason"]))
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            if w.status == WindowStatus.PENDING:
                messages.warning(request, _("计划作业已申报，但超出限值，须县局审批后才生效；审批前其间的报警照常通知。"))
            else:
                messages.success(request, _("计划作业已申报并生效；其间产生的报警将标为计划作业，不再通知矿山调度员。"))
            return redirect("monitoring:window_list")
    return _windows(request, form)


def _decide(request: AuthedRequest, pk: int, approve: bool) -> HttpResponse:
    window = queries.get_visible_window(request.user, pk)
    form = WindowDecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.decide_planned_window(window.pk, by=request.actor, approve=approve, note=form.cleaned_data["note"])
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("已批准，该计划作业自即时起生效。") if approve else _("已驳回该计划作业。"))
    else:
        messages.error(request, _("审批意见不得超过 300 字。"))
    return redirect(reverse("monitoring:window_list") + f"?mine={window.mine_id}#window-{window.pk}")


@require_perm(Perm.PLANNED_WINDOW_DECIDE)
@require_POST
def window_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@require_perm(Perm.PLANNED_WINDOW_DECIDE)
@require_POST
def window_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


# --- received files -------------------------------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def upload_list(request: AuthedRequest) -> HttpResponse:
    filters = page_filter(UploadFilter, request)
    page = Paginator(queries.visible_uploads(request.user, filters), 50).get_page(request.GET.get("page"))
    return render(request, "monitoring/upload_list.html", {
        "page": page, "filters": filters, "query": _query(request),
        "mines": queries.window_mines(request.user), "file_types": queries.upload_file_types(request.user),
        "choices": {"status": UploadStatus.choices}, "sorts": UPLOAD_SORTS,
    })


@require_perm(Perm.MINE_VIEW)
def upload_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    upload = queries.get_visible_upload(request.user, pk)
    records = Paginator(queries.rejected_records(request.user, upload), 100).get_page(request.GET.get("page"))
    return render(request, "monitoring/upload_detail.html", {"upload": upload, "page": records, "query": ""})


# --- the dossier's tab ----------------------------------------------------------------------------


@require_perm(Perm.MINE_VIEW)
def mine_monitoring(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = get_visible_mine(request.user, pk)
    return render(request, "monitoring/mine_monitoring.html", {
        "mine": mine, "tab": "monitoring", "m": queries.mine_monitoring(request.user, mine, request.actor.at),
        "sensor_names": {code: rules.sensor_name(code) for code in rules.SENSOR_NAMES},
        "cdss_period": constants.CDSS_PERIOD_S,
    })
