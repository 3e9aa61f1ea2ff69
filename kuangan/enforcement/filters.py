"""The filters of the inspection and document ledgers (one definition for the pages and an API)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, cast

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


class InspectionFilter(Schema):
    status: InspectionStatus | None = None
    method: InspectionMethod | None = Field(None, title=_title("检查方式"))
    mine: str | None = Field(None, title=_title("矿山"))  # the mine's name contains
    month: str | None = Field(None, title=_title("计划月份"))  # YYYY-MM, on the planned day

    @field_validator("mine", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _text(v)

    @field_validator("month", mode="before")
    @classmethod
    def _check_month(cls, v: Any) -> Any:
        return _valid_month(v)

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.status is not None:
            qs = qs.filter(status=self.status)
        if self.method is not None:
            qs = qs.filter(method=self.method)
        if self.mine:
            qs = qs.filter(mine__name__icontains=self.mine)
        if self.month:
            first, after = month_bounds(self.month)
            qs = qs.filter(planned_on__gte=first, planned_on__lt=after)
        return qs


class DocumentFilter(Schema):
    kind: DocumentKind | None = Field(None, title=_title("文书"))
    mine: str | None = Field(None, title=_title("矿山"))
    month: str | None = Field(None, title=_title("编号月份"))  # YYYY-MM, Beijing time of numbering

    @field_validator("mine", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _text(v)

    @field_validator("month", mode="before")
    @classmethod
    def _check_month(cls, v: Any) -> Any:
        return _valid_month(v)

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.kind is not None:
            qs = qs.filter(kind=self.kind)
        if self.mine:
            qs = qs.filter(mine__name__icontains=self.mine)
        if self.month:
            first, after = month_bounds(self.month)
            qs = qs.filter(created_at__gte=datetime.combine(first, time.min, tzinfo=SHANGHAI),
                           created_at__lt=datetime.combine(after, time.min, tzinfo=SHANGHAI))
        return qs


# --- penalty cases ---


class CaseFilter(Schema):
    status: CaseStatus | None = Field(None, title=_title("状态"))
    mine: str | None = Field(None, title=_title("矿山"))  # the mine's name contains
    month: str | None = Field(None, title=_title("立案月份"))  # YYYY-MM, Beijing time of filing

    @field_validator("mine", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _text(v)

    @field_validator("month", mode="before")
    @classmethod
    def _check_month(cls, v: Any) -> Any:
        return _valid_month(v)

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.status is not None:
            qs = qs.filter(status=self.status)
        if self.mine:
            qs = qs.filter(mine__name__icontains=self.mine)
        if self.month:
            first, after = month_bounds(self.month)
            qs = qs.filter(filed_at__gte=datetime.combine(first, time.min, tzinfo=SHANGHAI),
                           filed_at__lt=datetime.combine(after, time.min, tzinfo=SHANGHAI))
        return qs
