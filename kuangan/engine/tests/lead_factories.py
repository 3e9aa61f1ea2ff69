"""Test doubles for the lead rules (engine.rules.leads): registry facts, YDSJ, DZFT, RYSS and LJ counter
rows built from a few arguments, cut into batches by header time and run through one rule; and each rule's
crafted days (power while suspended, a counter over capacity, seal sightings, work in an undeclared area)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl

from kuangan.engine import facts as F
from kuangan.engine import schema
from kuangan.engine.pipeline import SEEN, EngineState, merge_episodes, prepare
from kuangan.engine.rules import (
    hidden_working_face,
    over_capacity,
    power_use_while_suspended,
    seal_activity_while_suspended,
)
from kuangan.engine.rules.base import RuleInput
from kuangan.engine.settings import Settings

from .factories import LAG, MINE, batch, code, frame

OTHER = "141129000002"
DAY0 = date(2024, 6, 1)
SUSPENDED, PRODUCING = "suspended_for_rectification", "producing"


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def moment(n: int, hours: float = 0.0) -> datetime:
    """Day n at the given hour (engine time: naive Beijing)."""
    return datetime.combine(day(n), time()) + timedelta(hours=hours)


# --- facts ------------------------------------------------------------------------------------------------


def status(mine: str, *changes: tuple[date, str]) -> list[dict[str, Any]]:
    """STATUS rows: each status from the start of its day to the next change's."""
    rows = []
    for i, (d, s) in enumerate(changes):
        end = datetime.combine(changes[i + 1][0], time()) if i + 1 < len(changes) else None
        rows.append({"mine_code": mine, "start": datetime.combine(d, time()), "end": end, "status": s,
                     "suspended": s != PRODUCING})
    return rows


def area(code_: str, declared_as: str | None = None, face_status: str | None = None,
         mine: str = MINE) -> dict[str, Any]:
    return {"mine_code": mine, "area_code": code_, "area_type": "重点区域", "declared_as": declared_as,
            "face_status": face_status}


def facts(*, status_rows: Sequence[dict[str, Any]] = (), capacity: dict[str, float] | None = None,
          areas: Sequence[dict[str, Any]] = ()) -> F.Facts:
    mines = [{"mine_code": m, "capacity": c} for m, c in (capacity or {}).items()]
    return F.Facts(status=frame(status_rows, F.STATUS), mines=frame(mines, F.MINES), areas=frame(areas, F.AREAS))


# --- input rows ---------------------------------------------------------------------------------------------


def power(meter: str, start: datetime, kwh: Sequence[float], *, minutes: int = 60, mine: str = MINE
          ) -> list[dict[str, Any]]:
    """Consecutive intervals of a meter from `start`, `minutes` long, with the given kWh each."""
    step = timedelta(minutes=minutes)
    return [{"mine_code": mine, "meter_code": meter, "start": start + i * step, "end": start + (i + 1) * step,
             "kwh": float(k), "header_time": start + (i + 1) * step + LAG} for i, k in enumerate(kwh)]


def power_day(meter: str, n: int, kwh: float, *, mine: str = MINE) -> list[dict[str, Any]]:
    """Day n of a meter: 24 hourly intervals adding up to `kwh`."""
    return power(meter, moment(n), [kwh / 24] * 24, mine=mine)


def sighting(seal: str, at: datetime, people: int = 1, vehicles: int = 0, event: str = "人员靠近",
             mine: str = MINE) -> dict[str, Any]:
    return {"mine_code": mine, "seal_code": seal, "place": "主斜井井口密闭", "event": event, "data_time": at,
            "people": people, "vehicles": vehicles, "header_time": at + LAG}


def card(n: int, mine: str = MINE) -> str:
    return f"{mine}{n:05d}"


def area_code(n: int, mine: str = MINE) -> str:
    return f"{mine}{n:04d}"


def snapshots(start: datetime, end: datetime, people: dict[str, str], *, every: timedelta = timedelta(minutes=5),
              mine: str = MINE) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """RYSS snapshots from `start` to `end` (both included) with each card in its area (underground);
    returns (positions, snapshots)."""
    pos, snaps, t = [], [], start
    while t <= end:
        snaps.append({"mine_code": mine, "header_time": t, "people": len(people)})
        pos += [{"mine_code": mine, "card_code": c, "flag": 1, "area_code": a, "header_time": t}
                for c, a in people.items()]
        t += every
    return pos, snaps


OUTPUT = code("3001", 7, "LJ")


def counter_definition(point: str = OUTPUT, unit: str | None = "t") -> dict[str, Any]:
    return {"mine_code": point[:-16], "point_code": point, "sensor_type": point[-12:-8],
            "value_type": point[-14:-12], "unit": unit, "location": "主井皮带秤", "header_time": moment(-40),
            "defined_at": moment(-60)}


def count(point: str, at: datetime, value: float) -> dict[str, Any]:
    return {"mine_code": point[:-16], "point_code": point, "value": float(value), "status": 0, "data_time": at,
            "header_time": at + LAG}


# --- batches ------------------------------------------------------------------------------------------------


@dataclass
class Records:
    power: list[dict[str, Any]] = field(default_factory=list)
    seals: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    readings: list[dict[str, Any]] = field(default_factory=list)
    definitions: list[dict[str, Any]] = field(default_factory=list)

    def __add__(self, other: Records) -> Records:
        return Records(*(getattr(self, n) + getattr(other, n) for n in NAMES))


NAMES = ("power", "seals", "positions", "snapshots", "readings", "definitions")


def inputs(records: Records, the_facts: F.Facts, *, cuts: Sequence[datetime] = (),
           settings: Settings | None = None) -> list[RuleInput]:
    """The records as batches cut at the given header times (as live ingestion sees them), each prepared
    like the pipeline prepares it (CDSS readings joined to their definitions in force)."""
    settings = settings or Settings()
    bounds = [datetime.min, *sorted(cuts), datetime.max]
    defs = pl.DataFrame(schema=schema.DEFINITIONS)
    out = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        part = {n: sorted([r for r in getattr(records, n) if lo <= r["header_time"] < hi],
                          key=lambda r: (r["mine_code"], r["header_time"])) for n in NAMES}
        parsed = batch(readings=part["readings"], definitions=part["definitions"])
        prepared = prepare(EngineState(definitions=defs, seen=pl.DataFrame(schema=SEEN)), parsed, settings)
        defs = prepared.latest
        out.append(RuleInput(
            readings=prepared.readings, files=parsed.files, reports=parsed.events,
            outstation_status=prepared.status, settings=settings,
            positions=frame(part["positions"], schema.POSITIONS), snapshots=frame(part["snapshots"], schema.SNAPSHOTS),
            power=frame(part["power"], schema.POWER), seals=frame(part["seals"], schema.SEALS),
            facts=the_facts, definitions=defs,
        ))
    return out


def saved(state: Any) -> Any:
    """The state through Arrow IPC and back, as the platform saves it between batches."""
    def again(df: pl.DataFrame) -> pl.DataFrame:
        buf = io.BytesIO()
        df.write_ipc(buf, compression="lz4")
        return pl.read_ipc(io.BytesIO(buf.getvalue()))

    return {k: again(v) for k, v in state.items()} if isinstance(state, dict) else again(state)


@dataclass(frozen=True)
class Run:
    state: Any
    leads: list[tuple[Any, ...]]  # (point_code, start, end, peak) merged over the batches
    evidence: list[dict[str, Any]]  # the evidence of each lead, as raised


def run(module: Any, batches: Sequence[RuleInput], now: datetime | None = None) -> Run:
    """The batches through one rule in order (the state saved and loaded in between)."""
    import json

    state, frames = module.empty_state(), []
    for b in batches:
        state, episodes = module.evaluate(state, b, now or datetime(2030, 1, 1))
        assert set(episodes.get_column("kind").unique()) <= {module.KIND}
        state = saved(state)
        frames.append(episodes)
    merged = merge_episodes(frames)
    return Run(
        state=state,
        leads=[(r["point_code"], r["start"], r["end"], r["peak"]) for r in merged.iter_rows(named=True)],
        evidence=[json.loads(e) for e in merged.get_column("evidence")],
    )


def with_personnel(settings: Settings | None = None, **values: Any) -> Settings:
    settings = settings or Settings()
    return replace(settings, personnel=replace(settings.personnel, **values))


# --- each rule's crafted days -------------------------------------------------------------------------

METER, METER_2 = f"{MINE}M001", f"{MINE}M002"
SEAL, SEAL_2 = f"{MINE}S01", f"{MINE}S02"


BASE_DAYS = 10  # producing days 0-9 at 1000 kWh a day (two meters of 500), suspended from day 10


def power_records(suspended_days: list[float], *, producing_days: int = BASE_DAYS, per_day: float = 1000.0
                  ) -> Records:
    rows = []
    for n in range(producing_days):
        rows += power_day(METER, n, per_day / 2) + power_day(METER_2, n, per_day / 2)
    for i, kwh in enumerate(suspended_days):
        rows += power_day(METER, producing_days + i, kwh)
    return Records(power=rows)


def leads_status(mine: str, n: int):
    """Producing until day n, suspended from it."""
    return status(mine, (day(-100), PRODUCING), (day(n), SUSPENDED))


def suspended_from(n: int, mine: str = MINE):
    return facts(status_rows=leads_status(mine, n))


def power_leads(records: Records, *, suspended_on: int = BASE_DAYS, status_rows=None, cuts=(), settings=None):
    """The power rule over the records, the mine producing until `suspended_on` (or as `status_rows` say)."""
    the_facts = facts(status_rows=status_rows or leads_status(MINE, suspended_on))
    return run(power_use_while_suspended, inputs(records, the_facts, cuts=cuts, settings=settings))


CAPACITY = 120.0  # 万t/a: 1,200,000 t; a month over 120,000 t, a year at 1,320,000 t


def counter(values: list[tuple[datetime, float]], point: str = OUTPUT, **definition: Any) -> Records:
    """A counter's readings, and its definition (the fields given replacing counter_definition's)."""
    return Records(readings=[count(point, t, v) for t, v in values],
                   definitions=[{**counter_definition(point), **definition}])


def capacity_leads(records: Records, *, cuts=(), settings=None):
    return run(over_capacity, inputs(records, facts(capacity={MINE: CAPACITY}), cuts=cuts, settings=settings))


def june(d: int, h: float = 12) -> datetime:
    return moment(d - 1, h)


def seal_leads(rows, the_facts=None, cuts=()):
    return run(seal_activity_while_suspended,
               inputs(Records(seals=rows), the_facts or suspended_from(0), cuts=cuts))


AREA = area_code(1)  # undeclared unless the facts say otherwise
ELSEWHERE = area_code(2)  # a declared roadway


def work_day(n: int, people: int = 3, hours: float = 4.0, where: str = AREA) -> Records:
    """Day n: `people` cards in the area from 08:00 for `hours` (snapshots every 5 minutes, and one at the
    exact end), then everyone in the declared roadway until 16:00."""
    start, end = moment(n, 8), moment(n, 8 + hours)
    crew = {card(i): where for i in range(1, people + 1)}
    pos, snaps = snapshots(start, end - timedelta(microseconds=1), crew)
    last_pos, last_snaps = snapshots(end, end, crew)
    away_pos, away_snaps = snapshots(end + timedelta(minutes=5), moment(n, 16), dict.fromkeys(crew, ELSEWHERE))
    return Records(positions=pos + last_pos + away_pos, snapshots=snaps + last_snaps + away_snaps)


def quiet_day(n: int) -> Records:
    """An empty snapshot at noon: the mine's data reaches day n."""
    pos, snaps = snapshots(moment(n, 12), moment(n, 12), {})
    return Records(positions=pos, snapshots=snaps)


def area_facts(declared_as=None, face_status=None, area_type="重点区域"):
    return facts(areas=[{**area(AREA, declared_as, face_status), "area_type": area_type}, area(ELSEWHERE, "roadway")])


def hidden_leads(records: Records, the_facts=None, cuts=(), settings=None):
    return run(hidden_working_face, inputs(records, the_facts or area_facts(), cuts=cuts, settings=settings))


def days_of_work(*days: int, **kw) -> Records:
    out = Records()
    for n in days:
        out = out + work_day(n, **kw)
    return out


def mixed_records() -> Records:
    """A fortnight with something for every rule: work in an undeclared area, power while suspended,
    seal sightings, an output counter going over its month."""
    records = power_records([300.0, 301.0, 100.0, 800.0]) + days_of_work(10, 11, 13) + quiet_day(14)
    records = records + Records(seals=[sighting(SEAL, moment(11, h)) for h in (1, 1.5, 3, 3.5, 6)])
    return records + counter([(moment(9, 12), 0.0), (moment(10, 12), 60_000.0), (moment(11, 9), 30_000.0),
                              (moment(12, 23), 100_000.0), (moment(13, 12), 100_010.0)])


MIXED = mixed_records()
MIXED_FACTS = facts(status_rows=leads_status(MINE, 10), capacity={MINE: CAPACITY},
                    areas=[area(ELSEWHERE, "roadway")])
