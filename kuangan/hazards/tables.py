"""The hazard ledger's columns (隐患台账), shared by the page and the Excel export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Choices
from django.utils.translation import gettext_noop as N_

from .choices import EscalationStep, HazardLevel, HazardStatus


@dataclass(frozen=True)
class RowContext:
    """What the cells of every row share, made once per page or export (`row_context`): the day that
    decides 超期, and the choice labels in the active language, resolved once (`get_FOO_display` rebuilds
    the choices on every call, 90 µs, and `str()` of a lazy label translates it again, 17 µs; R2.11)."""

    today: date
    labels: dict[type[Choices], dict[str, str]]

    def label(self, choices: type[Choices], value: str) -> str:
        return self.labels[choices].get(value, value)


def row_context(today: date) -> RowContext:
    return RowContext(today, {c: {v: str(label) for v, label in c.choices} for c in (HazardLevel, HazardStatus, EscalationStep)})


@dataclass(frozen=True)
class Column:
    label: str  # Chinese, as the regulator's 台账 has it; pages translate it
    width: int
    get: Callable[[Any, RowContext], Any]
    on_page: bool = True


def _item(h: Any, r: RowContext) -> str:
    return f"{h.standard_item.code} {h.standard_item.text}" if h.standard_item else ""


def _progress(h: Any, r: RowContext) -> str:
    text = r.label(HazardStatus, h.status)
    if h.is_overdue_on(r.today):
        text += "（超期）"
    return text


def _supervision(h: Any, r: RowContext) -> str:
    parts = []
    if h.supervised:
        parts.append("挂牌督办")
    if h.escalation_step:
        parts.append(r.label(EscalationStep, h.escalation_step))
    return "、".join(parts)


HAZARD_COLUMNS = [
    Column(N_("矿井名称"), 16, lambda h, r: h.mine.name),
    Column(N_("隐患描述"), 40, lambda h, r: h.description),
    Column(N_("隐患级别"), 12, lambda h, r: r.label(HazardLevel, h.level)),
    Column(N_("判定依据"), 30, _item, on_page=False),
    Column(N_("排查时间"), 16, lambda h, r: h.found_at),
    Column(N_("排查单位/人员"), 16, lambda h, r: h.found_by, on_page=False),
    Column(N_("整改措施"), 30, lambda h, r: h.measures, on_page=False),
    Column(N_("整改责任人"), 10, lambda h, r: h.responsible_person),
    Column(N_("整改资金（万元）"), 10, lambda h, r: float(h.funds) if h.funds is not None else None, on_page=False),
    Column(N_("整改时限"), 12, lambda h, r: h.deadline),
    Column(N_("应急预案"), 24, lambda h, r: h.contingency_plan, on_page=False),
    Column(N_("整改情况"), 12, _progress),
    Column(N_("验收人"), 10, lambda h, r: h.verified_by.display_name if h.verified_by else "", on_page=False),
    Column(N_("验收时间"), 16, lambda h, r: h.verified_at, on_page=False),
    Column(N_("销号时间"), 16, lambda h, r: h.closed_at, on_page=False),
    Column(N_("督办状态"), 12, _supervision),
]

# The hazard's own fields the columns above read, besides h.mine.name, h.standard_item.code/text,
# h.verified_by.display_name and h.is_overdue_on(): the export loads only these (R2.11).
EXPORT_FIELDS = (
    "description", "level", "found_at", "found_by", "measures", "responsible_person", "funds", "deadline",
    "contingency_plan", "status", "verified_at", "closed_at", "supervised", "escalation_step",
)
