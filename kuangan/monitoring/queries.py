"""Scoped reads of monitoring: the alarm ledger and page (with the point's chart), planned windows,
received files, the dossier's monitoring tab and the home page's alarm overview."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kuangan.core.access import ROLE_PERMS, get_visible_or_404, visible
from kuangan.core.audit import history, with_changes
from kuangan.core.choices import OrganizationKind, Perm
from kuangan.core.clock import SHANGHAI, local
from kuangan.core.models import User
from kuangan.registry.models import Mine

from . import constants, rules
from .choices import AlarmKind, UploadStatus, WindowStatus
from .filters import AlarmFilter, UploadFilter, WindowFilter
from .models import (
    Alarm,
    AlarmDisposal,
    AreaMappingChange,
    Fence,
    Lead,
    LeadTransition,
    MonitoringPoint,
    PersonnelNow,
    PersonnelProfile,
    PlannedWindow,
    PositioningArea,
    RejectedRecord,
    StaffingLimit,
    Upload,
)

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
    subject: str = ""  # a personnel alarm's person (card → name) or area (code → name); "" otherwise
    leads: list[Any] = field(default_factory=list)  # leads kept from it (LEAD_VIEW holders only: the policy)


def point_chart(alarm: Alarm, now: datetime) -> PointChart | None:
    """The point's series from an hour before the alarm to an hour after its end (or now); None for a
    mine-level alarm. Read from the Parquet store; a store that cannot be read gives an empty chart
    with the reason, never an error page."""
    if not alarm.point_code or alarm.kind in rules.PERSONNEL_KINDS:  # a card or an area is no point
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
    personnel = alarm.kind in rules.PERSONNEL_KINDS
    names = evidence_names(alarm.mine_id, alarm.evidence, alarm.point_code) if personnel else None
    return AlarmPage(
        alarm=alarm,
        transitions=alarm_history(alarm),
        disposal=disposal,
        evidence=rules.evidence_lines(alarm.kind, alarm.evidence, alarm.point.unit if alarm.point else "",
                                      span_s=span, names=names),
        duration=rules.duration(span),
        chart=point_chart(alarm, now),
        audit_events=with_changes(history(alarm)[:50]),
        gas=rules.is_gas_over_limit(alarm.kind, alarm.point_code, alarm.point.sensor_type if alarm.point else None),
        checklist=checklist,
        subject=rules.named(alarm.point_code, names or {}) if personnel and alarm.point_code else "",
        leads=list(visible(user, Lead).filter(alarm=alarm).order_by("-id")),
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


# --- personnel positioning: the dossier's 人员定位 tab and the home page (issue 20) ----------------------------

PERSONNEL_FILE_TYPES = ("RYCS", "RYCY", "RYQJ", "RYXZ")  # the mine's own personnel alarms (FORMATS.md)
PERSONNEL_FILE_NAMES = {"RYCS": gettext_noop("超时报警"), "RYCY": gettext_noop("超员报警"),
                        "RYQJ": gettext_noop("求救报警"), "RYXZ": gettext_noop("限制区域报警")}
DEFAULT_SHIFTS = ["00:00", "08:00", "16:00"]  # 三八制, as the engine assumes without a profile
FLAG_WORDS = {0: gettext_noop("井口"), 1: gettext_noop("井下"), 2: gettext_noop("已出井")}
DATALIST_WORKERS = 500  # the card picker offers at most this many of the mine's workers


@dataclass(frozen=True)
class MineLimit:
    """The mine's single-shift limit (StaffingLimit by approved capacity and disaster class) and its source."""

    value: int | None
    capacity: Any
    severe: bool
    source: str


def _limits() -> list[Any]:
    return list(StaffingLimit.objects.all())


def mine_limit_of(mine: Mine, limits: list[Any]) -> MineLimit:
    from .facts import disaster_severe, mine_limit

    severe = disaster_severe(mine)
    row = mine_limit(limits, mine.approved_capacity)
    value = None if row is None else (row.disaster_limit if severe else row.other_limit)
    return MineLimit(value, mine.approved_capacity, severe, row.source if row is not None else "")


@dataclass
class AreaNow:
    """An area of the mine with its people now and on the chosen day, against its limits."""

    area: Any  # PositioningArea, or None for people the files placed in no known area
    code: str
    name: str
    people: int  # at the newest snapshot
    face_limit: int | None  # the confirmed face's production-shift limit (StaffingLimit)
    maintenance_limit: int | None
    headcount: int | None  # the area's approved headcount in the mine's RYQY
    day_peak: int | None = None
    day_peak_at: str = ""

    @property
    def over(self) -> bool:
        limits = [x for x in (self.face_limit, self.headcount) if x is not None]
        return bool(limits) and self.people > min(limits)

    @property
    def day_over(self) -> bool:
        limits = [x for x in (self.face_limit, self.headcount) if x is not None]
        return bool(limits) and (self.day_peak or 0) > min(limits)

    @property
    def pending(self) -> bool:
        """Mapped by the mine and not (yet) confirmed by a regulator: evidence, not a declaration."""
        return self.area is not None and self.area.mapped_at is not None and self.area.confirmed_at is None


@dataclass(frozen=True)
class TrackRow:
    first: str
    last: str
    snapshots: int
    flag: str
    area: str
    area_entered: str
    station: str
    station_reached: str
    time_down: str
    time_up: str
    sos: bool


@dataclass
class PersonnelTab:
    mine: Mine
    now: Any  # PersonnelNow or None
    stale: bool  # the newest snapshot is older than the RYSS lateness
    lateness_minutes: int
    limit: MineLimit
    areas: list[AreaNow]
    leaders: list[tuple[str, str, str]]  # (name, post, card) of roster leaders underground now
    roster_cards: int  # leaders with a card code on the roster
    day: date
    chart: dict[str, Any] | None
    chart_error: str
    day_peak: tuple[int, str] | None  # (people, time) of the day's most crowded snapshot
    snapshots: int
    card: str
    card_name: str
    track: list[TrackRow]
    track_error: str
    fences: list[tuple[Any, bool]]  # (fence, in force now)
    shifts: list[str]
    maintenance_shift: str
    shifts_default: bool
    files: list[Upload]
    file_counts: list[tuple[str, str, int, int]]  # (type, name, files, records)
    leads: list[Any]
    faces: list[Any]
    workers: list[tuple[str, str]]  # (card, name) for the card picker
    pending_mappings: int = 0


def _area_names(mine_id: int) -> dict[str, str]:
    return {c: n for c, n in PositioningArea.objects.filter(mine_id=mine_id).values_list("code", "name") if n}


def card_names(mine_id: int, cards: Iterable[str]) -> dict[str, str]:
    """Names of the mine's cards: its workers' (RYXX, the workforce app), then its leaders' (the roster)."""
    from kuangan.registry.models import LeadershipMember
    from kuangan.workforce.models import Worker

    wanted = sorted({c for c in cards if c})
    if not wanted:
        return {}
    names = dict(Worker.objects.filter(mine_id=mine_id, card_code__in=wanted).values_list("card_code", "name"))
    for member in LeadershipMember.objects.filter(mine_id=mine_id, card_code__in=wanted):
        names[member.card_code] = f"{member.name}（{member.get_post_display()}）"
    return names


def _read(what: str, read: Any) -> tuple[Any, str]:
    """A Parquet read for a page: (result, "") or (None, the reason) for a damaged or missing file."""
    try:
        return read(), ""
    except (OSError, duckdb.Error, pl.exceptions.PolarsError) as e:
        log.warning("%s unreadable: %s", what, e)
        return None, str(e)[:200]


def personnel_tab(user: Any, mine: Mine, now: datetime, day: date | None = None, card: str = "") -> PersonnelTab:
    """The dossier's 人员定位 tab of a mine the user may see (the caller read it through the policy)."""
    from django.conf import settings

    from kuangan.engine.io import parquet_store
    from kuangan.registry.models import LeadershipMember, WorkingFace
    from kuangan.workforce.models import Worker

    from .facts import disaster_severe, face_limit
    from .ingest import store

    limits = _limits()
    limit = mine_limit_of(mine, limits)
    severe = disaster_severe(mine)
    current = visible(user, PersonnelNow).filter(mine=mine).first()
    lateness = int(settings.MONITORING_LATENESS.get("RYSS", 900))
    stale = current is not None and (now - current.at).total_seconds() > lateness
    if day is None:
        day = (current.at if current is not None else now).astimezone(SHANGHAI).date()
    areas = list(visible(user, PositioningArea).filter(mine=mine)
                 .select_related("face", "mapped_by", "confirmed_by").order_by("code"))
    by_area = dict(current.by_area) if current is not None else {}
    rows: dict[str, AreaNow] = {}
    for a in areas:
        face = a.face if a.confirmed_at is not None and a.face is not None else None
        rows[a.code] = AreaNow(
            a, a.code, a.name or a.code, int(by_area.get(a.code, 0)),
            face_limit(limits, face, severe, "production") if face else None,
            face_limit(limits, face, severe, "maintenance") if face else None, a.headcount)
    for code, n in by_area.items():
        if code not in rows:
            rows[code] = AreaNow(None, code, code or _("未定位到区域"), int(n), None, None, None)
    # the day from the Parquet store: the headcount per snapshot, and each area's most crowded moment
    series, error = _read("headcount", lambda: parquet_store.headcount_series(store(), mine.code, day))
    per_area, error_area = _read("area headcount", lambda: parquet_store.headcount_by_area(store(), mine.code, day))
    chart: dict[str, Any] | None = None
    area_lines: list[dict[str, Any]] = []
    day_peak = None
    if series is not None and not series.is_empty():
        times = [t.strftime(rules.TIME) for t in series["time"].to_list()]
        counts = series["people"].to_list()
        top = max(range(len(counts)), key=lambda i: (counts[i], -i))
        day_peak = (counts[top], times[top])
        chart = {"total": [[t, n] for t, n in zip(times, counts, strict=True)], "limit": limit.value,
                 "start": f"{day.isoformat()} 00:00:00", "end": f"{day.isoformat()} 23:59:59", "areas": area_lines}
    if per_area is not None and not per_area.is_empty():
        peaks = (per_area.sort("time").group_by("area_code", maintain_order=True)
                 .agg(pl.col("people").max().alias("peak"), pl.col("time").get(pl.col("people").arg_max()).alias("at")))
        for code, peak, at in peaks.iter_rows():
            row = rows.get(code)
            if row is None:
                row = rows[code] = AreaNow(None, code, code or _("未定位到区域"), 0, None, None, None)
            row.day_peak, row.day_peak_at = int(peak), at.strftime(rules.TIME)
        if chart is not None:  # the faces (with their limits) and the busiest other areas, as lines
            shown = sorted((r for r in rows.values() if r.day_peak),
                           key=lambda r: (r.face_limit is None, -(r.day_peak or 0)))[:6]
            for r in shown:
                part = per_area.filter(pl.col("area_code") == r.code)
                area_lines.append({"name": r.name, "limit": r.face_limit, "values": [
                    [t.strftime(rules.TIME), n] for t, n in zip(part["time"].to_list(), part["people"].to_list(),
                                                                 strict=True)]})
    # a person's track for the day
    card = card.strip()
    track: list[TrackRow] = []
    track_error = ""
    card_name = ""
    if card:
        frame, track_error = _read("track", lambda: parquet_store.card_track(store(), mine.code, card, day))
        area_names = {a.code: a.name or a.code for a in areas}
        if frame is not None:
            for r in frame.iter_rows(named=True):
                track.append(TrackRow(
                    r["first"].strftime(rules.TIME), r["last"].strftime(rules.TIME), r["snapshots"],
                    _(FLAG_WORDS.get(r["flag"], "")) if r["flag"] in FLAG_WORDS else "—",
                    named_area(r["area_code"], area_names), _fmt(r["area_entered"]), r["station_code"] or "—",
                    _fmt(r["station_reached"]), _fmt(r["time_down"]), _fmt(r["time_up"]), r["state"] == "求救"))
                card_name = r["name"] or card_name
        known = card_names(mine.pk, [card]).get(card)
        card_name = known or card_name
    leader_cards = set(current.leaders) if current is not None else set()
    roster = [m for m in LeadershipMember.objects.filter(mine=mine, active=True).exclude(card_code="")]
    leaders = [(m.name, str(m.get_post_display()), m.card_code) for m in roster if m.card_code in leader_cards]
    fences = list(visible(user, Fence).filter(mine=mine).select_related("created_by").order_by("-start", "-id")[:50])
    profile = visible(user, PersonnelProfile).filter(mine=mine).first()
    files = list(visible(user, Upload).filter(mine=mine, file_type__in=PERSONNEL_FILE_TYPES)
                 .order_by("-header_time", "-id")[:20])
    counts = {r["file_type"]: (r["n"], r["records"] or 0) for r in visible(user, Upload).filter(
        mine=mine, file_type__in=PERSONNEL_FILE_TYPES, status=UploadStatus.ACCEPTED).order_by()
        .values("file_type").annotate(n=Count("pk"), records=Sum("records"))}
    return PersonnelTab(
        mine=mine, now=current, stale=stale, lateness_minutes=lateness // 60, limit=limit,
        areas=sorted(rows.values(), key=lambda r: (r.area is None, -(r.people), r.code)),
        leaders=leaders, roster_cards=len(roster), day=day, chart=chart, chart_error=error or error_area,
        day_peak=day_peak, snapshots=series.height if series is not None else 0,
        card=card, card_name=card_name, track=track, track_error=track_error,
        fences=[(f, f.start <= now and (f.end is None or f.end > now)) for f in fences],
        shifts=list(profile.shift_starts) if profile is not None else DEFAULT_SHIFTS,
        maintenance_shift=profile.maintenance_shift if profile is not None else "",
        shifts_default=profile is None,
        files=files,
        file_counts=[(t, _(PERSONNEL_FILE_NAMES[t]), *counts.get(t, (0, 0))) for t in PERSONNEL_FILE_TYPES],
        leads=list(visible(user, Lead).filter(mine=mine).order_by("-start", "-id")[:20]),
        faces=list(visible(user, WorkingFace).filter(mine=mine).order_by("kind", "name")),
        workers=list(visible(user, Worker).filter(mine=mine, active=True).order_by("name", "card_code")
                     .values_list("card_code", "name")[:DATALIST_WORKERS]),
        pending_mappings=sum(1 for a in areas if a.mapped_at is not None and a.confirmed_at is None),
    )


def _fmt(t: datetime | None) -> str:
    return t.strftime(rules.TIME) if t is not None else "—"


def named_area(code: str | None, names: dict[str, str]) -> str:
    if not code:
        return _("未定位到区域")
    name = names.get(code)
    return f"{name}（{code}）" if name and name != code else code


def personnel_mine_areas(user: Any, mine: Mine) -> QuerySet[Any]:
    """The mine's positioning areas (the mapping and fence forms choose among them)."""
    return visible(user, PositioningArea).filter(mine=mine).order_by("code")


def get_visible_fence(user: Any, mine: Mine, pk: int) -> Fence:
    return get_visible_or_404(user, visible(user, Fence).select_related("mine"), pk=pk, mine=mine)


@dataclass(frozen=True)
class UndergroundRow:
    mine: Mine
    people: int
    at: datetime
    limit: int | None
    stale: bool

    @property
    def over(self) -> bool:
        return self.limit is not None and self.people > self.limit

    @property
    def share(self) -> float:
        return self.people / self.limit if self.limit else 0.0


@dataclass
class PersonnelOverview:
    rows: list[UndergroundRow]  # the most crowded against their limits first
    mines: int  # mines with a snapshot
    people: int
    over: int  # mines above their limit now
    stale: int  # mines whose newest snapshot is late


def personnel_overview(user: Any, now: datetime, limit: int = 10) -> PersonnelOverview:
    """People underground per mine of the user's (PersonnelNow) against each mine's single-shift limit."""
    from django.conf import settings

    lateness = int(settings.MONITORING_LATENESS.get("RYSS", 900))
    current = list(visible(user, PersonnelNow).select_related("mine"))
    limits = _limits() if current else []  # no positioning data (most homes today): one query
    rows = [UndergroundRow(p.mine, p.count, p.at, mine_limit_of(p.mine, limits).value,
                           (now - p.at).total_seconds() > lateness) for p in current]
    rows.sort(key=lambda r: (-r.share, -r.people, r.mine.name))
    return PersonnelOverview(rows=rows[:limit], mines=len(rows), people=sum(r.people for r in rows),
                             over=sum(1 for r in rows if r.over), stale=sum(1 for r in rows if r.stale))


# --- leads of illegal production (R4.7): LEAD_VIEW holders in scope only (the policy's view_perm) ---------------

LEAD_RELATED = ("mine__division", "reviewer", "hazard")


def visible_leads(user: Any, filters: Any = None) -> QuerySet[Lead]:
    qs = visible(user, Lead).select_related(*LEAD_RELATED).order_by("-start", "-id")
    return filters.apply(qs) if filters is not None else qs


def get_visible_lead(user: Any, pk: int) -> Lead:
    """The same 404 for missing, not ours and not a LEAD_VIEW holder's (the policy's `view_perm`)."""
    return get_visible_or_404(user, visible(user, Lead).select_related(*LEAD_RELATED, "alarm"), pk=pk)


def lead_subject(lead: Lead, area_names: dict[str, str] | None = None) -> str:
    """What the lead is about, as people call it: the area's name, the seal with its place, the meter, the
    whole mine."""
    kind, subject = lead.kind, lead.subject
    if not subject:
        return _("全矿")
    if kind == "seal_activity_while_suspended":
        place = (lead.evidence or {}).get("place")
        return f"{_('密闭')} {subject}{f'（{place}）' if place else ''}"
    names = area_names if area_names is not None else _area_names(lead.mine_id)
    if subject in names:
        return f"{names[subject]}（{subject}）"
    if kind in rules.PERSONNEL_KINDS and len(subject) > len(lead.mine.code) + 4:  # a card
        name = card_names(lead.mine_id, [subject]).get(subject)
        return f"{name}（{subject}）" if name else subject
    return subject


def _evidence_codes(evidence: Any) -> set[str]:
    """Card and area codes an evidence names (keys like card, area, cards, roster, who …)."""
    found: set[str] = set()
    if isinstance(evidence, dict):
        for key, value in evidence.items():
            if key in ("card", "area", "card_code") and isinstance(value, str):
                found.add(value)
            elif isinstance(value, list | dict):
                found |= _evidence_codes(value)
    elif isinstance(evidence, list):
        for value in evidence:
            if isinstance(value, str):
                found.add(value)
            else:
                found |= _evidence_codes(value)
    return found


def evidence_names(mine_id: int, evidence: Any, *subjects: str) -> dict[str, str]:
    """Names for the codes of an evidence (and of the subjects: a card, an area): areas, then cards (workers,
    leaders)."""
    codes = _evidence_codes(evidence) | {s for s in subjects if s}
    names = {c: n for c, n in _area_names(mine_id).items() if c in codes}
    names.update(card_names(mine_id, codes - set(names)))
    return names


@dataclass
class LeadPage:
    lead: Lead
    subject: str
    peak: str
    peak_label: str
    evidence: rules.LeadEvidence
    episodes: list[tuple[str, str, str]]  # (start, end, peak) of each episode that fed it
    area: PositioningArea | None
    mapping_changes: list[AreaMappingChange]
    transitions: list[LeadTransition]
    inspections: list[Any]
    chart_error: str = ""


def lead_page(user: Any, pk: int, now: datetime) -> LeadPage:
    from .ingest import store

    lead = get_visible_lead(user, pk)
    area = visible(user, PositioningArea).filter(mine_id=lead.mine_id, code=lead.subject).select_related(
        "face", "mapped_by", "confirmed_by").first() if lead.subject else None
    names = evidence_names(lead.mine_id, lead.evidence, lead.subject)
    evidence = rules.lead_evidence(lead.kind, lead.evidence, names)
    error = ""
    if evidence.chart is not None and evidence.chart.get("kind") == "power":
        from kuangan.engine.io import parquet_store

        first = lead.start.astimezone(SHANGHAI).date() - timedelta(days=40)
        last = min((lead.end or now).astimezone(SHANGHAI).date(), first + timedelta(days=120))
        frame, error = _read("power", lambda: parquet_store.power_daily(store(), lead.mine.code, first, last))
        evidence.chart["values"] = [] if frame is None else [
            [d.isoformat(), round(v, 1)] for d, v in zip(frame["day"].to_list(), frame["kwh"].to_list(), strict=True)]
        if not evidence.chart["values"]:
            evidence.chart = None
    changes = list(visible(user, AreaMappingChange).filter(area=area, at__gte=lead.start).select_related("by")
                   .order_by("at", "pk")) if area is not None else []
    from kuangan.enforcement.models import Inspection

    return LeadPage(
        lead=lead, subject=lead_subject(lead, {c: n for c, n in names.items()}),
        peak=rules.peak_text(lead.kind, lead.peak), peak_label=rules.peak_label(lead.kind), evidence=evidence,
        episodes=[(str(e.get("start") or "—"), str(e.get("end") or _("仍在持续")), rules.peak_text(lead.kind, e.get("peak")))
                  for e in (lead.evidence or {}).get("episodes", []) if isinstance(e, dict)],
        area=area, mapping_changes=changes,
        transitions=list(visible(user, LeadTransition).filter(lead=lead).select_related("by").order_by("at", "pk")),
        inspections=list(visible(user, Inspection).filter(lead=lead).order_by("-planned_on", "-id")),
        chart_error=error,
    )


def lead_for_inspection(user: Any, pk: int | None) -> Lead | None:
    """The open lead an inspection is opened from, if the user may see it (a hidden or decided one is ignored)."""
    if pk is None:
        return None
    from .choices import OPEN_LEAD

    return visible(user, Lead).select_related("mine").filter(pk=pk, status__in=OPEN_LEAD).first()


def open_leads(user: Any, mine: Mine) -> list[Lead]:
    """The mine's open leads, read live (for LEAD_VIEW holders only: the policy gives the others none)."""
    from .choices import OPEN_LEAD

    return list(visible(user, Lead).filter(mine=mine, status__in=OPEN_LEAD).order_by("-start", "-id")[:20])


@dataclass
class LeadOverview:
    open_count: int
    new_count: int
    newest: list[Lead]


def lead_overview(user: Any, limit: int = 5) -> LeadOverview:
    from .choices import OPEN_LEAD, LeadStatus

    leads = visible(user, Lead).filter(status__in=OPEN_LEAD)
    counts = leads.aggregate(open=Count("pk"), new=Count("pk", filter=Q(status=LeadStatus.NEW)))
    newest = list(leads.select_related("mine").order_by("-raised_at", "-id")[:limit]) if counts["open"] else []
    return LeadOverview(open_count=counts["open"], new_count=counts["new"], newest=newest)


def standard_item(mine: Mine, code: str, on: date) -> Any:
    """The catalog item `code` a major hazard of this mine found on `on` may cite (None when its standard has
    no such item): what the hazard forms preselect."""
    from kuangan.hazards.queries import items_for_mine

    return items_for_mine(mine, on).filter(code=code).first()


def area_names_of(mine_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each mine's area names by code (one query for a page of leads)."""
    out: dict[int, dict[str, str]] = {}
    for mine_id, code, name in PositioningArea.objects.filter(mine_id__in=set(mine_ids)).exclude(name="").values_list(
            "mine_id", "code", "name"):
        out.setdefault(mine_id, {})[code] = name
    return out


def mine_faces(user: Any, mine: Mine) -> QuerySet[Any]:
    """The mine's working faces (an area is mapped to one of them)."""
    from kuangan.registry.models import WorkingFace

    return visible(user, WorkingFace).filter(mine=mine).order_by("kind", "name")
