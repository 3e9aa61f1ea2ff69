"""The periodic work of the workforce app, run by `kuangan tick --at T` (registered in apps.py). Idempotent:
a second run at the same T finds nothing left to do. The writes are the actions' own (actions.py)."""

from __future__ import annotations

from datetime import datetime

from . import actions


def notify_expiring_certificates(at: datetime) -> dict[str, int]:
    """R5.2: the mine's head and safety officers hear once of each certificate expiring within
    settings.WORKFORCE_CERTIFICATE_NOTICE_DAYS days."""
    return {"certificate expiry notices": actions._notify_expiring_certificates(at)}


def tick(at: datetime) -> dict[str, int]:
    return notify_expiring_certificates(at)
