"""Scoped reads of monitoring: the alarm ledger and page (with the point's chart), planned windows,
received files, the dossier's monitoring tab and the home page's alarm overview."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from kuangan.core.access import ROLE_PERMS, get_visible_or_404, visible
from kuangan.core.audit import history, with_changes
from kuangan.core.choices import OrganizationKind, Perm
from kuangan.core.clock import SHANGHAI, local
from kuangan.core.models import User
from kuangan.registry.models import Mine

from . import constants, rules
from .choices import AlarmKind, UploadStatus, WindowStatus
from .filters import AlarmFilter, UploadFilter, WindowFilter
from .models import Alarm, AlarmDisposal, MonitoringPoint, PlannedWindow, RejectedRecord, Upload

log = logging.getLogger(__name__)

ALARM_RELATED = ("mine__division", "point", "acknowledged_by", "assignee", "planned_window")


# --- alarms ---------------------------------------------------------------------------------------


def visible_alarms(user: Any, filters: AlarmFilter | None = None) -> QuerySet[Alarm]:
    qs = visible(user, Alarm).select_related(*ALARM_RELATED).order_by("-start", "severity", "-id")
    return filters.apply(qs) if filters is not None else qs


def export_alarms(user: Any, filters: AlarmFilter) -> QuerySet[Alarm]:
    """The Excel export: the ledger's rows with their disposal records."""
    return visible_alarms(user, filters).select_related("disposal")


def unacknowledged(qs: QuerySet[Alarm]) -> QuerySet[Alarm]:
    """Alarms nobody has acknowledged, whether still going or cleared (an alarm that cleared by itself
    still asks for someone to look at it); withdrawn ones (later data disproved them) and planned ones
    (calibration, maintenance declared ahead) aside. The one definition of "未确认" for every count:
    the home page, the alarm list and the link between them (the list filtered with
    UNACKNOWLEDGED_QUERY shows exactly these)."""
    return qs.filter(acknowledged_at__isnull=True, withdrawn_at__isnull=True, planned_window__isnull=True)


UNACKNOWLEDGED_QUERY = "acknowledged=false&planned=false&withdrawn=false"  # the same rows, as list filters


def get_visible_alarm(user: Any, pk: int) -> Alarm:
    qs = visible(user, Alarm).select_related(*ALARM_RELATED, "mine__organization", "mine__enterprise__parent",
                                             "hazard")
    return get_visible_or_404(user, qs, pk=pk)


@dataclass
class SwitchSeries:
    """A switch point's power state (1 on, 0 off) beside a feed failure's analog point."""

    code: str
    name: str  # the legend's label
    values: list[list[Any]]


@dataclass
class PointChart:
    """The point's values around the alarm, for ECharts: [time, value] pairs in Beijing time; for a
    feed failure also the linked switch points' power state, drawn on a second axis."""

    point_code: str
    unit: str
    start: str
    end: str
    alarm_start: str
    alarm_end: str
    values: list[list[Any]]
    threshold: float | None
    aggregated: bool  # 5-minute averages instead of every reading
    threshold_label: str = ""  # 报警值, or 断电值 for a feed failure
    switches: list[SwitchSeries] = field(default_factory=list)
    switch_axis: str = ""  # the second axis' name, when there are switches
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("point_code", "unit", "start", "end", "alarm_start", "alarm_end",
                                             "values", "threshold", "threshold_label", "aggregated",
                                             "switch_axis")}
        out["switches"] = [{"code": s.code, "name": s.name, "values": s.values} for s in self.switches]
        return out


@dataclass
class AlarmPage:
    alarm: Alarm
    transitions: list[Any]
    disposal: AlarmDisposal | None
    evidence: list[tuple[str, str]]
    duration: str
    chart: PointChart | None
    audit_events: Any
    gas: bool  # a gas over-limit: disposing of it needs the whole 两停一撤六查 checklist
    checklist: list[tuple[str, Any, bool]] = field(default_factory=list)  # (key, label, done) of a disposal


def point_chart(alarm: Alarm, now: datetime) -> PointChart | None:
    """The point's series from an hour before the alarm to an hour after its end (or now); None for a
    mine-level alarm. Read from the Parquet store; a store that cannot be read gives an empty chart
    with the reason, never an error page."""
    if not alarm.point_code:
        return None
    from .ingest import store

    margin = timedelta(minutes=constants.CHART_MARGIN_MINUTES)
    start = alarm.start - margin
    end = min((alarm.end or now) + margin, alarm.start + timedelta(days=constants.CHART_MAX_DAYS))
    chart = PointChart(
        point_code=alarm.point_code, unit=alarm.point.unit if alarm.point else "",
        start=rules.beijing(start), end=rules.beijing(end), alarm_start=rules.beijing(alarm.start),
        alarm_end=rules.beijing(alarm.end or min(now, end)), values=[],
        threshold=rules.threshold_of(alarm.kind, alarm.evidence), aggregated=False,
        threshold_label=rules.threshold_label(alarm.kind))
    switches = (rules.power_off_switches(alarm.evidence, alarm.point.relations if alarm.point else "")
                [:constants.CHART_MAX_SWITCHES] if alarm.kind == AlarmKind.FEED_FAILURE else [])
    try:
        frame = store().point_series(alarm.mine.code, alarm.point_code, local(start), local(end))
        frames = [(code, store().point_series(alarm.mine.code, code, local(start), local(end))) for code in switches]
    except (OSError, duckdb.Error, pl.exceptions.PolarsError) as e:  # a damaged or missing file
        log.warning("point series of %s unreadable: %s", alarm.point_code, e)
        chart.error = str(e)[:200]
        return chart
    chart.aggregated = "min" in frame.columns
    chart.values = _pairs(frame)
    if switches:
        chart.switch_axis = _("馈电状态（1 有电）")
        where = dict(_locations(alarm, switches))
        for code, f in frames:
            name = chart.switch_axis if len(switches) == 1 else f"{chart.switch_axis} {where.get(code) or code}"
            chart.switches.append(SwitchSeries(code=code, name=name, values=_pairs(f)))
    return chart


def _pairs(frame: pl.DataFrame) -> list[list[Any]]:
    return [[t.strftime(rules.TIME), v] for t, v in zip(frame["time"].to_list(), frame["value"].to_list(),
                                                        strict=True) if t is not None]


def _locations(alarm: Alarm, codes: list[str]) -> list[tuple[str, str]]:
    """(code, location) of points of the alarm's mine (the alarm was read through the policy already)."""
    return list(MonitoringPoint.objects.filter(mine_id=alarm.mine_id, code__in=codes).values_list("code", "location"))


def alarm_page(user: Any, pk: int, now: datetime) -> AlarmPage:
    alarm = get_visible_alarm(user, pk)
    disposal = AlarmDisposal.objects.filter(alarm=alarm).select_related("disposed_by").first()
    from .choices import GAS_RESPONSE

    checklist = [(key, label, bool(disposal.checklist.get(key))) for key, label in GAS_RESPONSE] if disposal else []
    span = ((alarm.end or now) - alarm.start).total_seconds()
    return AlarmPage(
        alarm=alarm,
        transitions=alarm_history(alarm),
        disposal=disposal,
        evidence=rules.evidence_lines(alarm.kind, alarm.evidence, alarm.point.unit if alarm.point else "",
                                      span_s=span),
        duration=rules.duration(span),
        chart=point_chart(alarm, now),
        audit_events=with_changes(history(alarm)[:50]),
        gas=rules.is_gas_over_limit(alarm.kind, alarm.point_code, alarm.point.sensor_type if alarm.point else None),
        checklist=checklist,
    )


@dataclass(frozen=True)
class HistoryRow:
    """A line of an alarm's history: the event itself and its data's arrival, then what people and
    the platform did (the alarm's transitions)."""

    at: datetime | None
    label: str
    by: str  # "" for the platform
    note: str = ""
    action: str = ""  # the transition's action ("" for the event and its data)


def alarm_history(alarm: Alarm) -> list[HistoryRow]:
    """When the event happened (start), when its data reached the platform (received_at, with its
    delay when late), then the transitions: raised (raised_at), cleared, acknowledged, withdrawn…"""
    rows = [HistoryRow(alarm.start, _("事件开始（数据时间）"), "")]
    if alarm.received_at is not None:
        rows.append(HistoryRow(alarm.received_at, _("数据到达平台"), "",
                               rules.late_text(alarm.delay) if alarm.late else ""))
    for t in alarm.transitions.select_related("by"):
        rows.append(HistoryRow(t.at, str(t.get_action_display()), str(t.by.display_name) if t.by else "", t.note,
                               t.action))
    return rows


def assignable_users(alarm: Alarm) -> QuerySet[User]:
    """Who may be made responsible for an alarm: active people who can see its mine and whose role
    handles alarms (the action checks visibility again)."""
    mine = alarm.mine
    parts = mine.division.path.strip("/").split("/")
    prefixes = ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    q = Q(organization__kind=OrganizationKind.REGULATOR, organization__division__path__in=prefixes)
    q |= Q(organization__kind=OrganizationKind.EXPERT, organization__assigned_mines=mine)
    orgs = [mine.organization_id, mine.enterprise.organization_id]
    if mine.enterprise.parent is not None:
        orgs.append(mine.enterprise.parent.organization_id)
    q |= Q(organization_id__in=[o for o in orgs if o is not None])
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.ALARM_HANDLE in perms]
    return (User.objects.filter(q, is_active=True, is_machine=False, role__in=roles)
            .select_related("organization").order_by("organization__name", "username").distinct())


# --- planned windows ------------------------------------------------------------------------------


def visible_windows(user: Any, filters: WindowFilter | None = None) -> QuerySet[PlannedWindow]:
    """Every window of the user's mines, whatever its status: the county sees all that were declared."""
    qs = (visible(user, PlannedWindow).select_related("mine", "declared_by", "decided_by")
          .annotate(alarm_count=Count("alarms")).order_by("-start", "-id"))
    return filters.apply(qs) if filters is not None else qs


def pending_windows(user: Any) -> QuerySet[PlannedWindow]:
    return visible(user, PlannedWindow).filter(status=WindowStatus.PENDING)


def get_visible_window(user: Any, pk: int) -> PlannedWindow:
    return get_visible_or_404(user, visible(user, PlannedWindow).select_related("mine"), pk=pk)


def window_mines(user: Any) -> QuerySet[Mine]:
    """The mines a user may declare windows for (their own, for a mine's people)."""
    return visible(user, Mine).order_by("name")


# --- received files -------------------------------------------------------------------------------


def visible_uploads(user: Any, filters: UploadFilter | None = None) -> QuerySet[Upload]:
    # the files of one batch share their reception time: the newest file first among them
    qs = visible(user, Upload).select_related("mine").order_by("-received_at", "-header_time", "-id")
    return filters.apply(qs) if filters is not None else qs


def upload_file_types(user: Any) -> list[str]:
    return sorted({t for t in visible(user, Upload).order_by().values_list("file_type", flat=True).distinct() if t})


def get_visible_upload(user: Any, pk: int) -> Upload:
    return get_visible_or_404(user, visible(user, Upload).select_related("mine"), pk=pk)


def rejected_records(user: Any, upload: Upload) -> QuerySet[RejectedRecord]:
    return visible(user, RejectedRecord).filter(upload=upload)


# --- the mine dossier's tab -----------------------------------------------------------------------


@dataclass
class MineMonitoring:
    points: list[MonitoringPoint]
    findings: dict[str, list[rules.ConfigFinding]]  # point code -> findings
    finding_count: int
    online: list[rules.OnlineDay]
    open_alarms: list[Alarm]


def online_counts(user: Any, mine: Mine, first: date, now: datetime) -> dict[date, int]:
    """CDSS files received per Beijing day (by their header time) since `first`."""
    rows = (visible(user, Upload).filter(mine=mine, file_type="CDSS", status=UploadStatus.ACCEPTED,
                                         header_time__gte=rules.day_start(first), header_time__lte=now)
            .annotate(day=TruncDate("header_time", tzinfo=SHANGHAI)).order_by()
            .values("day").annotate(n=Count("pk")))
    return {r["day"]: r["n"] for r in rows}


def mine_monitoring(user: Any, mine: Mine, now: datetime) -> MineMonitoring:
    points = list(visible(user, MonitoringPoint).filter(mine=mine).order_by("code"))
    findings: dict[str, list[rules.ConfigFinding]] = {}
    for f in rules.configuration_findings(rules.PointFacts(
            p.code, p.sensor_type, p.location, p.upper_alarm, p.upper_power_off, p.relations) for p in points):
        findings.setdefault(f.code, []).append(f)
    today = now.astimezone(SHANGHAI).date()
    first = today - timedelta(days=constants.ONLINE_RATE_DAYS - 1)
    return MineMonitoring(
        points=points, findings=findings, finding_count=sum(len(v) for v in findings.values()),
        online=rules.online_days(online_counts(user, mine, first, now), now),
        open_alarms=list(visible_alarms(user).filter(mine=mine, end__isnull=True, withdrawn_at__isnull=True)
                         .order_by("severity", "-start")[:100]),
    )


# --- the home page --------------------------------------------------------------------------------


@dataclass
class AlarmOverview:
    today_total: int
    today_by_kind: list[tuple[str, str, int]]  # (kind, label, count)
    unacknowledged_count: int
    unacknowledged: list[Alarm]  # the most urgent of them
    silent: list[Alarm]  # open mine_silent alarms: mines whose data stopped coming
    pending_windows: int = 0  # planned windows waiting for the county's approval
    unacknowledged_query: str = UNACKNOWLEDGED_QUERY  # the alarm list showing the unacknowledged ones


def alarm_overview(user: Any, now: datetime, limit: int = 8) -> AlarmOverview:
    """Today's alarms (started since Beijing midnight) by kind, the active unacknowledged ones and the
    silent mines, all within the user's scope (a regulator's jurisdiction, a mine's own)."""
    alarms = visible(user, Alarm).filter(withdrawn_at__isnull=True)  # disproved by later data: not counted
    today = rules.day_start(now.astimezone(SHANGHAI).date())
    labels = dict(AlarmKind.choices)
    counts = dict(alarms.filter(start__gte=today).order_by().values_list("kind").annotate(n=Count("pk"))
                  .values_list("kind", "n"))
    by_kind = [(k, str(labels[k]), counts[k]) for k in AlarmKind.values if counts.get(k)]
    pending = unacknowledged(alarms)
    return AlarmOverview(
        today_total=sum(counts.values()),
        today_by_kind=by_kind,
        unacknowledged_count=pending.count(),
        # the ones still going first, then by severity
        unacknowledged=list(pending.select_related("mine")
                            .order_by(F("end").asc(nulls_first=True), "severity", "-start")[:limit]),
        silent=list(alarms.filter(kind=AlarmKind.MINE_SILENT, end__isnull=True).select_related("mine")
                    .order_by("start")[:limit]),
        pending_windows=pending_windows(user).count(),
    )
