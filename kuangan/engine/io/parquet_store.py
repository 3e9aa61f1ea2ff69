"""What the mines sent, stored once, in Parquet partitioned by date and mine; read with DuckDB and Polars.

    <root>/readings/date=2024-06-01/mine=140000000001/part-<batch id>.parquet   (CDSS, by data time)
    <root>/status/date=2024-06-01/part-<batch id>.parquet       (FZSS of every mine of the batch, by data time)
    <root>/events/date=…/part-<batch id>.parquet                (YCBJ, by header time)
    <root>/definitions/date=…/part-<batch id>.parquet           (CDDY, by header time)
    <root>/stats5m/date=2024-06-01/part-<batch id>.parquet      (5-minute statistics of every mine of the batch)
    <root>/positions/date=…/mine=…/part-<batch id>.parquet      (RYSS rows, by snapshot time)
    <root>/snapshots/, stations/, power/, seals/ date=…/part-<batch id>.parquet   (RYSS snapshots, JZSS, YDSJ, DZFT)

Readings and positions, the bulk, are one file per (batch, date, mine), never one per upload; the smaller tables one per
(batch, date), the mine code a column (a file per mine would be 20 more small files a batch for a few hundred
rows). Each table is written by one partitioned Polars sink (a Python loop writing one file per mine took
131 ms for a batch of 100 mines, the sink 66-87 ms).

Exactly once (docs/architecture.md): a batch is written under `<root>/.staging/<batch id>/`, which no reader
looks at; the caller commits the batch's database rows together with a record of its files, and only then
moves them into place (`place`). At the next batch the caller sweeps the staging folder: a batch with its
record committed is placed, any other is an orphan of a batch that never committed and is removed
(`sweep`). So the files in place are exactly those of committed batches, and each record was stored by
one of them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from polars.io.partition import FileProviderArgs

from ..pipeline import RECORD_SCHEMAS, RECORD_TABLES, RECORD_TIMES, Records
from ..schema import Schema

STAT_EVERY = "5m"
STAGING = ".staging"
# table folder → (Records field, its schema, the time that dates it)
FOLDERS = {"readings": "readings", "status": "outstation_status", "events": "events",
           "definitions": "definitions", "positions": "positions", "snapshots": "snapshots",
           "stations": "station_status", "power": "power", "seals": "seals"}
TABLES: dict[str, tuple[str, Schema, str]] = {
    folder: (name, RECORD_SCHEMAS[name], RECORD_TIMES[name]) for folder, name in FOLDERS.items()}
BY_MINE = frozenset({"readings", "positions"})  # the bulk: a folder per mine
READING_COLUMNS = ["mine_code", "point_code", "data_time", "value", "status", "header_time"]


class ParquetStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def stage(self, records: Records, batch_id: str) -> list[str]:
        """Write a batch's records (each once: the engine decided which are new) and the 5-minute statistics
        of its readings under the staging folder; returns the files' paths as they will be placed."""
        staging = self.root / STAGING / batch_id
        parts: list[str] = []
        for table, (name, schema, dated_by) in TABLES.items():
            frame = getattr(records, name)
            if frame.is_empty():
                continue
            columns = READING_COLUMNS if table == "readings" else [c for c in schema if c != "file_id"]
            rows = frame.lazy().select(columns).with_columns(date=pl.col(dated_by).dt.date())
            keys = {"date": "date", "mine_code": "mine"} if table in BY_MINE else {"date": "date"}
            parts += [f"{table}/{p}" for p in _sink(rows, staging / table, keys, batch_id)]
        if not records.readings.is_empty():
            # a bucket lies within one day: its date is no key of the grouping; grouped as the sink writes
            stats = (
                records.readings.lazy()
                .group_by("mine_code", "point_code", bucket=pl.col("data_time").dt.truncate(STAT_EVERY))
                .agg(n=pl.len(), min=pl.col("value").min(), max=pl.col("value").max(), sum=pl.col("value").sum())
                .with_columns(date=pl.col("bucket").dt.date())
            )
            parts += [f"stats5m/{p}" for p in _sink(stats, staging / "stats5m", {"date": "date"}, batch_id)]
        return parts

    def place(self, batch_id: str, parts: Iterable[str]) -> None:
        """Move a committed batch's files into place (again after a crash: a file in place is kept)."""
        staging = self.root / STAGING / batch_id
        for part in parts:
            target = self.root / part
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(staging / part, target)
            except FileNotFoundError:
                if not target.exists():
                    raise
        shutil.rmtree(staging, ignore_errors=True)

    def discard(self, batch_id: str) -> None:
        shutil.rmtree(self.root / STAGING / batch_id, ignore_errors=True)

    def sweep(self, committed: Callable[[list[str]], dict[str, list[str]]]) -> tuple[list[str], int]:
        """Finish or remove what earlier batches left in staging; `committed(ids)` gives the files of those
        whose record was committed. Returns (the batches placed, how many were removed)."""
        folder = self.root / STAGING
        ids = sorted(os.listdir(folder)) if folder.is_dir() else []
        if not ids:
            return [], 0
        done = committed(ids)
        for batch_id in ids:
            if batch_id in done:
                self.place(batch_id, done[batch_id])
            else:
                self.discard(batch_id)
        return sorted(done), len(ids) - len(done)

    def records(self, mine_code: str, since: datetime | None, until: datetime | None = None,
                tables: tuple[str, ...] = RECORD_TABLES) -> Records:
        """A mine's stored records of `tables` (the others empty) with a time after `since` and at or before
        `until` (None: no bound); its definitions whatever their time. Each record once (a table may hold a
        re-sent event twice)."""
        out = {}
        for table, (name, schema, dated_by) in TABLES.items():
            files = (self._mine_files(table, mine_code, None if table == "definitions" else since, until)
                     if name in tables else [])
            if not files:
                out[name] = pl.DataFrame(schema=schema)
                continue
            lf = pl.scan_parquet(files)
            if table not in BY_MINE:  # the other tables keep every mine of a batch in one file
                lf = lf.filter(pl.col("mine_code") == mine_code)
            if table != "definitions":
                if since is not None:
                    lf = lf.filter(pl.col(dated_by) > since)
                if until is not None:
                    lf = lf.filter(pl.col(dated_by) <= until)
            frame = lf.with_columns(pl.lit(mine_code).alias("mine_code"), pl.lit(0, pl.UInt32).alias("file_id"))
            frame = frame.select([pl.col(c).cast(t) if c in frame.collect_schema() else pl.lit(None, t).alias(c)
                                  for c, t in schema.items()])
            out[name] = frame.unique(maintain_order=True).sort(dated_by, maintain_order=True).collect()
        return Records(**out)

    def _mine_files(self, table: str, mine_code: str, since: datetime | None, until: datetime | None) -> list[str]:
        folder = self.root / table
        if not folder.is_dir():
            return []
        first = since.date() if since is not None else None
        last = until.date() if until is not None else None
        out: list[str] = []
        for entry in sorted(os.listdir(folder)):
            if not entry.startswith("date="):
                continue
            day = datetime.strptime(entry[5:], "%Y-%m-%d").date()
            if (first is not None and day < first) or (last is not None and day > last):
                continue
            mine = folder / entry / f"mine={mine_code}" if table in BY_MINE else folder / entry
            if mine.is_dir():
                out += [str(p) for p in sorted(mine.glob("part-*.parquet"))]
        return out

    def _files(self, table: str, mine_code: str | None, start: datetime, end: datetime) -> list[str]:
        """The files of a table for the days from start to end (of one mine, for the readings)."""
        days = [start.date() + timedelta(days=i) for i in range((end.date() - start.date()).days + 1)]
        out: list[str] = []
        for day in days:
            folder = self.root / table / f"date={day}"
            if mine_code is not None:
                folder = folder / f"mine={mine_code}"
            if folder.is_dir():
                out += [str(p) for p in sorted(folder.glob("part-*.parquet"))]
        return out

    def point_series(self, mine_code: str, point_code: str, start: datetime, end: datetime,
                     *, max_rows: int = 2000) -> pl.DataFrame:
        """(time, value, status) of one point between two naive Beijing times; 5-minute statistics
        (time, min, max, avg) instead when the raw series would be longer than `max_rows`."""
        files = self._files("readings", mine_code, start, end)
        if not files:
            return pl.DataFrame(schema={"time": pl.Datetime("us"), "value": pl.Float64, "status": pl.Int32})
        con = duckdb.connect()
        try:
            raw = _frame(con.sql(
                "SELECT data_time AS time, value, status FROM read_parquet(?) "
                "WHERE point_code = ? AND data_time BETWEEN ? AND ? ORDER BY time",
                params=[files, point_code, start, end],
            ))
            if raw.height <= max_rows:
                return raw
            stats = self._files("stats5m", None, start, end)
            return _frame(con.sql(
                "SELECT bucket AS time, min(min) AS min, max(max) AS max, sum(sum) / sum(n) AS value "
                "FROM read_parquet(?) WHERE mine_code = ? AND point_code = ? AND bucket BETWEEN ? AND ? "
                "GROUP BY bucket ORDER BY bucket",
                params=[stats, mine_code, point_code, start, end],
            ))
        finally:
            con.close()


def _sink(frame: pl.LazyFrame, folder: Path, keys: dict[str, str], batch_id: str) -> list[str]:
    """`<folder>/<name>=<value>/…/part-<batch id>.parquet` for each value of the key columns (named in the
    path by `keys`), all written by one sink (the folder is a staging one: no temporary names needed).
    Returns the files' paths relative to `folder`."""
    written: list[str] = []

    def path(args: FileProviderArgs) -> str:
        parts = [f"{name}={value}" for name, value in zip(keys.values(), args.partition_keys.row(0), strict=True)]
        suffix = f"-{args.index_in_partition}" if args.index_in_partition else ""
        name = "/".join([*parts, f"part-{batch_id}{suffix}.parquet"])
        written.append(name)  # the sink may ask from several threads: no written[-1]
        return name

    frame.sink_parquet(
        pl.PartitionBy(folder, key=list(keys), include_key=False, file_path_provider=path,
                       approximate_bytes_per_file=None),
        compression="zstd", statistics=True, mkdir=True,
    )
    return written


def _frame(result: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    frame = pl.from_arrow(result.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


# --- Personnel positioning and power, read back for the pages (kuangan.monitoring.queries) -----------------
# Positions are stored per (date, mine) without the mine code; snapshots and power per date with it. Times are
# naive Beijing times, as in the files; a day is [00:00, next 00:00).

EMPTY_HEADCOUNT: Schema = {"time": pl.Datetime("us"), "people": pl.Int64}
EMPTY_AREA_HEADCOUNT: Schema = {"time": pl.Datetime("us"), "area_code": pl.String, "people": pl.Int64}
EMPTY_TRACK: Schema = {"first": pl.Datetime("us"), "last": pl.Datetime("us"), "snapshots": pl.Int64, "flag": pl.Int8,
               "area_code": pl.String, "area_entered": pl.Datetime("us"), "station_code": pl.String,
               "station_reached": pl.Datetime("us"), "time_down": pl.Datetime("us"), "time_up": pl.Datetime("us"),
               "state": pl.String, "name": pl.String}
EMPTY_POWER: Schema = {"day": pl.Date, "kwh": pl.Float64}


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time())
    return start, start + timedelta(days=1)


def headcount_series(store: ParquetStore, mine_code: str, day: date) -> pl.DataFrame:
    """(time, people): the people underground (flag 1) at each of the mine's snapshots of the day, a snapshot
    with nobody underground included (0), in time order."""
    start, end = _day_bounds(day)
    snapshots = store._files("snapshots", None, start, start)
    if not snapshots:
        return pl.DataFrame(schema=EMPTY_HEADCOUNT)
    positions = store._files("positions", mine_code, start, start)
    con = duckdb.connect()
    try:
        times = ("SELECT DISTINCT header_time AS time FROM read_parquet(?) "
                 "WHERE mine_code = ? AND header_time >= ? AND header_time < ?")
        if not positions:
            return _frame(con.sql(f"SELECT time, 0::BIGINT AS people FROM ({times}) ORDER BY time",
                                  params=[snapshots, mine_code, start, end]))
        return _frame(con.sql(
            f"WITH snaps AS ({times}), down AS (SELECT header_time AS time, count(DISTINCT card_code) AS people "
            "FROM read_parquet(?) WHERE flag = 1 AND header_time >= ? AND header_time < ? GROUP BY header_time) "
            "SELECT snaps.time, coalesce(down.people, 0)::BIGINT AS people FROM snaps LEFT JOIN down USING (time) "
            "ORDER BY snaps.time",
            params=[snapshots, mine_code, start, end, positions, start, end]))
    finally:
        con.close()


def headcount_by_area(store: ParquetStore, mine_code: str, day: date) -> pl.DataFrame:
    """(time, area_code, people): the people underground (flag 1) per snapshot and area of the day (an empty
    area code for people the file placed in none); areas nobody was in are absent."""
    start, end = _day_bounds(day)
    positions = store._files("positions", mine_code, start, start)
    if not positions:
        return pl.DataFrame(schema=EMPTY_AREA_HEADCOUNT)
    con = duckdb.connect()
    try:
        return _frame(con.sql(
            "SELECT header_time AS time, coalesce(area_code, '') AS area_code, "
            "count(DISTINCT card_code)::BIGINT AS people FROM read_parquet(?) "
            "WHERE flag = 1 AND header_time >= ? AND header_time < ? GROUP BY ALL ORDER BY time, area_code",
            params=[positions, start, end]))
    finally:
        con.close()


def card_track(store: ParquetStore, mine_code: str, card_code: str, day: date) -> pl.DataFrame:
    """A person's day as the mine's snapshots saw it, one row per stay: consecutive snapshots showing the card
    with the same in/out flag, area, base station and time down are one stay (first and last snapshot, their
    count, when the area and the station were entered). A new descent, another area or station starts a new
    one. In time order."""
    start, end = _day_bounds(day)
    positions = store._files("positions", mine_code, start, start)
    if not positions:
        return pl.DataFrame(schema=EMPTY_TRACK)
    con = duckdb.connect()
    try:
        return _frame(con.sql(
            "WITH rows AS (SELECT header_time AS time, flag, area_code, area_entered, station_code, station_reached, "
            "time_down, time_up, state, name FROM read_parquet(?) "
            "WHERE card_code = ? AND header_time >= ? AND header_time < ?), "
            "marked AS (SELECT *, CASE WHEN lag(time) OVER w IS NULL "
            "OR lag(flag) OVER w IS DISTINCT FROM flag OR lag(area_code) OVER w IS DISTINCT FROM area_code "
            "OR lag(station_code) OVER w IS DISTINCT FROM station_code "
            "OR lag(time_down) OVER w IS DISTINCT FROM time_down THEN 1 ELSE 0 END AS new_stay "
            "FROM rows WINDOW w AS (ORDER BY time)), "
            "stays AS (SELECT *, sum(new_stay) OVER (ORDER BY time) AS stay FROM marked) "
            "SELECT min(time) AS first, max(time) AS last, count(*)::BIGINT AS snapshots, any_value(flag) AS flag, "
            "any_value(area_code) AS area_code, min(area_entered) AS area_entered, "
            "any_value(station_code) AS station_code, min(station_reached) AS station_reached, "
            "any_value(time_down) AS time_down, max(time_up) AS time_up, "
            "arg_max(state, time) AS state, arg_max(name, time) AS name "
            "FROM stays GROUP BY stay ORDER BY first",
            params=[positions, card_code, start, end]))
    finally:
        con.close()


def power_daily(store: ParquetStore, mine_code: str, first: date, last: date) -> pl.DataFrame:
    """(day, kwh): the mine's metered use per day (YDSJ intervals by the day they start; an interval sent
    twice counts once), days without data absent."""
    start, _end = _day_bounds(first)
    stop, end = _day_bounds(last)
    files = store._files("power", None, start, stop)
    if not files:
        return pl.DataFrame(schema=EMPTY_POWER)
    con = duckdb.connect()
    try:
        return _frame(con.sql(
            "WITH once AS (SELECT DISTINCT ON (meter_code, start) meter_code, start, kwh FROM read_parquet(?) "
            "WHERE mine_code = ? AND start >= ? AND start < ? AND kwh >= 0) "
            "SELECT start::DATE AS day, sum(kwh) AS kwh FROM once GROUP BY ALL ORDER BY day",
            params=[files, mine_code, start, end]))
    finally:
        con.close()
