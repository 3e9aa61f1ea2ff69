"""Personal data masked by default (R10.8)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """13912345678 -> 139****5678."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(number: str) -> str:
    """A resident ID keeps its first 6 (region) and last 4 characters: 141129********123X."""
    n = number.strip()
    if len(n) <= 10:
        return "*" * len(n)
    return n[:6] + "*" * (len(n) - 10) + n[-4:]
