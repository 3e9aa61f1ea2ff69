"""feed_failure: an analog value at or above its upper power-off threshold while a switch point linked
to it by a D relation (CDDY field 22) still shows power on after a grace (default 60 s).

A switch value of 1 is "power on" (power-off device: 1 restored; feed sensor: 1 voltage on the load
side, FORMATS.md). The power-off state has its own hysteresis: it ends below the restore threshold.
Readings under calibration hold the state: calibration gas is not methane in the roadway.
The state carries the open power-off episodes, the open feed-failure episodes and each linked
switch's last value."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..episodes import carried_schema, last_rows, track
from ..schema import TIME, Schema
from ..settings import CALIBRATION
from .base import RuleInput, episodes_out, evidence

KEY = ["mine_code", "point_code"]
SWITCHES: Schema = {"mine_code": pl.String, "switch_code": pl.String, "sw_t": TIME, "sw_value": pl.Float64}
SWITCH_KEY = ["mine_code", "switch_code"]  # a relation names a switch of the point's own mine


def empty_state() -> dict[str, pl.DataFrame]:
    return {
        "power_off": pl.DataFrame(schema=carried_schema(KEY)),
        "failure": pl.DataFrame(schema=carried_schema(KEY)),
        "switches": pl.DataFrame(schema=SWITCHES),
    }


def linked_switches(relations: pl.Expr) -> pl.Expr:
    """The point codes after `D-` in a relations field (groups separated by ◇)."""
    return relations.str.extract_all(r"D-([0-9A-Za-z]+)").list.eval(pl.element().str.slice(2))


def evaluate(
    state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    r = batch.readings.lazy()
    switch_rows = (
        r.filter(pl.col("value_type") == "KG")
        .select("pid", "mine_code", pl.col("point_code").alias("switch_code"), pl.col("t").alias("sw_t"),
                pl.col("value").alias("sw_value"))
    )
    # readings come sorted by point and time: a switch's last row is where the next row is another point
    last_in_batch = switch_rows.filter(last_rows("pid")).drop("pid")
    last_switch_query = pl.concat(
        [state["switches"].lazy().join(last_in_batch.select(SWITCH_KEY), on=SWITCH_KEY, how="anti"),
         last_in_batch]
    )
    analog_query = (
        r.filter(
            (pl.col("value_type") == "MN")
            & pl.col("upper_power_off").is_not_null()
            & pl.col("relations").str.contains("D-", literal=True)
        )
        .select("pid", *KEY, "t", "value", "status", "upper_power_off", "upper_power_restore", "relations", "feed_grace_s")
    )
    analog, last_switch = pl.collect_all([analog_query, last_switch_query])
    restore = pl.coalesce("upper_power_restore", "upper_power_off")
    calibrating = (pl.col("status") & CALIBRATION) != 0  # calibration gas neither starts nor ends anything
    cut = track(
        analog,
        key=KEY,
        signal=pl.when(calibrating)
        .then(None)
        .when(pl.col("value") >= pl.col("upper_power_off"))
        .then(True)
        .when(pl.col("value") < restore)
        .then(False)
        .otherwise(None),
        carried=state["power_off"],
    )
    if cut.rows.is_empty() and state["failure"].is_empty():  # the usual batch: no power-off state
        new_state = {"power_off": cut.carried, "failure": state["failure"], "switches": last_switch}
        return new_state, episodes_out(cut.episodes, "feed_failure")
    # only the points in a power-off state are looked at further (cut.rows holds just those points)
    rows = cut.rows.with_row_index("_row").with_columns(
        due=pl.col("active") & ((pl.col("t") - pl.col("ep_start")) >= pl.duration(seconds=pl.col("feed_grace_s")))
    )
    due = rows.filter(pl.col("due")).select("_row", "mine_code", "t", links=linked_switches(pl.col("relations")))
    pairs = due.explode("links").rename({"links": "switch_code"})
    wanted = pairs.get_column("switch_code").unique().implode()
    switches = pl.concat(
        [state["switches"].filter(pl.col("switch_code").is_in(wanted)),
         switch_rows.drop("pid").filter(pl.col("switch_code").is_in(wanted)).collect()]
    ).sort("sw_t")
    pairs = pairs.sort("t").join_asof(
        switches, left_on="t", right_on="sw_t", by=SWITCH_KEY, strategy="backward", check_sortedness=False
    )
    still_on = pairs.group_by("_row").agg(
        on=(pl.col("sw_value") == 1).any(),
        on_switches=pl.col("switch_code").filter(pl.col("sw_value") == 1),
    )
    rows = rows.join(still_on, on="_row", how="left").sort("_row").drop("_row")
    failing = track(
        rows.drop("active"),
        key=KEY,
        signal=pl.when(calibrating).then(None).otherwise((pl.col("due") & pl.col("on")).fill_null(False)),
        carried=state["failure"],
        value=pl.col("value"),
    )
    detail = (
        failing.rows.filter(pl.col("active"))
        .group_by(KEY)
        .agg(
            switches=pl.col("on_switches").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
            upper_power_off=pl.col("upper_power_off").last(),
            feed_grace_s=pl.col("feed_grace_s").last(),
        )
    )
    eps = failing.episodes.join(detail, on=KEY, how="left").with_columns(
        evidence=evidence(
            power_off=pl.col("upper_power_off"),
            grace_s=pl.col("feed_grace_s"),
            switches_on=pl.col("switches"),
        )
    )
    new_state = {"power_off": cut.carried, "failure": failing.carried, "switches": last_switch}
    return new_state, episodes_out(eps, "feed_failure", pl.col("evidence"))
