"""Scoped reads of monitoring: the alarm ledger and page (with the point's chart), planned windows,
received files, the dossier's monitoring tab and the home page's alarm overview."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from kuangan.core.access import ROLE_PERMS, get_visible_or_404, visible
from kuangan.core.audit import history
from kuangan.core.choices import OrganizationKind, Perm
from kuangan.core.clock import SHANGHAI, local
from kuangan.core.models import User
from kuangan.registry.models import Mine

from . import constants, rules
from .choices import AlarmKind, UploadStatus
from .filters import AlarmFilter, UploadFilter
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


def unacknowledged_active(qs: QuerySet[Alarm]) -> QuerySet[Alarm]:
    """Alarms still going that nobody has acknowledged; planned ones (calibration, maintenance) aside."""
    return qs.filter(end__isnull=True, acknowledged_at__isnull=True, planned_window__isnull=True)


def get_visible_alarm(user: Any, pk: int) -> Alarm:
    qs = visible(user, Alarm).select_related(*ALARM_RELATED, "mine__organization", "mine__enterprise__parent",
                                             "hazard")
    return get_visible_or_404(user, qs, pk=pk)


@dataclass
class PointChart:
    """The point's values around the alarm, for ECharts: [time, value] pairs in Beijing time."""

    point_code: str
    unit: str
    start: str
    end: str
    alarm_start: str
    alarm_end: str
    values: list[list[Any]]
    threshold: float | None
    aggregated: bool  # 5-minute averages instead of every reading
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("point_code", "unit", "start", "end", "alarm_start", "alarm_end",
                                              "values", "threshold", "aggregated")}


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
        threshold=rules.threshold_of(alarm.kind, alarm.evidence), aggregated=False)
    try:
        frame = store().point_series(alarm.mine.code, alarm.point_code, local(start), local(end))
    except (OSError, duckdb.Error, pl.exceptions.PolarsError) as e:  # a damaged or missing file
        log.warning("point series of %s unreadable: %s", alarm.point_code, e)
        chart.error = str(e)[:200]
        return chart
    chart.aggregated = "min" in frame.columns
    chart.values = [[t.strftime(rules.TIME), v] for t, v in zip(frame["time"].to_list(), frame["value"].to_list(),
                                                                strict=True) if t is not None]
    return chart


def alarm_page(user: Any, pk: int, now: datetime) -> AlarmPage:
    alarm = get_visible_alarm(user, pk)
    disposal = AlarmDisposal.objects.filter(alarm=alarm).select_related("disposed_by").first()
    from .choices import GAS_RESPONSE

    checklist = [(key, label, bool(disposal.checklist.get(key))) for key, label in GAS_RESPONSE] if disposal else []
    return AlarmPage(
        alarm=alarm,
        transitions=list(alarm.transitions.select_related("by")),
        disposal=disposal,
        evidence=rules.evidence_lines(alarm.kind, alarm.evidence, alarm.point.unit if alarm.point else ""),
        duration=rules.duration(((alarm.end or now) - alarm.start).total_seconds()),
        chart=point_chart(alarm, now),
        audit_events=history(alarm)[:50],
        gas=rules.is_gas_over_limit(alarm.kind, alarm.point_code, alarm.point.sensor_type if alarm.point else None),
        checklist=checklist,
    )


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


def visible_windows(user: Any) -> QuerySet[PlannedWindow]:
    return (visible(user, PlannedWindow).select_related("mine", "declared_by")
            .annotate(alarm_count=Count("alarms")).order_by("-start", "-id"))


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
        open_alarms=list(visible_alarms(user).filter(mine=mine, end__isnull=True).order_by("severity", "-start")[:100]),
    )


# --- the home page --------------------------------------------------------------------------------


@dataclass
class AlarmOverview:
    today_total: int
    today_by_kind: list[tuple[str, str, int]]  # (kind, label, count)
    unacknowledged_count: int
    unacknowledged: list[Alarm]
    silent: list[Alarm]  # open mine_silent alarms: mines whose data stopped coming


def alarm_overview(user: Any, now: datetime, limit: int = 8) -> AlarmOverview:
    """Today's alarms (started since Beijing midnight) by kind, the active unacknowledged ones and the
    silent mines, all within the user's scope (a regulator's jurisdiction, a mine's own)."""
    alarms = visible(user, Alarm)
    today = rules.day_start(now.astimezone(SHANGHAI).date())
    labels = dict(AlarmKind.choices)
    counts = dict(alarms.filter(start__gte=today).order_by().values_list("kind").annotate(n=Count("pk"))
                  .values_list("kind", "n"))
    by_kind = [(k, str(labels[k]), counts[k]) for k in AlarmKind.values if counts.get(k)]
    pending = unacknowledged_active(alarms)
    return AlarmOverview(
        today_total=sum(counts.values()),
        today_by_kind=by_kind,
        unacknowledged_count=pending.count(),
        unacknowledged=list(pending.select_related("mine").order_by("severity", "-start")[:limit]),
        silent=list(alarms.filter(kind=AlarmKind.MINE_SILENT, end__isnull=True).select_related("mine")
                    .order_by("start")[:limit]),
    )
