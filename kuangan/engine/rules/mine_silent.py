"""mine_silent: no file of a watched type (CDSS, FZSS, TJSJ by default) reached the platform from a
mine within its lateness. Judged by arrival, not by the times a mine writes into its files: a type is
late from its last file's arrival + lateness until the next file's arrival; the mine is silent while
any type is late (the union of those intervals), judged against `now` (the wall clock live; in a
replay, the replay's clock). A backlog that arrives later does not undo a silence: the regulator had
no data then; the silence records it (how many files, written from when to when).

Two things are not the mine's silence:
- the platform's own downtime: when two judgements lie further apart than `settings.platform_gap`
  (live only), the time between them is cut out of every interval;
- the order in which files that arrived in time are processed: an open silence whose every late type
  turns out to have had a file arrive before the silence began (it waited behind another batch) did
  not happen and is withdrawn (`void`)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..schema import TIME, Schema
from .base import RuleInput, episodes_out, evidence

LAST: Schema = {"mine_code": pl.String, "file_type": pl.String, "last": TIME}
OPEN: Schema = {"mine_code": pl.String, "start": TIME, "cover": TIME, "types": pl.List(pl.String)}
WATCHED: Schema = {"at": TIME}  # the last time silence was judged
FAR = datetime(9999, 1, 1)


def empty_state() -> dict[str, pl.DataFrame]:
    return {"last": pl.DataFrame(schema=LAST), "open": pl.DataFrame(schema=OPEN),
            "watched": pl.DataFrame(schema=WATCHED)}


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    # one lazy query over small frames, collected once: each Polars call of the engine waits for the
    # parser's work in progress on the shared worker pool (see episodes.track), so their number counts
    judged = state["watched"].get_column("at").max()  # when silence was last judged (None: never)
    assert judged is None or isinstance(judged, datetime)
    # a wall clock stepped back judges as of the newest time already judged: an open silence does not end
    # because the clock says it has not begun, nor does the platform look down when the clock comes back
    now = max(now, judged) if judged is not None else now
    last_state, open_state = state["last"].lazy(), state["open"].lazy()
    arrived = batch.files.lazy().select("mine_code", "file_type", t=pl.coalesce("arrival", "header_time"))
    watched = batch.settings.lateness_frame(
        pl.concat([last_state.select("mine_code", "file_type"), arrived.select("mine_code", "file_type")]).unique()
    ).filter(pl.col("late").is_not_null())
    # only files newer than their type's last arrival extend the record (an older one waited behind
    # another batch: it may disprove a silence, below, but opens no gap before the last file)
    newer = arrived.join(last_state, on=["mine_code", "file_type"], how="left").filter(
        pl.col("last").is_null() | (pl.col("t") > pl.col("last"))).drop("last")
    times = (
        pl.concat([last_state.rename({"last": "t"}), newer])
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
    # an open silence is disproved when every type it waited for had a file arrive before it began
    first_arrival = arrived.group_by("mine_code", "file_type").agg(first=pl.col("t").min())
    disproved = (
        open_state.select("mine_code", "start", file_type=pl.col("types")).explode("file_type")
        .join(first_arrival, on=["mine_code", "file_type"], how="left")
        .group_by("mine_code", "start")
        .agg(gone=(pl.col("first") <= pl.col("start")).fill_null(False).all())
        .filter(pl.col("gone"))
        .select("mine_code", "start")
    )
    # an open union carried from the last batch: it covers [start, cover], and names the types late in it (one
    # that came back in an earlier batch is still named when the silence ends); kept unless disproved above
    carried = open_state.join(disproved, on=["mine_code", "start"], how="anti").select(
        "mine_code", "start", end=pl.col("cover"), file_type=pl.col("types")
    ).explode("file_type")
    intervals = pl.concat([carried, gaps.select("mine_code", "start", "end", "file_type")], how="vertical_relaxed")
    gap = batch.settings.platform_gap  # live only
    down = (judged, now) if gap is not None and judged is not None and now - judged > gap else None
    if down is not None:  # the platform's own downtime is cut out of every interval
        lo, hi = pl.lit(down[0]), pl.lit(down[1])
        intervals = pl.concat([
            intervals.filter(pl.col("start") < lo).with_columns(
                end=pl.when(pl.col("end").is_null() | (pl.col("end") > lo)).then(lo).otherwise(pl.col("end"))),
            intervals.filter(pl.col("end").is_null() | (pl.col("end") > hi)).with_columns(
                start=pl.max_horizontal("start", hi)),
        ])
    intervals = intervals.with_columns(_end=pl.col("end").fill_null(FAR))
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
            # how far it reached, its open intervals aside: carried on, it joins the next batch's pieces
            # even when the types whose late files closed them no longer show those pieces
            cover=pl.when(pl.col("end").is_null()).then(pl.col("start")).otherwise(pl.col("end")).max(),
        )
        .with_columns(end=pl.when(pl.col("end") == FAR).then(None).otherwise(pl.col("end")).cast(TIME))
    )
    opened = union.filter(pl.col("end").is_null())
    # a carried silence that no longer starts a union (disproved, or begun while the platform was down)
    voided = open_state.join(union.select("mine_code", "start"), on=["mine_code", "start"], how="anti").select(
        "mine_code", "start", end=pl.lit(None, TIME), types="types", void=pl.lit(True))
    # a silence that ends records the backlog that ended it: the files written meanwhile that came late
    backlog = (
        union.filter(pl.col("end").is_not_null()).select("mine_code", "start", "end")
        .join(batch.files.lazy().select("mine_code", "header_time", "arrival"), on="mine_code")
        .filter((pl.col("header_time") < pl.col("end")) & (pl.coalesce("arrival", "header_time") >= pl.col("end")))
        .group_by("mine_code", "start")
        .agg(backlog_files=pl.len(), backlog_from=pl.col("header_time").min(), backlog_to=pl.col("header_time").max())
    )
    eps = (
        pl.concat([union.filter(pl.col("end").is_not_null()), opened, voided],
                  how="diagonal_relaxed")
        .join(backlog, on=["mine_code", "start"], how="left")
        .with_columns(
            evidence=pl.when(pl.col("backlog_files").is_null())
            .then(evidence(types=pl.col("types")))
            .otherwise(evidence(types=pl.col("types"), backlog_files=pl.col("backlog_files"),
                                backlog_from=pl.col("backlog_from").dt.strftime("%Y-%m-%d %H:%M:%S"),
                                backlog_to=pl.col("backlog_to").dt.strftime("%Y-%m-%d %H:%M:%S"))),
            void=pl.col("void").fill_null(False),
        )
    )
    last, new_open, episodes = pl.collect_all([
        times.group_by("mine_code", "file_type").agg(last=pl.col("t").max()).select(list(LAST)),
        opened.select(list(OPEN)),
        eps,
    ])
    at = pl.DataFrame({"at": [now]}, schema=WATCHED)
    return ({"last": last, "open": new_open, "watched": at},
            episodes_out(episodes, "mine_silent", pl.col("evidence"), void=pl.col("void")))

