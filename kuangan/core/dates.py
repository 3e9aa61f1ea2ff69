"""The range of dates the platform accepts: wide enough for any record, narrow enough that rules can
add days to them and turn them into Beijing instants without overflowing (year 1 or 9999 cannot)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from .clock import SHANGHAI

EARLIEST = date(1949, 10, 1)
LATEST = date(2099, 12, 31)


def _day_of(value: date | datetime) -> date:
    if isinstance(value, datetime):
        try:
            return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI).date()
        except OverflowError:
            return date.min
    return value


def in_range(value: Any) -> bool:
    return EARLIEST <= _day_of(value) <= LATEST


def validate_in_range(value: Any) -> None:
    """Django form/model validator."""
    if value is not None and not in_range(value):
        raise ValidationError(_("日期须在 %(lo)s 至 %(hi)s 之间。") % {"lo": EARLIEST, "hi": LATEST},
                              code="date_out_of_range")


def _pydantic(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)  # an instant without a zone is Beijing time
    if not in_range(value):
        raise PydanticCustomError("date_out_of_range", _("日期须在 {lo} 至 {hi} 之间。"),
                                  {"lo": EARLIEST.isoformat(), "hi": LATEST.isoformat()})
    return value


Day = Annotated[date, AfterValidator(_pydantic)]  # for ninja/pydantic schemas
Instant = Annotated[datetime, AfterValidator(_pydantic)]
