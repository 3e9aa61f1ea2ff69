"""The hazard loop's periodic work, run by `kuangan tick --at T` (registered in apps.py). Each part is
idempotent: a second run at the same T finds nothing left to do."""

from __future__ import annotations

from datetime import datetime

from .actions import _catch_up_closures, _escalate, _record_missing_reports
from .models import Hazard


def tick(at: datetime) -> dict[str, int]:
    due = list(Hazard.objects.filter(next_due_at__lte=at).values_list("pk", flat=True))
    escalations = sum(_escalate(pk, at) for pk in due)
    missing = _record_missing_reports(at)
    proposals = _catch_up_closures(at)  # the others are raised when the hazard is reported
    return {"hazard escalation steps": escalations, "missing monthly reports": missing,
            "closure proposals": proposals}
