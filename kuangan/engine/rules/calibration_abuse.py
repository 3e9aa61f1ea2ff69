"""calibration_abuse: a point held in calibration (status bit 4) longer than allowed (default 30 min),
or calibrated more often per day than allowed (default 2): calibration hides over-limits. The alarm
covers the offending calibration; its peak is the highest value read during it."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, track
from ..schema import TIME, Schema
from ..settings import CALIBRATION
from .base import RuleInput, episodes_out, evidence

KEY = ["mine_code", "point_code"]
COUNTS: Schema = {"mine_code": pl.String, "point_code": pl.String, "day": pl.Date, "starts": pl.List(TIME)}


def empty_state() -> dict[str, pl.DataFrame]:
    return {"open": pl.DataFrame(schema=carried_schema(KEY)), "counts": pl.DataFrame(schema=COUNTS)}


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    r = batch.readings.select("pid", *KEY, "t", "value", "status", "calibration_max_min", "calibration_per_day")
    tracked = track(
        r, key=KEY, signal=(pl.col("status") & CALIBRATION) != 0, carried=state["open"], value=pl.col("value")
    )
    recent = pl.col("day") >= pl.lit(now.date()) - pl.duration(days=1)  # the counts kept: today's and yesterday's
    if tracked.episodes.is_empty():  # the usual batch: only the counts age
        counts = state["counts"] if state["counts"].is_empty() else state["counts"].filter(recent)
        return {"open": tracked.carried, "counts": counts}, episodes_out(tracked.episodes, "calibration_abuse")
    limits = tracked.rows.group_by(KEY).agg(pl.col("calibration_max_min").last(), pl.col("calibration_per_day").last())
    # every calibration start per point and day, this batch's added to the carried ones
    starts = (
        pl.concat(
            [
                state["counts"].explode("starts").rename({"starts": "start"}).drop("day"),
                tracked.episodes.select(*KEY, "start"),
            ]
        )
        .unique()
        .with_columns(day=pl.col("start").dt.date())
        .sort([*KEY, "start"])
        .with_columns(nth=pl.col("start").rank("ordinal").over([*KEY, "day"]))
    )
    eps = (
        tracked.episodes.join(limits, on=KEY, how="left")
        .join(starts.select(*KEY, "start", "nth"), on=[*KEY, "start"], how="left")
        .with_columns(held=pl.coalesce("end", "last") - pl.col("start"))
        .with_columns(
            too_long=pl.col("held") > pl.duration(minutes=pl.col("calibration_max_min")),
            too_often=pl.col("nth") > pl.col("calibration_per_day"),
        )
        .filter(pl.col("too_long") | pl.col("too_often"))
        .with_columns(
            evidence=evidence(
                minutes=(pl.col("held").dt.total_seconds() / 60).round(1),
                nth_today=pl.col("nth"),
                max_minutes=pl.col("calibration_max_min"),
                per_day=pl.col("calibration_per_day"),
            )
        )
    )
    counts = (
        starts.filter(recent)
        .group_by([*KEY, "day"])
        .agg(pl.col("start").alias("starts"))
    )
    return {"open": tracked.carried, "counts": counts.select(list(COUNTS))}, episodes_out(
        eps, "calibration_abuse", pl.col("evidence")
    )
