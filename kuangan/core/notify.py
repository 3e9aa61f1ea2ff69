"""Notifications: written to the recipients' inboxes when the action's transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from .actor import Actor
from .models import Notification


def notify(recipients: Iterable[Any], *, title: str, body: str = "", url: str = "", by: Actor) -> None:
    users = [u for u in recipients if u is not None and u.is_active]

    def write() -> None:
        Notification.objects.bulk_create(
            Notification(recipient=u, created_at=by.at, title=title[:200], body=body, url=url[:300])
            for u in users
        )

    transaction.on_commit(write)
