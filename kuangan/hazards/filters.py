"""The hazard ledger's filters, shared by the page, the Excel export and the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from ninja import Field, Schema
from pydantic import field_validator

from kuangan.core.dates import Day
from kuangan.registry.filters import MAX_ID

from .choices import HazardLevel, HazardSource, HazardStatus
from .models import Hazard
from .rules import day_start

SORTS = {"found_at": "found_at", "deadline": "deadline", "mine": "mine__name", "status": "status",
         "level": "level", "category": "standard_item__code"}


class HazardFilter(Schema):
    q: str | None = None  # description or mine name contains
    division: str | None = None  # a division code: it and everything below it
    mine: int | None = Field(None, ge=1, le=MAX_ID)
    category: str | None = None  # a standard category code, e.g. C04
    level: HazardLevel | None = None
    source: HazardSource | None = None
    status: HazardStatus | None = None
    open: bool | None = None  # not closed out
    overdue: bool | None = None
    supervised: bool | None = None
    repeat: bool | None = None
    found_from: Day | None = None
    found_to: Day | None = None
    sort: str | None = None

    @field_validator("q", "division", "category", "sort", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return v.strip()[:100] or None if isinstance(v, str) else v

    def apply(self, qs: QuerySet[Any], today: date) -> QuerySet[Any]:
        if self.q:
            qs = qs.filter(Q(description__icontains=self.q) | Q(mine__name__icontains=self.q))
        if self.division:
            qs = qs.filter(mine__division__path__contains=f"/{self.division}/") if len(self.division) == 6 \
                else qs.filter(mine__division__path__startswith=f"{self.division}/")
        if self.mine is not None:
            qs = qs.filter(mine_id=self.mine)
        if self.category:
            qs = qs.filter(standard_item__category_code=self.category)
        for field in ("level", "source", "status"):
            value = getattr(self, field)
            if value is not None:
                qs = qs.filter(**{field: value})
        if self.open is not None:
            qs = qs.exclude(status=HazardStatus.CLOSED) if self.open else qs.filter(status=HazardStatus.CLOSED)
        if self.overdue is not None:
            overdue = Hazard.overdue_q(today)
            qs = qs.filter(overdue) if self.overdue else qs.exclude(overdue)
        if self.supervised is not None:
            qs = qs.filter(supervised=self.supervised)
        if self.repeat is not None:
            qs = qs.filter(repeat_of__isnull=not self.repeat)
        if self.found_from:
            qs = qs.filter(found_at__gte=day_start(self.found_from))
        if self.found_to:
            qs = qs.filter(found_at__lt=day_start(self.found_to + timedelta(days=1)))
        key = (self.sort or "").lstrip("-")
        if key in SORTS:
            qs = qs.order_by(("-" if (self.sort or "").startswith("-") else "") + SORTS[key], "-id")
        return qs
