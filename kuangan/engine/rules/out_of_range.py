"""out_of_range: an analog value above its defined range high or below its range low, or a reading
whose status carries the over-range bit (8, counted as above). The peak is the highest value of an
episode above the range and the lowest of one below it."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, track
from ..settings import OVER_RANGE
from .base import RuleInput, episodes_out, evidence

KEY = ["mine_code", "point_code", "direction"]


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=carried_schema(KEY))


def evaluate(state: pl.DataFrame, batch: RuleInput, now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    r = (
        batch.readings.lazy()
        .filter(pl.col("value_type") == "MN")
        .select("pid", "mine_code", "point_code", "t", "value", "status", "range_low", "range_high")
        .collect()
    )
    above = (pl.col("value") > pl.col("range_high")).fill_null(False)
    below = (pl.col("value") < pl.col("range_low")).fill_null(False)
    flagged = (pl.col("status") & OVER_RANGE) != 0
    carried, eps, tracked_rows = [], [], []
    for direction, signal, peak in (("upper", above | (flagged & ~below), "max"), ("lower", below, "min")):
        tracked = track(
            r,
            key=KEY,
            signal=signal,
            carried=state if state.is_empty() else state.filter(pl.col("direction") == direction),
            value=pl.col("value"),
            peak=peak,  # type: ignore[arg-type]
            constants={"direction": direction},
        )
        carried.append(tracked.carried)
        eps.append(tracked.episodes)
        tracked_rows.append(tracked.rows.select("mine_code", "point_code", "range_low", "range_high"))
    if all(e.is_empty() for e in eps):  # the usual batch
        return pl.concat(carried), episodes_out(eps[0], "out_of_range")
    ranges = (pl.concat(tracked_rows).group_by("mine_code", "point_code")
              .agg(pl.col("range_low").last(), pl.col("range_high").last()))
    out = (
        pl.concat(eps)
        .join(ranges, on=["mine_code", "point_code"], how="left")
        .with_columns(
            evidence=evidence(
                direction=pl.col("direction"), range_low=pl.col("range_low"), range_high=pl.col("range_high")
            )
        )
    )
    return pl.concat(carried), episodes_out(out, "out_of_range", pl.col("evidence"))
