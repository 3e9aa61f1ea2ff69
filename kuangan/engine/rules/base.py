"""What every rule receives, and the shape of what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from .. import schema
from ..facts import Facts
from ..schema import EPISODES, TIME
from ..settings import Settings


def _empty(table: schema.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=table)


@dataclass(frozen=True)
class RuleInput:
    # CDSS rows not seen before, each point's rows together (numbered `pid`) and in time order, with `t` = data time, the point's
    # definition (thresholds, relations, value_type) and its PointSettings columns
    readings: pl.DataFrame
    files: pl.DataFrame  # accepted files of the batch: mine_code, file_type, header_time, arrival
    reports: pl.DataFrame  # YCBJ rows of the batch (engine.schema.EVENTS)
    outstation_status: pl.DataFrame  # FZSS rows of the batch not judged before
    settings: Settings
    upstream: dict[str, pl.DataFrame] = field(default_factory=dict)  # episodes of rules evaluated before
    # personnel (schema.POSITIONS, schema.SNAPSHOTS) of snapshots not judged before, sorted by mine and
    # header_time; every snapshot of a mine comes after those judged in earlier batches (late ones are
    # judged again from a checkpoint, like late readings)
    positions: pl.DataFrame = field(default_factory=lambda: _empty(schema.POSITIONS))
    snapshots: pl.DataFrame = field(default_factory=lambda: _empty(schema.SNAPSHOTS))
    station_status: pl.DataFrame = field(default_factory=lambda: _empty(schema.STATION_STATUS))
    power: pl.DataFrame = field(default_factory=lambda: _empty(schema.POWER))  # YDSJ rows of the batch
    seals: pl.DataFrame = field(default_factory=lambda: _empty(schema.SEALS))  # DZFT rows of the batch
    facts: Facts = field(default_factory=Facts)  # what the registry knows (engine.facts)
    # the latest definition of every point after this batch (schema.DEFINITIONS): sensor type and unit
    # of the points a rule picks out (LJ 3001 output counters)
    definitions: pl.DataFrame = field(default_factory=lambda: _empty(schema.DEFINITIONS))

    @cached_property
    def frontier(self) -> pl.DataFrame:
        """(mine_code, header_time) of the batch's records: how far each mine's data has come (decisions
        that wait for the data, unlike silence, which waits for the clock). Made only when a rule asks: a
        distinct over a batch's readings costs some 30 ms."""
        return pl.concat([
            self.readings.lazy().select("mine_code", "header_time"),
            self.outstation_status.lazy().select("mine_code", "header_time"),
            self.reports.lazy().select("mine_code", "header_time"),
        ]).unique().collect()


def episodes_out(df: pl.DataFrame, kind: str, evidence: pl.Expr | None = None, void: pl.Expr | None = None
                 ) -> pl.DataFrame:
    """Rows of EPISODES from a frame with mine_code, [point_code], start, end, peak; `void`: which rows
    are episodes that later input disproved (none by default)."""
    if df.is_empty():  # the usual batch: no Polars call (see `track` on why their number matters)
        return pl.DataFrame(schema=EPISODES)
    cols = df.columns
    return df.lazy().select(
        pl.col("mine_code"),
        (pl.col("point_code") if "point_code" in cols else pl.lit(None, dtype=pl.String)).alias("point_code"),
        pl.lit(kind).alias("kind"),
        pl.col("start").cast(TIME),
        pl.col("end").cast(TIME),
        (pl.col("peak") if "peak" in cols else pl.lit(None)).cast(pl.Float64).alias("peak"),
        (evidence if evidence is not None else pl.lit("{}")).alias("evidence"),
        (void if void is not None else pl.lit(False)).alias("void"),
    ).select(list(EPISODES)).collect()


def evidence(**exprs: pl.Expr) -> pl.Expr:
    """The evidence of an episode as a JSON object."""
    return pl.struct([e.alias(name) for name, e in exprs.items()]).struct.json_encode()
