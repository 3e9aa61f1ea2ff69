"""suspended_mine_activity: more than `suspended_area_max` (10) people underground in one area while the
mine's status at the snapshot's time is suspended (facts.status: the interval in force then, start <= t <
end, with suspended = 停产整顿 / 停建 / 长期停产停建 / 关闭). Replay judges the status in force at the
snapshot's time, not today's. People without an area code are not counted in any area.

The episode is the area's (point_code = area code); it ends at the first snapshot with 10 or fewer there
or where the mine is no longer suspended. peak = people in the area. Evidence: the most crowded snapshot:
the status and since when, the people, the limit, the cards. Gaps: each snapshot is judged on the people it
lists, so missing snapshots cannot open an episode."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..facts import Facts
from .base import RuleInput, evidence
from .personnel import cards_at, derived, fmt, judge, new_state, people, quiet, unchanged, with_cards

KIND = "suspended_mine_activity"


def _suspended(facts: Facts) -> pl.DataFrame:
    return facts.status.filter(pl.col("suspended").fill_null(False))


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state()


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    suspended = derived(batch.facts, KIND, _suspended)
    if suspended.is_empty() and state["open"].is_empty():
        return unchanged(state)
    most = batch.settings.personnel.suspended_area_max
    prepared = people(batch)
    areas = prepared.areas.lazy().join(suspended.lazy().select("mine_code").unique(), on="mine_code", how="semi")
    status = (
        areas.select("mine_code", "t").unique()
        .join(suspended.lazy().select("mine_code", "status", since="start", until="end"), on="mine_code")
        .filter((pl.col("since") <= pl.col("t")) & (pl.col("until").is_null() | (pl.col("t") < pl.col("until"))))
        .unique(["mine_code", "t"], keep="first")
    )
    rows = (
        areas.join(status, on=["mine_code", "t"], how="inner")
        .with_columns(point_code=pl.col("area_code"), sig=pl.col("people") > most,
                      val=pl.col("people").cast(pl.Float64), rank=pl.col("people").cast(pl.Float64))
    )

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        on = ("mine_code", "t", "area_code")
        return with_cards(eps, cards_at(batch, eps, on=on), on).with_columns(evidence=evidence(
            area=pl.col("area_code"), t=fmt("t"), status=pl.col("status"), status_since=fmt("since"),
            people=pl.col("people"), limit=pl.lit(most), cards=pl.col("cards"), cards_total=pl.col("cards_total"),
        ))

    return judge(state, rows, kind=KIND, describe=describe, grid=prepared.snaps)
