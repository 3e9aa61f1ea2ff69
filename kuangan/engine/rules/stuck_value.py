"""stuck_value: a methane or CO point (the `stuck` setting) whose value does not change for a
configurable time (default 6 hours) — a covered or dead sensor. The episode starts where the value
stopped changing and ends at the first reading that differs. A gap in the data longer than the
CDSS lateness (the mine or the point was silent) breaks the run: a silent point is not stuck."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, first_rows, last_rows, track
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
    # lazy queries collected as few times as can be (see episodes.track on why their number matters)
    gap = batch.settings.lateness.get("CDSS")
    runs_state = state["runs"].lazy()
    r = (
        batch.readings.lazy()
        .filter(pl.col("stuck") & (pl.col("value_type") == "MN"))
        .select("pid", *KEY, "t", "value", "stuck_hours")
        .with_columns(_first=first_rows("pid"))
    )
    # the carried run of each point, on its rows (only its first row reads it)
    carried = (
        r.filter(pl.col("_first")).select("pid", *KEY)
        .join(runs_state, on=KEY, how="inner")
        .select("pid", c_value="run_value", c_start="run_start", c_t="run_t")
    )
    r = r.join(carried, on="pid", how="left", maintain_order="left")
    prev_v = pl.when(pl.col("_first")).then(pl.col("c_value")).otherwise(pl.col("value").shift(1))
    prev_t = pl.when(pl.col("_first")).then(pl.col("c_t")).otherwise(pl.col("t").shift(1))
    new_run = (pl.col("value") != prev_v) | prev_v.is_null()
    if gap is not None:
        new_run = new_run | ((pl.col("t") - prev_t) > gap)
    rows = (
        r.with_columns(_new=new_run.fill_null(True))
        .with_columns(
            # a first row either starts a run or continues the carried one: never null, so the fill stays in its point
            run_start=pl.when(pl.col("_new"))
            .then(pl.col("t"))
            .when(pl.col("_first"))
            .then(pl.col("c_start"))
            .otherwise(None)
            .forward_fill()
        )
        .select("pid", *KEY, "t", "value", "stuck_hours", "_new", "run_start")
        .collect()
    )
    held = (pl.col("t") - pl.col("run_start")) >= pl.duration(seconds=pl.col("stuck_hours") * 3600)
    tracked = track(
        rows,
        key=KEY,
        signal=held & ~pl.col("_new"),
        carried=state["open"],
        value=pl.col("value"),
        start=pl.col("run_start"),
    )
    last = rows.lazy().filter(last_rows("pid")).select(
        *KEY, run_value=pl.col("value"), run_start=pl.col("run_start"), run_t=pl.col("t")
    )
    runs = pl.concat(
        [runs_state.join(last.select(*KEY), on=KEY, how="anti"), last], how="vertical_relaxed"
    ).select(list(RUNS))
    if tracked.episodes.is_empty():  # the usual batch
        return {"runs": runs.collect(), "open": tracked.carried}, episodes_out(tracked.episodes, "stuck_value")
    hours = tracked.rows.lazy().group_by(KEY).agg(pl.col("stuck_hours").last())
    eps = tracked.episodes.lazy().join(hours, on=KEY, how="left").with_columns(
        evidence=evidence(value=pl.col("peak"), hours=pl.col("stuck_hours"))
    )
    runs_out, eps_out = pl.collect_all([runs, eps])
    return {"runs": runs_out, "open": tracked.carried}, episodes_out(eps_out, "stuck_value", pl.col("evidence"))
