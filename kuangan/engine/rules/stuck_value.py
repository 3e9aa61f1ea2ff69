"""stuck_value: a methane or CO point (the `stuck` setting) whose value does not change for a
configurable time (default 6 hours) — a covered or dead sensor. The episode starts where the value
stopped changing and ends at the first reading that differs. A gap in the data longer than the
CDSS lateness (the mine or the point was silent) breaks the run: a silent point is not stuck."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, track
from ..schema import TIME, Schema
from .base import RuleInput, episodes_out, evidence

KEY = ["mine_code", "point_code"]
RUNS: Schema = {
    "mine_code": pl.String,
    "point_code": pl.String,
    "run_value": pl.Float64,
    "run_start": TIME,
    "run_t": TIME,
}


def empty_state() -> dict[str, pl.DataFrame]:
    return {"runs": pl.DataFrame(schema=RUNS), "open": pl.DataFrame(schema=carried_schema(KEY))}


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    gap = batch.settings.lateness.get("CDSS")
    r = (
        batch.readings.filter(pl.col("stuck") & (pl.col("value_type") == "MN"))
        .select(*KEY, "t", "value", "stuck_hours")
        .join(state["runs"], on=KEY, how="left")
    )
    prev_v = pl.col("value").shift(1).over(KEY).fill_null(pl.col("run_value"))
    prev_t = pl.col("t").shift(1).over(KEY).fill_null(pl.col("run_t"))
    new_run = (pl.col("value") != prev_v) | prev_v.is_null()
    if gap is not None:
        new_run = new_run | ((pl.col("t") - prev_t) > gap)
    r = r.with_columns(_new=new_run.fill_null(True)).with_columns(
        run_start=pl.when(pl.col("_new"))
        .then(pl.col("t"))
        .otherwise(None)
        .forward_fill()
        .over(KEY)
        .fill_null(pl.col("run_start"))
    )
    held = (pl.col("t") - pl.col("run_start")) >= pl.duration(seconds=pl.col("stuck_hours") * 3600)
    tracked = track(
        r,
        key=KEY,
        signal=held & ~pl.col("_new"),
        carried=state["open"],
        value=pl.col("value"),
        start=pl.col("run_start"),
    )
    hours = r.group_by("point_code").agg(pl.col("stuck_hours").last())
    eps = tracked.episodes.join(hours, on="point_code", how="left").with_columns(
        evidence=evidence(value=pl.col("peak"), hours=pl.col("stuck_hours"))
    )
    runs = pl.concat(
        [
            state["runs"].join(r.select(*KEY).unique(), on=KEY, how="anti"),
            r.group_by(KEY).agg(
                run_value=pl.col("value").last(),
                run_start=pl.col("run_start").last(),
                run_t=pl.col("t").last(),
            ),
        ],
        how="vertical_relaxed",
    )
    return {"runs": runs.select(list(RUNS)), "open": tracked.carried}, episodes_out(
        eps, "stuck_value", pl.col("evidence")
    )
