"""Personal data masked by default (R10.8): the one masking path of pages, forms, exports, API
responses and audit snapshots. A full value leaves the platform only through an audited reveal."""

from __future__ import annotations

import re
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


# An ID number or a mobile number inside free text (a target's name), not inside a longer code.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str) -> str:
    """Free text with any ID or mobile number in it masked."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)
