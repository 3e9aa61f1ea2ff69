"""The home page: what a regulator or a mine needs to see first. Read-only; other apps' queries only."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from kuangan.core import clock
from kuangan.core import queries as core_queries
from kuangan.core.access import can
from kuangan.core.choices import OrganizationKind, Perm
from kuangan.core.http import AuthedRequest
from kuangan.core.paging import late_slice
from kuangan.enforcement import queries as enforcement_queries
from kuangan.hazards import queries as hazard_queries
from kuangan.hazards import rules as hazard_rules
from kuangan.hazards.filters import HazardFilter
from kuangan.monitoring import queries as monitoring_queries
from kuangan.registry import queries as registry_queries

MINE_SIDE = (OrganizationKind.MINE, OrganizationKind.ENTERPRISE)  # their home is about their own mines


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    today = clock.today()
    if user.organization is not None and user.organization.kind in MINE_SIDE:
        return _mine_home(request, today)
    flagged_count, flagged = registry_queries.findings_overview(user, today)
    by_status = registry_queries.mine_counts_by_status(user)
    return render(request, "dashboard/home.html", {
        "today": today,
        "by_status": by_status,
        "mine_total": sum(n for _v, _l, n in by_status),
        "flagged_count": flagged_count,
        "flagged": flagged,
        "inbox": core_queries.inbox(user).filter(read_at__isnull=True)[:8],
        "targets": hazard_queries.stock_targets(user, today),
        "missing_reports": hazard_queries.missing_reports(user).count(),
        "open_proposals": hazard_queries.open_proposals_count(user),
        "alarms": monitoring_queries.alarm_overview(user, request.actor.at),
        "personnel": monitoring_queries.personnel_overview(user, request.actor.at),
        "leads": monitoring_queries.lead_overview(user) if can(user, Perm.LEAD_VIEW) else None,
        "overdue": late_slice(hazard_queries.visible_hazards(user).filter(  # as Hazard.overdue_q
            level="major", due_on__lt=today, paused=False).exclude(status="closed").order_by("due_on", "pk"), 0, 8),
        # close-out requests the regulator has not answered in KUANGAN_VERIFY_DAYS: the county's delay
        "verify_overdue": late_slice(hazard_queries.visible_hazards(user).filter(
            status="close_out_requested", verify_due_on__lt=today).order_by("verify_due_on", "pk"), 0, 8),
        # R3.2 "全覆盖": this month's plan, done so far (regulators who read plans; nobody else has any)
        "coverage": enforcement_queries.coverage_total(enforcement_queries.plan_coverage(user, today.year, today.month)),
    })


def _mine_home(request: AuthedRequest, today: date) -> HttpResponse:
    """A mine's (or an enterprise's) home: its mines, open hazards with their deadlines, the monthly
    report due now, its alarms and planned windows, its dossier problems and messages."""
    user = request.user
    month = hazard_rules.month_start(hazard_rules.month_start(today) - timedelta(days=1))  # due now: last month's
    hazards = hazard_queries.visible_hazards(user, HazardFilter(open=True, sort="deadline", mine=None), today)
    overdue = set(hazard_queries.visible_hazards(user, HazardFilter(open=True, overdue=True, mine=None), today)
                  .values_list("pk", flat=True))
    _count, flagged = registry_queries.findings_overview(user, today)
    return render(request, "dashboard/mine_home.html", {
        "today": today,
        "mines": registry_queries.visible_mines(user).order_by("name")[:50],
        "hazards": [(h, h.pk in overdue) for h in hazards[:20]],
        "hazard_count": hazards.count(),
        "overdue_count": len(overdue),
        "month": month,
        "due_on": hazard_rules.report_due_on(month, settings.HAZARD_REPORT_DUE_DAY),
        "reports": hazard_queries.monthly_overview(user, month),
        "missing": hazard_queries.missing_reports(user)[:12],
        "alarms": monitoring_queries.alarm_overview(user, request.actor.at),
        "personnel": monitoring_queries.personnel_overview(user, request.actor.at),
        "windows": monitoring_queries.pending_windows(user).select_related("mine").order_by("start")[:8],
        "flagged": flagged,
        "inbox": core_queries.inbox(user).filter(read_at__isnull=True)[:8],
    })
