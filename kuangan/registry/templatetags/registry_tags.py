from __future__ import annotations

from typing import Any

from django import template

from ..tables import Column, cell_value

register = template.Library()


@register.filter
def ledger_cell(mine: Any, col: Column) -> Any:
    return cell_value(mine, col)
