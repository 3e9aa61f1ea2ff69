"""Ledger filters from a page's query string: one ninja Schema per ledger, shared with its API."""

from __future__ import annotations

from typing import Any, TypeVar

from ninja import Schema
from pydantic import ValidationError

F = TypeVar("F", bound=Schema)


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
    from django.utils.translation import gettext as _

    from .text import join_list

    filters, bad = parse_filter(schema, request.GET)
    if bad:
        messages.warning(request, _("已忽略无效的筛选条件：%(f)s") % {"f": join_list(bad)})
    return filters
