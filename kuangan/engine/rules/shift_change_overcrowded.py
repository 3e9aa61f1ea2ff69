"""shift_change_overcrowded: a shift change (限员规定 第九条) with more than `shift_change_total` (1000)
people underground outside the areas declared as faces, or lasting longer than `shift_change_max` (2 h:
exactly 2 h is allowed, 2 h 1 s is not).

A shift change is under way at a snapshot showing people of two consecutive shift instances underground
(engine.rules.personnel: a person's shift is the one whose start is nearest to their time down). It runs
from the next shift's first person down (the earliest time down of its people, carried across snapshots
and batches in the state) to the previous shift's last person up (the first snapshot without them). Its
length at a snapshot is the snapshot's time minus that first time down.

The episode is the mine's (point_code null); peak = people underground outside faces. Evidence: the worst
snapshot (over the total first, then the longest): the two shifts, when the change began, how long it had
lasted, the counts and limits, and the cards of the previous shift still underground.
Gaps: a change is under way only at snapshots that show both shifts underground, and its start is a time
down the records give, so missing snapshots cannot make a change seem long (a change whose end fell in a
gap is over at the next snapshot, unjudged in between)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import last_rows
from ..schema import TIME, Schema
from .base import RuleInput, evidence
from .personnel import cards_at, fmt, judge, new_state, people, quiet, unchanged, with_cards

KIND = "shift_change_overcrowded"
# per mine, the newest shift change seen: the next shift's start and its first person's time down
CHANGES: Schema = {"mine_code": pl.String, "next_shift": TIME, "first_down": TIME}


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state(changes=CHANGES)


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    settings = batch.settings.personnel
    snaps = people(batch).snaps
    carried = state["changes"].lazy().rename({"next_shift": "c_next", "first_down": "c_first"})
    duration = pl.col("t") - pl.col("first_down")
    over_total = pl.col("outside") > settings.shift_change_total
    too_long = duration > pl.lit(settings.shift_change_max)
    rows_lf = (
        snaps.lazy()
        .join(carried, on="mine_code", how="left", maintain_order="left")
        .with_columns(_base=pl.when(pl.col("next_shift") == pl.col("c_next")).then(pl.col("c_first")))
        .with_columns(first_down=pl.min_horizontal("next_down", "_base").cum_min().over("mine_code", "next_shift"))
        .with_columns(
            point_code=pl.col("mine_code"),
            sig=(pl.col("in_change") & (over_total | too_long)).fill_null(False),
            val=pl.col("outside").cast(pl.Float64),
            rank=over_total.cast(pl.Float64) * 1e9 + duration.dt.total_seconds().cast(pl.Float64),
            over_total=over_total, too_long=too_long,
        )
        .drop("c_next", "c_first", "_base")
    )
    newest = rows_lf.filter(pl.col("in_change")).filter(last_rows("mine_code")).select(list(CHANGES))
    changes = pl.concat([state["changes"].lazy().join(newest, on="mine_code", how="anti"), newest])

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        chosen = eps.select("mine_code", "t", "prev_lb", "next_lb")
        previous = cards_at(batch, chosen, where=(pl.col("time_down") >= pl.col("prev_lb"))
                            & (pl.col("time_down") < pl.col("next_lb")))
        return with_cards(eps, previous).with_columns(evidence=evidence(
            t=fmt("t"),
            previous_shift=fmt("prev_shift"), next_shift=fmt("next_shift"),
            change_start=fmt("first_down"),  # the next shift's first person down
            duration_s=(pl.col("t") - pl.col("first_down")).dt.total_seconds(),
            outside_faces=pl.col("outside"), people=pl.col("people"),
            total_limit=pl.lit(settings.shift_change_total),
            max_duration_s=pl.lit(int(settings.shift_change_max.total_seconds())),
            over_total=pl.col("over_total"), too_long=pl.col("too_long"),
            previous_shift_cards=pl.col("cards"), previous_shift_people=pl.col("cards_total"),
        ))

    return judge(state, rows_lf, kind=KIND, describe=describe, mine_level=True, keep={"changes": changes})
