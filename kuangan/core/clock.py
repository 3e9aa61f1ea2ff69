"""The one source of "now". Tests and `kuangan tick --at` move it; nothing else reads the wall clock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware (UTC), or the frozen one."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def is_frozen() -> bool:
    """Whether `now()` reads a frozen instant (tests, `frozen`) rather than the wall clock."""
    return _frozen is not None


def local(t: datetime) -> datetime:
    """An instant as a naive Beijing wall-clock time, the form the mines' files write."""
    if t.tzinfo is SHANGHAI:  # already Beijing time (from_local): no zone lookup (ingestion does this per file)
        return t.replace(tzinfo=None)
    return t.astimezone(SHANGHAI).replace(tzinfo=None)


def from_local(t: datetime) -> datetime:
    """A naive Beijing wall-clock time (as in the mines' files) as an aware instant."""
    return t.replace(tzinfo=SHANGHAI)


def today() -> date:
    """Today's date in Beijing time, where every deadline of the regulations is counted."""
    return now().astimezone(SHANGHAI).date()


def freeze(at: datetime | None) -> None:
    """Set (or with None, release) the frozen instant. Naive datetimes are read as Beijing time."""
    global _frozen
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=SHANGHAI)
    _frozen = at


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    previous = _frozen
    freeze(at)
    try:
        yield now()
    finally:
        freeze(previous)
