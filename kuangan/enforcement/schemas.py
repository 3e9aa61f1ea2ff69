"""Schemas of /api/v1/enforcement/. Text inputs refuse NUL (`Text`); ids, dates and instants are bounded to what
the database and the rules can hold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema

from kuangan.core.dates import Day, Instant
from kuangan.core.masking import mask_id_number
from kuangan.registry.filters import MAX_ID
from kuangan.registry.schemas import Text

from .choices import (
    CaseStatus,
    DocumentKind,
    FindingKind,
    InspectionMethod,
    InspectionSource,
    InspectionStatus,
    MeasureKind,
    PartyKind,
)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class TeamMemberOut(Schema):
    user_id: int
    name: str
    credential: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.user.display_name)


class InspectionOut(Schema):
    id: int
    mine_id: int
    mine_name: str = Field(..., alias="mine.name")
    organization: str = Field(..., alias="organization.name")
    source: InspectionSource
    alarm_id: int | None
    plan_item_id: int | None
    method: InspectionMethod
    status: InspectionStatus
    planned_on: date
    leader_id: int
    on_site_start: datetime | None
    on_site_end: datetime | None
    on_site_hours: float | None
    place: str
    summary: str


class InspectionFindingOut(Schema):
    id: int
    kind: FindingKind
    description: str
    place: str
    standard_item_code: str | None
    hazard_id: int | None
    benchmark_code: str | None
    legal_basis: str
    deadline: date | None
    order_id: int | None
    recorded_at: datetime

    @staticmethod
    def resolve_standard_item_code(obj: Any) -> str | None:
        return obj.standard_item.code if obj.standard_item_id else None

    @staticmethod
    def resolve_benchmark_code(obj: Any) -> str | None:
        return obj.benchmark.code if obj.benchmark_id else None


class MeasureOut(Schema):
    id: int
    kind: MeasureKind
    place: str
    reason: str
    document_id: int | None
    ordered_at: datetime


class ExamOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(..., alias="member.name")
    score: int
    pass_mark: int
    passed: bool


class ReferralOut(Schema):
    id: int
    department: str
    matter: str
    referred_at: datetime


class InspectionDetailOut(InspectionOut):
    team: list[TeamMemberOut]
    briefing: dict[str, Any]
    findings: list[InspectionFindingOut]
    measures: list[MeasureOut]
    exams: list[ExamOut]
    referrals: list[ReferralOut]
    document_ids: list[int]

    @staticmethod
    def resolve_team(obj: Any) -> list[Any]:
        return list(obj.page.team)

    @staticmethod
    def resolve_briefing(obj: Any) -> dict[str, Any]:
        return dict(obj.page.briefing)

    @staticmethod
    def resolve_findings(obj: Any) -> list[Any]:
        return list(obj.page.findings)

    @staticmethod
    def resolve_measures(obj: Any) -> list[Any]:
        return list(obj.page.measures)

    @staticmethod
    def resolve_exams(obj: Any) -> list[Any]:
        return list(obj.page.exams)

    @staticmethod
    def resolve_referrals(obj: Any) -> list[Any]:
        return list(obj.page.referrals)

    @staticmethod
    def resolve_document_ids(obj: Any) -> list[int]:
        return [d.pk for d in obj.page.documents]


class TeamMemberIn(Schema):
    user_id: Id
    credential: Text = Field("", max_length=40, description="执法证号")


class InspectionIn(Schema):
    """Opening an inspection (R3.3): from a plan item, an alarm, a tip-off or a lead. The mine is not told."""

    mine_id: Id
    method: InspectionMethod
    planned_on: Day
    leader_id: Id
    team: list[TeamMemberIn] = Field(..., max_length=20, description="检查组（不少于 2 人，含带队人）")
    source: InspectionSource
    plan_item_id: Id | None = None
    alarm_id: Id | None = None
    source_note: Text = Field("", max_length=2000)
    notice: Text = Field("", max_length=2000)


class ArrivalIn(Schema):
    at: Instant | None = Field(None, description="到达现场时间；省略为现在；不带时区时按北京时间")
    place: Text = Field("", max_length=200)
    mine_representative: Text = Field("", max_length=100)


class DepartureIn(Schema):
    at: Instant | None = Field(None, description="离开现场时间；省略为现在")
    summary: Text = Field(..., min_length=1, max_length=4000)


class InspectionFindingIn(Schema):
    kind: FindingKind
    description: Text = Field(..., min_length=1, max_length=4000)
    place: Text = Field("", max_length=100)
    standard_item_id: Id | None = None
    face_id: Id | None = None
    benchmark_id: Id | None = None
    legal_basis: Text = Field("", max_length=300)
    deadline: Day | None = None


class MeasureIn(Schema):
    kind: MeasureKind
    reason: Text = Field(..., min_length=1, max_length=2000)
    place: Text = Field("", max_length=100)
    face_id: Id | None = None


class OrderIn(Schema):
    finding_ids: list[Id] = Field(..., min_length=1, max_length=200)
    deadline: Day
    reinspect_on: Day | None = None


class ExamIn(Schema):
    member_id: Id
    score: int = Field(..., ge=0, le=100)


class ReferralIn(Schema):
    department: Text = Field(..., min_length=1, max_length=100)
    matter: Text = Field(..., min_length=1, max_length=4000)


class NoteIn(Schema):
    note: Text = Field("", max_length=2000)


class CancelIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=2000)


class VersionOut(Schema):
    n: int
    content: dict[str, Any]
    changes: list[list[Any]]
    reason: str
    sha256: str
    signed_by_name: str
    signed_at: datetime


class DocumentOut(Schema):
    id: int
    mine_id: int
    kind: DocumentKind
    number: str
    inspection_id: int | None
    case_id: int | None
    deadline: date | None
    served_at: datetime | None
    current_version: int


class DocumentDetailOut(DocumentOut):
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj: Any) -> list[Any]:
        return list(obj.page.versions)


class RevisionIn(Schema):
    """A new signed version (修改留痕): the changed text fields of the content and why."""

    changes: dict[Annotated[Text, Field(max_length=40)], Annotated[Text, Field(max_length=4000)]] = Field(
        ..., min_length=1, max_length=20)
    reason: Text = Field(..., min_length=1, max_length=2000)


class PlanItemOut(Schema):
    id: int
    mine_id: int
    mine_name: str = Field(..., alias="mine.name")
    method: InspectionMethod
    reason: str
    inspection_id: int | None
    missed: bool

    @staticmethod
    def resolve_inspection_id(obj: Any) -> int | None:
        inspection = getattr(obj, "inspection", None)
        return inspection.pk if inspection is not None else None

    @staticmethod
    def resolve_missed(obj: Any) -> bool:
        return getattr(obj, "missed", None) is not None


class PlanOut(Schema):
    id: int
    organization: str = Field(..., alias="organization.name")
    year: int
    month: int
    note: str
    created_at: datetime


class CoverageOut(Schema):
    county: str
    planned: int
    inspected: int
    missed: int
    share: float | None


class PlanDetailOut(PlanOut):
    items: list[PlanItemOut]
    coverage: list[CoverageOut]

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return [r.item for r in obj.page.rows]

    @staticmethod
    def resolve_coverage(obj: Any) -> list[Any]:
        return list(obj.page.coverage)


class PlanIn(Schema):
    """Generate the regulator's plan for a month from the mines' classes and open risks (R3.2)."""

    year: int = Field(..., ge=2000, le=2100)
    month: int = Field(..., ge=1, le=12)
    method: InspectionMethod = InspectionMethod.UNANNOUNCED
    note: Text = Field("", max_length=2000)


class PlanItemIn(Schema):
    mine_id: Id
    method: InspectionMethod
    reason: Text = Field(..., min_length=1, max_length=2000)


class ReasonIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=2000)


class FactorOut(Schema):
    code: str
    name: str
    points: float | None = Field(..., description="得分；无数据时为空")
    weight: int
    notes: list[str]


class ClassChangeOut(Schema):
    at: datetime
    from_class: str
    to_class: str
    score: float | None
    reasons: list[str]
    source: str
    by_name: str
    note: str


class ClassOut(Schema):
    mine_id: int
    current: str = Field(..., description="当前分类")
    computed: str = Field(..., description="按现有事实计算的分类")
    score: float | None
    reasons: list[str]
    factors: list[FactorOut]
    changes: list[ClassChangeOut]


class OverrideIn(Schema):
    to_class: Annotated[str, Field(pattern="^[ABCD]$")]
    reason: Text = Field(..., min_length=1, max_length=2000)


class StatisticsFilter(Schema):
    since: Day = Field(..., description="起始日（含，北京时间）")
    until: Day = Field(..., description="截止日（含，北京时间）")


class StatRowOut(Schema):
    label: str
    inspections: int
    hours: float
    major_hazards: int
    penalties: int
    fines: float
    soft: int = Field(..., description="查出重大隐患而未处罚的检查次数")
    majors_per_100h: float | None
    penalties_per_100h: float | None
    flags: list[str]


class LookbackOut(Schema):
    hazard_id: int | None
    mine_name: str
    found_by: str
    found_on: date
    county_inspection_id: int
    county_inspected_on: date


class StatisticsOut(Schema):
    since: date
    until: date
    counties: list[StatRowOut]
    inspectors: list[StatRowOut]
    total: StatRowOut
    soft_inspection_ids: list[int]
    lookbacks: list[LookbackOut]


class PartyOut(Schema):
    kind: PartyKind
    name: str
    id_number: str = Field(..., description="身份证号（脱敏）")
    penalty_types: list[str]
    fine: Decimal

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return mask_id_number(obj.id_number) if obj.id_number else ""


class CaseOut(Schema):
    id: int
    mine_id: int
    mine_name: str = Field(..., alias="mine.name")
    organization: str = Field(..., alias="organization.name")
    inspection_id: int | None
    finding_id: int | None
    benchmark_code: str = Field(..., alias="benchmark.code")
    violation: str = Field(..., alias="benchmark.violation")
    tier_order: int = Field(..., alias="tier.order")
    tier_condition: str = Field(..., alias="tier.condition")
    status: CaseStatus
    facts: str
    filed_at: datetime
    notified_at: datetime | None
    approved_at: datetime | None
    decided_at: datetime | None
    payment_due_on: date | None
    paid_at: datetime | None
    closed_at: datetime | None


class CriterionOut(Schema):
    text: str
    met: bool


class CaseDetailOut(CaseOut):
    parties: list[PartyOut]
    criteria: list[CriterionOut]
    document_ids: list[int]

    @staticmethod
    def resolve_parties(obj: Any) -> list[Any]:
        return list(obj.page.parties)

    @staticmethod
    def resolve_criteria(obj: Any) -> list[Any]:
        return [{"text": str(c.get("text", "")), "met": bool(c.get("met"))} for c in obj.page.criteria]

    @staticmethod
    def resolve_document_ids(obj: Any) -> list[int]:
        return [d.pk for d in obj.page.documents]


class PrincipalIn(Schema):
    """The principal (一案双罚): a member of the mine's roster, or a name and ID number."""

    member_id: Id | None = None
    name: Text = Field("", max_length=50)
    id_number: Text = Field("", max_length=18)


class CaseIn(Schema):
    """立案: from a violation found on an inspection (`finding_id`), or for a mine directly (`mine_id`)."""

    finding_id: Id | None = None
    mine_id: Id | None = None
    benchmark_id: Id
    circumstance: Text = Field(..., min_length=1, max_length=40)
    illegal_gains: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="违法所得（元）")
    facts: Text = Field(..., min_length=1, max_length=4000)
    unit_fine: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="单位罚款（元）")
    person_fine: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="个人罚款（元）")
    principal: PrincipalIn | None = None


class DecisionIn(Schema):
    payment_account: Text = Field("", max_length=200)


class PaymentIn(Schema):
    amount: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    paid_at: Instant | None = None


class ScoreItemOut(Schema):
    mine_name: str = Field(..., alias="mine.name")
    violation: str = Field(..., alias="deduction.violation")
    points: int
    finding_id: int | None
    case_id: int | None
    scored_at: datetime


class PersonScoreOut(Schema):
    name: str
    id_number: str = Field(..., description="身份证号（脱敏）")
    mines: list[str]
    total: int = Field(..., description="本年度累计记分（各矿合计）")
    retake_due: bool
    items: list[ScoreItemOut]

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_retake_due(obj: Any) -> bool:
        return bool(obj.due)


class ScoreFilter(Schema):
    year: int = Field(..., ge=2000, le=2100)


class ScoreIn(Schema):
    deduction_id: Id
    finding_id: Id | None = None
    case_id: Id | None = None
    member_id: Id | None = None
    name: Text = Field("", max_length=50)
    id_number: Text = Field("", max_length=18)


class ScoreOut(Schema):
    id: int
    mine_id: int
    name: str
    id_number: str
    year: int
    points: int

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return mask_id_number(obj.id_number)


class ReinspectionIn(Schema):
    rectified: bool
    opinion: Text = Field(..., min_length=1, max_length=4000)
