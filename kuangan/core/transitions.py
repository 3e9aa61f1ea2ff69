"""Moving a workflow row from one status to the next with a conditional UPDATE, so that two people
acting on the same record at once cannot both succeed (the loser gets StaleState)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError


class StaleState(DomainError):
    def __init__(self) -> None:
        super().__init__(_("该记录已被他人处理，请刷新后重试。"))


def transition(obj: models.Model, *, to: str, fields: tuple[str, ...] = ()) -> str:
    """Set `obj.status` to `to` (and save `fields`) only if the row still has the status we read.
    Returns the previous status."""
    previous: Any = obj.status  # type: ignore[attr-defined]
    values = {f: getattr(obj, f) for f in fields}
    updated = type(obj)._default_manager.filter(pk=obj.pk, status=previous).update(status=to, **values)
    if updated != 1:
        raise StaleState()
    obj.status = to  # type: ignore[attr-defined]
    return str(previous)
