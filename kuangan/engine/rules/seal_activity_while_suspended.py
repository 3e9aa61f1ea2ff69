"""seal_activity_while_suspended (lead; subject: the seal): a seal's (电子封条) camera or sensor (DZFT)
sees people or vehicles (people > 0 or vehicles > 0) at a time the registry holds the mine suspended (its
status in force at the sighting's time, engine.facts.STATUS). A sighting while the mine may produce is
nothing.

Sightings of one seal less than or exactly an hour apart are one episode: start = its first sighting,
end = its last. The episode stays open (end null) until the mine's DZFT data shows that more than an
hour passed without another sighting of that seal: a later sighting of it (which starts a new episode),
or any DZFT row of the mine (a sighting elsewhere, or an event without people) more than an hour after
the last one. The clock (`now`) closes nothing: a mine that uploads every few hours would otherwise have
its episodes cut in two, and a replay equals live. peak = the number of sightings.

DZFT rows are taken in data-time order: a sighting at or before the last one of its seal's open
episode was judged already and is not counted again. State: the open episodes."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from ..schema import TIME, Schema
from . import leads
from .base import RuleInput, episodes_out, evidence

KIND = "seal_activity_while_suspended"
KEY = ["mine_code", "seal_code"]
WITHIN = timedelta(hours=1)  # sightings this close are one episode (no official source)

OPEN: Schema = {
    "mine_code": pl.String,
    "seal_code": pl.String,
    "start": TIME,
    "last": TIME,
    "sightings": pl.UInt32,
    "people": pl.Int32,  # the most seen at once
    "vehicles": pl.Int32,
    "place": pl.String,
    "events": pl.List(pl.String),  # the event texts as written
    "mine_status": pl.String,
}


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=OPEN)


def evaluate(state: pl.DataFrame, batch: RuleInput, now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    seals = batch.seals
    if seals.is_empty():  # the usual batch: one check, the state unchanged
        return state, episodes_out(seals.clear(), KIND)
    carried = state.lazy()
    frontier = seals.lazy().group_by("mine_code").agg(_frontier=pl.col("data_time").max())
    seen = leads.status_at(
        seals.lazy().filter((pl.col("people").fill_null(0) > 0) | (pl.col("vehicles").fill_null(0) > 0)),
        "data_time", batch.facts,
    ).filter(pl.col("suspended"))
    prev = pl.coalesce(pl.col("t").shift(1).over(KEY), pl.col("_c_last"))
    groups = (
        seen.select(*KEY, "place", "event", "people", "vehicles", "mine_status", t=pl.col("data_time"))
        .unique([*KEY, "t"], keep="first", maintain_order=True)
        .join(carried.select(*KEY, _c_last=pl.col("last")), on=KEY, how="left")
        .filter(pl.col("_c_last").is_null() | (pl.col("t") > pl.col("_c_last")))
        .sort(*KEY, "t")
        .with_columns(_new=prev.is_null() | ((pl.col("t") - prev) > WITHIN))
        # episode 0 of a seal continues the one carried in
        .with_columns(_n=pl.col("_new").cast(pl.UInt32).cum_sum().over(KEY))
        .group_by(*KEY, "_n")
        .agg(
            start=pl.col("t").first(), last=pl.col("t").last(), sightings=pl.len().cast(pl.UInt32),
            people=pl.col("people").fill_null(0).max(), vehicles=pl.col("vehicles").fill_null(0).max(),
            place=pl.col("place").drop_nulls().last(), events=pl.col("event").drop_nulls().unique(maintain_order=True),
            mine_status=pl.col("mine_status").last(),
        )
    )
    c = carried.rename({name: f"_c_{name}" for name in OPEN if name not in KEY})
    touched = groups.join(c, on=KEY, how="left").with_columns(
        _cont=(pl.col("_n") == 0) & pl.col("_c_start").is_not_null())
    cont = pl.col("_cont")
    touched = touched.select(
        *KEY, _touched=pl.lit(True),
        start=pl.when(cont).then("_c_start").otherwise("start"),
        last="last",
        sightings=pl.when(cont).then(pl.col("sightings") + pl.col("_c_sightings")).otherwise("sightings"),
        people=pl.when(cont).then(pl.max_horizontal("people", "_c_people")).otherwise("people"),
        vehicles=pl.when(cont).then(pl.max_horizontal("vehicles", "_c_vehicles")).otherwise("vehicles"),
        place=pl.when(cont).then(pl.coalesce("place", "_c_place")).otherwise("place"),
        events=pl.when(cont).then(pl.concat_list("_c_events", "events").list.unique(maintain_order=True))
        .otherwise("events"),
        mine_status="mine_status",
    )
    # carried episodes that no sighting of this batch continues (their `_touched` null)
    untouched = carried.join(groups.filter(pl.col("_n") == 0).select(KEY), on=KEY, how="anti")
    episodes = (
        pl.concat([touched, untouched], how="diagonal_relaxed")
        .join(frontier, on="mine_code", how="left")
        # an episode ends once its mine's data runs more than WITHIN past its last sighting; one followed by
        # another of its seal always has (the next starts more than WITHIN later). A mine without rows in
        # this batch closes nothing.
        .with_columns(_closed=((pl.col("_frontier") - pl.col("last")) > WITHIN).fill_null(False))
    )
    still_open, changed = pl.collect_all([
        episodes.filter(~pl.col("_closed")).select(list(OPEN)).sort(KEY),
        # what this batch changed: episodes with sightings in it, and carried ones it closed (a filter drops
        # the null `_touched | false`)
        episodes.filter(pl.col("_touched") | pl.col("_closed")).with_columns(
            point_code=pl.col("seal_code"),
            end=pl.when(pl.col("_closed")).then(pl.col("last")),
            peak=pl.col("sightings"),
            evidence=evidence(
                seal=pl.col("seal_code"), place=pl.col("place"), events=pl.col("events"),
                first=pl.col("start"), last=pl.col("last"), sightings=pl.col("sightings"),
                people_max=pl.col("people"), vehicles_max=pl.col("vehicles"), status=pl.col("mine_status"),
            ),
        ).sort("mine_code", "seal_code", "start"),
    ])
    return still_open, episodes_out(changed, KIND, pl.col("evidence"))
