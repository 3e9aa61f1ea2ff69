"""Text that follows the active language."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _


def join_list(items: Iterable[object]) -> str:
    """Chinese enumerates with 、; other languages with their own separator (", " in English)."""
    # Translators: the separator between the items of an enumeration.
    return _("、").join(str(i) for i in items)
