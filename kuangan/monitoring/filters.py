"""Filters of the monitoring ledgers (alarms, received files, planned windows), shared by the pages and
the Excel export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import field_validator

from kuangan.core.dates import Day
from kuangan.registry.filters import MAX_ID

from .choices import OPEN_LEAD, AlarmKind, LeadKind, LeadStatus, Severity, UploadStatus, WindowStatus
from .rules import day_start

ALARM_SORTS = {"start": "start", "end": "end", "severity": "severity", "mine": "mine__name", "kind": "kind",
               "point": "point_code"}
UPLOAD_SORTS = {"received_at": "received_at", "header_time": "header_time", "name": "name", "mine": "mine_code"}


def _strip(v: Any) -> Any:
    return v.strip()[:100] or None if isinstance(v, str) else v


def _division(qs: QuerySet[Any], code: str) -> QuerySet[Any]:
    """A division code: the mines of that division and of every division below it."""
    return qs.filter(Q(mine__division__code=code) | Q(mine__division__parent__code=code) |
                     Q(mine__division__parent__parent__code=code))


class AlarmFilter(Schema):
    q: str | None = None  # point code, location or mine name contains
    division: str | None = None  # a division code: it and everything below it
    mine: int | None = Field(None, ge=1, le=MAX_ID)
    kind: AlarmKind | None = None
    severity: Severity | None = None
    active: bool | None = None  # not ended
    acknowledged: bool | None = None
    planned: bool | None = None  # inside a declared calibration or maintenance window
    withdrawn: bool | None = None  # disproved by later data (kept and shown, styled as withdrawn)
    late: bool | None = None  # raised from data that came late (迟到数据)
    start_from: Day | None = None
    start_to: Day | None = None
    sort: str | None = None

    @field_validator("q", "division", "sort", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _strip(v)

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.q:
            qs = qs.filter(Q(point_code__icontains=self.q) | Q(location__icontains=self.q) |
                           Q(mine__name__icontains=self.q))
        if self.division:
            qs = _division(qs, self.division)
        if self.mine is not None:
            qs = qs.filter(mine_id=self.mine)
        if self.kind is not None:
            qs = qs.filter(kind=self.kind)
        if self.severity is not None:
            qs = qs.filter(severity=self.severity)
        if self.active is not None:
            qs = qs.filter(end__isnull=self.active)
        if self.acknowledged is not None:
            qs = qs.filter(acknowledged_at__isnull=not self.acknowledged)
        if self.planned is not None:
            qs = qs.filter(planned_window__isnull=not self.planned)
        if self.withdrawn is not None:
            qs = qs.filter(withdrawn_at__isnull=not self.withdrawn)
        if self.late is not None:
            qs = qs.filter(late=self.late)
        if self.start_from:
            qs = qs.filter(start__gte=day_start(self.start_from))
        if self.start_to:
            qs = qs.filter(start__lt=day_start(self.start_to + timedelta(days=1)))
        key = (self.sort or "").lstrip("-")
        if key in ALARM_SORTS:
            qs = qs.order_by(("-" if (self.sort or "").startswith("-") else "") + ALARM_SORTS[key], "-id")
        return qs


class UploadFilter(Schema):
    q: str | None = None  # file name contains
    mine: int | None = Field(None, ge=1, le=MAX_ID)
    status: UploadStatus | None = None
    file_type: str | None = None  # CDSS, CDDY, ...
    rejected: bool | None = None  # files with rejected records
    received_from: Day | None = None
    received_to: Day | None = None
    sort: str | None = None

    @field_validator("q", "file_type", "sort", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _strip(v)

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.q:
            qs = qs.filter(name__icontains=self.q)
        if self.mine is not None:
            qs = qs.filter(mine_id=self.mine)
        if self.status is not None:
            qs = qs.filter(status=self.status)
        if self.file_type:
            qs = qs.filter(file_type=self.file_type.upper())
        if self.rejected is not None:
            qs = qs.filter(rejected__gt=0) if self.rejected else qs.filter(rejected=0)
        if self.received_from:
            qs = qs.filter(received_at__gte=day_start(self.received_from))
        if self.received_to:
            qs = qs.filter(received_at__lt=day_start(self.received_to + timedelta(days=1)))
        key = (self.sort or "").lstrip("-")
        if key in UPLOAD_SORTS:
            qs = qs.order_by(("-" if (self.sort or "").startswith("-") else "") + UPLOAD_SORTS[key], "-id")
        return qs


class WindowFilter(Schema):
    mine: int | None = Field(None, ge=1, le=MAX_ID)
    status: WindowStatus | None = None

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.mine is not None:
            qs = qs.filter(mine_id=self.mine)
        if self.status is not None:
            qs = qs.filter(status=self.status)
        return qs


# --- leads of illegal production, the personnel tab (issue 20) ----------------------------------------------

def _title(text: str) -> str:
    """A filter's label in the user's language when the page names a dropped value (translated when shown)."""
    return cast(str, _(text))


LEAD_SORTS = {"start": "start", "end": "end", "mine": "mine__name", "kind": "kind", "status": "status",
              "peak": "peak", "raised_at": "raised_at"}


LEAD_KINDS = frozenset(LeadKind.values) | frozenset(AlarmKind.values)


class LeadFilter(Schema):
    q: str | None = None  # subject code or mine name contains
    division: str | None = Field(None, title=_title("县（区）"))  # a division code: it and everything below it
    mine: int | None = Field(None, ge=1, le=MAX_ID)
    kind: str | None = Field(None, title=_title("线索类型"))  # a lead kind, or an alarm's kind kept as a lead
    status: LeadStatus | None = None
    open: bool | None = Field(None, title=_title("未办结"))  # new or under review
    start_from: Day | None = None
    start_to: Day | None = None
    sort: str | None = None

    @field_validator("q", "division", "sort", "kind", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _strip(v)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str | None) -> str | None:
        if v is not None and v not in LEAD_KINDS:
            raise ValueError("unknown kind")
        return v

    def apply(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.q:
            qs = qs.filter(Q(subject__icontains=self.q) | Q(mine__name__icontains=self.q))
        if self.division:
            qs = _division(qs, self.division)
        if self.mine is not None:
            qs = qs.filter(mine_id=self.mine)
        if self.kind is not None:
            qs = qs.filter(kind=self.kind)
        if self.status is not None:
            qs = qs.filter(status=self.status)
        if self.open is not None:
            qs = qs.filter(status__in=OPEN_LEAD) if self.open else qs.exclude(status__in=OPEN_LEAD)
        if self.start_from:
            qs = qs.filter(start__gte=day_start(self.start_from))
        if self.start_to:
            qs = qs.filter(start__lt=day_start(self.start_to + timedelta(days=1)))
        key = (self.sort or "").lstrip("-")
        if key in LEAD_SORTS:
            desc = (self.sort or "").startswith("-")
            field = LEAD_SORTS[key]
            order = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
            qs = qs.order_by(order, "-id")
        return qs


class PersonnelFilter(Schema):
    """The personnel tab's day (the headcount chart, the track) and the card whose track is shown."""

    day: Day | None = Field(None, title=_title("日期"))
    card: str | None = Field(None, title=_title("人员卡编码"), max_length=40)

    @field_validator("card", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return v.strip() or None if isinstance(v, str) else v
