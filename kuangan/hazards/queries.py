"""Scoped reads of the hazard loop: ledger, detail, monthly reports, proposals, statistics."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from kuangan.core import clock
from kuangan.core.access import get_visible_or_404, visible
from kuangan.core.audit import history, with_changes
from kuangan.core.excel import Serial, SerialDay
from kuangan.core.sqltime import BeijingMonth, ExcelDate, ExcelDateTime
from kuangan.registry.choices import MineStatus
from kuangan.registry.models import Mine, MineStatusChange

from . import rules
from .choices import HazardLevel, HazardSource, HazardStatus, ProposalStatus
from .constants import STOCK_YEAR
from .filters import HazardFilter
from .models import (
    ClosureProposal,
    Hazard,
    HazardEscalation,
    HazardStandard,
    HazardStandardItem,
    Investigation,
    MissingMonthlyReport,
    MonthlyReport,
)
from .tables import EXPORT_FIELDS

OPEN = ~Q(status=HazardStatus.CLOSED)


def visible_hazards(user: Any, filters: HazardFilter | None = None, today: date | None = None) -> QuerySet[Hazard]:
    qs = visible(user, Hazard).select_related("mine__division", "standard_item", "verified_by")
    if filters is not None:
        assert today is not None
        qs = filters.apply(qs, today)
    return qs


class ExportRow:
    """A hazard as `tables.HAZARD_COLUMNS` read it, built from a tuple: the export makes no model instances
    (they cost more than the whole workbook writer: 14,000 rows/s, R2.11). Its dates and times are already
    Excel's serial numbers and its overdue mark is `Hazard.overdue_q`, all computed by the query."""

    __slots__ = (*EXPORT_FIELDS, "overdue", "mine", "standard_item", "verified_by")

    def __init__(self, mine: Any, item: Any, verifier: Any, values: tuple[Any, ...]) -> None:
        self.mine, self.standard_item, self.verified_by = mine, item, verifier
        for name, value in zip(EXPORT_FIELDS, values, strict=False):
            setattr(self, name, value)
        self.overdue = values[-1]
        for name, kind in _SERIALS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, kind(value))

    def is_overdue_on(self, today: date) -> bool:
        return bool(self.overdue)  # the export's query computed it for `today`


_SERIALS: tuple[tuple[str, type], ...] = (
    ("found_at", Serial), ("verified_at", Serial), ("closed_at", Serial), ("deadline", SerialDay))


def _export_columns(today: date) -> dict[str, Any]:
    """What the database computes for the export rather than Python converting each value."""
    return {**{name: ExcelDateTime(name) if kind is Serial else ExcelDate(name) for name, kind in _SERIALS},
            "funds": Cast("funds", FloatField()),
            "overdue": ExpressionWrapper(Hazard.overdue_q(today), output_field=BooleanField())}


def export_hazards(user: Any, filters: HazardFilter | None = None, today: date | None = None,
                   chunk_size: int = 2000) -> Iterator[ExportRow]:
    """The ledger for the Excel export, fetched `chunk_size` rows at a time: the visible hazards, filtered and
    sorted as on the page, with only the columns `tables.HAZARD_COLUMNS` read. The mine, the standard item
    and the verifier are looked up here from the few there are, not joined to each of a city's 120,000
    rows (the joins were 40 % of the query's time on SQLite)."""
    mines = {pk: SimpleNamespace(name=name) for pk, name in visible(user, Mine).values_list("pk", "name")}
    items = {pk: SimpleNamespace(code=code, text=text)
             for pk, code, text in HazardStandardItem.objects.values_list("pk", "code", "text")}
    verifiers: dict[int | None, SimpleNamespace | None] = {None: None}
    today = today or clock.today()
    computed = {f"x_{name}": expression for name, expression in _export_columns(today).items()}
    fields = [f"x_{name}" if f"x_{name}" in computed else name for name in (*EXPORT_FIELDS, "overdue")]
    qs = visible_hazards(user, filters, today).select_related(None).annotate(**computed).values_list(
        "mine_id", "standard_item_id", "verified_by_id", *fields)
    rows = qs.iterator(chunk_size=chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        # the verifiers named in this chunk and not met before, in one query (a hazard's verifier is named
        # wherever the hazard is shown)
        new = {row[2] for row in chunk} - verifiers.keys()
        for pk, full_name, username in get_user_model().objects.filter(pk__in=new).values_list(
                "pk", "full_name", "username"):
            verifiers[pk] = SimpleNamespace(display_name=full_name or username)
        for mine, item, verifier, *values in chunk:
            if mine not in mines:  # moved into this jurisdiction since the mines were read
                mines[mine] = SimpleNamespace(name=Mine.objects.values_list("name", flat=True).get(pk=mine))
            yield ExportRow(mines[mine], items.get(item), verifiers.get(verifier), values)


def get_visible_hazard(user: Any, pk: int) -> Hazard:
    qs = visible(user, Hazard).select_related("mine__division", "mine__organization", "standard_item__standard",
                                             "face", "reported_by", "verified_by", "supervised_by", "repeat_of")
    return get_visible_or_404(user, qs, pk=pk)


@dataclass
class HazardPage:
    hazard: Hazard
    transitions: list[Any]
    escalations: list[Any]
    attachments: list[Any]
    investigation: Investigation | None
    repeats: list[Hazard]
    audit_events: Any


def hazard_page(user: Any, pk: int) -> HazardPage:
    hazard = get_visible_hazard(user, pk)
    return HazardPage(
        hazard=hazard,
        transitions=list(hazard.transitions.select_related("by")),
        escalations=list(hazard.escalations.all()),
        attachments=list(hazard.attachments.all()),
        investigation=Investigation.objects.filter(hazard=hazard).first(),
        repeats=list(hazard.repeats.all()),
        audit_events=with_changes(history(hazard)[:100]),
    )


def get_visible_attachment(user: Any, hazard_pk: int, pk: int) -> Any:
    hazard = get_visible_hazard(user, hazard_pk)
    return get_visible_or_404(user, hazard.attachments.all(), pk=pk)


def standards() -> QuerySet[HazardStandard]:
    """The determination standards are public reference data."""
    return HazardStandard.objects.prefetch_related("items")


def items_for_mine(mine: Mine | None, on: date) -> QuerySet[HazardStandardItem]:
    """The items a major hazard of this mine found on `on` may cite: its industry's standard in force."""
    qs = HazardStandardItem.objects.select_related("standard").filter(
        standard__effective_from__lte=on).filter(Q(standard__effective_to__isnull=True) |
                                                 Q(standard__effective_to__gte=on))
    if mine is not None:
        coal = mine.kind in ("coal_underground", "coal_open_pit")
        qs = qs.filter(standard__industry="coal" if coal else "metal_nonmetal")
    return qs.order_by("standard__industry", "code")


def monthly_overview(user: Any, month: date) -> list[dict[str, Any]]:
    """Each visible mine that owes reports, with its report (or the missing-report finding) for `month`."""
    mines = visible(user, Mine).filter(status__in=("producing", "building")).select_related("division")
    reports = {r.mine_id: r for r in visible(user, MonthlyReport).filter(month=month).select_related("signed_by")}
    missing = {m.mine_id: m for m in visible(user, MissingMonthlyReport).filter(month=month)}
    return [{"mine": m, "report": reports.get(m.pk), "missing": missing.get(m.pk)} for m in mines]


def missing_reports(user: Any) -> QuerySet[MissingMonthlyReport]:
    """Reports not filed by their due day and still not filed."""
    return visible(user, MissingMonthlyReport).select_related("mine__division").exclude(_filed(user))


def monthly_reports(user: Any) -> QuerySet[MonthlyReport]:
    """Every signed monthly report the user may see (the API's list)."""
    return visible(user, MonthlyReport).select_related("mine", "signed_by").prefetch_related("hazards")


def _filed(user: Any) -> Exists:
    """A missing-report finding's report came in after all (late)."""
    return Exists(visible(user, MonthlyReport).filter(mine=OuterRef("mine"), month=OuterRef("month")))


def missing_report_findings(user: Any) -> QuerySet[MissingMonthlyReport]:
    """Every missing-report finding, each marked `filed` once its report came in late (the API's list)."""
    return visible(user, MissingMonthlyReport).select_related("mine").annotate(filed=_filed(user))


def escalations(user: Any) -> QuerySet[HazardEscalation]:
    return visible(user, HazardEscalation).select_related("hazard__mine")


def mine_reports(user: Any, mine: Mine) -> QuerySet[MonthlyReport]:
    return visible(user, MonthlyReport).filter(mine=mine).select_related("signed_by").prefetch_related("hazards")


def visible_proposals(user: Any) -> QuerySet[ClosureProposal]:
    return visible(user, ClosureProposal).select_related("mine__division", "decided_by").prefetch_related("hazards")


def mine_hazard_summary(user: Any, mine: Mine) -> dict[str, Any]:
    qs = visible(user, Hazard).filter(mine=mine)
    return {
        "open": qs.filter(OPEN).count(),
        "repeats": list(qs.filter(repeat_of__isnull=False).select_related("standard_item")[:10]),
        "proposals": list(visible(user, ClosureProposal).filter(mine=mine)),
        "missing": list(visible(user, MissingMonthlyReport).filter(mine=mine)[:12]),
    }


@dataclass(frozen=True)
class StockTargets:
    """R2.7 as numbers: the old stock to clear, this year's new ones, open now, overdue now."""

    stock_open: int
    new_this_year: int
    open_major: int
    overdue_major: int
    supervised: int
    by_step: dict[str, int]


def stock_targets(user: Any, today: date) -> StockTargets:
    majors = visible(user, Hazard).filter(level=HazardLevel.MAJOR)
    year_start = rules.day_start(date(today.year, 1, 1))
    counts = majors.aggregate(
        stock_open=Count("pk", filter=OPEN & Q(found_at__lt=rules.day_start(date(STOCK_YEAR + 1, 1, 1)))),
        new_this_year=Count("pk", filter=Q(found_at__gte=year_start)),
        open_major=Count("pk", filter=OPEN),
        overdue_major=Count("pk", filter=OPEN & Hazard.overdue_q(today)),
        supervised=Count("pk", filter=OPEN & Q(supervised=True)),
    )
    steps = dict(majors.filter(OPEN).exclude(escalation_step="").order_by()
                 .values_list("escalation_step").annotate(n=Count("pk")).values_list("escalation_step", "n"))
    return StockTargets(by_step=steps, **counts)


CHARTS = ("category", "county", "mine", "source", "status", "month")
ORDINARY_CATEGORY = _("一般隐患（不分类别）")  # an ordinary hazard cites no item of the standard


def hazard_statistics(user: Any, filters: HazardFilter | None = None,
                      today: date | None = None) -> dict[str, list[tuple[str, int]]]:
    """The analysis charts (R2.11): counts by category, county, mine, source, status and Beijing month,
    largest first (months in order). Two grouped passes over the ledger index (by source, status and
    standard item; by mine and month) give a few thousand groups; each chart is summed from them here,
    instead of one pass over the hazards per chart."""
    qs = visible_hazards(user, filters, today).select_related(None).order_by()
    counts: dict[str, Counter[str]] = {chart: Counter() for chart in CHARTS}
    categories = dict(HazardStandardItem.objects.values_list("pk", "category_name"))
    source_labels = {value: str(label) for value, label in HazardSource.choices}  # resolved once, not per group
    status_labels = {value: str(label) for value, label in HazardStatus.choices}
    kinds = qs.values("source", "status", "standard_item_id").annotate(n=Count("pk"))
    for source, status, item, n in kinds.values_list("source", "status", "standard_item_id", "n"):
        counts["source"][source_labels.get(source, source)] += n
        counts["status"][status_labels.get(status, status)] += n
        counts["category"][categories.get(item) or str(ORDINARY_CATEGORY)] += n
    by_mine: Counter[int] = Counter()
    months = qs.annotate(m=BeijingMonth("found_at")).values("mine_id", "m").annotate(n=Count("pk"))
    for mine, month, n in months.values_list("mine_id", "m", "n"):
        by_mine[mine] += n
        counts["month"][month] += n
    for pk, name, county in visible(user, Mine).values_list("pk", "name", "division__name"):
        if pk in by_mine:
            counts["mine"][name] += by_mine[pk]
            counts["county"][county] += by_mine[pk]
    charts = {chart: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for chart, c in counts.items()}
    charts["month"] = [(m, counts["month"][m]) for m in _months_between(min(counts["month"], default=""),
                                                                         max(counts["month"], default=""))]
    return charts


def _months_between(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from `first` to `last`: a month without hazards is a bar of 0, not a gap in the axis."""
    if not first:
        return []
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while (label := f"{year:04d}-{month:02d}") <= last:
        out.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def open_proposals_count(user: Any) -> int:
    return visible(user, ClosureProposal).filter(status=ProposalStatus.OPEN).count()


REPORTING_STATUSES = (MineStatus.PRODUCING, MineStatus.BUILDING)  # mines that owe a monthly report (R2.6)


def owed_months(at: datetime) -> dict[int, list[date]]:
    """R2.6: each mine's months whose report was due by `at`, from its status history. System-level (no
    access policy): the tick's missing-report findings and the demo's reports."""
    history: dict[int, list[tuple[date, str]]] = defaultdict(list)
    changes = MineStatusChange.objects.filter(at__lte=at).order_by("mine", "effective_on", "at", "pk")
    for mine_id, on, status in changes.values_list("mine", "effective_on", "to_status"):
        history[mine_id].append((on, status))
    due_day = settings.HAZARD_REPORT_DUE_DAY
    return {mine_id: rules.months_owed(steps, REPORTING_STATUSES, at, due_day) for mine_id, steps in history.items()}
