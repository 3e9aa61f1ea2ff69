"""The filters of the inspection and document ledgers (one definition for the pages and an API)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, ClassVar, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import field_validator

from kuangan.core.clock import SHANGHAI
from kuangan.core.dates import EARLIEST, LATEST

from .choices import CaseStatus, DocumentKind, InspectionMethod, InspectionStatus


def _title(text: str) -> str:
    """A filter's label in the user's language when the page names a dropped value (translated when shown)."""
    return cast(str, _(text))


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(month: str) -> tuple[date, date]:
    """"2024-06" → (2024-06-01, 2024-07-01): the first day and the first day of the next month."""
    year, number = (int(x) for x in month.split("-"))
    first = date(year, number, 1)
    return first, date(year + number // 12, number % 12 + 1, 1)


def _valid_month(v: Any) -> Any:
    """A month as YYYY-MM within the platform's range of dates; anything else is dropped and named."""
    if not isinstance(v, str) or not v.strip():
        return v or None
    m = _MONTH.match(v.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12 or not EARLIEST.year <= int(m.group(1)) <= LATEST.year:
        raise ValueError("month")
    return m.group(0)


def _text(v: Any) -> Any:
    return v.strip()[:100] or None if isinstance(v, str) else v


class _LedgerFilter(Schema):
    """What the three ledgers filter alike: the mine's name (contains) and a Beijing month of `month_field`."""

    mine: str | None = Field(None, title=_title("矿山"))
    month: str | None = None
    month_field: ClassVar[str]
    month_is_day: ClassVar[bool] = False  # a DateField (the planned day) rather than an instant

    @field_validator("mine", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _text(v)

    @field_validator("month", mode="before")
    @classmethod
    def _check_month(cls, v: Any) -> Any:
        return _valid_month(v)

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.mine:
            qs = qs.filter(mine__name__icontains=self.mine)
        if self.month:
            first, after = month_bounds(self.month)
            if not self.month_is_day:  # an instant: from Beijing midnight to Beijing midnight
                first, after = (datetime.combine(d, time.min, tzinfo=SHANGHAI) for d in (first, after))
            qs = qs.filter(**{f"{self.month_field}__gte": first, f"{self.month_field}__lt": after})
        return qs


class InspectionFilter(_LedgerFilter):
    status: InspectionStatus | None = None
    method: InspectionMethod | None = Field(None, title=_title("检查方式"))
    month: str | None = Field(None, title=_title("计划月份"))  # YYYY-MM, on the planned day
    month_field: ClassVar[str] = "planned_on"
    month_is_day: ClassVar[bool] = True

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.status is not None:
            qs = qs.filter(status=self.status)
        if self.method is not None:
            qs = qs.filter(method=self.method)
        return super().apply(qs)


class DocumentFilter(_LedgerFilter):
    kind: DocumentKind | None = Field(None, title=_title("文书"))
    month: str | None = Field(None, title=_title("编号月份"))  # YYYY-MM, Beijing time of numbering
    month_field: ClassVar[str] = "created_at"

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.kind is not None:
            qs = qs.filter(kind=self.kind)
        return super().apply(qs)


# --- penalty cases ---


class CaseFilter(_LedgerFilter):
    status: CaseStatus | None = Field(None, title=_title("状态"))
    month: str | None = Field(None, title=_title("立案月份"))  # YYYY-MM, Beijing time of filing
    month_field: ClassVar[str] = "filed_at"

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.status is not None:
            qs = qs.filter(status=self.status)
        return super().apply(qs)
