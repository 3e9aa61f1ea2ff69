"""A special operator's certificate number (特种作业操作证号) is, on the national IC card, the holder's ID
number with a letter in front (T141129198505051234): it is personal data (R10.8) and is shown, exported and
audited masked like the ID number it contains. core.masking.mask_text leaves codes with a letter in front
alone (licence numbers), so the certificate number has its own mask."""

from __future__ import annotations

import re

from kuangan.core.masking import mask_id_number

_EMBEDDED_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?![0-9A-Za-z])")


def mask_certificate_number(number: str) -> str:
    """The number with any ID number in it masked (141129********1234); a number without one unchanged."""
    return _EMBEDDED_ID.sub(lambda m: mask_id_number(m.group()), number or "")
