"""Enforcement statistics (R3.6), read through the access policy: per county and per inspector, inspections,
on-site hours (credited to every team member), major hazards found, penalties and amounts, rates per 100
on-site hours, and the flags that show enforcement going soft: a county that penalised nothing (零处罚),
inspections that found major hazards and penalised nothing (只检查不处罚), major hazards a higher level
found at a mine the county had just inspected (倒查)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from kuangan.core.access import perms_of, visible
from kuangan.core.choices import DivisionLevel, OrganizationKind, Perm
from kuangan.core.clock import SHANGHAI
from kuangan.core.models import Division, User

from .choices import CaseStatus, FindingKind
from .models import Inspection, InspectionFinding, InspectionTeamMember, PenaltyCase, PenaltyParty
from .queries import day_start, months_before

DECIDED = (CaseStatus.DECIDED, CaseStatus.PAID, CaseStatus.CLOSED)


@dataclass
class Row:
    """One county or one inspector over the period."""

    label: str
    inspections: int = 0
    hours: float = 0.0
    major_hazards: int = 0
    penalties: int = 0
    fines: Decimal = Decimal(0)
    soft: int = 0  # inspections that found major hazards and penalised nothing
    flags: list[str] = field(default_factory=list)

    @property
    def majors_per_100h(self) -> float | None:
        return round(self.major_hazards * 100 / self.hours, 1) if self.hours else None

    @property
    def penalties_per_100h(self) -> float | None:
        return round(self.penalties * 100 / self.hours, 1) if self.hours else None


@dataclass
class Lookback:
    """倒查: a major hazard found by a higher level at a mine its county inspected shortly before."""

    finding: InspectionFinding
    county_inspection: Inspection


@dataclass
class Statistics:
    start: date
    end: date  # exclusive
    counties: list[Row]
    inspectors: list[Row]
    soft_inspections: list[Inspection]
    lookbacks: list[Lookback]
    total: Row


def _hours(start: datetime | None, end: datetime | None) -> float:
    return (end - start).total_seconds() / 3600 if start and end else 0.0


def enforcement_statistics(user: Any, start: date, end: date) -> Statistics:
    """Inspections count by the day the team arrived (Beijing); penalties by the day they were decided."""
    org = getattr(user, "organization", None)
    if Perm.ENFORCEMENT_STATS_VIEW not in perms_of(user) or org is None or org.kind != OrganizationKind.REGULATOR:
        return Statistics(start, end, [], [], [], [], Row(_("合计")))
    since, until = day_start(start), day_start(end)
    inspections = visible(user, Inspection).filter(on_site_start__gte=since, on_site_start__lt=until)
    counties = {d.pk: Row(d.name) for d in Division.objects.filter(
        path__startswith=org.division.path, level=DivisionLevel.COUNTY).order_by("code")}
    county_of: dict[int, int] = {}
    for pk, division_id, s, e in inspections.values_list("pk", "mine__division", "on_site_start", "on_site_end"):
        row = counties.setdefault(division_id, Row(""))  # a cross-region team's county: named below
        row.inspections += 1
        row.hours += _hours(s, e)
        county_of[pk] = division_id
    majors = visible(user, InspectionFinding).filter(inspection__in=inspections, kind=FindingKind.MAJOR_HAZARD)
    for division_id, n in majors.values_list("inspection__mine__division").annotate(n=Count("pk")):
        counties[division_id].major_hazards += n
    cases = visible(user, PenaltyCase).filter(status__in=DECIDED, decided_at__gte=since, decided_at__lt=until)
    for division_id, n in cases.values_list("mine__division").annotate(n=Count("pk")):
        counties.setdefault(division_id, Row("")).penalties += n
    fines = PenaltyParty.objects.filter(case__in=cases).values_list("case__mine__division").annotate(s=Sum("fine"))
    for division_id, total in fines:
        counties[division_id].fines += total or Decimal(0)

    for pk, name in Division.objects.filter(pk__in=[k for k, r in counties.items() if not r.label]) \
            .values_list("pk", "name"):
        counties[pk].label = name
    penalised = set(PenaltyCase.objects.filter(inspection__in=inspections).values_list("inspection", flat=True))
    with_majors = set(majors.values_list("inspection", flat=True))
    soft_ids = with_majors - penalised
    soft = list(inspections.filter(pk__in=soft_ids).select_related("mine", "leader").order_by("on_site_start"))
    for i in soft:
        counties[county_of[i.pk]].soft += 1

    inspectors: dict[int, Row] = {}
    members = InspectionTeamMember.objects.filter(inspection__in=inspections).select_related("inspection")
    names = dict(User.objects.filter(pk__in=members.values("user")).values_list("pk", "full_name"))
    usernames = dict(User.objects.filter(pk__in=members.values("user")).values_list("pk", "username"))
    majors_by = dict(majors.values_list("inspection").annotate(n=Count("pk")))
    cases_by = dict(cases.filter(inspection__isnull=False).values_list("inspection").annotate(n=Count("pk")))
    fines_by = dict(PenaltyParty.objects.filter(case__in=cases, case__inspection__isnull=False)
                    .values_list("case__inspection").annotate(s=Sum("fine")))
    for m in members:
        row = inspectors.setdefault(m.user_id, Row(names.get(m.user_id) or usernames.get(m.user_id, "")))
        row.inspections += 1
        row.hours += _hours(m.inspection.on_site_start, m.inspection.on_site_end)
        row.major_hazards += majors_by.get(m.inspection_id, 0)
        row.penalties += cases_by.get(m.inspection_id, 0)
        row.fines += fines_by.get(m.inspection_id) or Decimal(0)
        row.soft += m.inspection_id in soft_ids

    for row in counties.values():
        if not row.inspections:
            row.flags.append(_("本期无检查"))
        elif not row.penalties:
            row.flags.append(_("零处罚"))
        if row.soft:
            row.flags.append(_("只检查不处罚 %(n)d 次") % {"n": row.soft})
    for row in inspectors.values():
        if row.soft >= 2:  # STORY: found major hazards twice and penalised nothing
            row.flags.append(_("两次以上查出重大隐患未处罚"))
    total = Row(_("合计"))
    for row in counties.values():
        total.inspections += row.inspections
        total.hours += row.hours
        total.major_hazards += row.major_hazards
        total.penalties += row.penalties
        total.fines += row.fines
        total.soft += row.soft
    for row in [*counties.values(), *inspectors.values(), total]:
        row.hours = round(row.hours, 1)
    return Statistics(start, end, list(counties.values()),
                      sorted(inspectors.values(), key=lambda r: (-r.inspections, r.label)), soft,
                      _lookbacks(user, majors), total)


def _lookbacks(user: Any, majors: Any) -> list[Lookback]:
    """倒查 (R3.6): a major hazard found by a level above the county, at a mine the county itself had
    inspected within the previous ENFORCEMENT_LOOKBACK_MONTHS months: the county looked and did not see it."""
    found: list[Lookback] = []
    higher = majors.select_related("inspection__organization__division", "inspection__mine__division", "hazard")
    for f in higher:
        own, org_path = f.inspection.mine.division, f.inspection.organization.division.path
        if org_path == own.path or not own.path.startswith(org_path):
            continue  # the county's own finding, or a cross-region team's
        at = f.inspection.on_site_start
        since = day_start(months_before(at.astimezone(SHANGHAI).date(), settings.ENFORCEMENT_LOOKBACK_MONTHS))
        county = visible(user, Inspection).filter(
            mine=f.inspection.mine, organization__division=own, on_site_start__gte=since, on_site_start__lt=at) \
            .order_by("-on_site_start").first()
        if county is not None:
            found.append(Lookback(f, county))
    return found
