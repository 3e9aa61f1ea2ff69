"""overtime_underground: a person underground longer than their shift's length + `overtime` (2 h), counted
from their time down. Their shift is the one whose start is nearest to their time down (personnel); its
length is the time to the mine's next shift start (8 h under 三八制). Exactly length + overtime is allowed.

The episode is the card's (point_code); it ends at the first snapshot where the person is no longer
underground (absent, came up) or is on a new descent (a later time down). peak = hours underground beyond
the shift's length (so at least the overtime when raised; e.g. 2.5 = ten and a half hours into an 8-hour
shift), to the hundredth. Evidence: the longest snapshot: time down, the shift, hours underground, allowed
hours, where the person was. Gaps: each snapshot is judged on its own rows (the time down is in them), so
missing snapshots cannot open an episode. A row without a time down is not judged."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from .base import RuleInput, evidence
from .personnel import (
    UNDERGROUND,
    fmt,
    judge,
    nearest_shift,
    new_state,
    people,
    quiet,
    subject_rows,
    unchanged,
)

KIND = "overtime_underground"
HOUR_S = 3600.0


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state()


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    overtime = batch.settings.personnel.overtime
    prepared = people(batch)
    shortest = prepared.shortest
    if shortest is None:  # for the type: a batch that is not quiet has a snapshot, so its mines have shifts
        return unchanged(state)  # pragma: no cover  (unreachable, see above)
    # no shift is shorter than the shortest: only rows underground longer than it + overtime need their shift
    floor = pl.lit(timedelta(seconds=shortest) + overtime)
    candidates = subject_rows(
        batch, (pl.col("flag") == UNDERGROUND) & ((pl.col("header_time") - pl.col("time_down")) > floor),
        "time_down", "name", "area_code", "station_code",
    )
    key = ["mine_code", "point_code", "t"]
    shift = nearest_shift(candidates, "time_down", prepared.table, key).select(
        *key, shift="start", length="length")
    underground = pl.col("t") - pl.col("time_down")
    hours_over = ((underground - pl.col("length")).dt.total_seconds() / HOUR_S).round(2)
    rows = (
        candidates.join(shift, on=key, how="inner")
        .with_columns(sig=underground > pl.col("length") + pl.lit(overtime), val=hours_over, rank=hours_over,
                      hours=(underground.dt.total_seconds() / HOUR_S).round(2))
        .filter(pl.col("sig"))
    )

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        return eps.with_columns(evidence=evidence(
            card=pl.col("point_code"), name=pl.col("name"), t=fmt("t"), time_down=fmt("time_down"),
            shift_start=fmt("shift"), shift_hours=pl.col("length").dt.total_seconds() / HOUR_S,
            allowed_hours=(pl.col("length") + pl.lit(overtime)).dt.total_seconds() / HOUR_S,
            hours_underground=pl.col("hours"), hours_over=pl.col("val"),
            area=pl.col("area_code"), station=pl.col("station_code"),
        ))

    return judge(state, rows, kind=KIND, describe=describe, grid=prepared.snaps)
