"""Schemas of /api/v1/hazards/. Every text field of an input refuses NUL (`Text`); numbers, dates and
instants are bounded to what the database and the date arithmetic of the rules can hold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import field_validator

from kuangan.core import clock
from kuangan.core.dates import Day, Instant
from kuangan.registry.filters import MAX_ID
from kuangan.registry.schemas import Text

from . import rules
from .choices import (
    AttachmentKind,
    EscalationStep,
    HazardAction,
    HazardLevel,
    HazardSource,
    HazardStatus,
    Industry,
)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class HazardOut(Schema):
    id: int
    mine_id: int
    mine_name: str = Field(..., alias="mine.name")
    level: HazardLevel
    source: HazardSource
    status: HazardStatus
    description: str
    standard_item_code: str | None
    standard_item_text: str | None
    found_at: datetime
    found_by: str
    responsible_person: str
    measures: str
    funds: Decimal | None
    deadline: date | None
    contingency_plan: str
    supervised: bool
    escalation_step: EscalationStep
    repeat_of_id: int | None
    overdue: bool
    closed_at: datetime | None

    @staticmethod
    def resolve_standard_item_code(obj: Any) -> str | None:
        return obj.standard_item.code if obj.standard_item_id else None

    @staticmethod
    def resolve_standard_item_text(obj: Any) -> str | None:
        return obj.standard_item.text if obj.standard_item_id else None

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return rules.is_overdue(obj.deadline, obj.status, clock.today())


class TransitionOut(Schema):
    from_status: HazardStatus | None
    to_status: HazardStatus
    action: HazardAction
    at: datetime
    by_name: str
    note: str

    @staticmethod
    def resolve_from_status(obj: Any) -> str | None:
        return obj.from_status or None  # "" for the first step: it came from nowhere


class EscalationOut(Schema):
    step: EscalationStep
    due_at: datetime


class AttachmentOut(Schema):
    id: int
    kind: AttachmentKind
    name: str
    size: int


class HazardDetailOut(HazardOut):
    transitions: list[TransitionOut]
    escalations: list[EscalationOut]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_transitions(obj: Any) -> list[Any]:
        return list(obj.page.transitions)

    @staticmethod
    def resolve_escalations(obj: Any) -> list[Any]:
        return list(obj.page.escalations)

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.page.attachments)


class HazardIn(Schema):
    """A hazard found at a mine. A major one cites its item: `standard_item_code` (e.g. "C04-02", looked up
    in the standard of the mine's industry in force on the day it was found) or `standard_item_id`."""

    mine_id: Id
    level: HazardLevel
    source: HazardSource
    description: Text = Field(..., min_length=1, max_length=4000)
    found_at: Instant = Field(..., description="排查时间；不带时区时按北京时间")
    found_by: Text = Field("", max_length=100)
    standard_item_code: Text | None = Field(None, max_length=10)
    standard_item_id: Id | None = None
    face_id: Id | None = None
    place: Text = Field("", max_length=100)

    @field_validator("standard_item_code")
    @classmethod
    def _code(cls, v: str | None) -> str | None:
        return v.strip().upper() or None if v is not None else None


class FiveImplementationsIn(Schema):
    """The five implementations (五落实, R2.3). All optional here: the rule names every missing one."""

    responsible_person: Text = Field("", max_length=50)
    measures: Text = Field("", max_length=4000)
    funds: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2, description="万元")
    deadline: Day | None = None
    contingency_plan: Text = Field("", max_length=4000)


class CloseOutRequestIn(Schema):
    evaluation_by: Text = Field("", max_length=200)
    evaluation: Text = Field("", max_length=4000)
    resume_evaluation: Text = Field("", max_length=4000)


class CloseOutIn(Schema):
    approve: bool
    opinion: Text = Field("", max_length=4000)


class SupervisionIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=2000)


class StopProductionIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=2000)
    document_number: Text = Field("", max_length=60)


class MonthlyReportIn(Schema):
    mine_id: Id
    month: Day = Field(..., description="月份，YYYY-MM-01（其他日期按所在月份）")
    is_zero: bool
    note: Text = Field("", max_length=2000)


class MonthlyReportOut(Schema):
    id: int
    mine_id: int
    month: date
    is_zero: bool
    note: str
    hazard_ids: list[int]
    signed_by_name: str
    signed_at: datetime

    @staticmethod
    def resolve_hazard_ids(obj: Any) -> list[int]:
        return sorted(h.pk for h in obj.hazards.all())

    @staticmethod
    def resolve_signed_by_name(obj: Any) -> str:
        return str(obj.signed_by.display_name)


class StandardItemOut(Schema):
    id: int
    code: str
    category_code: str
    category_name: str
    article: str
    text: str
    gap: str


class StandardOut(Schema):
    id: int
    code: str
    industry: Industry
    name: str
    document: str
    effective_from: date
    effective_to: date | None
    items: list[StandardItemOut]
