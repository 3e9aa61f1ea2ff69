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
DEFAULT_LATENESS = {"CDSS": timedelta(minutes=5), "FZSS": timedelta(minutes=5), "TJSJ": timedelta(minutes=15),
                    "RYSS": timedelta(minutes=15), "JZSS": timedelta(minutes=5)}

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
class PersonnelSettings:
    """Personnel and illegal-production checks. Sources in kuangan/monitoring/constants.py: the 1000 and
    the 2 h of a shift change and the 20 % of C01-06 are quoted; the others have no official source."""

    leader_grace: timedelta = timedelta(hours=2)  # no_leader_on_shift: into a shift with people down
    overtime: timedelta = timedelta(hours=2)  # overtime_underground: beyond the shift's length
    suspended_area_max: int = 10  # suspended_mine_activity: more than this many in one area
    shift_change_max: timedelta = timedelta(hours=2)  # 限员规定 第九条 [Q]
    shift_change_total: int = 1000  # 限员规定 第九条 [Q]: outside faces, during the change
    face_major_share: float = 0.20  # C01-06 [Q]: a face this far over its limit is a major hazard
    snapshot_gap: timedelta = timedelta(minutes=15)  # a longer gap between snapshots: rules pause
    hidden_people: int = 3  # hidden_working_face: this many people ...
    hidden_hours: float = 4.0  # ... staying this long a day ...
    hidden_days: int = 3  # ... on this many days ...
    hidden_window_days: int = 7  # ... of this many
    power_share: float = 0.30  # power_use_while_suspended: a day above this share of the baseline median
    power_baseline_days: int = 30  # producing days the baseline is taken over
    power_night_share: float = 0.50  # a night 15-minute peak above this share of the baseline's
    capacity_month_share: float = 0.10  # C01-01 [Q]: a month above 10 % of the annual approved capacity
    capacity_year_share: float = 1.10  # C01-01 [Q]: a year at or above 110 %


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
    personnel: PersonnelSettings = PersonnelSettings()

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
