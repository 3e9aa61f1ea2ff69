"""What a batch's episodes do to the alarms already raised: the one place that decides whether an alarm
is raised, updated (extended, ended, a new peak), withdrawn (later input disproved it) or restored (a
withdrawn one proven again). The platform applies these actions to its alarms
(kuangan.monitoring.alarms); the engine's tests apply them to a frame.

An alarm is keyed by (mine, point, kind, start); the point is null for a mine-level alarm. Withdrawn
alarms are kept (the platform keeps their history and links); they only change state."""

from __future__ import annotations

import polars as pl

from .pipeline import BatchResult
from .schema import TIME, Schema

KEY = ["mine_code", "point_code", "kind", "start"]
ALARMS: Schema = {"mine_code": pl.String, "point_code": pl.String, "kind": pl.String, "start": TIME, "end": TIME,
                  "peak": pl.Float64, "withdrawn": pl.Boolean}
ACTIONS: Schema = {"mine_code": pl.String, "point_code": pl.String, "kind": pl.String, "start": TIME, "end": TIME,
                   "peak": pl.Float64, "evidence": pl.String, "action": pl.String}
RAISE, UPDATE, WITHDRAW, RESTORE = "raise", "update", "withdraw", "restore"
ARRIVAL_KINDS = ["mine_silent"]  # judged by arrival: never judged again with late data


def reconcile(alarms: pl.DataFrame, result: BatchResult) -> pl.DataFrame:
    """The actions (ACTIONS) that bring `alarms` (ALARMS: at least every alarm the batch's episodes or
    judged-again points may touch) in line with the batch."""
    eps = result.episodes.unique(KEY, keep="last", maintain_order=True)
    old = alarms.select(*KEY, old_end="end", old_peak="peak", withdrawn="withdrawn", _known=pl.lit(True))
    live = eps.filter(~pl.col("void")).join(old, on=KEY, how="left", nulls_equal=True)
    changed = ~pl.col("old_end").eq_missing(pl.col("end")) | ~pl.col("old_peak").eq_missing(pl.col("peak"))
    upserts = live.with_columns(
        action=pl.when(pl.col("_known").is_null()).then(pl.lit(RAISE))
        .when(pl.col("withdrawn")).then(pl.lit(RESTORE))
        .when(changed).then(pl.lit(UPDATE))
        .otherwise(None)
    ).filter(pl.col("action").is_not_null())
    standing = alarms.filter(~pl.col("withdrawn"))
    voided = standing.join(eps.filter(pl.col("void")).select(KEY), on=KEY, how="semi", nulls_equal=True)
    # an alarm of a point judged again, open at or after the time it was judged from, and without its
    # episode in the new judgement, was disproved by the late data
    judged = result.rejudged
    disproved = (
        standing.filter(~pl.col("kind").is_in(ARRIVAL_KINDS))
        .join(judged, on=["mine_code", "point_code"], how="inner")
        .filter(pl.col("end").is_null() | (pl.col("end") > pl.col("since")))
        .drop("since")
        .join(eps.filter(~pl.col("void")).select(KEY), on=KEY, how="anti", nulls_equal=True)
    )
    # an alarm or lead of a kind not keyed by a point (a card, an area, a seal, the mine) whose stream was
    # judged again, open at or after the time it was judged from, and without its episode
    subjects = (
        standing.join(result.rejudged_mines, on=["mine_code", "kind"], how="inner")
        .filter(pl.col("end").is_null() | (pl.col("end") > pl.col("since")))
        .drop("since")
        .join(eps.filter(~pl.col("void")).select(KEY), on=KEY, how="anti", nulls_equal=True)
    )
    gone = pl.concat([voided, disproved, subjects]).unique(KEY).with_columns(evidence=pl.lit(None, pl.String),
                                                                   action=pl.lit(WITHDRAW))
    return pl.concat([
        upserts.select(list(ACTIONS)),
        gone.select(list(ACTIONS)),
    ]).sort("start", "mine_code", "point_code", "kind", nulls_last=False)


def apply(alarms: pl.DataFrame, actions: pl.DataFrame) -> pl.DataFrame:
    """`alarms` (ALARMS) after `actions`: what the platform's alarms become, as a frame (for tests and
    benchmarks: the platform applies each action to its rows, with history, audit and notices)."""
    if actions.is_empty():
        return alarms
    withdrawn = actions.filter(pl.col("action") == WITHDRAW).select(KEY).with_columns(_w=pl.lit(True))
    kept = (alarms.join(actions.filter(pl.col("action") != WITHDRAW).select(KEY), on=KEY, how="anti", nulls_equal=True)
            .join(withdrawn, on=KEY, how="left", nulls_equal=True)
            .with_columns(withdrawn=pl.col("withdrawn") | pl.col("_w").fill_null(False)).drop("_w"))
    new = actions.filter(pl.col("action") != WITHDRAW).select(*KEY, "end", "peak", withdrawn=pl.lit(False))
    return pl.concat([kept.select(list(ALARMS)), new.select(list(ALARMS))]).sort(KEY, nulls_last=False)
