"""The periodic work of enforcement, run by `kuangan tick --at T` (registered in apps.py). Each job is
idempotent: a second run at the same T finds nothing left to do. The writes are the actions' own
(enforcement/actions.py); this module only says what runs."""

from __future__ import annotations

from datetime import datetime

from . import actions


def recompute_classes(at: datetime) -> dict[str, int]:
    """R3.1: every non-closed mine's class from its facts at `at`; a change row only where the class moves."""
    return {"supervision class changes": actions._recompute_classes(at)}


def record_missed_plan_items(at: datetime) -> dict[str, int]:
    """R3.2: planned mines not inspected by their month's end (Beijing), each recorded once."""
    return {"missed plan items": actions._record_missed_plan_items(at)}


def remind_documents(at: datetime) -> dict[str, int]:
    """R3.5: the re-inspection reminder of a rectification order, once, to the inspection's leader."""
    return {"re-inspection reminders": actions._remind_documents(at)}


# --- penalty cases ---


def remind_cases(at: datetime) -> dict[str, int]:
    """R3.4: at the end of the party's time to state its case the agency's heads are asked to approve; a fine
    unpaid after its last day is reminded to the case's filer. Each once, stamped with its due time."""
    return {"penalty case reminders": actions._remind_cases(at)}


# --- mine-head scoring ---


def list_retakes(at: datetime) -> dict[str, int]:
    """R3.8: a mine head at the year's threshold is listed once for the exam retake; the county is told."""
    return {"mine-head exam retakes": actions._list_retakes(at)}


def tick(at: datetime) -> dict[str, int]:
    results: dict[str, int] = {}
    results.update(recompute_classes(at))
    results.update(record_missed_plan_items(at))
    results.update(remind_documents(at))
    results.update(remind_cases(at))
    results.update(list_retakes(at))
    return results
