"""unreported_event: an over-limit that kuangan detected with no matching event of type 001 reported
by the mine's own YCBJ file — possible concealment.

A report matches when it names the same point, its start lies within the grace (default 10 min) of
the detected start and its file's header time is at most start + grace: the mine's system reports an
event when it sees it. The decision falls when the mine's data reaches start + grace (a record of the
mine with that header time or later), so it depends on the data only: replay and live agree, a silent
mine is not judged until it talks again, and a report that reaches the platform late, after the
decision, is judged again with its mine (the alarm is withdrawn, engine.pipeline).
The alarm repeats the over-limit episode's start, end and peak."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from ..schema import TIME, Schema
from .base import RuleInput, episodes_out, evidence

KEY = ["mine_code", "point_code", "start"]
PENDING: Schema = {
    "mine_code": pl.String,
    "point_code": pl.String,
    "start": TIME,
    "end": TIME,
    "peak": pl.Float64,
    "grace_s": pl.Float64,
    "raised": pl.Boolean,
}
REPORTS: Schema = {"mine_code": pl.String, "point_code": pl.String, "r_start": TIME, "r_header": TIME}
OVER_LIMIT = "001"
KEEP_REPORTS = timedelta(days=2)


def empty_state() -> dict[str, pl.DataFrame]:
    return {"pending": pl.DataFrame(schema=PENDING), "reports": pl.DataFrame(schema=REPORTS)}


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    over = batch.upstream["over_limit"]
    new_reports = batch.reports.filter(pl.col("event_type") == OVER_LIMIT)
    if over.is_empty() and state["pending"].is_empty():  # the usual batch: nothing to decide, reports kept
        reports = pl.concat([state["reports"], _reports(new_reports)]).unique()
        return {**state, "reports": _recent(reports, now)}, episodes_out(over, "unreported_event")
    grace = (
        batch.readings.lazy()
        .filter(pl.col("point_code").is_in(over.get_column("point_code").unique().implode()))
        .group_by("mine_code", "point_code")
        .agg(grace_s=pl.col("report_grace_s").last())
        .collect()
    )
    fresh = (
        over.select("mine_code", "point_code", "start", "end", "peak")
        .join(grace, on=["mine_code", "point_code"], how="left")
        .with_columns(
            pl.col("grace_s").fill_null(batch.settings.default.report_grace_s), raised=pl.lit(False)
        )
    )
    # episodes already pending or raised take this batch's end and peak; new ones join the list
    old = (
        state["pending"]
        .join(fresh.select(*KEY, "end", "peak"), on=KEY, how="left", suffix="_new")
        .with_columns(end=pl.coalesce("end_new", "end"), peak=pl.coalesce("peak_new", "peak"))
        .drop("end_new", "peak_new")
    )
    pending = pl.concat(
        [old, fresh.join(old, on=KEY, how="anti").select(list(PENDING))], how="vertical_relaxed"
    )
    reports = pl.concat(
        [
            state["reports"],
            _reports(new_reports),
        ]
    ).unique()
    # the decision time: the mine's first record at or after start + grace
    files = batch.frontier.select("mine_code", decided=pl.col("header_time")).unique().sort("decided")
    undecided = pending.filter(~pl.col("raised")).with_columns(
        due=pl.col("start") + pl.duration(seconds=pl.col("grace_s"))
    )
    decided = (
        undecided.sort("due")
        .join_asof(
            files,
            left_on="due",
            right_on="decided",
            by="mine_code",
            strategy="forward",
            check_sortedness=False,
        )
        .filter(pl.col("decided").is_not_null())
    )
    matched = (
        decided.join(reports, on=["mine_code", "point_code"], how="inner")
        .filter(
            ((pl.col("r_start") - pl.col("start")).abs() <= pl.duration(seconds=pl.col("grace_s")))
            & (pl.col("r_header") <= pl.col("due"))
        )
        .select(*KEY)
        .unique()
    )
    raised_now = decided.join(matched, on=KEY, how="anti").select(*KEY)
    reported = decided.join(matched, on=KEY, how="semi").select(*KEY)
    pending = (
        pending.join(reported, on=KEY, how="anti")
        .join(raised_now.with_columns(_now=pl.lit(True)), on=KEY, how="left")
        .with_columns(raised=pl.col("raised") | pl.col("_now").fill_null(False))
        .drop("_now")
    )
    # output: raised episodes that were raised now or whose over-limit changed in this batch
    touched = pl.concat([raised_now, fresh.select(*KEY)]).unique()
    eps = (
        pending.filter(pl.col("raised"))
        .join(touched, on=KEY, how="semi")
        .with_columns(evidence=evidence(grace_s=pl.col("grace_s"), reported=pl.lit(False)))
    )
    keep = pending.filter(~(pl.col("raised") & pl.col("end").is_not_null()))
    return {"pending": keep.select(list(PENDING)), "reports": _recent(reports, now)}, episodes_out(
        eps, "unreported_event", pl.col("evidence")
    )


def _reports(events: pl.DataFrame) -> pl.DataFrame:
    return events.select("mine_code", "point_code", r_start=pl.col("start"), r_header=pl.col("header_time"))


def _recent(reports: pl.DataFrame, now: datetime) -> pl.DataFrame:
    return reports.filter(pl.col("r_header") >= pl.lit(now) - KEEP_REPORTS)
