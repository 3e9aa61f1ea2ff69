"""Arrival order does not change the result for rules that hold days of state, and for a mine whose tables run
at different paces: a hidden working face judged over two days of snapshots (2 of 2 days here), and power use while suspended
judged against a baseline of producing days, from files of one mine whose power is sent days ahead of its
snapshots. Shuffled deliveries (late snapshots older than the mine's checkpoints, a power gap filled last, a
mine's first batch being its newest data) leave the alarms and leads of in-order delivery."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import polars as pl
import pytest

from kuangan.engine.formats import ParsedBatch
from kuangan.engine.pipeline import EngineState, run_batch
from kuangan.engine.reconcile import ALARMS, apply, reconcile
from kuangan.engine.simulate import Incident, MineSpec, merge, positioning_areas, simulate_personnel

from .factories import MemoryHistory
from .personnel_factories import settings
from .test_simulate_personnel import PRODUCING, SUSPENDED, C, at, facts, parse, stamp

pytestmark = pytest.mark.nodb

CONTRACT = ["mine_code", "point_code", "kind", "start", "end", "peak"]
HALT = at(day=1)  # the mine stops: a day of snapshots before it and one after, power from 8 days before to 2 after
M = MineSpec(C.code, C.name, crew=10, limit=C.limit, faces=C.faces)
SETTINGS = settings(hidden_days=2, hidden_window_days=2)


@pytest.fixture(scope="module")
def world() -> tuple[list[tuple[str, bytes]], object]:
    hidden = positioning_areas(M).filter(pl.col("use") == "hidden")["area_code"][0]
    files = list(merge(
        simulate_personnel([M], at(0), at(0, day=2), types=("RYSS",),
                           incidents=[Incident("hidden_working_face", M.code, at(9), 300, days=2)]),
        simulate_personnel([M], at(day=-8), at(day=3), types=("YDSJ",),
                           incidents=[Incident("power_use_while_suspended", M.code, HALT + timedelta(days=1),
                                               24 * 60)]),
    ))
    registry = facts([M], undeclared=[hidden], status=[
        (M.code, datetime(1970, 1, 1), HALT, PRODUCING), (M.code, HALT, None, SUSPENDED)])
    return files, registry


def deliver(batches: list[list[tuple[str, bytes]]], registry) -> list[tuple]:
    """Each batch judged as ingestion judges it (the newest header so far as the clock, the store and the
    checkpoints kept, the alarms reconciled): the standing alarms and leads."""
    state, history, alarms = EngineState.empty(), MemoryHistory(), pl.DataFrame(schema=ALARMS)
    clock = datetime.min
    for files in batches:
        parsed: ParsedBatch = parse(files)
        clock = max(clock, max(stamp(n) for n, _ in files))
        result = run_batch(state, parsed, clock, SETTINGS, history, registry)
        alarms = apply(alarms, reconcile(alarms, result))
        history.commit(result)
        state = EngineState.from_bytes(result.state.to_bytes())
    standing = alarms.filter(~pl.col("withdrawn") & (pl.col("kind") != "mine_silent")).sort(CONTRACT[:4])
    return [tuple(r) for r in standing.select(CONTRACT).iter_rows()]


def hourly(files: list[tuple[str, bytes]]) -> list[list[tuple[str, bytes]]]:
    """A batch per hour of snapshots, the power (a file each 15 minutes) a batch per day."""
    batches: dict[tuple[str, str], list[tuple[str, bytes]]] = {}
    for name, data in sorted(files, key=lambda f: stamp(f[0])):
        _, kind, when = name.split("_")
        batches.setdefault((kind, when[:8] if kind == "YDSJ" else when[:10]), []).append((name, data))
    return list(batches.values())


@pytest.fixture(scope="module")
def in_order(world) -> list[tuple]:
    files, registry = world
    return deliver(hourly(files), registry)


def test_in_order_delivery_finds_the_hidden_face_and_the_power(in_order) -> None:
    kinds = {r[2] for r in in_order}
    assert {"hidden_working_face", "power_use_while_suspended"} <= kinds


def test_power_days_ahead_and_snapshots_in_shuffled_hours(world, in_order) -> None:
    """All the power first (days ahead of the snapshots), then the snapshots, six hours a batch, in a shuffled
    order."""
    files, registry = world
    power = [f for f in files if "_YDSJ_" in f[0]]
    hours = hourly([f for f in files if "_YDSJ_" not in f[0]])
    quarters = [sum(hours[i:i + 6], []) for i in range(0, len(hours), 6)]
    random.Random(20).shuffle(quarters)
    assert deliver([power, *quarters], registry) == in_order


def test_a_mines_first_batch_is_its_newest_and_the_rest_comes_back_to_front(world, in_order) -> None:
    """The newest day first (no checkpoint holds the mine before it), then the three days before it, then the
    rest."""
    files, registry = world
    days: dict[str, list[tuple[str, bytes]]] = {}
    for f in sorted(files, key=lambda f: stamp(f[0])):
        days.setdefault(f[0].rsplit("_", 1)[1][:8], []).append(f)
    order = [days[d] for d in sorted(days)]
    assert deliver([order[-1], sum(order[-4:-1], []), sum(order[:-4], [])], registry) == in_order


def test_a_power_gap_filled_after_the_snapshots(world, in_order) -> None:
    """Power of the stopped days arrives last, after every snapshot and the power around it."""
    files, registry = world
    gap = [f for f in files if "_YDSJ_" in f[0] and HALT <= stamp(f[0]) < HALT + timedelta(days=2)]
    rest = [f for f in files if f not in gap]
    assert deliver([*hourly(rest), gap], registry) == in_order
