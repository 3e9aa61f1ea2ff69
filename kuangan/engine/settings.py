"""Rule settings: defaults, and overrides per mine and per sensor type.

Only facts tagged [Q] in RULES.md become defaults here, each with its source; everything is a
setting the regulator can change. The most specific override wins: (mine, sensor type) over
(mine, any type) over (any mine, sensor type) over the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta

import polars as pl

METHANE, CO = "0001", "0004"

# Used when a point's own definition (CDDY) gives no threshold: sensor type → (upper alarm, clear,
# upper power-off, power restore). RULES.md §3.1 (face methane: alarm ≥1.0, power-off ≥1.5,
# restore <1.0 [Q]) and §3.3 (CO max 0.0024 % = 24 ppm [Q]).
DEFAULT_THRESHOLDS: dict[str, tuple[float | None, float | None, float | None, float | None]] = {
    METHANE: (1.0, 1.0, 1.5, 1.0),
    CO: (24.0, 24.0, None, None),
}

# Upload lateness per file type (FORMATS.md "Upload periods and lateness": no official rule was found).
DEFAULT_LATENESS = {"CDSS": timedelta(minutes=5), "FZSS": timedelta(minutes=5), "TJSJ": timedelta(minutes=15)}

# status bitmask of CDSS field 5 (FORMATS.md, Dictionaries)
ALARM, POWER_OFF, CALIBRATION, OVER_RANGE = 1, 2, 4, 8
OUTSTATION_FAULT, NOT_POLLED, PAUSED, SENSOR_FAULT = 16, 32, 64, 128
FAULT_BITS = OUTSTATION_FAULT | NOT_POLLED | SENSOR_FAULT


@dataclass(frozen=True)
class PointSettings:
    """What may differ per mine and per sensor type."""

    feed_grace_s: float = 60.0  # feed_failure: time the linked switch may take to cut power
    stuck_hours: float = 6.0  # stuck_value: a methane or CO value unchanged this long
    stuck: bool = False  # whether stuck_value applies (methane and CO by default, see below)
    calibration_max_min: float = 30.0  # calibration_abuse: longest calibration
    calibration_per_day: int = 2  # calibration_abuse: calibrations per point and day
    report_grace_s: float = 600.0  # unreported_event: time the mine's own YCBJ has to report an over-limit


@dataclass(frozen=True)
class Override:
    mine_code: str | None  # None: every mine
    sensor_type: str | None  # None: every sensor type
    values: dict[str, float | int | bool]


@dataclass(frozen=True)
class Settings:
    default: PointSettings = PointSettings()
    overrides: tuple[Override, ...] = (
        Override(None, METHANE, {"stuck": True}),
        Override(None, CO, {"stuck": True}),
    )
    lateness: dict[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_LATENESS))
    lateness_by_mine: dict[tuple[str, str], timedelta] = field(default_factory=dict)  # (mine, file type)
    thresholds: dict[str, tuple[float | None, float | None, float | None, float | None]] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS)
    )
    # live only: two judgements of silence further apart than this mean the platform itself was down
    platform_gap: timedelta | None = None

    def max_report_grace_s(self) -> float:
        """The longest report grace of any point: how far back a late YCBJ report can matter."""
        return max([self.default.report_grace_s,
                    *(float(o.values["report_grace_s"]) for o in self.overrides if "report_grace_s" in o.values)])

    def point_frame(self, points: pl.LazyFrame) -> pl.LazyFrame:
        """`points` (mine_code, sensor_type, …) with one column per PointSettings field."""
        names = [f.name for f in fields(PointSettings)]
        out = points.with_columns(pl.lit(getattr(self.default, n)).alias(n) for n in names)

        def rank(o: Override) -> int:
            return (o.mine_code is not None) * 2 + (o.sensor_type is not None)

        for o in sorted(self.overrides, key=rank):
            hit = pl.lit(True)
            if o.mine_code is not None:
                hit = hit & (pl.col("mine_code") == o.mine_code)
            if o.sensor_type is not None:
                hit = hit & (pl.col("sensor_type") == o.sensor_type)
            out = out.with_columns(
                pl.when(hit).then(pl.lit(v)).otherwise(pl.col(n)).alias(n) for n, v in o.values.items()
            )
        return out

    def lateness_frame(self, pairs: pl.LazyFrame) -> pl.LazyFrame:
        """`pairs` (mine_code, file_type) with `late` (a duration; null: the type is not watched)."""
        table = pl.LazyFrame(
            {"file_type": list(self.lateness), "late": list(self.lateness.values())},
            schema={"file_type": pl.String, "late": pl.Duration("us")},
        )
        out = pairs.join(table, on="file_type", how="left")
        if self.lateness_by_mine:
            mine = pl.LazyFrame(
                {
                    "mine_code": [m for m, _ in self.lateness_by_mine],
                    "file_type": [t for _, t in self.lateness_by_mine],
                    "_late": list(self.lateness_by_mine.values()),
                },
                schema={"mine_code": pl.String, "file_type": pl.String, "_late": pl.Duration("us")},
            )
            out = (
                out.join(mine, on=["mine_code", "file_type"], how="left")
                .with_columns(late=pl.coalesce("_late", "late"))
                .drop("_late")
            )
        return out

    def threshold_defaults(self) -> pl.DataFrame:
        rows = [(t, *v) for t, v in self.thresholds.items()]
        return pl.DataFrame(
            rows,
            schema={
                "sensor_type": pl.String,
                "d_upper_alarm": pl.Float64,
                "d_upper_alarm_clear": pl.Float64,
                "d_upper_power_off": pl.Float64,
                "d_upper_power_restore": pl.Float64,
            },
            orient="row",
        )
