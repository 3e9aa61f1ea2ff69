"""Ledger filters from a page's query string: one ninja Schema per ledger, shared with its API."""

from __future__ import annotations

from typing import Any, TypeVar

from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import ValidationError

F = TypeVar("F", bound=Schema)

# How a page names a filter when its value is dropped (the ledgers' own labels); a schema field may
# give its own with Field(title=...).
LABELS = {
    "q": _("关键词"), "division": _("区划"), "mine": _("矿山"), "enterprise": _("企业"), "category": _("类别"),
    "level": _("级别"), "source": _("来源"), "status": _("状态"), "open": _("未销号"), "overdue": _("超期"),
    "supervised": _("督办"), "repeat": _("反复出现"), "found_from": _("排查日期（起）"),
    "found_to": _("排查日期（止）"), "kind": _("类型"), "severity": _("严重程度"), "active": _("报警中"),
    "acknowledged": _("确认"), "planned": _("计划作业"), "withdrawn": _("撤销"), "late": _("迟到数据"),
    "start_from": _("开始日期（起）"), "start_to": _("开始日期（止）"), "file_type": _("文件类型"),
    "rejected": _("隔离记录"), "received_from": _("接收日期（起）"), "received_to": _("接收日期（止）"),
    "gas_class": _("瓦斯等级"), "standardization_grade": _("安全生产标准化等级"),
    "supervision_class": _("分级分类"), "sort": _("排序"),
}


def label(schema: type[Schema], name: str) -> str:
    field = schema.model_fields.get(name)
    return str(field.title if field is not None and field.title else LABELS.get(name, name))


def parse_filter(schema: type[F], params: Any) -> tuple[F, list[str]]:
    """Invalid values are dropped and named (for a warning on the page), never a 500."""
    raw = {k: params.get(k) for k in schema.model_fields if params.get(k) not in (None, "")}
    try:
        return schema(**raw), []
    except ValidationError as e:
        bad = {str(err["loc"][0]) for err in e.errors()}
        return schema(**{k: v for k, v in raw.items() if k not in bad}), sorted(bad)


def page_filter(schema: type[F], request: Any) -> F:
    """parse_filter for a page: the dropped values are named in a warning above the ledger."""
    from django.contrib import messages

    from .text import join_list

    filters, bad = parse_filter(schema, request.GET)
    if bad:
        messages.warning(request, _("已忽略无效的筛选条件：%(f)s") % {"f": join_list(label(schema, b) for b in bad)})
    return filters
