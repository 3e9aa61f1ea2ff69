"""Snapshots of people and registry facts built from a few arguments, for the personnel rules (E3: no files).

    snaps = [snapshot(at(8), crowd(21, area=1, down=at(7, 40)))]
    found = alarms(RULES, snaps, facts=facts(mines=[mine(limit=20)], areas=[area(1, face=True, face_limit=20)]))

`run` feeds the rules one batch per group of snapshots (state carried, optionally saved and loaded between
batches, as the pipeline does) and merges their episodes per (mine, subject, kind, start), the latest end,
peak and evidence winning. `day` builds a day of RYSS for many mines at once (the benchmark's input).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from kuangan.engine import facts as F
from kuangan.engine import schema
from kuangan.engine.facts import Facts
from kuangan.engine.rules.base import RuleInput
from kuangan.engine.settings import PersonnelSettings, Settings

from .factories import MINE, frame

T0 = datetime(2024, 6, 3)  # a midnight: 三八制 shifts start at T0, T0 + 8 h, T0 + 16 h
OTHER_MINE = "141129000002"
NORMAL, SOS = "正常", "求救"
OTHER, RESTRICTED = "其它区域", "限制区域"


def at(h: float = 0, m: float = 0, s: float = 0, *, day: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=h, minutes=m, seconds=s)


def card(n: int, mine: str = MINE) -> str:
    return f"{mine}{n:05d}"  # 17 characters for a 12-character mine code (FORMATS.md)


def area_code(n: int, mine: str = MINE) -> str:
    return f"{mine}{n:04d}"


def station_code(area: int, n: int = 1, mine: str = MINE) -> str:
    return f"{area_code(area, mine)}{n:06d}"


def person(n: int, *, down: datetime, area: int | None = 1, mine: str = MINE, flag: int = 1, state: str = NORMAL,
           station: int = 1, up: datetime | None = None, leader_flag: bool = False) -> dict[str, Any]:
    """Card `n` of the mine, underground (flag 1) since `down` in area `area` (None: no area code) at its
    station `station`."""
    return {
        "mine_code": mine, "card_code": card(n, mine), "name": f"工人{n}", "flag": flag, "time_down": down,
        "time_up": up, "area_code": area_code(area, mine) if area is not None else None, "area_entered": down,
        "station_code": station_code(area, station, mine) if area is not None else None,
        "station_reached": down, "shift_system": "三八制", "distance": 12.5, "state": state,
        "leader_flag": leader_flag, "special_flag": False, "track": "",
    }


def crowd(count: int, *, first: int = 1, **fields: Any) -> list[dict[str, Any]]:
    """`count` people with consecutive cards from `first`, the same other fields."""
    return [person(n, **fields) for n in range(first, first + count)]


@dataclass(frozen=True)
class Snapshot:
    t: datetime
    people: tuple[dict[str, Any], ...]
    mine: str = MINE


def snapshot(t: datetime, people: Iterable[dict[str, Any]] = (), mine: str = MINE) -> Snapshot:
    return Snapshot(t=t, people=tuple(people), mine=mine)


def every(start: datetime, end: datetime, people: Iterable[dict[str, Any]] = (), *, minutes: float = 5,
          mine: str = MINE) -> list[Snapshot]:
    """The same people in a snapshot every `minutes` from `start` up to and including `end`."""
    group, out, t = tuple(people), [], start
    while t <= end:
        out.append(Snapshot(t=t, people=group, mine=mine))
        t += timedelta(minutes=minutes)
    return out


# --- facts ----------------------------------------------------------------------------------------------------


def mine(code: str = MINE, *, limit: int | None = None, capacity: float = 90.0, severe: bool = False,
         certificates: bool = False) -> dict[str, Any]:
    return {"mine_code": code, "capacity": capacity, "disaster_severe": severe, "mine_limit": limit,
            "certificates_on_file": certificates}


def area(n: int, *, mine: str = MINE, kind: str = OTHER, headcount: int | None = None, face: bool = False,
         face_limit: int | None = None, maintenance_limit: int | None = None) -> dict[str, Any]:
    return {"mine_code": mine, "area_code": area_code(n, mine), "area_type": kind, "headcount": headcount,
            "declared_as": "face" if face else None, "face_status": "producing" if face else None,
            "face_limit": face_limit, "face_limit_maintenance": maintenance_limit}


def status(state: str, start: datetime, end: datetime | None = None, *, mine: str = MINE,
           suspended: bool = True) -> dict[str, Any]:
    return {"mine_code": mine, "start": start, "end": end, "status": state, "suspended": suspended}


def leader(n: int, mine: str = MINE) -> dict[str, Any]:
    return {"mine_code": mine, "card_code": card(n, mine)}


def operator(n: int, issued: date | None = None, expires: date | None = None, mine: str = MINE) -> dict[str, Any]:
    return {"mine_code": mine, "card_code": card(n, mine), "issued": issued, "expires": expires}


def fence(name: str, start: datetime, end: datetime | None = None, *, area: int | None = None,
          station: tuple[int, int] | None = None, mine: str = MINE) -> dict[str, Any]:
    """A fence over an area, or over a base station given as (area, station number)."""
    return {"mine_code": mine, "fence": name, "area_code": area_code(area, mine) if area is not None else None,
            "station_code": station_code(*station, mine=mine) if station is not None else None,
            "start": start, "end": end}


def shift(minute: int, maintenance: bool = False, mine: str = MINE) -> dict[str, Any]:
    return {"mine_code": mine, "start_minute": minute, "maintenance": maintenance}


def facts(*, mines: Sequence[dict[str, Any]] = (), status: Sequence[dict[str, Any]] = (),
          shifts: Sequence[dict[str, Any]] = (), areas: Sequence[dict[str, Any]] = (),
          leaders: Sequence[dict[str, Any]] = (), operators: Sequence[dict[str, Any]] = (),
          fences: Sequence[dict[str, Any]] = ()) -> Facts:
    return Facts(status=frame(status, F.STATUS), mines=frame(mines, F.MINES), shifts=frame(shifts, F.SHIFTS),
                 areas=frame(areas, F.AREAS), leaders=frame(leaders, F.LEADERS),
                 operators=frame(operators, F.OPERATORS), fences=frame(fences, F.FENCES))


def settings(**personnel: Any) -> Settings:
    return Settings(personnel=PersonnelSettings(**personnel))


# --- running the rules ----------------------------------------------------------------------------------------


def only(module: Any) -> list[tuple[str, Any]]:
    """One rule, as `run` and `alarms` take their rules."""
    return [(module.KIND, module)]


def rule_input(snapshots: Sequence[Snapshot], facts: Facts | None = None, settings: Settings | None = None
               ) -> RuleInput:
    """One batch holding these snapshots, sorted as the pipeline guarantees."""
    ordered = sorted(snapshots, key=lambda s: (s.mine, s.t))
    rows = [{**p, "mine_code": s.mine, "header_time": s.t} for s in ordered
            for p in sorted(s.people, key=lambda p: p["card_code"])]
    snaps = [{"mine_code": s.mine, "header_time": s.t, "people": len(s.people)} for s in ordered]
    return inputs(frame(rows, schema.POSITIONS), frame(snaps, schema.SNAPSHOTS), facts, settings)


def inputs(positions: pl.DataFrame, snapshots: pl.DataFrame, facts: Facts | None = None,
           settings: Settings | None = None) -> RuleInput:
    return RuleInput(readings=pl.DataFrame(), files=pl.DataFrame(schema=schema.FILES),
                     reports=pl.DataFrame(schema=schema.EVENTS),
                     outstation_status=pl.DataFrame(schema=schema.OUTSTATION_STATUS),
                     settings=settings or Settings(), positions=positions, snapshots=snapshots,
                     facts=facts or Facts())


def reloaded(state: Any) -> Any:
    """The state as saved between batches (Arrow IPC, as EngineState.to_bytes) and loaded again."""
    def again(frame: pl.DataFrame) -> pl.DataFrame:
        buf = io.BytesIO()
        frame.write_ipc(buf, compression="lz4")
        return pl.read_ipc(io.BytesIO(buf.getvalue()))

    return {name: again(f) for name, f in state.items()} if isinstance(state, dict) else again(state)


def run(rules: Sequence[tuple[str, Any]], batches: Sequence[Sequence[Snapshot]], *, facts: Facts | None = None,
        settings: Settings | None = None, reload: bool = False, states: dict[str, Any] | None = None
        ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rules over the batches in order: the alarms (merged episodes) and each rule's state after the last."""
    states = dict(states) if states else {name: module.empty_state() for name, module in rules}
    frames = []
    for snaps in batches:
        batch = rule_input(snaps, facts, settings)
        for name, module in rules:
            state, eps = module.evaluate(states[name], batch, max((s.t for s in snaps), default=T0))
            states[name] = reloaded(state) if reload else state
            frames.append(eps)
    return merged(frames), states


def merged(frames: Sequence[pl.DataFrame]) -> list[dict[str, Any]]:
    """One row per (mine, subject, kind, start): the latest end, peak and evidence."""
    if not frames:
        return []
    return (pl.concat(frames)
            .group_by("mine_code", "point_code", "kind", "start", maintain_order=True)
            .agg(pl.col("end").last(), pl.col("peak").last(), pl.col("evidence").last())
            .sort("start", "mine_code", "point_code", "kind", nulls_last=False)
            .to_dicts())


def alarms(rules: Sequence[tuple[str, Any]], snapshots: Sequence[Snapshot], **kw: Any) -> list[dict[str, Any]]:
    """The rules over the snapshots as one batch."""
    return run(rules, [snapshots], **kw)[0]


def one_by_one(snapshots: Sequence[Snapshot]) -> list[list[Snapshot]]:
    """A batch per snapshot time (each mine's snapshot of that time), as live ingestion sees them."""
    times = sorted({s.t for s in snapshots})
    return [[s for s in snapshots if s.t == t] for t in times]


# --- a day of many mines, built with Polars (the benchmark's 8.6 M rows) --------------------------------------


def day(mines: int = 100, people: int = 300, *, minutes: int = 5, start: datetime = T0,
        changeover: timedelta = timedelta(minutes=30)) -> tuple[pl.DataFrame, pl.DataFrame, Facts]:
    """A day of RYSS snapshots every `minutes` for `mines` mines with `people` rows each, 三八制: the people
    of the shift in force are underground; in a shift's first `changeover` half of them are still the
    previous shift's. Ten areas per mine, two of them faces, three leaders and some operators on file, a
    fence. Positions and snapshots are sorted as the pipeline guarantees."""
    codes = pl.DataFrame({"mine_code": [f"1411290{m:05d}" for m in range(mines)]})
    times = pl.DataFrame({"header_time": pl.datetime_range(
        start, start + timedelta(days=1) - timedelta(minutes=minutes), timedelta(minutes=minutes), eager=True)})
    slots = pl.DataFrame({"slot": pl.arange(0, people, eager=True).cast(pl.Int64)})
    shift_start = pl.col("header_time").dt.truncate("8h")
    previous = (pl.col("header_time") - shift_start < pl.lit(changeover)) & (pl.col("slot") >= people // 2)
    own_start = pl.when(previous).then(shift_start - pl.duration(hours=8)).otherwise(shift_start)
    index = pl.col("header_time").dt.hour().cast(pl.Int64) // 8
    number = pl.when(previous).then((index + 2) % 3).otherwise(index) * people + pl.col("slot")
    area_n = (pl.col("slot") % 10 + 1).cast(pl.String).str.zfill(4)
    positions = (
        codes.join(times, how="cross").join(slots, how="cross")
        .with_columns(_start=own_start, _n=number)
        .select(
            pl.lit(0, pl.UInt32).alias("file_id"), "mine_code",
            card_code=pl.col("mine_code") + pl.col("_n").cast(pl.String).str.zfill(5),
            name=pl.lit("工人"), flag=pl.lit(1, pl.Int8),
            time_down=pl.col("_start") - pl.duration(minutes=30) + pl.duration(minutes=pl.col("slot") % 25),
            time_up=pl.lit(None, schema.TIME), area_code=pl.col("mine_code") + area_n, area_entered="_start",
            station_code=pl.col("mine_code") + area_n + pl.lit("000001"), station_reached="_start",
            shift_system=pl.lit("三八制"), distance=pl.lit(3.0), state=pl.lit(NORMAL),
            leader_flag=pl.lit(False), special_flag=pl.lit(False), track=pl.lit(""), header_time="header_time",
        )
        .sort("mine_code", "header_time", "card_code")
    )
    snapshots = codes.join(times, how="cross").select(
        pl.lit(0, pl.UInt32).alias("file_id"), "mine_code", "header_time", people=pl.lit(people, pl.UInt32))
    mine_codes = codes.get_column("mine_code").to_list()
    known = facts(
        mines=[mine(m, limit=people + 100, certificates=True) for m in mine_codes],
        areas=[area(n, mine=m, headcount=people, face=n <= 2, face_limit=people // 5 if n <= 2 else None)
               for m in mine_codes for n in range(1, 11)],
        leaders=[leader(n * people + 1, m) for m in mine_codes for n in range(3)],
        operators=[operator(n, date(2020, 1, 1), date(2030, 1, 1), m) for m in mine_codes for n in range(2, 40)],
        fences=[fence("旧采空区", start, area=99, mine=m) for m in mine_codes],
    )
    return positions.select(list(schema.POSITIONS)), snapshots.select(list(schema.SNAPSHOTS)), known
