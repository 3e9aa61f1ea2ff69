"""The hazard ledger's columns (隐患台账), shared by the page and the Excel export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_noop as N_

from .choices import EscalationStep, HazardLevel, HazardStatus

# Labels looked up in a dict (Model.get_FOO_display rebuilds its choices on every call: 90 µs, R2.11)
_LEVEL, _STATUS, _STEP = dict(HazardLevel.choices), dict(HazardStatus.choices), dict(EscalationStep.choices)


def _label(labels: dict[str, Any], value: str) -> str:
    return str(labels.get(value, value))


@dataclass(frozen=True)
class Column:
    label: str  # Chinese, as the regulator's 台账 has it; pages translate it
    width: int
    get: Callable[[Any, date], Any]
    on_page: bool = True


def _item(h: Any, today: date) -> str:
    return f"{h.standard_item.code} {h.standard_item.text}" if h.standard_item else ""


def _progress(h: Any, today: date) -> str:
    text = _label(_STATUS, h.status)
    if h.is_overdue_on(today):
        text += "（超期）"
    return text


def _supervision(h: Any, today: date) -> str:
    parts = []
    if h.supervised:
        parts.append("挂牌督办")
    if h.escalation_step:
        parts.append(_label(_STEP, h.escalation_step))
    return "、".join(parts)


HAZARD_COLUMNS = [
    Column(N_("矿井名称"), 16, lambda h, t: h.mine.name),
    Column(N_("隐患描述"), 40, lambda h, t: h.description),
    Column(N_("隐患级别"), 12, lambda h, t: _label(_LEVEL, h.level)),
    Column(N_("判定依据"), 30, _item, on_page=False),
    Column(N_("排查时间"), 16, lambda h, t: h.found_at),
    Column(N_("排查单位/人员"), 16, lambda h, t: h.found_by, on_page=False),
    Column(N_("整改措施"), 30, lambda h, t: h.measures, on_page=False),
    Column(N_("整改责任人"), 10, lambda h, t: h.responsible_person),
    Column(N_("整改资金（万元）"), 10, lambda h, t: float(h.funds) if h.funds is not None else None, on_page=False),
    Column(N_("整改时限"), 12, lambda h, t: h.deadline),
    Column(N_("应急预案"), 24, lambda h, t: h.contingency_plan, on_page=False),
    Column(N_("整改情况"), 12, _progress),
    Column(N_("验收人"), 10, lambda h, t: h.verified_by.display_name if h.verified_by else "", on_page=False),
    Column(N_("验收时间"), 16, lambda h, t: h.verified_at, on_page=False),
    Column(N_("销号时间"), 16, lambda h, t: h.closed_at, on_page=False),
    Column(N_("督办状态"), 12, _supervision),
]

# The hazard's own fields the columns above read (and `Hazard.is_overdue_on`), besides h.mine.name,
# h.standard_item.code/text and h.verified_by.display_name: the export loads only these (R2.11).
EXPORT_FIELDS = (
    "description", "level", "found_at", "found_by", "measures", "responsible_person", "funds", "deadline",
    "contingency_plan", "status", "due_on", "paused", "verified_at", "closed_at", "supervised", "escalation_step",
)
