"""over_limit: an analog value at or above its upper alarm threshold (or at or below its lower one),
ended by the clear threshold (hysteresis). Readings under calibration neither start nor end an
episode and do not count toward its peak."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, track
from ..settings import CALIBRATION
from .base import RuleInput, episodes_out, evidence

KEY = ["mine_code", "point_code", "direction"]


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=carried_schema(KEY))


def evaluate(state: pl.DataFrame, batch: RuleInput, now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    r = batch.readings.lazy().filter(pl.col("value_type") == "MN")
    calibrating = (pl.col("status") & CALIBRATION) != 0
    v = pl.col("value")
    sides = []
    for direction, alarm, clear, hit, cleared, peak in (
        ("upper", "upper_alarm", "upper_alarm_clear", v >= pl.col("alarm"), v < pl.col("clear"), "max"),
        ("lower", "lower_alarm", "lower_alarm_clear", v <= pl.col("alarm"), v > pl.col("clear"), "min"),
    ):
        rows = (
            r.filter(pl.col(alarm).is_not_null())
            .select(
                "pid", "mine_code", "point_code", "t", "value", "status",
                pl.col(alarm).alias("alarm"),
                pl.coalesce(clear, alarm).alias("clear"),
            )
            .collect()
        )
        signal = (
            pl.when(calibrating).then(None).when(hit).then(True).when(cleared).then(False).otherwise(None)
        )
        tracked = track(
            rows,
            key=KEY,
            signal=signal,
            carried=state if state.is_empty() else state.filter(pl.col("direction") == direction),
            value=pl.when(calibrating).then(None).otherwise(v),
            peak=peak,  # type: ignore[arg-type]
            constants={"direction": direction},
        )
        sides.append(tracked)
    new_state = pl.concat([t.carried for t in sides])
    if all(t.episodes.is_empty() for t in sides):  # the usual batch
        return new_state, episodes_out(sides[0].episodes, "over_limit")
    eps = pl.concat(
        [
            t.episodes.join(
                t.rows.group_by("mine_code", "point_code").agg(pl.col("alarm").last(), pl.col("clear").last()),
                on=["mine_code", "point_code"], how="left",
            ).with_columns(
                evidence=evidence(
                    direction=pl.col("direction"), threshold=pl.col("alarm"), clear=pl.col("clear")
                )
            )
            for t in sides
        ]
    )
    return new_state, episodes_out(eps, "over_limit", pl.col("evidence"))
