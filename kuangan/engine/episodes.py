"""Episodes: the one vectorised state machine every rule is built on.

A rule turns each row of a time-sorted frame into a signal: True (the condition holds), False (it
has ended) or null (hold the previous state: hysteresis, calibration). Forward-filling the signal
per key gives the state of every row; rising edges open an episode, falling edges end it. An
episode still open at the end of a batch is carried in the rule's state (its start, peak and last
time) and continued by the next batch, so one batch or many small ones give the same episodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from .schema import TIME, Schema

CARRIED: Schema = {"start": TIME, "peak": pl.Float64, "last": TIME}


def carried_schema(key: list[str]) -> Schema:
    return {**dict.fromkeys(key, pl.String), **CARRIED}


@dataclass(frozen=True)
class Tracked:
    rows: pl.DataFrame  # the input rows with `active` (bool) and `ep_start` (the start of the row's episode)
    episodes: pl.DataFrame  # key…, start, end (null while open), peak, last: every episode touched
    carried: pl.DataFrame  # key…, start, peak, last: the episodes open after this batch


def track(
    df: pl.DataFrame,
    *,
    key: list[str],
    signal: pl.Expr,
    carried: pl.DataFrame,
    value: pl.Expr | None = None,
    start: pl.Expr | None = None,
    peak: Literal["max", "min"] = "max",
    constants: dict[str, str] | None = None,
) -> Tracked:
    """`df` holds the rows of this batch with a time column `t`, sorted by key and `t`, and `pid` numbering
    its keys (computed here when absent).
    `signal` is evaluated per row (see the module doc). `value` gives the number whose extreme is the
    episode's peak (nulls ignored); `start` overrides when an episode starts (default: the time of its
    first active row; the stuck-value rule starts an episode where the value stopped changing).
    `constants`: key columns with one value for the whole frame (e.g. a direction), added only to the
    rows that are tracked.

    Speed: only the keys with a True signal or a carried episode are tracked (most points of a batch
    are quiet), and the work is done with global shifts, fills and cumulative sums over the sorted
    frame and integer episode ids, not with per-key windows. The engine runs while the next batch is
    parsed, and Polars runs every call of both threads on one pool of workers, where a call waits for
    the other thread's work in progress (a tiny call alone 0.07 ms, next to a large sort 2 ms): the
    quiet path costs one call, and the busy path is a few lazy queries instead of a call per step."""
    schema = carried_schema(key)
    if carried.is_empty():
        carried = pl.DataFrame(schema=schema)
    value = value if value is not None else pl.lit(None, dtype=pl.Float64)
    start = start if start is not None else pl.col("t")
    # every key holds a point code (or an outstation's), which alone decides whether a key is busy; the
    # busy points are found by their number in the batch (`pid`, rows grouped by it): comparing integers
    # over every row costs a tenth of hashing the codes
    if "pid" not in df.columns:  # numbered here by the whole key
        df = df.with_columns(pid=numbered(*(k for k in key if k in df.columns)))
    busy_rows = df.lazy().select("pid", _sig=signal).filter(pl.col("_sig")).select("pid")
    if not carried.is_empty():
        carried_points = df.lazy().filter(first_rows("pid")).join(
            carried.lazy().select("point_code"), on="point_code", how="semi").select("pid")
        busy_rows = pl.concat([busy_rows, carried_points])
    busy = busy_rows.unique().collect().get_column("pid")
    if busy.is_empty():  # the usual batch for most rules: nothing to track, nothing carried in this batch
        rows = pl.DataFrame(schema={**df.schema, **dict.fromkeys(constants or {}, pl.String),
                                    "active": pl.Boolean, "ep_start": TIME})
        episodes = pl.DataFrame(schema={**dict.fromkeys(key, pl.String), "start": TIME, "end": TIME,
                                        "peak": pl.Float64, "last": TIME})
        if carried.schema != schema:
            carried = carried.select([pl.col(k).cast(t) for k, t in schema.items()])
        return Tracked(rows=rows, episodes=episodes, carried=carried)
    lf = df.lazy().filter(pl.col("pid").is_in(busy.implode())).with_columns(_sig=signal)
    if constants:
        lf = lf.with_columns(pl.lit(v, dtype=pl.String).alias(k) for k, v in constants.items())
    c = carried.lazy().rename({"start": "_c_start", "peak": "_c_peak", "last": "_c_last"})
    first = first_rows("pid")
    rows = (
        lf.join(c, on=key, how="left", maintain_order="left")
        .with_columns(_v=value.cast(pl.Float64), _s=start, _was=pl.col("_c_start").is_not_null(), _first=first)
        # a key's first row never holds a null state, so a global forward fill never crosses keys
        .with_columns(
            active=pl.when(pl.col("_first") & pl.col("_sig").is_null())
            .then(pl.col("_was"))
            .otherwise(pl.col("_sig"))
            .forward_fill()
        )
        .with_columns(
            _prev=pl.when(pl.col("_first")).then(pl.col("_was")).otherwise(pl.col("active").shift(1))
        )
        .with_columns(_rise=pl.col("active") & ~pl.col("_prev"), _fall=~pl.col("active") & pl.col("_prev"))
        .with_columns(_n=pl.col("_rise").cast(pl.Int64).cum_sum(), _grp=pl.col("_first").cast(pl.Int64).cum_sum())
        .with_columns(_n0=pl.when(pl.col("_first")).then(pl.col("_n") - pl.col("_rise").cast(pl.Int64)).forward_fill())
        # episode id: the rise count, or minus the key's number for the episode carried in
        .with_columns(_cont=pl.col("_n") == pl.col("_n0"))
        .with_columns(_eid=pl.when(pl.col("_cont")).then(-pl.col("_grp")).otherwise(pl.col("_n")))
        .with_columns(
            ep_start=pl.when(~pl.col("active"))
            .then(None)
            .when(pl.col("_cont"))
            .then(pl.col("_c_start"))
            .otherwise(pl.when(pl.col("_rise")).then(pl.col("_s")).forward_fill())
        )
        .collect()
    )
    agg_peak = pl.col("_v").max() if peak == "max" else pl.col("_v").min()
    firsts = [pl.col(k).first() for k in key]
    active = (
        rows.lazy().filter(pl.col("active"))
        .group_by("_eid")
        .agg(*firsts, start=pl.col("ep_start").first(), peak=agg_peak, last=pl.col("t").max())
    )
    ended = rows.lazy().filter(pl.col("_fall")).group_by("_eid").agg(*firsts, end=pl.col("t").first())
    eps = active.join(ended, on="_eid", how="full", coalesce=True, suffix="_e")
    for k in key:
        eps = eps.with_columns(pl.coalesce(k, f"{k}_e").alias(k)).drop(f"{k}_e")
    # an episode carried in: its carried start and peak; it may end at this batch's first row
    eps = eps.join(c, on=key, how="left").with_columns(_cont=pl.col("_eid") < 0)
    eps = eps.with_columns(
        start=pl.when(pl.col("_cont")).then(pl.col("_c_start")).otherwise(pl.col("start")),
        peak=pl.when(pl.col("_cont"))
        .then(
            pl.max_horizontal("peak", "_c_peak") if peak == "max" else pl.min_horizontal("peak", "_c_peak")
        )
        .otherwise(pl.col("peak")),
        last=pl.when(pl.col("_cont")).then(pl.max_horizontal("last", "_c_last")).otherwise(pl.col("last")),
    )
    eps = eps.filter(pl.col("start").is_not_null()).select(
        *key, "start", pl.col("end").cast(TIME), "peak", "last"
    ).sort([*key, "start"])
    still_open = pl.concat(
        [
            carried.lazy().join(eps.select(*key).unique(), on=key, how="anti"),
            eps.filter(pl.col("end").is_null()).select(*key, "start", "peak", "last"),
        ],
        how="vertical_relaxed",
    ).select([pl.col(k).cast(t) for k, t in schema.items()])
    episodes, carried_out = pl.collect_all([eps, still_open])
    helper = ["_c_start", "_c_peak", "_c_last", "_sig", "_v", "_s", "_was", "_prev", "_rise", "_fall", "_first",
              "_n", "_grp", "_n0", "_cont", "_eid"]
    return Tracked(rows=rows.drop(helper), episodes=episodes, carried=carried_out)


def first_rows(column: str) -> pl.Expr:
    """True on the first row of each run of equal values in `column` (rows come grouped by it)."""
    return (pl.col(column) != pl.col(column).shift(1)).fill_null(True)


def last_rows(column: str) -> pl.Expr:
    """True on the last row of each run of equal values in `column`."""
    return (pl.col(column) != pl.col(column).shift(-1)).fill_null(True)


def numbered(*columns: str) -> pl.Expr:
    """`pid`: each point's number in the batch, from the columns its rows are grouped by; the rules find a
    point's rows and its first and last rows by comparing these integers instead of the codes."""
    return pl.any_horizontal(first_rows(c) for c in columns).cast(pl.UInt32).cum_sum()
