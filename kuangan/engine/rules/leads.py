"""Leads of illegal production: episodes like alarms that the monitoring app routes to `Lead`, seen by
regulators only (issue 20, item 5). Four rules, each `evaluate(state, batch, now) -> (state, episodes)`:

- hidden_working_face (subject: the positioning area): people keep working in an area that is not
  declared, or is declared on a stopped or sealed face (RULES.md C15-05 隐瞒采掘工作面);
- power_use_while_suspended (mine-level): a suspended mine draws power like a producing one;
- over_capacity (mine-level): output from the mine's LJ 3001 counters beyond C01-01's shares of the
  approved capacity;
- seal_activity_while_suspended (subject: the seal): people or vehicles at a suspended mine's seal.

Mine-level kinds are tracked with the mine code as their subject and emit a null `point_code`. The rules
judge by data time only (never by `now`), so a replay equals live, and one batch equals many. Each one
costs one check on a batch without its rows and returns its state unchanged then.

The helpers below are shared by the four (the mine's status at a time, share comparisons, the row an
episode's evidence shows).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..facts import Facts
from ..schema import TIME
from . import hidden_working_face, over_capacity, power_use_while_suspended, seal_activity_while_suspended

RULES: list[tuple[str, Any]] = [
    ("hidden_working_face", hidden_working_face),
    ("power_use_while_suspended", power_use_while_suspended),
    ("over_capacity", over_capacity),
    ("seal_activity_while_suspended", seal_activity_while_suspended),
]
LEAD_KINDS: frozenset[str] = frozenset(name for name, _ in RULES)

# shares are compared rounded to this many decimals: a sum of pro-rata parts must not miss or pass a
# boundary by a floating-point hair (exactly 30 % is not above 30 %)
SHARE_DECIMALS = 9


def status_at(frame: pl.LazyFrame, time: str, facts: Facts) -> pl.LazyFrame:
    """`frame` (with mine_code and the time column `time`) with `mine_status` (the status in force then;
    null when the registry knows none) and `suspended` (False when unknown), rows in their order.
    A status holds from its `start` until its `end` (null: still in force), engine.facts.STATUS."""
    intervals = facts.status.lazy().select(
        "mine_code", _from=pl.col("start"), _until=pl.col("end"), _status=pl.col("status"),
        _suspended=pl.col("suspended"),
    ).sort("_from")
    inside = pl.col("_until").is_null() | (pl.col(time) < pl.col("_until"))
    return (
        frame.with_row_index("_row")
        .sort(time)
        .join_asof(intervals, left_on=time, right_on="_from", by="mine_code", strategy="backward",
                   check_sortedness=False)  # both sorted by time as a whole; Polars cannot check per mine
        .with_columns(
            mine_status=pl.when(inside).then(pl.col("_status")),
            suspended=(inside & pl.col("_suspended")).fill_null(False),
        )
        .sort("_row")
        .drop("_row", "_from", "_until", "_status", "_suspended")
    )


def share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """part / whole, rounded for comparison with a share setting (null when whole is null or not positive)."""
    return pl.when(whole > 0).then((part / whole).round(SHARE_DECIMALS))


def day_start(day: pl.Expr) -> pl.Expr:
    """A date as the engine time of its midnight."""
    return day.cast(pl.Datetime("us")).cast(TIME)


def shown(episodes: pl.DataFrame, rows: pl.DataFrame, cols: list[str], *, latest: pl.Expr,
          ended_first: bool = False) -> pl.LazyFrame:
    """`episodes` and `rows` from engine.episodes.track (keyed by mine_code and point_code), each episode
    with `cols` of the row its evidence shows: its latest row of the batch where `latest` holds, or else
    the row that ended it (`ended_first`: that one whenever it ended)."""
    key = ["mine_code", "point_code"]
    latest_rows = (rows.lazy().filter(latest).sort("t").unique([*key, "ep_start"], keep="last", maintain_order=True)
                   .select(*key, *cols, start=pl.col("ep_start")))
    ended = (episodes.lazy().filter(pl.col("end").is_not_null())
             .join(rows.lazy().select(*key, *cols, end=pl.col("t")), on=[*key, "end"])
             .select(*key, *cols, "start"))
    parts = [ended, latest_rows] if ended_first else [latest_rows, ended]
    return episodes.lazy().join(pl.concat(parts).unique([*key, "start"], keep="first", maintain_order=True),
                                on=[*key, "start"], how="left")
