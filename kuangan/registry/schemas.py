from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from .choices import (
    DisasterGrade,
    GasClass,
    HydroType,
    IntelligentStatus,
    LicenceKind,
    MineKind,
    MineStatus,
    RockBurst,
    SpontaneousCombustion,
    StandardizationGrade,
    SupervisionClass,
)


def no_nul(value: Any) -> Any:
    """PostgreSQL cannot store or compare text containing NUL (\\x00): refuse it at the door."""
    if isinstance(value, str) and "\x00" in value:
        raise PydanticCustomError("nul_character", "不能包含空字符（\\x00）。")
    return value


Text = Annotated[str, AfterValidator(no_nul)]


class LicenceOut(Schema):
    kind: LicenceKind
    number: str
    issued_on: date | None
    expires_on: date | None


class FindingOut(Schema):
    code: str
    severity: str
    message: str
    source: str


class MineOut(Schema):
    id: int
    code: str
    name: str
    enterprise_id: int
    enterprise_name: str = Field(..., alias="enterprise.name")
    division_code: str = Field(..., alias="division.code")
    division_name: str = Field(..., alias="division.name")
    kind: MineKind
    status: MineStatus
    approved_capacity: Decimal
    gas_class: GasClass
    hydro_type: HydroType
    rock_burst: RockBurst
    spontaneous_combustion: SpontaneousCombustion
    disaster_grade: DisasterGrade
    standardization_grade: StandardizationGrade
    intelligent_status: IntelligentStatus
    supervision_class: SupervisionClass
    has_upgrade_project: bool
    address: str
    longitude: Decimal | None
    latitude: Decimal | None


class MineDetailOut(MineOut):
    licences: list[LicenceOut]
    findings: list[FindingOut]


class MineIn(Schema):
    code: Text = Field(..., max_length=20)
    name: Text = Field(..., min_length=1, max_length=100)
    enterprise_id: int
    division_code: Text = Field(..., max_length=6)
    kind: MineKind
    status: MineStatus
    approved_capacity: Decimal = Field(..., ge=0, le=100000, max_digits=8, decimal_places=2)
    gas_class: GasClass
    hydro_type: HydroType
    rock_burst: RockBurst = RockBurst.NONE
    spontaneous_combustion: SpontaneousCombustion
    disaster_grade: DisasterGrade
    standardization_grade: StandardizationGrade
    intelligent_status: IntelligentStatus = IntelligentStatus.NONE
    supervision_class: SupervisionClass
    has_upgrade_project: bool = False
    address: Text = Field("", max_length=200)
    longitude: Decimal | None = Field(None, ge=73, le=136, max_digits=9, decimal_places=6)
    latitude: Decimal | None = Field(None, ge=3, le=54, max_digits=9, decimal_places=6)


class MinePatch(Schema):
    """Fields to change; the status changes only through /status with a reason."""

    name: Text | None = Field(None, min_length=1, max_length=100)
    enterprise_id: int | None = None
    division_code: Text | None = Field(None, max_length=6)
    approved_capacity: Decimal | None = Field(None, ge=0, le=100000, max_digits=8, decimal_places=2)
    gas_class: GasClass | None = None
    hydro_type: HydroType | None = None
    rock_burst: RockBurst | None = None
    spontaneous_combustion: SpontaneousCombustion | None = None
    disaster_grade: DisasterGrade | None = None
    standardization_grade: StandardizationGrade | None = None
    intelligent_status: IntelligentStatus | None = None
    supervision_class: SupervisionClass | None = Field(
        None, description="不可修改：分级分类由监管执法模块计算或由执法人员写明理由调整，提交即被拒绝（422）")
    has_upgrade_project: bool | None = None
    address: Text | None = Field(None, max_length=200)
    longitude: Decimal | None = Field(None, ge=73, le=136, max_digits=9, decimal_places=6)
    latitude: Decimal | None = Field(None, ge=3, le=54, max_digits=9, decimal_places=6)


class MineStatusIn(Schema):
    to_status: MineStatus
    reason: Text = Field(..., min_length=1, max_length=2000)
    effective_on: date | None = Field(None, description="生效日期（北京时间）；不填则为办理当天")
    document_number: Text = Field("", max_length=60)


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str | None
    parent_id: int | None
    division_code: str = Field(..., alias="division.code")
    legal_representative: str
    address: str
