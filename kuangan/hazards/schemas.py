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
    ProposalStatus,
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
        return bool(obj.is_overdue_on(clock.today()))


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
    mine_name: str = Field(..., alias="mine.name")
    month: date
    is_zero: bool
    note: str
    hazard_ids: list[int]
    signed_by_name: str
    signed_at: datetime
    days_late: int  # 迟报: days after the due day when signed (0: in time)
    contradicted_by_id: int | None  # a zero report contradicted by a major hazard of its month reported later

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


# Reads of the monthly reports, missing-report findings, escalations and closure proposals (issue 18):
# filtered like their pages, always within the caller's scope.

class _MineFilter(Schema):
    mine: Id | None = None
    division: str | None = Field(None, pattern=r"^\d{2,12}$")  # a division code: it and everything below it

    def apply(self, qs: Any, to_mine: str = "mine") -> Any:
        if self.mine is not None:
            qs = qs.filter(**{f"{to_mine}_id": self.mine})
        if self.division:
            path = f"{to_mine}__division__path"
            qs = qs.filter(**{f"{path}__contains": f"/{self.division}/"}) if len(self.division) == 6 \
                else qs.filter(**{f"{path}__startswith": f"{self.division}/"})
        return qs


class _MonthFilter(_MineFilter):
    month: Day | None = Field(None, description="月份，YYYY-MM-01（其他日期按所在月份）")

    def apply(self, qs: Any, to_mine: str = "mine") -> Any:
        qs = super().apply(qs, to_mine)
        return qs if self.month is None else qs.filter(month=rules.month_start(self.month))


class MonthlyReportFilter(_MonthFilter):
    is_zero: bool | None = None  # true: the zero reports

    def apply(self, qs: Any, to_mine: str = "mine") -> Any:
        qs = super().apply(qs, to_mine)
        return qs if self.is_zero is None else qs.filter(is_zero=self.is_zero)


class MissingReportFilter(_MonthFilter):
    filed: bool | None = None  # filed after its due day; false: still missing (the monthly page's list)

    def apply(self, qs: Any, to_mine: str = "mine") -> Any:
        qs = super().apply(qs, to_mine)
        return qs if self.filed is None else qs.filter(filed=self.filed)


class EscalationFilter(_MineFilter):
    hazard: Id | None = None
    step: EscalationStep | None = None

    def apply(self, qs: Any, to_mine: str = "hazard__mine") -> Any:
        qs = super().apply(qs, to_mine)
        if self.hazard is not None:
            qs = qs.filter(hazard_id=self.hazard)
        return qs if self.step is None else qs.filter(step=self.step)


class ClosureProposalFilter(_MineFilter):
    status: ProposalStatus | None = None

    def apply(self, qs: Any, to_mine: str = "mine") -> Any:
        qs = super().apply(qs, to_mine)
        return qs if self.status is None else qs.filter(status=self.status)


class MissingReportOut(Schema):
    """A missing-report finding (R2.6): the month's report was not filed by its due day."""

    id: int
    mine_id: int
    mine_name: str = Field(..., alias="mine.name")
    month: date
    due_at: datetime
    filed: bool  # filed since (late)


class EscalationListOut(EscalationOut):
    """One escalation step a hazard reached (函告 → 通报 → 约谈 → 曝光), dated when it fell due."""

    id: int
    hazard_id: int
    mine_id: int = Field(..., alias="hazard.mine_id")
    mine_name: str = Field(..., alias="hazard.mine.name")


class ClosureProposalOut(Schema):
    id: int
    mine_id: int
    mine_name: str = Field(..., alias="mine.name")
    raised_at: datetime
    reason: str
    status: ProposalStatus
    hazard_ids: list[int]
    decided_at: datetime | None
    decided_by_name: str | None
    decision_note: str

    @staticmethod
    def resolve_hazard_ids(obj: Any) -> list[int]:
        return sorted(h.pk for h in obj.hazards.all())

    @staticmethod
    def resolve_decided_by_name(obj: Any) -> str | None:
        return None if obj.decided_by is None else str(obj.decided_by.display_name)
