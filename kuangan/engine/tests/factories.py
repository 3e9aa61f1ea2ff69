"""Test doubles for the engine: parsed batches built from a few rows, no files (E3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from kuangan.engine import schema
from kuangan.engine.checkpoints import MemoryCheckpoints
from kuangan.engine.formats import ParsedBatch
from kuangan.engine.pipeline import RECORD_TABLES, RECORD_TIMES

MINE = "141129000001"
T0 = datetime(2024, 6, 1, 8, 0, 0)
LAG = timedelta(seconds=5)  # header (upload) time after data time


def code(sensor: str = "0001", n: int = 1, value_type: str = "MN", mine: str = MINE) -> str:
    return f"{mine}01{value_type}{sensor}{n:08d}"


CH4 = code("0001", 1)
CO = code("0004", 2)
O2 = code("0012", 3)
SWITCH = code("1009", 4, "KG")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def frame(rows: Iterable[dict[str, Any]], columns: dict[str, Any]) -> pl.DataFrame:
    rows = list(rows)
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in columns}, schema=columns)


def definition(point: str, **fields: Any) -> dict[str, Any]:
    base = {
        "mine_code": point[:-16],
        "point_code": point,
        "system_code": "01",
        "outstation_code": point[:-16] + "00001",
        "sensor_type": point[-12:-8],
        "value_type": point[-14:-12],
        "location": "1101综采工作面上隅角",
        "header_time": T0 - timedelta(hours=1),
        "defined_at": T0 - timedelta(days=30),
    }
    return {**base, **fields}


METHANE_FACE = definition(
    CH4,
    unit="%",
    range_low=0.0,
    range_high=4.0,
    upper_alarm=1.0,
    upper_alarm_clear=0.8,
    upper_power_off=1.5,
    upper_power_restore=1.0,
    relations=f"D-{SWITCH}",
)


def readings(
    point: str,
    values: Sequence[float],
    *,
    start: float = 0,
    period: float = 30,
    status: Sequence[int] | int = 0,
) -> list[dict[str, Any]]:
    statuses = list(status) if not isinstance(status, int) else [status] * len(values)
    return [
        {
            "mine_code": point[:-16],
            "point_code": point,
            "value": float(v),
            "status": s,
            "data_time": at(start + i * period),
            "header_time": at(start + i * period) + LAG,
        }
        for i, (v, s) in enumerate(zip(values, statuses, strict=True))
    ]


def batch(
    *,
    readings: Sequence[dict[str, Any]] = (),
    definitions: Sequence[dict[str, Any]] = (),
    events: Sequence[dict[str, Any]] = (),
    outstation_status: Sequence[dict[str, Any]] = (),
    files: Sequence[dict[str, Any]] = (),
) -> ParsedBatch:
    """Files: the ones given, plus one accepted CDSS file per (mine, header time) of the readings, one
    YCBJ file per (mine, header time) of the events and one FZSS per outstation status time."""
    derived = [
        {"mine_code": r["mine_code"], "file_type": "CDSS", "header_time": r["header_time"]} for r in readings
    ]
    derived += [
        {"mine_code": e["mine_code"], "file_type": "YCBJ", "header_time": e["header_time"]} for e in events
    ]
    derived += [
        {"mine_code": s["mine_code"], "file_type": "FZSS", "header_time": s["header_time"]}
        for s in outstation_status
    ]
    unique = list(
        {(f["mine_code"], f["file_type"], f["header_time"]): f for f in [*derived, *files]}.values()
    )
    file_rows = [
        {**f, "status": "accepted", "family": "A", "file_id": i, "name": f"{f['mine_code']}_{f['file_type']}"}
        for i, f in enumerate(unique)
    ]
    return ParsedBatch(
        files=frame(file_rows, schema.FILES),
        definitions=frame(definitions, schema.DEFINITIONS),
        readings=frame(readings, schema.READINGS),
        outstations=frame([], schema.OUTSTATIONS),
        outstation_status=frame(outstation_status, schema.OUTSTATION_STATUS),
        statistics=frame([], schema.STATISTICS),
        events=frame(events, schema.EVENTS),
        rejects=frame([], schema.REJECTS),
    )


def report(
    point: str, start: datetime, end: datetime | None, header_time: datetime, event_type: str = "001"
) -> dict[str, Any]:
    return {
        "mine_code": point[:-16],
        "point_code": point,
        "event_type": event_type,
        "start": start,
        "end": end,
        "header_time": header_time,
        "data_time": header_time,
    }


def split(parsed: ParsedBatch, cuts: Sequence[datetime]) -> list[ParsedBatch]:
    """The same input as several batches, cut at the given header times (as live ingestion would see it)."""
    bounds = [datetime.min, *sorted(cuts), datetime.max]
    out = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):

        def part(df: pl.DataFrame, lo: datetime = lo, hi: datetime = hi) -> pl.DataFrame:
            return df.filter((pl.col("header_time") >= lo) & (pl.col("header_time") < hi))

        out.append(
            ParsedBatch(
                files=part(parsed.files),
                definitions=part(parsed.definitions),
                readings=part(parsed.readings),
                outstations=parsed.outstations.clear(),
                outstation_status=part(parsed.outstation_status),
                statistics=parsed.statistics.clear(),
                events=part(parsed.events),
                rejects=parsed.rejects.clear(),
            )
        )
    return out


def take(parsed: ParsedBatch, header_times: Sequence[datetime]) -> ParsedBatch:
    """The files of `parsed` with these header times (a file is its header time here)."""
    wanted = pl.Series(list(header_times), dtype=schema.TIME).implode()

    def part(df: pl.DataFrame) -> pl.DataFrame:
        return df.filter(pl.col("header_time").is_in(wanted))

    return ParsedBatch(
        files=part(parsed.files), definitions=part(parsed.definitions), readings=part(parsed.readings),
        outstations=parsed.outstations.clear(), outstation_status=part(parsed.outstation_status),
        statistics=parsed.statistics.clear(), events=part(parsed.events), rejects=parsed.rejects.clear(),
        positions=part(parsed.positions), snapshots=part(parsed.snapshots), people=part(parsed.people),
        areas=part(parsed.areas),
    )


class MemoryHistory(MemoryCheckpoints):
    """The store and checkpoints the engine asks for late data, kept in memory as the platform keeps them
    on disk and in its database (kuangan.monitoring.ingest)."""

    def __init__(self) -> None:
        from kuangan.engine.pipeline import Records

        super().__init__()
        self.records = Records.empty()

    def stored(self, mine_code: str, since: datetime | None, until: datetime | None = None,
               tables: tuple[str, ...] = RECORD_TABLES) -> Any:
        from kuangan.engine.pipeline import Records

        mine = self.records.of_mine(mine_code)

        def window(df: pl.DataFrame, column: str) -> pl.DataFrame:
            if since is not None:
                df = df.filter(pl.col(column) > since)
            return df.filter(pl.col(column) <= until) if until is not None else df

        return Records(**{name: getattr(mine, name).clear() if name not in tables
                          else getattr(mine, name) if name == "definitions"
                          else window(getattr(mine, name), RECORD_TIMES[name]) for name in RECORD_TABLES})

    def commit(self, result: Any) -> None:
        from kuangan.engine.pipeline import Records

        self.records = Records.concat([self.records, result.stored])
        self.keep(result)


# --- personnel-positioning files (RYSS), for parser tests and the parse benchmark --------------------------


def ryss_record(mine: str, person: int, at: datetime, *, area: int = 1, flag: int = 1, track: bool = True) -> str:
    """One RYSS record (15 fields, FORMATS.md) of card `<mine><person:05d>` seen at `at`: down two hours
    earlier, in area `<mine><area:04d>` at its first station; the track has two items (or is empty)."""
    card, area_code = f"{mine}{person:05d}", f"{mine}{area:04d}"
    station = f"{area_code}{person % 7 + 1:06d}"

    def clock(minutes: int) -> str:
        return (at - timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")

    up = clock(1) if flag == 2 else ""
    items = f"{area_code}000001&{clock(60)},{station}&{clock(person % 50 + 2)}" if track else ""
    return ";".join([card, f"工人{person}", str(flag), clock(120), up, area_code, clock(90), station,
                     clock(person % 50 + 2), "三八制", f"{person % 40 - 20}.5", "正常", str(int(person % 50 == 0)),
                     str(int(person % 3 == 0)), items])  # fmt: skip


def ryss_body(mine: str, people: int, at: datetime, *, areas: int = 10) -> bytes:
    """A whole RYSS file (`HDR~R1~…~||`, CRLF after each `~`) of `people` underground at `at` (header time
    `at` + 5 s): a reusable snapshot for tests and benchmarks. Every third person has an empty track."""
    header = f"{mine};测试煤矿;{(at + LAG).strftime('%Y-%m-%d %H:%M:%S')}"
    records = [ryss_record(mine, p, at, area=p % areas + 1, track=p % 3 != 0) for p in range(1, people + 1)]
    return ("".join(f"{s}~\r\n" for s in [header, *records]) + "||").encode()


def ryss_name(mine: str, at: datetime) -> str:
    return f"{mine}_RYSS_{(at + LAG):%Y%m%d%H%M%S}.txt"
