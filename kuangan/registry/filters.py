"""The mine ledger's filters, shared by the page and the API (one definition)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from ninja import Field, Schema
from pydantic import field_validator

from .choices import GasClass, MineKind, MineStatus, StandardizationGrade, SupervisionClass
from .tables import SORTS

MAX_ID = 2**63 - 1  # the largest key a BigAutoField holds: a bigger number cannot even be compared with one


class MineFilter(Schema):
    q: str | None = None  # name or code contains
    division: str | None = None  # a division code: the division and everything below it
    enterprise: int | None = Field(None, ge=1, le=MAX_ID)
    kind: MineKind | None = None
    status: MineStatus | None = None
    gas_class: GasClass | None = None
    standardization_grade: StandardizationGrade | None = None
    supervision_class: SupervisionClass | None = None
    sort: str | None = None  # a column key, "-" in front for descending

    @field_validator("q", "division", "sort", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return v.strip()[:100] or None if isinstance(v, str) else v

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.q:
            qs = qs.filter(Q(name__icontains=self.q) | Q(code__icontains=self.q))
        if self.division:
            qs = qs.filter(Q(division__code=self.division) | Q(division__parent__code=self.division) |
                           Q(division__parent__parent__code=self.division))
        if self.enterprise is not None:
            qs = qs.filter(Q(enterprise_id=self.enterprise) | Q(enterprise__parent_id=self.enterprise))
        for field in ("kind", "status", "gas_class", "standardization_grade", "supervision_class"):
            value = getattr(self, field)
            if value is not None:
                qs = qs.filter(**{field: value})
        key = (self.sort or "").lstrip("-")
        if key in SORTS:
            order = SORTS[key]
            qs = qs.order_by(("-" if (self.sort or "").startswith("-") else "") + order, "pk")
        return qs
