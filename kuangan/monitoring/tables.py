"""The alarm ledger's columns (报警台账), shared by the page and the Excel export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop

from .rules import beijing, duration, number


@dataclass(frozen=True)
class Column:
    key: str  # the page styles some cells by it
    label: str  # Chinese, as the 台账 has it; pages translate it
    width: int
    get: Callable[[Any, datetime], Any]  # (alarm, now) -> value
    on_page: bool = True


def alarm_duration(a: Any, now: datetime) -> str:
    return duration(((a.end or now) - a.start).total_seconds())


def _state(a: Any, now: datetime) -> str:
    return "已撤销" if a.withdrawn_at is not None else "报警中" if a.end is None else "已解除"


def _ack(a: Any, now: datetime) -> str:
    if a.acknowledged_at is None:
        return "未确认"
    who = a.acknowledged_by.display_name if a.acknowledged_by else ""
    return f"已确认 {who}".strip()


def _peak(a: Any, now: datetime) -> str:
    if a.peak is None:
        return ""
    return f"{number(a.peak)}{a.point.unit if a.point else ''}"


def _window(a: Any, n: datetime) -> str:
    w = a.planned_window
    return f"{w.get_kind_display()} {beijing(w.start)}～{beijing(w.end)}" if w else ""


ALARM_COLUMNS = [
    Column("mine", gettext_noop("矿井名称"), 16, lambda a, n: a.mine.name),
    Column("county", gettext_noop("所属县（区）"), 12, lambda a, n: a.mine.division.name, on_page=False),
    Column("kind", gettext_noop("报警类型"), 16, lambda a, n: str(a.get_kind_display())),
    Column("severity", gettext_noop("严重程度"), 10, lambda a, n: str(a.get_severity_display())),
    Column("point", gettext_noop("测点或对象编码"), 30, lambda a, n: a.point_code),
    Column("location", gettext_noop("安装位置"), 24, lambda a, n: a.location),
    Column("start", gettext_noop("开始时间"), 20, lambda a, n: beijing(a.start)),
    Column("end", gettext_noop("结束时间"), 20, lambda a, n: beijing(a.end)),
    Column("duration", gettext_noop("持续时长"), 14, alarm_duration),
    Column("peak", gettext_noop("极值"), 10, _peak),
    Column("state", gettext_noop("状态"), 8, _state),
    Column("ack", gettext_noop("确认"), 14, _ack),
    Column("ack_at", gettext_noop("确认时间"), 20, lambda a, n: beijing(a.acknowledged_at), on_page=False),
    Column("assignee", gettext_noop("处置人"), 10, lambda a, n: a.assignee.display_name if a.assignee else ""),
    Column("window", gettext_noop("计划作业"), 16, _window),
    Column("measures", gettext_noop("处置措施"), 30, lambda a, n: a.disposal.measures if hasattr(a, "disposal") else "", on_page=False),
]


# --- the lead ledger (违法生产线索台账), shared by the page and the Excel export ---------------------------------


def _lead_outcome(lead: Any, now: datetime) -> str:
    if lead.status == "dismissed":
        return f"排除：{lead.dismissed_reason}"
    if lead.status == "withdrawn":
        return "迟到数据表明该信号不成立"
    if lead.hazard_id is not None:
        return f"隐患 #{lead.hazard_id}"
    return ""


def _lead_peak(lead: Any, now: datetime) -> str:
    from .rules import peak_text

    return peak_text(lead.kind, lead.peak)


def _lead_end(lead: Any, now: datetime) -> str:
    if lead.status == "withdrawn":
        return "信号不成立"
    return beijing(lead.end) if lead.end is not None else "信号持续"


LEAD_COLUMNS = [
    Column("mine", gettext_noop("矿井名称"), 16, lambda lead, n: lead.mine.name),
    Column("county", gettext_noop("所属县（区）"), 12, lambda lead, n: lead.mine.division.name),
    Column("kind", gettext_noop("线索类型"), 20, lambda lead, n: str(lead.get_kind_display())),
    Column("subject", gettext_noop("对象"), 24, lambda lead, n: lead.subject or "全矿"),
    Column("status", gettext_noop("状态"), 10, lambda lead, n: str(lead.get_status_display())),
    Column("start", gettext_noop("开始时间"), 20, lambda lead, n: beijing(lead.start)),
    Column("end", gettext_noop("信号停止"), 20, _lead_end),
    Column("peak", gettext_noop("峰值"), 12, _lead_peak),
    Column("raised_at", gettext_noop("发现时间"), 20, lambda lead, n: beijing(lead.raised_at)),
    Column("reviewer", gettext_noop("研判人"), 10, lambda lead, n: lead.reviewer.display_name if lead.reviewer else ""),
    Column("outcome", gettext_noop("处理结果"), 30, _lead_outcome),
]
