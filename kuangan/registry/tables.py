"""Ledger columns, shared by the page, the Excel export and the Excel import (one column list)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext_noop as N_

from .choices import (
    DisasterGrade,
    GasClass,
    HydroType,
    IntelligentStatus,
    MineKind,
    MineStatus,
    RockBurst,
    SpontaneousCombustion,
    StandardizationGrade,
    SupervisionClass,
)


@dataclass(frozen=True)
class Column:
    key: str  # Mine field, or "licence:<kind>:number|expires_on", or a derived name
    label: str  # Chinese, as the regulator's ledger has it; pages translate it, Excel keeps it
    choices: type[TextChoices] | None = None  # TextChoices: cells hold the Chinese label
    sort: str | None = None  # ORM ordering for the page
    on_page: bool = False
    imported: bool = True
    width: int = 14


MINE_COLUMNS = [
    Column("code", N_("矿山编码"), sort="code", on_page=True, width=16),
    Column("name", N_("矿山名称"), sort="name", on_page=True, width=22),
    Column("enterprise", N_("主体企业"), sort="enterprise__name", on_page=True, width=26),
    Column("parent_company", N_("上级公司"), imported=False, width=22),
    Column("division", N_("所在县（区）"), sort="division__code", on_page=True, width=10),
    Column("kind", N_("矿山类型"), MineKind, sort="kind", on_page=True, width=16),
    Column("status", N_("生产状态"), MineStatus, sort="status", on_page=True, width=12),
    Column("approved_capacity", N_("核定生产能力（万吨/年）"), sort="approved_capacity", on_page=True, width=12),
    Column("gas_class", N_("瓦斯等级"), GasClass, sort="gas_class", on_page=True),
    Column("hydro_type", N_("水文地质类型"), HydroType),
    Column("rock_burst", N_("冲击地压"), RockBurst),
    Column("spontaneous_combustion", N_("煤层自燃倾向性"), SpontaneousCombustion),
    Column("disaster_grade", N_("灾害类型等级"), DisasterGrade),
    Column("standardization_grade", N_("安全生产标准化等级"), StandardizationGrade, sort="standardization_grade",
           on_page=True),
    Column("intelligent_status", N_("智能化建设"), IntelligentStatus),
    Column("supervision_class", N_("分级分类"), SupervisionClass, sort="supervision_class", on_page=True, width=8),
    Column("has_upgrade_project", N_("有技改（基建）项目")),
    Column("address", N_("地址"), width=30),
    Column("longitude", N_("经度")),
    Column("latitude", N_("纬度")),
    Column("licence:mining:number", N_("采矿许可证号"), width=24),
    Column("licence:mining:expires_on", N_("采矿许可证有效期至"), on_page=True, width=12),
    Column("licence:safety_production:number", N_("安全生产许可证号"), width=24),
    Column("licence:safety_production:expires_on", N_("安全生产许可证有效期至"), on_page=True, width=12),
    Column("licence:business:number", N_("营业执照号（统一社会信用代码）"), width=24),
    Column("licence:business:expires_on", N_("营业执照有效期至"), width=12),
]

SORTS = {c.key: c.sort for c in MINE_COLUMNS if c.sort}
PAGE_COLUMNS = [c for c in MINE_COLUMNS if c.on_page]


def cell_value(mine: Any, col: Column) -> Any:
    """The value a ledger cell shows (licences come from the prefetched `mine.licences`)."""
    if col.key.startswith("licence:"):
        _, kind, field = col.key.split(":")
        lic = next((x for x in mine.licences.all() if x.kind == kind), None)
        return getattr(lic, field) if lic else None
    if col.key == "parent_company":
        return mine.enterprise.parent.name if mine.enterprise.parent else ""
    value = getattr(mine, col.key)
    if col.choices is not None:
        return str(col.choices(value).label) if value else ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "name") and not isinstance(value, str):
        return value.name
    return value
