"""point_fault: a point whose status shows a fault, a disconnected outstation or not polled (bits 16,
32, 128), or an outstation (FZSS) reporting lost communication or a fault; the outstation's code is
then the alarm's point."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, first_rows, numbered, track
from ..settings import FAULT_BITS
from .base import RuleInput, episodes_out, evidence

KEY = ["mine_code", "point_code"]
LOST, FAULT = 1, 2  # FZSS running status


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=carried_schema(KEY))


def evaluate(state: pl.DataFrame, batch: RuleInput, now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    points = batch.readings.lazy().select("pid", *KEY, "t", code=pl.col("status")).collect()
    stations = (
        batch.outstation_status.lazy().select(
            "mine_code",
            pl.col("outstation_code").alias("point_code"),
            pl.col("data_time").alias("t"),
            pl.col("running_status").cast(pl.Int32).alias("code"),
        )
        .sort([*KEY, "t"])  # once per time already: the pipeline keeps an outstation's first status of a time
        # numbered like the readings' points, by the whole key: an outstation code could repeat across mines
        .with_columns(pid=numbered(*KEY))
        .collect()
    )
    out_state, eps, seen = [], [], []
    for rows, faulty, source in (
        (points, (pl.col("code") & FAULT_BITS) != 0, "status"),
        (stations, pl.col("code").is_in([LOST, FAULT]), "outstation"),
    ):
        # rows come grouped by point: its first rows name every key without a hash of all the rows
        known = rows.lazy().filter(first_rows("pid")).select(*KEY)
        seen.append(known)
        carried_here = state if state.is_empty() else state.lazy().join(known, on=KEY, how="semi").collect()
        tracked = track(rows, key=KEY, signal=faulty, carried=carried_here, value=pl.col("code"))
        out_state.append(tracked.carried)
        if tracked.episodes.is_empty():
            continue
        codes = tracked.rows.lazy().filter(pl.col("active")).group_by(KEY).agg(codes=pl.col("code").unique().sort())
        eps.append(
            tracked.episodes.lazy().join(codes, on=KEY, how="left").with_columns(
                evidence=evidence(source=pl.lit(source), status=pl.col("codes")),
                peak=pl.lit(None, pl.Float64),
            ).collect()
        )
    if not state.is_empty():  # the points not in this batch keep their carried episodes
        out_state.insert(0, state.lazy().join(pl.concat(seen), on=KEY, how="anti").collect())
    carried = pl.concat(out_state)
    found = pl.concat(eps) if eps else pl.DataFrame()
    return carried, episodes_out(found, "point_fault", pl.col("evidence"))
