"""over_capacity (mine-level lead, RULES.md C01-01): the mine's output in a calendar month is above
`capacity_month_share` (10 %) of its annual approved capacity, or its output in the calendar year so far
is at or above `capacity_year_share` (110 %) of it.

Output comes from the mine's cumulative counters (CDSS readings of points whose definition, CDDY, says
value type LJ and sensor type 3001; an undefined point is taken by its code). A counter's output over a
period is the sum of its positive increments, each counted at the time of the reading that shows it; a
drop is a reset: the new value counts from zero. The first reading of a counter only sets where it
starts. The unit is the definition's: 吨 / t, or 万吨 / 万t (× 10,000); any other unit is read as tonnes
and the evidence says so. The mine's output is the sum of its counters (the evidence lists them: two
belt scales in series would count twice). Capacity is engine.facts.MINES `capacity` (万t/a); a mine
without one is not judged.

The lead opens at the reading that takes the month over its share (or the year to its share) and ends at
the first reading that is under both (in practice the first reading of the next month, unless the year is
over: then it lasts to the year's end). peak = tonnes: the year's running total once the year is over
its share, else the month's. State: each counter's last value and the month totals of the current and
previous calendar year of each mine."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, first_rows, track
from ..schema import TIME, Schema
from . import leads
from .base import RuleInput, episodes_out, evidence

KIND = "over_capacity"
KEY = ["mine_code", "point_code"]  # point_code holds the mine code while tracking (emitted as null)
OUTPUT_SENSOR = "3001"  # 产量 (output) counters, FORMATS.md sensor types
CUMULATIVE = "LJ"
TONNES_PER_UNIT = {"吨": 1.0, "t": 1.0, "万吨": 10_000.0, "万t": 10_000.0}  # the unit as written, trimmed, lower case
TONNES_PER_CAPACITY = 10_000.0  # capacity is in 万t/a

COUNTERS: Schema = {"mine_code": pl.String, "point_code": pl.String, "value": pl.Float64, "t": TIME}
MONTHS: Schema = {"mine_code": pl.String, "month": pl.Date, "tonnes": pl.Float64}


def empty_state() -> dict[str, pl.DataFrame]:
    return {"counters": pl.DataFrame(schema=COUNTERS), "months": pl.DataFrame(schema=MONTHS),
            "open": pl.DataFrame(schema=carried_schema(KEY))}


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    # one check over the batch's readings: its cumulative ones (few) are looked at further
    cumulative = batch.readings.lazy().filter(pl.col("value_type") == CUMULATIVE).select(
        "pid", "mine_code", "point_code", "t", "value").collect()
    if cumulative.is_empty():  # the usual batch: the state unchanged
        return state, episodes_out(cumulative, KIND)
    ps = batch.settings.personnel
    defs = batch.definitions.lazy().select("mine_code", "point_code", "sensor_type", "unit")
    unit = pl.col("unit").str.strip_chars().str.to_lowercase()
    r = (
        cumulative.lazy()
        .join(defs, on=["mine_code", "point_code"], how="left", maintain_order="left")
        .filter(pl.coalesce("sensor_type", pl.col("point_code").str.slice(-12, 4)) == OUTPUT_SENSOR)
        .filter(pl.col("value").is_not_null())
        .with_columns(_first=first_rows("pid"))
        .join(state["counters"].lazy().select("mine_code", "point_code", _carried="value"),
              on=["mine_code", "point_code"], how="left", maintain_order="left")
        .with_columns(_prev=pl.when(pl.col("_first")).then(pl.col("_carried")).otherwise(pl.col("value").shift(1)))
        .with_columns(
            _factor=unit.replace_strict(TONNES_PER_UNIT, default=1.0, return_dtype=pl.Float64),  # null too
            _known=unit.is_in(list(TONNES_PER_UNIT)).fill_null(False),
            # a positive increment counts; after a drop (a reset) the new value counts from zero
            _raw=pl.when(pl.col("_prev").is_null()).then(0.0)
            .when(pl.col("value") >= pl.col("_prev")).then(pl.col("value") - pl.col("_prev"))
            .otherwise(pl.col("value")),
        )
        .with_columns(tonnes=pl.col("_raw") * pl.col("_factor"))
        .collect()
    )
    if r.is_empty():  # cumulative counters, but none of output
        return state, episodes_out(r, KIND)
    months_before = state["months"].lazy()
    month = pl.col("t").dt.truncate("1mo").dt.date()
    # the mine's running month and year totals at each reading time (the carried totals first)
    per_time = (
        r.lazy().group_by("mine_code", "t").agg(pl.col("tonnes").sum())
        .with_columns(month=month, year=pl.col("t").dt.year())
        .sort("mine_code", "t")
    )
    carried_month = months_before.select("mine_code", "month", _month_before="tonnes")
    carried_year = months_before.group_by("mine_code", year=pl.col("month").dt.year()).agg(
        _year_before=pl.col("tonnes").sum())
    capacity = batch.facts.mines.lazy().select("mine_code", _capacity="capacity")
    totals = (
        per_time.join(carried_month, on=["mine_code", "month"], how="left", maintain_order="left")
        .join(carried_year, on=["mine_code", "year"], how="left", maintain_order="left")
        .join(capacity, on="mine_code", how="left", maintain_order="left")
        .with_columns(
            month_tonnes=pl.col("_month_before").fill_null(0.0) + pl.col("tonnes").cum_sum().over("mine_code", "month"),
            year_tonnes=pl.col("_year_before").fill_null(0.0) + pl.col("tonnes").cum_sum().over("mine_code", "year"),
            _capacity_t=pl.col("_capacity") * TONNES_PER_CAPACITY,
        )
        .with_columns(
            _month_share=leads.share(pl.col("month_tonnes"), pl.col("_capacity_t")),
            _year_share=leads.share(pl.col("year_tonnes"), pl.col("_capacity_t")),
        )
        .with_columns(
            _month_over=(pl.col("_month_share") > ps.capacity_month_share).fill_null(False),
            _year_over=(pl.col("_year_share") >= ps.capacity_year_share).fill_null(False),
        )
        .with_columns(
            point_code=pl.col("mine_code"),
            _signal=pl.col("_month_over") | pl.col("_year_over"),
            _tonnes=pl.when(pl.col("_year_over")).then(pl.col("year_tonnes")).otherwise(pl.col("month_tonnes")),
        )
        .collect()
    )
    tracked = track(totals, key=KEY, signal=pl.col("_signal"), carried=state["open"], value=pl.col("_tonnes"))
    last = r.lazy().sort("t").unique(["mine_code", "point_code"], keep="last", maintain_order=True).select(
        "mine_code", "point_code", "value", "t")
    months = pl.concat([months_before, r.lazy().group_by("mine_code", month=month).agg(pl.col("tonnes").sum())],
                       how="vertical_relaxed").group_by("mine_code", "month").agg(pl.col("tonnes").sum())
    counters, months_out = pl.collect_all([
        pl.concat([state["counters"].lazy().join(last.select("mine_code", "point_code"),
                                                 on=["mine_code", "point_code"], how="anti"), last])
        .sort("mine_code", "point_code"),
        # the current and the previous calendar year of each mine
        months.filter(pl.col("month").dt.year() >= pl.col("month").dt.year().max().over("mine_code") - 1)
        .select(list(MONTHS)).sort("mine_code", "month"),
    ])
    new_state = {"counters": counters, "months": months_out, "open": tracked.carried}
    if tracked.episodes.is_empty():
        return new_state, episodes_out(tracked.episodes, KIND)
    used = r.lazy().group_by("mine_code", "point_code").agg(
        unit=pl.col("unit").last(), unit_known=pl.col("_known").last(),
    ).sort("point_code").group_by("mine_code").agg(
        counters=pl.struct("point_code", "unit", "unit_known"), units_assumed=~pl.col("unit_known").all())
    eps = _with_evidence(tracked.episodes, tracked.rows, used, ps.capacity_month_share, ps.capacity_year_share)
    return new_state, episodes_out(eps.drop("point_code"), KIND, pl.col("evidence"))


def _with_evidence(episodes: pl.DataFrame, rows: pl.DataFrame, used: pl.LazyFrame, month_share: float,
                   year_share: float) -> pl.DataFrame:
    """Each episode with its latest reading over a share in this batch (or the one that ended it)."""
    cols = ["t", "month", "year", "month_tonnes", "year_tonnes", "_capacity", "_month_share", "_year_share",
            "_month_over", "_year_over"]
    pct = 100
    return (
        leads.shown(episodes, rows, cols, latest=pl.col("_signal")).join(used, on="mine_code", how="left")
        .with_columns(evidence=evidence(
            at=pl.col("t"),
            month=pl.col("month").dt.strftime("%Y-%m"),
            month_tonnes=pl.col("month_tonnes").round(1),
            month_share_pct=(pl.col("_month_share") * pct).round(2),
            month_over=pl.col("_month_over"),
            year=pl.col("year"),
            year_tonnes=pl.col("year_tonnes").round(1),
            year_share_pct=(pl.col("_year_share") * pct).round(2),
            year_over=pl.col("_year_over"),
            capacity=pl.col("_capacity"),  # 万t/a
            limit_month_share_pct=pl.lit(round(month_share * pct, 2)),
            limit_year_share_pct=pl.lit(round(year_share * pct, 2)),
            counters=pl.col("counters"),
            units_assumed=pl.col("units_assumed"),
        ))
        .collect()
    )
