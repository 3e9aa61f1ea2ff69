"""The home page: what a regulator or a mine needs to see first. Read-only; other apps' queries only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from kuangan.core import clock
from kuangan.core import queries as core_queries
from kuangan.core.http import AuthedRequest
from kuangan.hazards import queries as hazard_queries
from kuangan.monitoring import queries as monitoring_queries
from kuangan.registry import queries as registry_queries


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    today = clock.today()
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
        "overdue": hazard_queries.visible_hazards(user).filter(
            level="major", deadline__lt=today).exclude(status="closed").order_by("deadline")[:8],
    })
