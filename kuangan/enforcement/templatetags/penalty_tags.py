"""Filters of the penalty-case and score pages: amounts in 元, and whether the user holds a capability."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from kuangan.core.access import can

from ..queries import money_range, penalty_types_text, source_text, tag_text, yuan

register = template.Library()


@register.filter(name="yuan")
def yuan_filter(amount: Decimal | int | None) -> str:
    """15000 → 15,000 (the page writes 元 after it)."""
    return yuan(amount)


@register.filter(name="fine_range")
def fine_range(rng: Any) -> str:
    """A stored range ["10000", "20000"] as "10,000–20,000 元"; none as 不设罚款."""
    return money_range(rng)


@register.filter(name="penalty_types")
def penalty_types_filter(types: Any) -> str:
    """["warning", "fine"] → 警告、罚款."""
    return penalty_types_text(types or [])


@register.filter(name="source")
def source_filter(text: str) -> str:
    """A seeded source or note without the compilation's internal references, its confidence tags in words."""
    return source_text(text or "")


@register.filter
def confidence(tag: str) -> str:
    """A benchmark's confidence tag (Q, S, I, R) in words."""
    return tag_text(tag or "")


@register.filter
def may(user: Any, perm: str) -> bool:
    """{% if user|may:"penalty_case" %}: the capability, as the access policy gives it."""
    return can(user, perm)
