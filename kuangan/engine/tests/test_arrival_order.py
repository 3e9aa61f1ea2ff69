"""Arrival order does not change the result: any partition of a set of files into batches, delivered in
any order, gives the same stored readings and the same point-level alarms (withdrawn ones aside) as
in-order delivery. Late data is judged again from a checkpoint (engine.pipeline), and the alarms are
reconciled (engine.reconcile)."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuangan.engine.pipeline import EngineState, run_batch
from kuangan.engine.reconcile import ALARMS, apply, reconcile

from .factories import CH4, LAG, METHANE_FACE, MemoryHistory, at, batch, readings, report, take
from .test_replay import FAST, day, steps

pytestmark = pytest.mark.nodb

CONTRACT = ["mine_code", "point_code", "kind", "start", "end", "peak"]


def deliver(batches, *, reload: bool = True):
    """Each batch as ingestion runs it: the replay's clock (newest header so far), the store and the
    checkpoints kept, the alarms reconciled. Returns (standing point-level alarms, stored readings, all)."""
    state, history, alarms = EngineState.empty(), MemoryHistory(), pl.DataFrame(schema=ALARMS)
    clock = datetime.min
    for b in batches:
        if b.files.height:
            clock = max(clock, b.files["header_time"].max())
        result = run_batch(state, b, clock, FAST, history)
        alarms = apply(alarms, reconcile(alarms, result))
        history.commit(result)
        state = EngineState.from_bytes(result.state.to_bytes()) if reload else result.state
    standing = alarms.filter(~pl.col("withdrawn") & (pl.col("kind") != "mine_silent")).sort(CONTRACT[:4])
    stored = history.records.readings.select("point_code", "data_time", "value", "status").sort("point_code",
                                                                                                  "data_time")
    return [tuple(r) for r in standing.select(CONTRACT).iter_rows()], stored, alarms


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, data=st.data())
def test_any_partition_in_any_order_equals_in_order_delivery(steps, data):
    whole = day(steps)
    files = sorted(set(whole.files["header_time"].to_list()))
    in_order = deliver([take(whole, [t]) for t in files])
    # each file into one of up to 5 batches, the batches in any order
    n = data.draw(st.integers(min_value=1, max_value=5))
    where = data.draw(st.lists(st.integers(min_value=0, max_value=n - 1), min_size=len(files), max_size=len(files)))
    order = data.draw(st.permutations(list(range(n))))
    shuffled = deliver([take(whole, [t for t, w in zip(files, where, strict=True) if w == k]) for k in order])
    assert shuffled[0] == in_order[0]
    assert shuffled[1].equals(in_order[1])


def test_a_late_hour_keeps_its_over_limit():
    """An hour's files arriving after the next hour's (a backlog re-sent after an outage) still raise
    the over-limit in the late hour, with the later hour's alarms unchanged."""
    first = readings(CH4, [0.3] * 20 + [1.6] * 4 + [0.3] * 96)  # over-limit at minute 10 of hour one
    second = readings(CH4, [0.3] * 50 + [2.0] * 4 + [0.3] * 66, start=3600)
    whole = batch(definitions=[{**METHANE_FACE, "header_time": at(-60)}], readings=first + second)
    cut = at(3600)
    hour_one = whole.readings.filter(pl.col("header_time") < cut)["header_time"].unique().to_list()
    hour_two = whole.readings.filter(pl.col("header_time") >= cut)["header_time"].unique().to_list()
    in_order, _, _ = deliver([take(whole, [at(-60)]), take(whole, hour_one), take(whole, hour_two)])
    late, _, all_alarms = deliver([take(whole, [at(-60)]), take(whole, hour_two), take(whole, hour_one)])
    over = [a for a in late if a[2] == "over_limit"]
    assert [a[3] for a in over] == [at(600), at(3600 + 1500)]
    assert late == in_order
    # the hour that came first alone showed a value unchanged since 09:00; the late hour shows the run
    # began at 08:12: the first alarm is withdrawn for the one that starts there
    withdrawn = all_alarms.filter(pl.col("withdrawn")).select("kind", "start").rows()
    assert withdrawn == [("stuck_value", at(3600))]


def test_a_report_that_arrives_late_withdraws_the_unreported_alarm():
    methane = readings(CH4, [0.5, 1.6, 1.7, 0.5] + [0.4] * 30)
    event = report(CH4, at(30), None, header_time=at(31) + LAG)  # a YCBJ file of its own
    whole = batch(definitions=[{**METHANE_FACE, "header_time": at(-60)}], readings=methane, events=[event])
    files = sorted(set(whole.files["header_time"].to_list()))
    ycbj = event["header_time"]
    others = [t for t in files if t != ycbj]
    standing, _, alarms = deliver([take(whole, others), take(whole, [ycbj])])
    assert "unreported_event" not in {a[2] for a in standing}
    withdrawn = alarms.filter(pl.col("withdrawn"))
    assert withdrawn["kind"].to_list() == ["unreported_event"]
    in_order, _, _ = deliver([take(whole, [t]) for t in files])
    assert standing == in_order


def test_the_same_readings_in_another_file_are_stored_once():
    whole = batch(readings=readings(CH4, [0.3, 0.4, 0.5, 1.6, 0.3]))
    again = take(whole, whole.files["header_time"].to_list())
    later = again.readings.with_columns(header_time=pl.col("header_time") + timedelta(minutes=30))
    resent = batch(readings=later.to_dicts())
    _, stored, _ = deliver([whole, resent])
    assert stored.height == 5
