"""no_leader_on_shift (带班下井): `leader_grace` (2 h) into a shift with people underground, no leader card
has been underground since the shift began. The shift is the one in force by the clock (the last start of
facts.shifts / 三八制 at or before the snapshot). A leader is a card of the mine's roster (facts.leaders);
a card the mine's own file flags as a leader does not count. A leader counts as down when a snapshot of the
shift lists the card underground, or as came up (flag 2) at or after the shift's start.

The episode opens at the first snapshot that is `leader_grace` or more into the shift with people underground
and ends at the first snapshot showing a leader, or at the next shift's first snapshot. A snapshot with
nobody underground neither opens nor ends it. A mine with no leader card on its roster is judged too (a mine
that registers no card must not escape the check): no leader of it can be seen, and the evidence says its
roster holds no card (roster_total 0), which the dossier asks the mine to fill in.

The episode is the mine's (point_code null); peak = people underground. Evidence: the most crowded snapshot
without a leader, the shift, the roster's cards, and cards the mine's file flags as leaders off the roster.
Gaps: a shift is judged only while snapshots cover it from its start without a gap longer than
`snapshot_gap` (a leader may have gone down and up unseen in a gap): nothing opens then, and an episode open
before a gap stays open (neither opened nor ended by missing data) until a leader shows or the shift ends."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import first_rows, last_rows
from ..facts import Facts
from ..schema import TIME, Schema
from .base import RuleInput, evidence
from .personnel import (
    CAME_UP,
    MAX_CARDS,
    UNDERGROUND,
    derived,
    fmt,
    judge,
    new_state,
    people,
    quiet,
    unchanged,
)

KIND = "no_leader_on_shift"
# per mine: the shift of its last snapshot and whether a leader was down in it; the last snapshot's time and
# the start of the run of snapshots without a gap that it ends
SHIFT: Schema = {"mine_code": pl.String, "shift_start": TIME, "leader_seen": pl.Boolean, "last_t": TIME,
                 "run_start": TIME}


def _roster(facts: Facts) -> pl.DataFrame:
    """Each mine's leader cards (the mines with any: the others are not judged)."""
    return facts.leaders.unique().sort("card_code").group_by("mine_code").agg(
        roster=pl.col("card_code").head(MAX_CARDS), roster_total=pl.len().cast(pl.Int64))


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state(shift=SHIFT)


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    settings = batch.settings.personnel
    prepared = people(batch)
    snaps = prepared.snaps.lazy().select("mine_code", "t", "people", "shift_start", "shift_end")
    leaders_down = (
        prepared.leaders.lazy().join(snaps.select("mine_code", "t", "shift_start"), on=["mine_code", "t"])
        .filter((pl.col("flag") == UNDERGROUND)
                | ((pl.col("flag") == CAME_UP) & (pl.col("time_up") >= pl.col("shift_start"))))
        .select("mine_code", "t").unique().with_columns(leader_here=pl.lit(True))
    )
    roster = derived(batch.facts, KIND, _roster).lazy()
    carried = state["shift"].lazy().rename({c: f"c_{c}" for c in SHIFT if c != "mine_code"})
    first = first_rows("mine_code")
    prev_t = pl.when(pl.col("_first")).then(pl.col("c_last_t")).otherwise(pl.col("t").shift(1))
    gap = prev_t.is_null() | ((pl.col("t") - prev_t) > pl.lit(settings.snapshot_gap))
    new_shift = pl.when(pl.col("_first")).then(
        pl.col("c_shift_start").is_null() | (pl.col("shift_start") != pl.col("c_shift_start"))
    ).otherwise(pl.col("shift_start") != pl.col("shift_start").shift(1))
    seen_before = pl.when(pl.col("_first") & ~pl.col("new_shift")).then(pl.col("c_leader_seen")).otherwise(False)
    signal = (
        pl.when(pl.col("leader_seen")).then(False)
        .when(pl.col("new_shift")).then(False)
        .when(pl.col("t") < pl.col("shift_start") + pl.lit(settings.leader_grace)).then(False)
        .when(pl.col("run_start") > pl.col("shift_start")).then(None)  # not covered since the shift began
        .when(pl.col("people") == 0).then(None)
        .otherwise(True)
    )
    rows_lf = (
        snaps.join(roster, on="mine_code", how="left")  # a mine without leader cards: no leader to be seen
        .join(leaders_down, on=["mine_code", "t"], how="left")
        .join(carried, on="mine_code", how="left", maintain_order="left")
        .sort("mine_code", "t")
        .with_columns(_first=first, leader_here=pl.col("leader_here").fill_null(False))
        .with_columns(new_shift=new_shift, _gap=gap)
        .with_columns(
            run_start=pl.when(pl.col("_gap")).then(pl.col("t")).when(pl.col("_first")).then(pl.col("c_run_start"))
            .forward_fill(),
            _grp=(pl.col("_first") | pl.col("new_shift")).cast(pl.Int64).cum_sum(),
        )
        .with_columns(leader_seen=(pl.col("leader_here") | seen_before).cast(pl.Int8).cum_max().over("_grp") > 0)
        .with_columns(point_code=pl.col("mine_code"), sig=signal, val=pl.col("people").cast(pl.Float64),
                      rank=pl.col("people").cast(pl.Float64))
        .drop("_first", "_gap", "_grp", "c_shift_start", "c_leader_seen", "c_last_t", "c_run_start")
    )
    last = rows_lf.filter(last_rows("mine_code")).select(
        "mine_code", "shift_start", "leader_seen", last_t="t", run_start="run_start")
    shift = pl.concat([state["shift"].lazy().join(last, on="mine_code", how="anti"), last])

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        claimed = (
            batch.positions.lazy().filter((pl.col("flag") == UNDERGROUND) & pl.col("leader_flag")
                                          & pl.col("header_time").is_in(eps.get_column("t").implode()))
            .rename({"header_time": "t"})
            .join(eps.lazy().select("mine_code", "t"), on=["mine_code", "t"], how="semi")
            .join(batch.facts.leaders.lazy(), on=["mine_code", "card_code"], how="anti")
            .group_by("mine_code", "t").agg(flagged_off_roster=pl.col("card_code").sort().head(MAX_CARDS))
        )
        return (
            eps.lazy().join(claimed, on=["mine_code", "t"], how="left")
            .with_columns(pl.col("flagged_off_roster").fill_null(pl.lit([], dtype=pl.List(pl.String))))
            .with_columns(evidence=evidence(
                t=fmt("t"), shift_start=fmt("shift_start"), shift_end=fmt("shift_end"),
                grace_s=pl.lit(int(settings.leader_grace.total_seconds())), people=pl.col("people"),
                covered_since=fmt("run_start"),
                roster=pl.col("roster").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                roster_total=pl.col("roster_total").fill_null(0),
                flagged_off_roster=pl.col("flagged_off_roster"),  # the mine's own flag: not a leader
            ))
            .collect()
        )

    return judge(state, rows_lf, kind=KIND, describe=describe, mine_level=True, keep={"shift": shift})
