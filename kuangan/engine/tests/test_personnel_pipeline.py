"""Personnel, power and seal records through the pipeline: each stored once (a snapshot re-sent under
another name counts once), judged in data-time order whatever their arrival (a late snapshot judges its
mine again from a checkpoint, like late readings), and the engine's state keeps how far each key came."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest

from kuangan.engine import schema
from kuangan.engine.formats import ParsedBatch
from kuangan.engine.pipeline import EngineState, run_batch
from kuangan.engine.reconcile import ALARMS, apply, reconcile

from . import personnel_factories as P
from .factories import MINE, MemoryHistory, frame

pytestmark = pytest.mark.nodb


def ryss(snapshots: list[P.Snapshot], *, first_id: int = 0, power: list[dict[str, Any]] = ()) -> ParsedBatch:
    """A batch of one RYSS file per snapshot (and one YDSJ file for the power rows)."""
    files, positions, snaps = [], [], []
    for i, s in enumerate(sorted(snapshots, key=lambda s: (s.mine, s.t))):
        fid = first_id + i
        files.append({"file_id": fid, "name": f"{s.mine}_RYSS_{s.t:%Y%m%d%H%M%S}.txt", "mine_code": s.mine,
                      "family": "A", "file_type": "RYSS", "header_time": s.t, "arrival": s.t, "status": "accepted"})
        positions += [{**p, "file_id": fid, "mine_code": s.mine, "header_time": s.t}
                      for p in sorted(s.people, key=lambda p: p["card_code"])]
        snaps.append({"file_id": fid, "mine_code": s.mine, "header_time": s.t, "people": len(s.people)})
    if power:
        t = max(p["header_time"] for p in power)
        files.append({"file_id": first_id + len(files), "name": f"{MINE}_YDSJ_{t:%Y%m%d%H%M%S}.csv",
                      "mine_code": MINE, "family": "kuangan", "file_type": "YDSJ", "header_time": t, "arrival": t,
                      "status": "accepted"})

    def empty(table: schema.Schema) -> pl.DataFrame:
        return pl.DataFrame(schema=table)

    return ParsedBatch(
        files=frame(files, schema.FILES), definitions=empty(schema.DEFINITIONS), readings=empty(schema.READINGS),
        outstations=empty(schema.OUTSTATIONS), outstation_status=empty(schema.OUTSTATION_STATUS),
        statistics=empty(schema.STATISTICS), events=empty(schema.EVENTS), rejects=empty(schema.REJECTS),
        positions=frame(positions, schema.POSITIONS), snapshots=frame(snaps, schema.SNAPSHOTS),
        power=frame(power, schema.POWER),
    )


def meter(start: datetime, kwh: float) -> dict[str, Any]:
    return {"file_id": 0, "mine_code": MINE, "meter_code": MINE + "M01", "start": start,
            "end": start + timedelta(minutes=15), "kwh": kwh, "header_time": start + timedelta(minutes=15)}


CROWD = P.crowd(3, down=P.at(7, 40))
DAY = P.every(P.at(8), P.at(10), CROWD)  # 25 snapshots, 08:00 to 10:00


def deliver(batches: list[ParsedBatch]) -> tuple[MemoryHistory, EngineState, pl.DataFrame, list[Any]]:
    state, history, alarms = EngineState.empty(), MemoryHistory(), pl.DataFrame(schema=ALARMS)
    results = []
    clock = datetime.min
    for b in batches:
        clock = max(clock, b.files["header_time"].max())
        result = run_batch(state, b, clock, history=history)
        alarms = apply(alarms, reconcile(alarms, result))
        history.commit(result)
        state = EngineState.from_bytes(result.state.to_bytes())
        results.append(result)
    return history, state, alarms, results


def test_each_snapshot_is_stored_once_and_the_state_knows_the_newest():
    history, state, _, _ = deliver([ryss(DAY[:10]), ryss(DAY[10:])])
    assert history.records.snapshots.height == 25 and history.records.positions.height == 75
    seen = state.seen_more.filter(pl.col("table") == "snapshots")
    assert seen.select("mine_code", "last_t").rows() == [(MINE, P.at(10))]


def test_a_snapshot_sent_twice_under_other_names_counts_once():
    again = ryss(DAY[:3], first_id=100)
    history, _, _, results = deliver([ryss(DAY[:5]), again])
    assert history.records.snapshots.height == 5 and history.records.positions.height == 15
    assert results[1].late == {}  # already stored: nothing to judge again
    both = deliver([ryss(DAY[:3] + DAY[:3])])[0]  # and twice in one batch
    assert both.records.snapshots.height == 3


def test_a_late_snapshot_judges_its_mine_again_from_a_checkpoint():
    early, late = DAY[:13], DAY[13:]
    history, state, _, results = deliver([ryss(early[:1]), ryss(late), ryss(early[1:])])
    assert MINE in results[2].late
    assert history.records.snapshots.height == 25
    in_order = deliver([ryss(DAY)])
    assert history.records.snapshots.sort("header_time").select("header_time", "people").equals(
        in_order[0].records.snapshots.sort("header_time").select("header_time", "people"))
    assert state.seen_more.filter(pl.col("table") == "snapshots")["last_t"].to_list() == [P.at(10)]


def test_power_rows_are_kept_per_meter_and_a_late_interval_is_judged_again():
    rows = [meter(P.at(8) + timedelta(minutes=15 * i), 100.0 + i) for i in range(8)]
    history, state, _, results = deliver([ryss(DAY[:1], power=rows[4:]), ryss(DAY[1:2], power=rows[:4])])
    assert history.records.power.height == 8
    assert MINE in results[1].late
    assert state.seen_more.filter(pl.col("table") == "power")["last_t"].to_list() == [rows[-1]["start"]]


def test_a_state_saved_before_personnel_loads_with_empty_personnel_frames():
    """A snapshot saved by the previous version (no seen_more, no personnel rules' frames) still loads."""
    history, state, _, _ = deliver([ryss(DAY[:2])])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(state.to_bytes())) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            if name == "seen_more" or not name.startswith(("definitions", "seen", "rules/over_limit")):
                continue
            new.writestr(name, old.read(name))
    loaded = EngineState.from_bytes(out.getvalue())
    assert loaded.seen_more.is_empty() and list(loaded.seen_more.schema) == ["table", "mine_code", "key", "last_t"]
    result = run_batch(loaded, ryss(DAY[2:4]), P.at(9))
    assert result.stored.snapshots.height == 2
