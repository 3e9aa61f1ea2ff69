"""The hazard loop's periodic work, run by `kuangan tick --at T` (registered in apps.py). Each part is
idempotent: a second run at the same T finds nothing left to do."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from kuangan.core.actor import Actor
from kuangan.registry.choices import MineStatus
from kuangan.registry.models import Mine

from .actions import _check_closure, _escalate, _record_missing_reports
from .choices import HazardLevel, ProposalStatus
from .models import Hazard


def tick(at: datetime) -> dict[str, int]:
    due = list(Hazard.objects.filter(next_due_at__lte=at).values_list("pk", flat=True))
    escalations = sum(_escalate(pk, at) for pk in due)
    missing = _record_missing_reports(at)
    proposals = 0
    candidates = Mine.objects.filter(status=MineStatus.PRODUCING, hazards__level=HazardLevel.MAJOR) \
        .exclude(closure_proposals__status=ProposalStatus.OPEN).distinct()
    for mine in candidates:
        with transaction.atomic():
            if _check_closure(mine, by=Actor.system("tick", at=at)) is not None:
                proposals += 1
    return {"hazard escalation steps": escalations, "missing monthly reports": missing,
            "closure proposals": proposals}
