"""hidden_working_face (lead; subject: the positioning area, RULES.md C15-05 隐瞒采掘工作面): people keep
working, day after day, in an area that is not declared (no confirmed mapping: engine.facts.AREAS has no
row for it or a null `declared_as`) or that is declared on a face the registry holds stopped or sealed
(FaceStatus `stopped` 停采（停掘） or `sealed` 封闭).

Dwell: a person (card) stays in the area for the time between two consecutive snapshots of the mine
(RYSS, empty ones too) that both show them underground in it; a gap between snapshots longer than
`snapshot_gap` counts only up to `snapshot_gap`. The time is counted on the day the interval begins.
A day qualifies when `hidden_people` (3) people each stay `hidden_hours` (4 h) or more. The lead opens on
the day on which `hidden_days` (3) of the last `hidden_window_days` (7) days (that day included) qualify:
start = the start of dwell on the first qualifying day of that window. It lasts while every following day
keeps enough qualifying days in its window and ends on the first day that does not; its `end` is when the
signal stopped: the last time a qualifying person was seen there on the last qualifying day. peak = the
most people that qualified on one day.

When it is judged: a day's dwell only grows, so a day opens (or continues) the lead as soon as its window
holds enough qualifying days; it is judged short once the mine has a snapshot on a later day.

State: who is in such an area at the mine's last snapshot, each mine's last snapshot time and the last day
judged complete, each person's daily dwell per area over the window (and one day before it, for the end),
and the open episodes."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, track
from ..schema import TIME, Schema
from . import leads
from .base import RuleInput, episodes_out, evidence

KIND = "hidden_working_face"
KEY = ["mine_code", "point_code"]  # point_code: the area code
HIDDEN_FACE_STATUSES = ["stopped", "sealed"]  # kuangan.registry.choices.FaceStatus STOPPED, SEALED
UNDERGROUND = 1  # RYSS flag

PRESENT: Schema = {"mine_code": pl.String, "area_code": pl.String, "card_code": pl.String, "t": TIME}
MINES: Schema = {"mine_code": pl.String, "newest": TIME, "judged": pl.Date}
DWELL: Schema = {
    "mine_code": pl.String,
    "area_code": pl.String,
    "card_code": pl.String,
    "day": pl.Date,
    "seconds": pl.Float64,
    "first": TIME,  # when the day's first stay began
    "last": TIME,  # when the day's last stay ended
}
DWELL_KEY = ["mine_code", "area_code", "card_code", "day"]


def empty_state() -> dict[str, pl.DataFrame]:
    return {"present": pl.DataFrame(schema=PRESENT), "mines": pl.DataFrame(schema=MINES),
            "dwell": pl.DataFrame(schema=DWELL), "open": pl.DataFrame(schema=carried_schema(KEY))}


SHAFT_TOP = "井口区域"  # RYQY type: everyone passes there, nobody mines there


def suspicious() -> pl.Expr:
    """On rows joined (left) to engine.facts.AREAS: the area is undeclared (other than a shaft top by the
    mine's own RYQY) or on a stopped or sealed face."""
    undeclared = pl.col("declared_as").is_null() & (pl.col("area_type").fill_null("") != SHAFT_TOP)
    return undeclared | pl.col("face_status").is_in(HIDDEN_FACE_STATUSES).fill_null(False)


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if batch.snapshots.is_empty():  # the usual batch: one check, the state unchanged
        return state, episodes_out(batch.snapshots.clear(), KIND)
    ps = batch.settings.personnel
    window = ps.hidden_window_days
    gap_s = ps.snapshot_gap.total_seconds()
    areas = (batch.facts.areas.lazy().select("mine_code", "area_code", "declared_as", "face_status", "area_type")
             .unique(["mine_code", "area_code"], keep="first"))
    mines = batch.snapshots.lazy().select("mine_code").unique()
    # people underground in such an area at each snapshot of the batch
    pos = (
        batch.positions.lazy()
        .filter((pl.col("flag") == UNDERGROUND) & pl.col("area_code").is_not_null())
        .select("mine_code", "area_code", "card_code", t=pl.col("header_time"))
        .join(areas, on=["mine_code", "area_code"], how="left")
        .filter(suspicious())
        .select(list(PRESENT))
        .unique(["mine_code", "card_code", "t"], keep="first", maintain_order=True)
        .collect()  # read three times below
        .lazy()
    )
    mines_before = state["mines"].lazy()
    # each snapshot with the one before it (the last judged one first)
    times = (
        pl.concat([mines_before.join(mines, on="mine_code", how="semi").select("mine_code", t=pl.col("newest")),
                   batch.snapshots.lazy().select("mine_code", t=pl.col("header_time"))])
        .unique().sort("mine_code", "t")
        .with_columns(prev=pl.col("t").shift(1).over("mine_code"))
    )
    stays = (
        pos.join(times, on=["mine_code", "t"])
        .join(pl.concat([state["present"].lazy(), pos]).rename({"t": "prev"}),
              on=["mine_code", "area_code", "card_code", "prev"])
        .group_by("mine_code", "area_code", "card_code", day=pl.col("prev").dt.date())
        .agg(seconds=((pl.col("t") - pl.col("prev")).dt.total_microseconds() / 1e6).clip(upper_bound=gap_s).sum(),
             first=pl.col("prev").min(), last=pl.col("t").max())
    )
    newest = times.group_by("mine_code").agg(newest=pl.col("t").max())
    dwell, newest_df = pl.collect_all([
        pl.concat([state["dwell"].lazy(), stays.select(list(DWELL))]).group_by(DWELL_KEY)
        .agg(pl.col("seconds").sum(), pl.col("first").min(), pl.col("last").max()),
        newest,
    ])
    newest = newest_df.lazy().with_columns(_today=pl.col("newest").dt.date())
    judged_dwell = dwell.lazy().join(mines, on="mine_code", how="semi")
    qualifying = (
        judged_dwell.filter(pl.col("seconds") >= ps.hidden_hours * 3600)
        .group_by("mine_code", "area_code", "day")
        .agg(people=pl.len().cast(pl.Int32), first=pl.col("first").min(), last=pl.col("last").max(),
             who=pl.struct("card_code", hours=(pl.col("seconds") / 3600).round(2)).sort_by("card_code"))
        .filter(pl.col("people") >= ps.hidden_people)
    )
    # the days to judge: from the first day not judged complete before to the newest snapshot's day, for
    # every area with dwell or an open lead
    carried = state["open"].lazy().join(mines, on="mine_code", how="semi")
    pending = (
        pl.concat([judged_dwell.select("mine_code", "area_code", "day"),
                   carried.select("mine_code", area_code=pl.col("point_code"), day=pl.lit(None, pl.Date))])
        .group_by("mine_code", "area_code").agg(_min_day=pl.col("day").min())
        .join(mines_before.select("mine_code", "judged"), on="mine_code", how="left")
        .join(newest, on="mine_code")
        .with_columns(_from=pl.coalesce(pl.col("judged") + pl.duration(days=1), "_min_day", "_today"))
        .filter(pl.col("_from") <= pl.col("_today"))
        .select("mine_code", "area_code", "_today", day=pl.date_ranges("_from", "_today")).explode("day")
    )
    in_window = pl.col("qday") > pl.col("day") - pl.duration(days=window)
    stats = (
        pending.join(qualifying.rename({"day": "qday"}), on=["mine_code", "area_code"])
        # the window and the day before it (the last qualifying day of an episode that ends here)
        .filter((pl.col("qday") <= pl.col("day")) & (pl.col("qday") >= pl.col("day") - pl.duration(days=window)))
        .sort("qday")
        .group_by("mine_code", "area_code", "day")
        .agg(
            _count=in_window.sum(),
            _peak=pl.col("people").filter(in_window).max(),
            _start=pl.col("first").filter(in_window).min(),
            _end=pl.col("last").max(),
            _days=pl.struct(day="qday", people="people", first="first", last="last", who="who").filter(in_window),
        )
    )
    rows = (
        pending.join(stats, on=["mine_code", "area_code", "day"], how="left")
        .join(areas, on=["mine_code", "area_code"], how="left")
        .with_columns(
            point_code=pl.col("area_code"),
            t=leads.day_start(pl.col("day")),
            _signal=pl.when(pl.col("_count").fill_null(0) >= ps.hidden_days).then(True)
            .when(pl.col("day") < pl.col("_today")).then(False)
            .otherwise(None),
        )
        .sort("mine_code", "point_code", "t")
        .collect()
    )
    tracked = track(rows, key=KEY, signal=pl.col("_signal"), carried=state["open"], value=pl.col("_peak"),
                    start=pl.col("_start"))
    present, mines_out, dwell_out = pl.collect_all([
        pl.concat([state["present"].lazy().join(mines, on="mine_code", how="anti"),
                   pos.join(newest, on="mine_code").filter(pl.col("t") == pl.col("newest")).select(list(PRESENT))])
        .sort("mine_code", "area_code", "card_code"),
        pl.concat([mines_before.join(mines, on="mine_code", how="anti"),
                   newest.select("mine_code", "newest", judged=pl.col("_today") - pl.duration(days=1))])
        .sort("mine_code"),
        # the window of each mine's newest day and the day before it
        dwell.lazy().join(pl.concat([mines_before.join(mines, on="mine_code", how="anti")
                                     .select("mine_code", "newest"), newest.select("mine_code", "newest")]),
                          on="mine_code", how="left")
        .filter(pl.col("newest").is_null() | (pl.col("day") >= pl.col("newest").dt.date() - pl.duration(days=window)))
        .select(list(DWELL)).sort(DWELL_KEY),
    ])
    new_state = {"present": present, "mines": mines_out, "dwell": dwell_out, "open": tracked.carried}
    if tracked.episodes.is_empty():
        return new_state, episodes_out(tracked.episodes, KIND)
    return new_state, episodes_out(_with_evidence(tracked.episodes, tracked.rows, batch), KIND, pl.col("evidence"))


def _with_evidence(episodes: pl.DataFrame, rows: pl.DataFrame, batch: RuleInput) -> pl.DataFrame:
    """Each episode with its end (the last stay of its last qualifying day) and the window of its latest
    day in this batch (or of the day that ended it): the qualifying days with their people and hours."""
    ps = batch.settings.personnel
    cols = ["day", "_days", "_end", "declared_as", "face_status", "area_type"]
    return (
        leads.shown(episodes, rows, cols, latest=pl.col("active"), ended_first=True)
        .with_columns(end=pl.when(pl.col("end").is_not_null()).then(pl.col("_end")))
        .with_columns(evidence=evidence(
            area=pl.col("point_code"),
            declared=pl.when(pl.col("declared_as").is_null()).then(pl.lit("undeclared"))
            .otherwise(pl.lit("face_") + pl.col("face_status")),
            declared_as=pl.col("declared_as"),
            face_status=pl.col("face_status"),
            area_type=pl.col("area_type"),
            judged_day=pl.col("day"),
            qualifying_days=pl.col("_days"),
            people_needed=pl.lit(ps.hidden_people),
            hours_needed=pl.lit(ps.hidden_hours),
            days_needed=pl.lit(ps.hidden_days),
            window_days=pl.lit(ps.hidden_window_days),
        ))
        .collect()
    )
