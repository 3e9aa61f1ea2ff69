"""Filters of the class and plan pages: a seeded row's source as a user reads it."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from ..queries import source_text

register = template.Library()


@register.filter
def basis(text: str) -> str:
    """The source of a seeded number without its leading "未找到依据" (the page shows that as a mark)."""
    shown = source_text(text or "")
    return shown.removeprefix(_("未找到依据")).strip() or shown
