"""mine_overcrowded: a snapshot outside a shift change with more people underground than the mine's
single-shift limit (facts.mines.mine_limit: the StaffingLimit row for its approved capacity and disaster
class). A shift change is exempt (限员规定 第九条; shift_change_overcrowded judges it), so a snapshot during
one ends an episode like a snapshot at or under the limit. A mine without a known limit is not judged.

The episode is the mine's (tracked under its code, emitted with point_code null); peak = people underground.
Evidence: the most crowded snapshot: its time, the people, the limit with its capacity and class, the cards.
Gaps: each snapshot is judged on the people it lists, so missing snapshots cannot open an episode; one open
over a gap ends at the first snapshot after it that is not over the limit."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from .base import RuleInput, evidence
from .personnel import cards_at, fmt, judge, new_state, people, quiet, unchanged, with_cards

KIND = "mine_overcrowded"


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state()


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    snaps = people(batch).snaps
    limits = batch.facts.mines.lazy().select("mine_code", "mine_limit", "capacity", "disaster_severe")
    rows = (
        snaps.lazy().select("mine_code", "t", "people", "in_change")
        .join(limits, on="mine_code", how="left", maintain_order="left")
        .with_columns(
            point_code=pl.col("mine_code"),
            sig=(~pl.col("in_change") & (pl.col("people") > pl.col("mine_limit"))).fill_null(False),
            val=pl.col("people").cast(pl.Float64),
            rank=pl.col("people").cast(pl.Float64),
        )
    )

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        return with_cards(eps, cards_at(batch, eps)).with_columns(evidence=evidence(
            t=fmt("t"), people=pl.col("people"), limit=pl.col("mine_limit"),
            limit_source=pl.lit("mine_limit"),  # StaffingLimit by approved capacity and disaster class
            capacity=pl.col("capacity"), disaster_severe=pl.col("disaster_severe"),
            cards=pl.col("cards"), cards_total=pl.col("cards_total"),
        ))

    return judge(state, rows, kind=KIND, describe=describe, mine_level=True)
