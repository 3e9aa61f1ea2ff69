"""The periodic work of the monitoring app, run by `kuangan tick --at T` (registered in apps.py): the
over-capacity check on the mines' signed monthly returns (C01-01). The engine judges the output counters
(LJ 3001) as their readings come; a mine without counters, or whose counters say less than its head signed,
is judged here on what it signed. Idempotent: a flagged month is the same lead episode at every tick."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import polars as pl
from django.db import transaction

from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.clock import SHANGHAI, local
from kuangan.engine.schema import EPISODES
from kuangan.hazards.rules import day_start, next_month
from kuangan.registry.models import Mine, ProductionReturn

from . import leads, rules
from .choices import LeadKind
from .configuration import personnel_settings


def _month_start(month: date) -> datetime:
    return local(day_start(month))


def over_capacity_from_returns(at: datetime) -> dict[str, int]:
    settings = personnel_settings()
    # this calendar year and the last: a correction of last December's return still counts
    since = date(at.astimezone(SHANGHAI).year - 1, 1, 1)
    by_mine: dict[int, list[tuple[date, Any]]] = {}
    for mine_id, month, tonnes in ProductionReturn.objects.filter(month__gte=since).values_list(
            "mine_id", "month", "tonnes"):
        by_mine.setdefault(mine_id, []).append((month, tonnes))
    mines = {m.pk: m for m in Mine.objects.filter(pk__in=by_mine)}
    rows = []
    for mine_id, returns in by_mine.items():
        mine = mines[mine_id]
        for flag in rules.capacity_flags(returns, mine.approved_capacity, month_share=settings.capacity_month_share,
                                         year_share=settings.capacity_year_share):
            rows.append({
                "mine_code": mine.code, "point_code": None, "kind": LeadKind.OVER_CAPACITY.value,
                "start": _month_start(flag.month), "end": _month_start(next_month(flag.month)),
                "peak": float(flag.year_tonnes if flag.year_over else flag.tonnes), "void": False,
                "evidence": json.dumps({
                    "source": "production_return", "month": f"{flag.month:%Y-%m}", "tonnes": float(flag.tonnes),
                    "year_tonnes": float(flag.year_tonnes), "capacity_t": float(flag.capacity_t),
                    "month_share": float(flag.tonnes / flag.capacity_t), "month_over": flag.month_over,
                    "year_share": float(flag.year_tonnes / flag.capacity_t), "year_over": flag.year_over,
                    "month_limit": settings.capacity_month_share, "year_limit": settings.capacity_year_share,
                }, ensure_ascii=False),
            })
    if not rows:
        return {"over-capacity leads from returns": 0}
    with transaction.atomic(durable=True):
        touched = leads.apply_leads(pl.DataFrame(rows, schema=EPISODES), {m.code: m for m in mines.values()},
                                    by=Actor.system(Via.TICK, at=at))
    return {"over-capacity leads from returns": len(touched)}


def tick(at: datetime) -> dict[str, int]:
    return over_capacity_from_returns(at)
