"""Personal data masked by default (R10.8): the one masking path of pages, forms, exports, API
responses and audit snapshots. A full value leaves the platform only through an audited reveal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def mask_phone(phone: str) -> str:
    """13912345678 -> 139****5678; a shorter number keeps only its last 4 (a 7-digit one would
    otherwise be shown whole)."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    head = 3 if len(digits) >= 11 else 0
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


def mask_id_number(number: str) -> str:
    """A resident ID keeps its first 6 (region) and last 4 characters: 141129********123X."""
    n = number.strip()
    if len(n) <= 10:
        return "*" * len(n)
    return n[:6] + "*" * (len(n) - 10) + n[-4:]


# Field names that hold personal data, wherever they occur (a roster member's or a user's phone).
PERSONAL_FIELDS: dict[str, Callable[[str], str]] = {"id_number": mask_id_number, "phone": mask_phone}


def mask_value(field: str, value: Any) -> Any:
    """The masked form of `value` if `field` holds personal data; anything else unchanged."""
    masker = PERSONAL_FIELDS.get(field)
    if masker is None or not isinstance(value, str) or not value:
        return value
    return masker(value)


def mask_personal(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of a field -> value mapping with every personal field masked."""
    if data is None:
        return None
    return {k: mask_value(k, v) for k, v in data.items()}
