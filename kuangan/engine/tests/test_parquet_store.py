"""The Parquet store: where a batch's readings land, and that a batch written twice is stored once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from kuangan.engine.io.parquet_store import ParquetStore
from kuangan.engine.pipeline import Records
from kuangan.engine.schema import READINGS

MINES = ("140000000001", "140000000002")
START = datetime(2024, 6, 1, 23, 50)  # the batch runs over midnight: two dates


def batch() -> pl.DataFrame:
    rows = [
        {"file_id": 0, "mine_code": mine, "point_code": f"{mine}01MN0001001", "value": 0.1 * k, "status": 0,
         "data_time": START + timedelta(minutes=k), "header_time": START + timedelta(minutes=k)}
        for mine in MINES for k in range(20)
    ]
    return pl.DataFrame(rows, schema=READINGS)


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def records() -> Records:
    empty = Records.empty()
    return Records(readings=batch(), outstation_status=empty.outstation_status, events=empty.events,
                   definitions=empty.definitions)


def test_readings_are_partitioned_by_date_and_mine(tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    parts = store.stage(records(), "b1")
    assert files(tmp_path) == [f".staging/b1/{p}" for p in sorted(parts)]  # nothing a reader sees yet
    store.place("b1", parts)
    assert files(tmp_path) == [
        f"readings/date={day}/mine={mine}/part-b1.parquet" for day in ("2024-06-01", "2024-06-02") for mine in MINES
    ] + ["stats5m/date=2024-06-01/part-b1.parquet", "stats5m/date=2024-06-02/part-b1.parquet"]
    one_day = pl.read_parquet(tmp_path / f"readings/date=2024-06-02/mine={MINES[1]}/part-b1.parquet")
    assert one_day.columns == ["point_code", "data_time", "value", "status", "header_time"]
    assert one_day.height == 10 and one_day["data_time"].min() == datetime(2024, 6, 2)
    back = store.records(MINES[0], START + timedelta(minutes=4), START + timedelta(minutes=9))
    assert back.readings.height == 5 and set(back.readings["mine_code"]) == {MINES[0]}


def test_only_committed_batches_are_placed_and_orphans_are_removed(tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    committed = store.stage(records(), "done")
    store.stage(records(), "crashed")  # its transaction never committed
    assert store.sweep(lambda ids: {"done": committed} if "done" in ids else {}) == (["done"], 1)
    assert not (tmp_path / ".staging").exists() or not any((tmp_path / ".staging").iterdir())
    assert all("part-done" in f for f in files(tmp_path))
    store.place("done", committed)  # the committer places it too after the sweeper did: nothing changes
    series = store.point_series(MINES[0], f"{MINES[0]}01MN0001001", START, START + timedelta(hours=1))
    assert series.height == 20
