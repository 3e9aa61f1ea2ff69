"""Pages of monitoring: the alarm list (polled by HTMX), an alarm's page and its handling, planned
windows (declared by the mines, approved by the county when long), received files and the dossier's
monitoring tab. Thin: parse, call queries/actions, render."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
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
from .choices import AlarmKind, LeadKind, LeadStatus, Severity, UploadStatus, WindowKind, WindowStatus
from .filters import AlarmFilter, LeadFilter, PersonnelFilter, UploadFilter, WindowFilter
from .forms import (
    AcknowledgeForm,
    AlarmToLeadForm,
    AreaMappingForm,
    AssignForm,
    DisposeForm,
    FenceForm,
    HazardFromAlarmForm,
    LeadDismissForm,
    LeadReviewForm,
    PlannedWindowForm,
    ShiftsForm,
    WindowDecisionForm,
)
from .tables import ALARM_COLUMNS, LEAD_COLUMNS

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
    return _ledger_export(request, queries.export_alarms(request.user, filters), ALARM_COLUMNS, sheet="报警台账",
                          title="监测报警台账", description=_("导出报警台账"))


def _ledger_export(request: AuthedRequest, rows: Any, columns: Any, *, sheet: str, title: str,
                   description: str) -> HttpResponse:
    """A ledger's rows as the Excel a regulator files: numbered, with who exported it and when."""
    now = request.actor.at
    local = now.astimezone(clock.SHANGHAI)
    org = request.user.organization
    data = ledger_workbook(
        sheet=sheet, title=f"{org.name if org else ''}{title}",
        subtitle=f"导出人：{request.user.display_name}　导出时间：{local:%Y-%m-%d %H:%M:%S}",
        headers=[("序号", 6), *[(c.label, c.width) for c in columns]],
        rows=([i, *[c.get(row, now) for c in columns]] for i, row in enumerate(rows.iterator(), start=1)))
    return xlsx_response(data, f"{sheet}-{local:%Y%m%d}.xlsx", by=request.actor, description=description)


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
                     "level": HazardLevel.ORDINARY, **_alarm_item_initial(alarm)})
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
        "personnel": alarm.kind in rules.PERSONNEL_KINDS,  # long evidence: the card takes the whole width
        "lead_form": AlarmToLeadForm() if can(request.user, Perm.LEAD_HANDLE) and not any(
            lead.is_open for lead in page.leads) and alarm.withdrawn_at is None else None,
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


# --- personnel positioning: the dossier's 人员定位 tab (issue 20) --------------------------------------------


def _personnel_url(mine_id: int, anchor: str = "") -> str:
    return reverse("monitoring:personnel", args=[mine_id]) + (f"#{anchor}" if anchor else "")


def _personnel(request: AuthedRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    """The tab; `bound` holds a submitted form with its errors (answered with 400)."""
    user, now = request.user, request.actor.at
    mine = get_visible_mine(user, pk)
    filters = page_filter(PersonnelFilter, request)
    card = filters.card or ""
    if card and not card.startswith(mine.code):
        messages.warning(request, _("人员卡编码须以本矿编码 %(code)s 开头：%(card)s") % {"code": mine.code, "card": card})
        card = ""
    tab = queries.personnel_tab(user, mine, now, filters.day, card)
    bound = bound or {}
    areas = queries.personnel_mine_areas(user, mine)
    forms: dict[str, Any] = {}
    if can(user, Perm.AREA_MAP_EDIT):
        forms["map"] = bound.get("map") or AreaMappingForm(areas=areas, faces=queries.mine_faces(user, mine))
    if can(user, Perm.FENCE_EDIT):
        forms["fence"] = bound.get("fence") or FenceForm(areas=areas, initial={
            "start": now.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")})
    if can(user, Perm.MINE_EDIT):
        forms["shifts"] = bound.get("shifts") or ShiftsForm(initial={
            "starts": ", ".join(tab.shifts), "maintenance": tab.maintenance_shift})
    return render(request, "monitoring/personnel.html", {
        "mine": mine, "tab": "personnel", "t": tab, "forms": forms, "regulator": _is_regulator(user), "now": now,
        "may_end_fence": can(user, Perm.FENCE_EDIT), "chart": tab.chart,
        "file_names": {t: _(n) for t, n in queries.PERSONNEL_FILE_NAMES.items()},
    }, status=400 if bound else 200)


@require_perm(Perm.MINE_VIEW)
def personnel(request: AuthedRequest, pk: int) -> HttpResponse:
    return _personnel(request, pk)


def _personnel_act(request: AuthedRequest, pk: int, name: str, form: Any, run: Any, done: Any,
                   anchor: str) -> HttpResponse:
    if form.is_valid():
        try:
            message = run(form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, message or done)
            return redirect(_personnel_url(pk, anchor))
    return _personnel(request, pk, {name: form})


@require_perm(Perm.AREA_MAP_EDIT)
@require_POST
def personnel_map_area(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = get_visible_mine(request.user, pk)
    form = AreaMappingForm(request.POST, areas=queries.personnel_mine_areas(request.user, mine),
                           faces=queries.mine_faces(request.user, mine))

    def run(d: dict[str, Any]) -> str:
        area = actions.map_positioning_area(d["area"].pk, by=request.actor, mapping=actions.AreaMapping(
            declared_as=d["declared_as"], face_id=d["face"].pk if d["face"] else None, note=d["note"]))
        if area.confirmed_at is None:
            return _("已保存“%(area)s”的用途，待监管部门确认后才作为申报。") % {"area": area}
        return _("已确认“%(area)s”的用途。") % {"area": area}

    return _personnel_act(request, pk, "map", form, run, "", "areas")


@require_perm(Perm.FENCE_EDIT)
@require_POST
def personnel_fence_draw(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = get_visible_mine(request.user, pk)
    form = FenceForm(request.POST, areas=queries.personnel_mine_areas(request.user, mine))

    def run(d: dict[str, Any]) -> str:
        fence = actions.draw_fence(mine.pk, by=request.actor, fence=actions.FenceSpec(
            name=d["name"], area_codes=list(d["areas"]), station_codes=form.station_codes(), start=d["start"],
            end=d["end"], reason=d["reason"]))
        return _("已划定电子围栏“%(name)s”，矿山已收到通知。") % {"name": fence.name}

    return _personnel_act(request, pk, "fence", form, run, "", "fences")


@require_perm(Perm.FENCE_EDIT)
@require_POST
def personnel_fence_end(request: AuthedRequest, pk: int, record_id: int) -> HttpResponse:
    mine = get_visible_mine(request.user, pk)
    fence = queries.get_visible_fence(request.user, mine, record_id)
    try:
        actions.end_fence(fence.pk, by=request.actor)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("电子围栏“%(name)s”已解除。") % {"name": fence.name})
    return redirect(_personnel_url(pk, "fences"))


@require_perm(Perm.MINE_EDIT)
@require_POST
def personnel_shifts(request: AuthedRequest, pk: int) -> HttpResponse:
    mine = get_visible_mine(request.user, pk)
    form = ShiftsForm(request.POST)

    def run(d: dict[str, Any]) -> str:
        profile = actions.set_shifts(mine.pk, by=request.actor, starts=form.start_list(), maintenance=d["maintenance"])
        return _("班次已保存：%(starts)s。") % {"starts": "、".join(profile.shift_starts)}

    return _personnel_act(request, pk, "shifts", form, run, "", "shifts")


# --- leads of illegal production (R4.7): for regulators holding LEAD_VIEW only ---------------------------------

LEAD_PAGE_COLUMNS = [c for c in LEAD_COLUMNS if c.key not in ("county", "outcome")]
LEAD_SORT_CHOICES = [("", gettext_lazy("开始时间（新→旧）")), ("start", gettext_lazy("开始时间（旧→新）")),
                     ("-raised_at", gettext_lazy("发现时间（新→旧）")), ("mine", gettext_lazy("矿山")),
                     ("kind", gettext_lazy("线索类型")), ("status", gettext_lazy("状态")),
                     ("-peak", gettext_lazy("峰值（高→低）")), ("-end", gettext_lazy("信号停止（新→旧）"))]
# the hazard form's preselected item of the major-hazard standard, by lead kind (RULES.md §1)
LEAD_ITEMS = {LeadKind.HIDDEN_WORKING_FACE: "C15-05", LeadKind.OVER_CAPACITY: "C01-01"}
FACE_MAJOR_ITEM = "C01-06"  # a face 20 % or more over its limit (engine.rules.face_overcrowded)


def lead_page_view(view: Any) -> Any:
    """Log-in first; then the same 404 for a user without LEAD_VIEW as for a lead that is not theirs: a lead is
    never shown, nor its existence told, to the mine, its enterprise or anyone else."""

    @wraps(view)
    @login_required
    def wrapped(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can(request.user, Perm.LEAD_VIEW):
            raise Http404
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    return wrapped


def _lead_item_code(kind: str, evidence: dict[str, Any]) -> str | None:
    if kind == AlarmKind.FACE_OVERCROWDED and (evidence or {}).get("major"):
        return str(evidence.get("item") or FACE_MAJOR_ITEM)
    return LEAD_ITEMS.get(LeadKind(kind)) if kind in LeadKind.values else None


def _lead_rows(leads: Any, now: Any) -> list[tuple[Any, dict[str, Any], str]]:
    names = queries.area_names_of({lead.mine_id for lead in leads})
    return [(lead, {c.key: c.get(lead, now) for c in LEAD_PAGE_COLUMNS},
             queries.lead_subject(lead, names.get(lead.mine_id, {}))) for lead in leads]


@lead_page_view
def lead_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    filters = page_filter(LeadFilter, request)
    page = Paginator(queries.visible_leads(user, filters), 50).get_page(request.GET.get("page"))
    return render(request, "monitoring/lead_list.html", {
        "page": page, "rows": _lead_rows(list(page), request.actor.at), "filters": filters, "query": _query(request),
        "columns": LEAD_PAGE_COLUMNS, "divisions": division_choices_for(user), "mines": queries.window_mines(user),
        "choices": {"kind": LeadKind.choices + [(k, v) for k, v in AlarmKind.choices if k in rules.PERSONNEL_KINDS],
                    "status": LeadStatus.choices},
        "sorts": LEAD_SORT_CHOICES,
    })


@lead_page_view
def lead_export(request: AuthedRequest) -> HttpResponse:
    filters, _bad = parse_filter(LeadFilter, request.GET)
    return _ledger_export(request, queries.visible_leads(request.user, filters), LEAD_COLUMNS,
                          sheet="违法生产线索台账", title="违法生产线索台账", description=_("导出违法生产线索台账"))


def _lead_hazard_initial(page: queries.LeadPage) -> dict[str, Any]:
    lead = page.lead
    text = _("违法生产线索：%(mine)s %(kind)s（%(subject)s），信号开始于 %(start)s") % {
        "mine": lead.mine.name, "kind": lead.get_kind_display(), "subject": page.subject,
        "start": rules.beijing(lead.start)}
    if lead.peak is not None:
        text += _("，%(label)s %(peak)s") % {"label": page.peak_label, "peak": page.peak}
    initial: dict[str, Any] = {"description": text + _("。"), "level": HazardLevel.ORDINARY,
                               "place": (page.area.name if page.area is not None else "")[:100]}
    code = _lead_item_code(lead.kind, lead.evidence)
    item = queries.standard_item(lead.mine, code, clock.today()) if code else None
    if item is not None:
        initial |= {"standard_item": item.pk, "level": HazardLevel.MAJOR}
    return initial


def _lead_detail(request: AuthedRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = request.user
    page = queries.lead_page(user, pk, request.actor.at)
    lead, bound = page.lead, bound or {}
    forms: dict[str, Any] = {}
    if can(user, Perm.LEAD_HANDLE) and (lead.is_open or bound):
        if lead.status == LeadStatus.NEW or "review" in bound:
            forms["review"] = bound.get("review") or LeadReviewForm()
        if can(user, Perm.HAZARD_REPORT):
            forms["hazard"] = bound.get("hazard") or HazardFromAlarmForm(
                items=hazard_queries.items_for_mine(lead.mine, clock.today()), initial=_lead_hazard_initial(page))
        forms["dismiss"] = bound.get("dismiss") or LeadDismissForm()
    return render(request, "monitoring/lead_detail.html", {
        "p": page, "lead": lead, "forms": forms, "evidence": page.evidence,
        "chart": page.evidence.chart,
        "may_inspect": lead.is_open and can(user, Perm.INSPECTION_CONDUCT) and can(user, Perm.LEAD_HANDLE),
    }, status=400 if bound else 200)


@lead_page_view
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _lead_detail(request, pk)


def _lead_act(request: AuthedRequest, pk: int, name: str, form: Any, run: Any, done: str) -> HttpResponse:
    queries.get_visible_lead(request.user, pk)  # 404 before 403: not ours is not told
    if not can(request.user, Perm.LEAD_HANDLE):
        raise PermissionDenied(Perm.LEAD_HANDLE)
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, done)
            return redirect("monitoring:lead_detail", pk=pk)
    return _lead_detail(request, pk, {name: form})


@lead_page_view
@require_POST
def lead_review(request: AuthedRequest, pk: int) -> HttpResponse:
    return _lead_act(request, pk, "review", LeadReviewForm(request.POST),
                     lambda d: actions.review_lead(pk, by=request.actor, note=d["note"]), _("已开始研判。"))


@lead_page_view
@require_POST
def lead_dismiss(request: AuthedRequest, pk: int) -> HttpResponse:
    return _lead_act(request, pk, "dismiss", LeadDismissForm(request.POST),
                     lambda d: actions.dismiss_lead(pk, by=request.actor, reason=d["reason"]), _("线索已排除，理由已记录。"))


@lead_page_view
@require_POST
def lead_report_hazard(request: AuthedRequest, pk: int) -> HttpResponse:
    """登记隐患: the hazard (a monitoring lead) and the lead's link to it, in one action."""
    lead = queries.get_visible_lead(request.user, pk)
    if not can(request.user, Perm.HAZARD_REPORT):
        raise PermissionDenied(Perm.HAZARD_REPORT)
    form = HazardFromAlarmForm(request.POST, items=hazard_queries.items_for_mine(lead.mine, clock.today()))

    def run(d: dict[str, Any]) -> None:
        by = request.actor
        actions.link_lead_hazard(lead.pk, by=by, report=hazard_actions.HazardReport(
            level=d["level"], source=HazardSource.MONITORING_LEAD, description=d["description"],
            found_at=min(lead.start, by.at), found_by=by.name,
            standard_item_id=d["standard_item"].pk if d["standard_item"] else None, place=d["place"]))

    return _lead_act(request, pk, "hazard", form, run, _("已登记隐患，并与线索关联。"))


@require_perm(Perm.LEAD_HANDLE)
@require_POST
def alarm_open_lead(request: AuthedRequest, pk: int) -> HttpResponse:
    """转为线索: a regulator keeps an alarm (people at a stopped mine, no leader on shift …) as a lead."""
    alarm = queries.get_visible_alarm(request.user, pk)
    form = AlarmToLeadForm(request.POST)
    if form.is_valid():
        try:
            lead = actions.open_lead_from_alarm(alarm.pk, by=request.actor, note=form.cleaned_data["note"])
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("已转为违法生产线索，进入研判。"))
            return redirect(lead)
    else:
        messages.error(request, _("理由不得超过 2000 字。"))
    return redirect("monitoring:alarm_detail", pk=pk)


def _alarm_item_initial(alarm: Any) -> dict[str, Any]:
    """A face 20 % or more over its limit is a major hazard (C01-06): the hazard form preselects the item."""
    code = _lead_item_code(alarm.kind, alarm.evidence) if alarm.kind == AlarmKind.FACE_OVERCROWDED else None
    item = queries.standard_item(alarm.mine, code, clock.today()) if code else None
    return {"standard_item": item.pk, "level": HazardLevel.MAJOR} if item is not None else {}
