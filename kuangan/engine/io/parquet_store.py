"""What the mines sent, stored once, in Parquet partitioned by date and mine; read with DuckDB and Polars.

    <root>/readings/date=2024-06-01/mine=140000000001/part-<batch id>.parquet   (CDSS, by data time)
    <root>/status/date=2024-06-01/part-<batch id>.parquet       (FZSS of every mine of the batch, by data time)
    <root>/events/date=…/part-<batch id>.parquet                (YCBJ, by header time)
    <root>/definitions/date=…/part-<batch id>.parquet           (CDDY, by header time)
    <root>/stats5m/date=2024-06-01/part-<batch id>.parquet      (5-minute statistics of every mine of the batch)

Readings, the bulk, are one file per (batch, date, mine), never one per upload; the smaller tables one per
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
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from polars.io.partition import FileProviderArgs

from ..pipeline import Records
from ..schema import DEFINITIONS, EVENTS, OUTSTATION_STATUS, READINGS, Schema

STAT_EVERY = "5m"
STAGING = ".staging"
# table folder → (Records field, its schema, the time that dates it)
TABLES: dict[str, tuple[str, Schema, str]] = {
    "readings": ("readings", READINGS, "data_time"),
    "status": ("outstation_status", OUTSTATION_STATUS, "data_time"),
    "events": ("events", EVENTS, "header_time"),
    "definitions": ("definitions", DEFINITIONS, "header_time"),
}
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
            keys = {"date": "date", "mine_code": "mine"} if table == "readings" else {"date": "date"}
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

    def records(self, mine_code: str, since: datetime | None, until: datetime | None = None) -> Records:
        """A mine's stored records with a time after `since` and at or before `until` (None: no bound); its
        definitions whatever their time. Each record once (a table may hold a re-sent event twice)."""
        out = {}
        for table, (name, schema, dated_by) in TABLES.items():
            files = self._mine_files(table, mine_code, None if table == "definitions" else since, until)
            if not files:
                out[name] = pl.DataFrame(schema=schema)
                continue
            lf = pl.scan_parquet(files)
            if table != "readings":  # the other tables keep every mine of a batch in one file
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
            mine = folder / entry / f"mine={mine_code}" if table == "readings" else folder / entry
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
