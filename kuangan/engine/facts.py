"""What the engine knows of the mines besides their files: registry facts as frames.

The engine sees no model. `kuangan.monitoring.facts` builds a `Facts` from the database (and caches it
until a registry fact changes); tests and the benchmarks build one directly. Facts are read at
processing time: a replay equals live only while they are unchanged (docs/architecture.md).

Times are naive Beijing time like every engine time; dates are `pl.Date`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from .schema import TIME, Schema

# The mine's status over time, from MineStatusChange.effective_on (a status holds from the start of its day
# until the next change; `end` null: still in force). `suspended`: 停产整顿, 停建, 长期停产停建 or 关闭.
STATUS: Schema = {"mine_code": pl.String, "start": TIME, "end": TIME, "status": pl.String, "suspended": pl.Boolean}

# One row per mine with a record: approved capacity (万t/a), disaster-severe (high gas, outburst, hydro
# complex or extreme, rock burst), the single-shift limit for its capacity and class (StaffingLimit), and
# whether certificates are on file (the uncertified-operator check runs only then).
MINES: Schema = {
    "mine_code": pl.String,
    "capacity": pl.Float64,
    "disaster_severe": pl.Boolean,
    "mine_limit": pl.Int32,  # null: no limit known
    "certificates_on_file": pl.Boolean,
}

# Shift starts per mine, minutes after midnight; `maintenance` marks a maintenance shift (检修班). A mine
# without rows works 三八制 from 00:00, 08:00 and 16:00 (monitoring.PersonnelProfile's default).
SHIFTS: Schema = {"mine_code": pl.String, "start_minute": pl.Int32, "maintenance": pl.Boolean}

# Positioning areas as the regulator confirmed them. `declared_as`: face | roadway | chamber | shaft_top | other,
# null while no confirmed mapping exists (undeclared). The face's status, kind and method, and its limits
# for a production and a maintenance shift (StaffingLimit by kind, method and disaster class).
AREAS: Schema = {
    "mine_code": pl.String,
    "area_code": pl.String,
    "area_type": pl.String,  # RYQY type as the mine declared it
    "headcount": pl.Int32,  # RYQY approved headcount
    "declared_as": pl.String,
    "face_status": pl.String,  # registry FaceStatus value; null: no face
    "face_limit": pl.Int32,  # production shift
    "face_limit_maintenance": pl.Int32,
}

# Cards of the mine's leaders (LeadershipMember.card_code): a leader is never the mine's own flag.
LEADERS: Schema = {"mine_code": pl.String, "card_code": pl.String}

# Workers the roster marks as special operators, with every certificate on file (nulls: none).
OPERATORS: Schema = {"mine_code": pl.String, "card_code": pl.String, "issued": pl.Date, "expires": pl.Date}

# Fences drawn by inspectors: an area or a base station barred from `start` to `end` (null: open-ended).
FENCES: Schema = {
    "mine_code": pl.String,
    "fence": pl.String,  # its name, for the evidence
    "area_code": pl.String,
    "station_code": pl.String,
    "start": TIME,
    "end": TIME,
}


def _empty(schema: Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True, eq=False)
class Facts:
    status: pl.DataFrame = field(default_factory=lambda: _empty(STATUS))
    mines: pl.DataFrame = field(default_factory=lambda: _empty(MINES))
    shifts: pl.DataFrame = field(default_factory=lambda: _empty(SHIFTS))
    areas: pl.DataFrame = field(default_factory=lambda: _empty(AREAS))
    leaders: pl.DataFrame = field(default_factory=lambda: _empty(LEADERS))
    operators: pl.DataFrame = field(default_factory=lambda: _empty(OPERATORS))
    fences: pl.DataFrame = field(default_factory=lambda: _empty(FENCES))

    def __post_init__(self) -> None:
        for name, schema in SCHEMAS.items():
            frame = getattr(self, name)
            if dict(frame.schema) != schema:
                object.__setattr__(self, name, frame.select([pl.col(c).cast(t) for c, t in schema.items()]))


SCHEMAS: dict[str, Schema] = {"status": STATUS, "mines": MINES, "shifts": SHIFTS, "areas": AREAS,
                              "leaders": LEADERS, "operators": OPERATORS, "fences": FENCES}
DEFAULT_SHIFT_MINUTES = (0, 8 * 60, 16 * 60)  # 三八制


def shifts_of(facts: Facts, mines: pl.Series) -> pl.DataFrame:
    """SHIFTS for the given mines, the default 三八制 for those without rows."""
    have = facts.shifts.filter(pl.col("mine_code").is_in(mines.implode()))
    missing = mines.unique().filter(~mines.unique().is_in(have.get_column("mine_code").implode()))
    default = pl.DataFrame({"start_minute": list(DEFAULT_SHIFT_MINUTES)}, schema={"start_minute": pl.Int32})
    filled = missing.to_frame("mine_code").join(default, how="cross").with_columns(maintenance=pl.lit(False))
    return pl.concat([have, filled.select(list(SHIFTS))]).sort("mine_code", "start_minute")
