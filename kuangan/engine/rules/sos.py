"""sos: a person whose state in a snapshot is 求救 (SOS), wherever the file puts them (an SOS is never set
aside because of the in/out flag).

The episode is the card's (point_code); it ends at the first snapshot where the card's state is no longer
求救 or the card is absent. peak: none. Evidence: the first snapshot of the SOS (where the person was: area,
station, distance, since when). Gaps: each snapshot is judged on its own rows, so missing snapshots cannot
open an episode; an SOS open over a gap ends at the first snapshot after it without the SOS."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from .base import RuleInput, evidence
from .personnel import SOS, fmt, judge, new_state, people, quiet, subject_rows, unchanged

KIND = "sos"


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state()


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    rows = subject_rows(
        batch, pl.col("state") == SOS,
        "name", "flag", "time_down", "area_code", "area_entered", "station_code", "station_reached", "distance",
    ).with_columns(sig=pl.lit(True), val=pl.lit(None, pl.Float64), rank=pl.lit(0.0))

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        return eps.with_columns(evidence=evidence(
            card=pl.col("point_code"), name=pl.col("name"), t=fmt("t"), flag=pl.col("flag"),
            time_down=fmt("time_down"), area=pl.col("area_code"), area_entered=fmt("area_entered"),
            station=pl.col("station_code"), station_reached=fmt("station_reached"), distance=pl.col("distance"),
        ))

    return judge(state, rows, kind=KIND, describe=describe, grid=people(batch).snaps)
