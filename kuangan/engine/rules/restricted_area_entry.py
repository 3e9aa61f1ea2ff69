"""restricted_area_entry: a person underground in an area the mine declared 限制区域 in RYQY
(facts.areas.area_type) or inside an inspector's fence (facts.fences: the fence's area, or its base station,
while start <= t < end; an open-ended fence has no end).

The episode is the card's (point_code); it ends at the first snapshot where the person is underground
elsewhere, came up or is absent. peak: none. Evidence: the first snapshot of the entry: the area and its
type, the station, the fences it broke (names), since when the person was in the area. Gaps: each snapshot is
judged on its own rows, so missing snapshots cannot open an episode."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..facts import Facts
from .base import RuleInput, evidence
from .personnel import (
    RESTRICTED,
    UNDERGROUND,
    derived,
    fmt,
    judge,
    new_state,
    people,
    quiet,
    subject_rows,
    unchanged,
)

KIND = "restricted_area_entry"


def _places(facts: Facts) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.Series, pl.Series, pl.DataFrame]:
    """Restricted areas, fences by area and by station, the codes to look for, each area's type."""
    restricted = facts.areas.filter(pl.col("area_type") == RESTRICTED).select("mine_code", "area_code").unique()
    by_area = facts.fences.filter(pl.col("area_code").is_not_null()).drop("station_code")
    by_station = facts.fences.filter(pl.col("station_code").is_not_null()).drop("area_code")
    areas = pl.concat([restricted.get_column("area_code"), by_area.get_column("area_code")]).unique().implode()
    stations = by_station.get_column("station_code").unique().implode()
    area_types = facts.areas.select("mine_code", "area_code", "area_type").unique(["mine_code", "area_code"],
                                                                                  keep="first")
    return restricted, by_area, by_station, areas, stations, area_types


def empty_state() -> dict[str, pl.DataFrame]:
    return new_state()


def evaluate(state: dict[str, pl.DataFrame], batch: RuleInput, now: datetime
             ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    if quiet(batch):
        return unchanged(state)
    facts = batch.facts
    restricted, by_area, by_station, areas, stations, area_types = derived(facts, KIND, _places)
    if restricted.is_empty() and facts.fences.is_empty() and state["open"].is_empty():
        return unchanged(state)
    # a cheap test of the codes first; the mine and the fence's time only for the few rows it keeps
    candidates = subject_rows(
        batch,
        (pl.col("flag") == UNDERGROUND) & (pl.col("area_code").is_in(areas) | pl.col("station_code").is_in(stations)),
        "name", "area_code", "area_entered", "station_code", "station_reached",
    )
    key = ["mine_code", "point_code", "t"]
    in_force = (pl.col("start") <= pl.col("t")) & (pl.col("end").is_null() | (pl.col("t") < pl.col("end")))
    fenced = pl.concat([
        candidates.join(by_area.lazy(), on=["mine_code", "area_code"]).filter(in_force).select(*key, "fence"),
        candidates.join(by_station.lazy(), on=["mine_code", "station_code"]).filter(in_force).select(*key, "fence"),
    ]).group_by(key).agg(fences=pl.col("fence").unique().sort())
    rows = (
        candidates.join(fenced, on=key, how="left")
        .join(restricted.lazy().with_columns(restricted=pl.lit(True)), on=["mine_code", "area_code"], how="left")
        .join(area_types.lazy(), on=["mine_code", "area_code"], how="left")
        .with_columns(restricted=pl.col("restricted").fill_null(False),
                      fences=pl.col("fences").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        .filter(pl.col("restricted") | (pl.col("fences").list.len() > 0))
        .with_columns(sig=pl.lit(True), val=pl.lit(None, pl.Float64), rank=pl.lit(0.0))
    )

    def describe(eps: pl.DataFrame) -> pl.DataFrame:
        return eps.with_columns(evidence=evidence(
            card=pl.col("point_code"), name=pl.col("name"), t=fmt("t"), area=pl.col("area_code"),
            area_type=pl.col("area_type"), restricted_area=pl.col("restricted"), fences=pl.col("fences"),
            area_entered=fmt("area_entered"), station=pl.col("station_code"), station_reached=fmt("station_reached"),
        ))

    return judge(state, rows, kind=KIND, describe=describe, grid=people(batch).snaps)
