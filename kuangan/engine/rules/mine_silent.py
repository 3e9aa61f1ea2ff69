"""mine_silent: no file of a watched type (CDSS, FZSS, TJSJ by default) from a mine within its
lateness. A type is late from its last header time + lateness until its next file; the mine is
silent while any type is late (the union of those intervals), judged against `now`, which in a
replay is the newest header time seen, so silence follows the data, not the wall clock."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..schema import TIME, Schema
from .base import RuleInput, episodes_out, evidence

LAST: Schema = {"mine_code": pl.String, "file_type": pl.String, "last": TIME}
OPEN: Schema = {"mine_code": pl.String, "start": TIME, "cover": TIME, "types": pl.List(pl.String)}
FAR = datetime(9999, 1, 1)


def empty_state() -> dict[str, pl.DataFrame]:
    return {"last": pl.DataFrame(schema=LAST), "open": pl.DataFrame(schema=OPEN)}


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    # one lazy query over small frames, collected once: each Polars call of the engine waits for the
    # parser's work in progress on the shared worker pool (see episodes.track), so their number counts
    last_state, open_state = state["last"].lazy(), state["open"].lazy()
    seen = batch.files.lazy().select("mine_code", "file_type", t=pl.col("header_time"))
    watched = batch.settings.lateness_frame(
        pl.concat([last_state.select("mine_code", "file_type"), seen.select("mine_code", "file_type")]).unique()
    ).filter(pl.col("late").is_not_null())
    times = (
        pl.concat([last_state.rename({"last": "t"}), seen])
        .join(watched, on=["mine_code", "file_type"], how="inner")
        .unique()
        .sort("mine_code", "file_type", "t")
    )
    nxt = pl.col("t").shift(-1).over("mine_code", "file_type")
    # late intervals between consecutive files, and the open one after each type's last file
    gaps = times.with_columns(start=pl.col("t") + pl.col("late"), end=nxt).filter(
        pl.when(pl.col("end").is_null())
        .then(pl.col("start") < pl.lit(now))
        .otherwise(pl.col("end") > pl.col("start"))
    )
    # an open union carried from the last batch: it covers at least [start, cover]
    carried = open_state.select(
        "mine_code", "start", end=pl.col("cover"), file_type=pl.lit(None, pl.String)
    )
    intervals = pl.concat(
        [carried, gaps.select("mine_code", "start", "end", "file_type")], how="vertical_relaxed"
    ).with_columns(_end=pl.col("end").fill_null(FAR))
    union = (
        intervals.sort("mine_code", "start")
        .with_columns(_reach=pl.col("_end").cum_max().shift(1).over("mine_code"))
        .with_columns(_new=(pl.col("start") > pl.col("_reach")).fill_null(True))
        .with_columns(_grp=pl.col("_new").cum_sum().over("mine_code"))
        .group_by("mine_code", "_grp")
        .agg(
            start=pl.col("start").min(),
            end=pl.col("_end").max(),
            types=pl.col("file_type").drop_nulls().unique().sort(),
            cover=pl.col("start").filter(pl.col("end").is_null()).min(),
        )
        .with_columns(end=pl.when(pl.col("end") == FAR).then(None).otherwise(pl.col("end")).cast(TIME))
    )
    opened = union.filter(pl.col("end").is_null())
    previous_types = open_state.select("mine_code", prev_types=pl.col("types"))
    opened = opened.join(previous_types, on="mine_code", how="left").with_columns(
        types=pl.concat_list("types", pl.col("prev_types").fill_null(pl.lit([], pl.List(pl.String))))
        .list.unique()
        .list.sort()
    )
    eps = pl.concat(
        [union.filter(pl.col("end").is_not_null()), opened.drop("prev_types")], how="diagonal_relaxed"
    ).with_columns(evidence=evidence(types=pl.col("types")))
    last, new_open, episodes = pl.collect_all([
        times.group_by("mine_code", "file_type").agg(last=pl.col("t").max()).select(list(LAST)),
        opened.select(list(OPEN)),
        eps,
    ])
    return {"last": last, "open": new_open}, episodes_out(episodes, "mine_silent", pl.col("evidence"))
