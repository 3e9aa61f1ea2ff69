"""power_use_while_suspended (mine-level lead): a mine that the registry holds suspended (停产整顿, 停建,
长期停产停建 or 关闭) draws power like a producing one.

The mine's use is the sum of its meters (YDSJ: meter, start, end, kWh), each interval spread pro rata over
the 15-minute slots it covers (so an interval crossing midnight is split between the two days). On a day
the mine is suspended (its status at the day's start, engine.facts.STATUS), the day is a lead when
- its kWh is above `power_share` (30 %) of the baseline: the median daily kWh of the last
  `power_baseline_days` (30) producing days (days it was not suspended), or
- its night (00:00-06:00) 15-minute peak is above `power_night_share` of the baseline's night peak (the
  median of those days' night peaks).
Without a baseline (fewer than BASELINE_MIN_DAYS producing days known) there is no lead; `baseline(state,
mine)` tells the page why.

When it is judged: a day's totals only grow as files come in, so a day opens the lead as soon as it is
over a share; it is judged not over once it is complete, i.e. once any meter of the mine has reported past
its midnight (a meter lagging more than a day behind the others is counted on days not yet complete only).
Consecutive suspended days over a share are one lead: start = the first day's 00:00, end = the end of
the last such day (the first day that is producing or complete and not over). peak = the highest day's
kWh as a share of the baseline, in %. A meter's interval starting before the end of the last one counted
(a file sent again) is not counted twice.

State: each meter's counted-until time, the daily totals of the days not yet complete and of the last
`power_baseline_days` complete producing days, the night slots of the days not yet complete, the open
episodes."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import polars as pl

from ..episodes import carried_schema, track
from ..schema import TIME, Schema
from . import leads
from .base import RuleInput, episodes_out, evidence

KIND = "power_use_while_suspended"
KEY = ["mine_code", "point_code"]  # point_code holds the mine code while tracking (emitted as null)
SLOT = "15m"
SLOT_MINUTES = 15
NIGHT_END_HOUR = 6  # the night is 00:00-06:00
BASELINE_MIN_DAYS = 7  # fewer producing days known: no baseline, no lead (no official source)

METERS: Schema = {"mine_code": pl.String, "meter_code": pl.String, "until": TIME}
DAYS: Schema = {
    "mine_code": pl.String,
    "day": pl.Date,
    "kwh": pl.Float64,
    "night_peak": pl.Float64,  # the highest 15-minute kWh between 00:00 and 06:00
    "final": pl.Boolean,  # complete: a meter reported past its midnight
    "suspended": pl.Boolean,
    "mine_status": pl.String,
}
NIGHT: Schema = {"mine_code": pl.String, "slot": TIME, "kwh": pl.Float64}


def empty_state() -> dict[str, pl.DataFrame]:
    return {"meters": pl.DataFrame(schema=METERS), "days": pl.DataFrame(schema=DAYS),
            "night": pl.DataFrame(schema=NIGHT), "open": pl.DataFrame(schema=carried_schema(KEY))}


class Baseline(NamedTuple):
    """A mine's baseline as the state holds it: `median` daily kWh (None while fewer than `needed`
    producing days are known: no lead can open), over `days` complete producing days, and the median of
    their night 15-minute peaks."""

    median: float | None
    days: int
    needed: int
    night_peak: float | None


def baseline(state: dict[str, pl.DataFrame], mine_code: str) -> Baseline | None:
    """The mine's baseline after the last batch judged; None when no power data of the mine was seen."""
    if state["meters"].filter(pl.col("mine_code") == mine_code).is_empty():
        return None
    days = state["days"].filter((pl.col("mine_code") == mine_code) & pl.col("final") & ~pl.col("suspended"))
    n = days.height
    if n < BASELINE_MIN_DAYS:
        return Baseline(None, n, BASELINE_MIN_DAYS, None)
    median, night = days.select(pl.col("kwh").median(), pl.col("night_peak").fill_null(0).median()).row(0)
    return Baseline(median, n, BASELINE_MIN_DAYS, night)


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if batch.power.is_empty():  # the usual batch: one check, the state unchanged
        return state, episodes_out(batch.power.clear(), KIND)
    ps = batch.settings.personnel
    n = ps.power_baseline_days
    meters_before = state["meters"].lazy()
    # days before the newest meter time's day were complete already: judged, not counted again
    open_from = meters_before.group_by("mine_code").agg(_open_from=pl.col("until").max().dt.date())
    fresh = (
        batch.power.lazy()
        .filter((pl.col("end") > pl.col("start")) & (pl.col("kwh") >= 0))
        .unique(["mine_code", "meter_code", "start"], keep="first", maintain_order=True)
        .join(meters_before, on=["mine_code", "meter_code"], how="left")
        .filter(pl.col("until").is_null() | (pl.col("start") >= pl.col("until")))
        .drop("until")
    )
    slot_end = pl.col("slot") + pl.duration(minutes=SLOT_MINUTES)
    overlap = pl.min_horizontal("end", slot_end) - pl.max_horizontal("start", "slot")
    slots = (
        fresh.with_columns(slot=pl.datetime_ranges(
            pl.col("start").dt.truncate(SLOT), (pl.col("end") - pl.duration(microseconds=1)).dt.truncate(SLOT), SLOT))
        .explode("slot")
        # each slot's share of the interval's kWh, pro rata to the time it covers
        .with_columns(part=pl.col("kwh") * overlap.dt.total_microseconds()
                      / (pl.col("end") - pl.col("start")).dt.total_microseconds())
        .join(open_from, on="mine_code", how="left")
        .filter(pl.col("_open_from").is_null() | (pl.col("slot").dt.date() >= pl.col("_open_from")))
        .group_by("mine_code", "slot")
        .agg(kwh=pl.col("part").sum())
    )
    meters, slots_df = pl.collect_all([
        pl.concat([meters_before, fresh.group_by("mine_code", "meter_code").agg(until=pl.col("end").max())])
        .group_by("mine_code", "meter_code").agg(pl.col("until").max()).sort("mine_code", "meter_code"),
        slots,
    ])
    frontier = meters.lazy().group_by("mine_code").agg(_complete_before=pl.col("until").max().dt.date())
    night = (
        pl.concat([state["night"].lazy(), slots_df.lazy().filter(pl.col("slot").dt.hour() < NIGHT_END_HOUR)])
        .group_by("mine_code", "slot").agg(pl.col("kwh").sum())
    )
    peaks = night.group_by("mine_code", day=pl.col("slot").dt.date()).agg(_peak=pl.col("kwh").max())
    added = slots_df.lazy().group_by("mine_code", day=pl.col("slot").dt.date()).agg(_add=pl.col("kwh").sum())
    day_t = leads.day_start(pl.col("day"))
    days = leads.status_at(
        state["days"].lazy().join(added, on=["mine_code", "day"], how="full", coalesce=True)
        .join(peaks, on=["mine_code", "day"], how="left")
        .join(frontier, on="mine_code", how="left")
        .with_columns(
            kwh=pl.col("kwh").fill_null(0.0) + pl.col("_add").fill_null(0.0),
            night_peak=pl.coalesce("_peak", "night_peak"),
            final=pl.col("day") < pl.col("_complete_before"),
            _t=day_t,
        ).drop("suspended", "mine_status"),
        "_t", batch.facts,
    ).drop("_add", "_peak", "_t", "_complete_before").sort("mine_code", "day").collect()
    # the baseline at each complete producing day: the median over it and the producing days before it
    producing = days.lazy().filter(pl.col("final") & ~pl.col("suspended")).with_columns(
        _median=pl.col("kwh").rolling_median(window_size=n, min_samples=1).over("mine_code"),
        _night=pl.col("night_peak").fill_null(0.0).rolling_median(window_size=n, min_samples=1).over("mine_code"),
        _days=(pl.int_range(pl.len()) + 1).clip(upper_bound=n).over("mine_code"),
    ).select("mine_code", "day", "_median", "_night", "_days")
    # every calendar day of the batch's mines not judged complete before, up to the newest with data (a
    # day without data is a day without use: it ends a lead once complete)
    mines = batch.power.lazy().select("mine_code").unique()
    span = (
        days.lazy().join(mines, on="mine_code", how="semi").join(open_from, on="mine_code", how="left")
        .group_by("mine_code")
        .agg(_first=pl.coalesce(pl.col("_open_from").first(), pl.col("day").min()), _last=pl.col("day").max())
        .filter(pl.col("_first") <= pl.col("_last"))
        .select("mine_code", day=pl.date_ranges("_first", "_last")).explode("day")
    )
    judged = leads.status_at(
        span.join(days.lazy().drop("suspended", "mine_status"), on=["mine_code", "day"], how="left")
        .join(frontier, on="mine_code", how="left")
        .with_columns(kwh=pl.col("kwh").fill_null(0.0), final=pl.col("day") < pl.col("_complete_before"), _t=day_t),
        "_t", batch.facts,
    ).sort("day").join_asof(producing.sort("day"), on="day", by="mine_code", strategy="backward",
                            check_sortedness=False)
    day_share = leads.share(pl.col("kwh"), pl.col("_median"))
    night_share = leads.share(pl.col("night_peak").fill_null(0.0), pl.col("_night"))
    above = (day_share > ps.power_share).fill_null(False) | (night_share > ps.power_night_share).fill_null(False)
    has_baseline = (pl.col("_days") >= BASELINE_MIN_DAYS).fill_null(False)
    rows = judged.with_columns(
        point_code=pl.col("mine_code"),
        t=pl.col("_t"),
        _signal=pl.when(~pl.col("suspended") | ~has_baseline).then(False)
        .when(above).then(True)
        .when(pl.col("final")).then(False)
        .otherwise(None),
        _pct=(day_share * 100).round(1),
        _night_pct=(night_share * 100).round(1),
    ).sort("mine_code", "t").collect()
    tracked = track(rows, key=KEY, signal=pl.col("_signal"), carried=state["open"], value=pl.col("_pct"))
    new_state = {
        "meters": meters,
        # the days not complete, and the complete producing days the next baseline is taken over
        "days": days.with_columns(_producing=pl.col("final") & ~pl.col("suspended")).with_columns(
            _newest=pl.col("day").rank("ordinal", descending=True).over("mine_code", "_producing"),
        ).filter(~pl.col("final") | (pl.col("_producing") & (pl.col("_newest") <= n))).select(list(DAYS)),
        "night": night.join(frontier, on="mine_code", how="left")
        .filter(pl.col("slot").dt.date() >= pl.col("_complete_before")).drop("_complete_before")
        .sort("mine_code", "slot").collect(),
        "open": tracked.carried,
    }
    if tracked.episodes.is_empty():
        return new_state, episodes_out(tracked.episodes, KIND)
    return new_state, episodes_out(_with_evidence(tracked.episodes, tracked.rows, ps.power_share,
                                                  ps.power_night_share).drop("point_code"),
                                   KIND, pl.col("evidence"))


def _with_evidence(episodes: pl.DataFrame, rows: pl.DataFrame, day_share: float, night_share: float
                   ) -> pl.DataFrame:
    """Each episode with the day that shows it best: its latest day over a share in this batch, or the
    day that ended it."""
    cols = ["day", "kwh", "night_peak", "_median", "_days", "_night", "mine_status", "_pct", "_night_pct"]
    shown = leads.shown(episodes, rows, cols, latest=pl.col("_signal").fill_null(False))
    return shown.with_columns(evidence=evidence(
        day=pl.col("day"),
        kwh=pl.col("kwh").round(1),
        status=pl.col("mine_status"),
        baseline_kwh=pl.col("_median").round(1),
        baseline_days=pl.col("_days"),
        share_pct=pl.col("_pct"),
        night_peak_kwh=pl.col("night_peak").round(2),
        baseline_night_peak_kwh=pl.col("_night").round(2),
        night_share_pct=pl.col("_night_pct"),
        limit_share_pct=pl.lit(round(day_share * 100, 1)),
        limit_night_share_pct=pl.lit(round(night_share * 100, 1)),
    )).collect()
