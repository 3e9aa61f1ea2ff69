"""Template filters available in every template (registered as builtins in settings)."""

from __future__ import annotations

from django import template

from ..masking import mask_id_number, mask_phone

register = template.Library()

register.filter("mask_phone", mask_phone)
register.filter("mask_id", mask_id_number)


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key)
