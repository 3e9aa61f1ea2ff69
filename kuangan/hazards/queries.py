"""Scoped reads of the hazard loop: ledger, detail, monthly reports, proposals, statistics."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kuangan.core.access import get_visible_or_404, visible
from kuangan.core.audit import history, with_changes
from kuangan.core.sqltime import BeijingMonth
from kuangan.registry.choices import MineStatus
from kuangan.registry.models import Mine, MineStatusChange

from . import rules
from .choices import HazardLevel, HazardSource, HazardStatus, ProposalStatus
from .constants import STOCK_YEAR
from .filters import HazardFilter
from .models import (
    ClosureProposal,
    Hazard,
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
    (they cost more than the whole workbook writer: 14,000 rows/s, R2.11)."""

    __slots__ = (*EXPORT_FIELDS, "mine", "standard_item", "verified_by")
    is_overdue_on = Hazard.is_overdue_on  # the same rule as the page's, on these attributes

    def __init__(self, values: tuple[Any, ...]) -> None:
        mine, item_id, code, text, verifier_id, full_name, username, *rest = values
        self.mine = SimpleNamespace(name=mine)
        self.standard_item = SimpleNamespace(code=code, text=text) if item_id is not None else None
        self.verified_by = SimpleNamespace(display_name=full_name or username) if verifier_id is not None else None
        for name, value in zip(EXPORT_FIELDS, rest, strict=True):
            setattr(self, name, value)


def export_hazards(user: Any, filters: HazardFilter | None = None, today: date | None = None,
                   chunk_size: int = 2000) -> Iterator[ExportRow]:
    """The ledger for the Excel export, fetched `chunk_size` rows at a time: the visible hazards, filtered and
    sorted as on the page, with only the columns `tables.HAZARD_COLUMNS` read."""
    qs = visible_hazards(user, filters, today).select_related(None).values_list(
        "mine__name", "standard_item_id", "standard_item__code", "standard_item__text", "verified_by_id",
        "verified_by__full_name", "verified_by__username", *EXPORT_FIELDS)
    return (ExportRow(values) for values in qs.iterator(chunk_size=chunk_size))


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
    filed = MonthlyReport.objects.filter(mine=OuterRef("mine"), month=OuterRef("month"))
    return visible(user, MissingMonthlyReport).select_related("mine__division").exclude(Exists(filed))


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
    source_labels, status_labels = dict(HazardSource.choices), dict(HazardStatus.choices)
    kinds = qs.values("source", "status", "standard_item_id").annotate(n=Count("pk"))
    for source, status, item, n in kinds.values_list("source", "status", "standard_item_id", "n"):
        counts["source"][str(source_labels.get(source, source))] += n
        counts["status"][str(status_labels.get(status, status))] += n
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
