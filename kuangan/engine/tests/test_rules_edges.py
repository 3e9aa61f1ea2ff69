"""The rules' rarer paths: a setting left out, a batch that holds only what a rule ignores or only another
mine, positions out of order, and the preparation the personnel rules share."""

from __future__ import annotations

import gc
from dataclasses import replace

import polars as pl
import pytest

from kuangan.engine.pipeline import EngineState, run_batch
from kuangan.engine.rules import mine_overcrowded, over_capacity, personnel
from kuangan.engine.settings import DEFAULT_LATENESS, Settings

from .factories import CH4, METHANE_FACE, MINE, at, batch, code, readings
from .lead_factories import OUTPUT, Records, count, counter_definition, facts, inputs
from .personnel_factories import OTHER_MINE, crowd, mine, rule_input, run, snapshot
from .personnel_factories import at as hour
from .personnel_factories import facts as personnel_facts

pytestmark = pytest.mark.nodb


def test_without_a_cdss_lateness_a_silence_does_not_break_a_stuck_run():
    """The stuck run is broken by a gap longer than the CDSS lateness; with no lateness for CDSS (a setting
    that leaves it out) the hour of silence is no gap, and eight hours of 0.30 are one stuck run."""
    before = readings(CH4, [0.30] * 240, period=60)
    after = readings(CH4, [0.30] * 240, start=5 * 3600, period=60)
    no_cdss = Settings(lateness={k: v for k, v in DEFAULT_LATENESS.items() if k != "CDSS"})
    result = run_batch(EngineState.empty(), batch(definitions=[METHANE_FACE], readings=before + after),
                       at(9 * 3600), no_cdss)
    stuck = result.episodes.filter(pl.col("kind") == "stuck_value")
    assert stuck.select("point_code", "start", "end", "peak").rows() == [(CH4, at(0), None, 0.30)]


def test_a_batch_of_cumulative_counters_none_of_them_output_leaves_the_state_unchanged():
    output = inputs(Records(readings=[count(OUTPUT, hour(1), 0.0)], definitions=[counter_definition()]),
                    facts(capacity={MINE: 120.0}))[0]
    state, _ = over_capacity.evaluate(over_capacity.empty_state(), output, hour(2))
    assert state["counters"].height == 1
    water = code("1014", 9, "LJ")  # a cumulative water meter
    meters = inputs(Records(readings=[count(water, hour(3), 50.0), count(water, hour(4), 80.0)],
                            definitions=[counter_definition(water)]), facts(capacity={MINE: 120.0}))[0]
    assert meters.readings.height == 2
    after, episodes = over_capacity.evaluate(state, meters, hour(5))
    assert after is state and episodes.is_empty()


def test_a_batch_of_another_mine_leaves_an_open_alarm_open_until_its_own_mine_ends_it():
    two = personnel_facts(mines=[mine(limit=20), mine(OTHER_MINE, limit=20)])
    over = [snapshot(hour(9), crowd(21, down=hour(7, 50)))]
    elsewhere = [snapshot(hour(9, 5), crowd(5, down=hour(7, 50), mine=OTHER_MINE), mine=OTHER_MINE)]
    back = [snapshot(hour(9, 10), crowd(20, down=hour(7, 50)))]
    found, states = run([(mine_overcrowded.KIND, mine_overcrowded)], [over, elsewhere], facts=two)
    assert [(a["mine_code"], a["start"], a["end"]) for a in found] == [(MINE, hour(9), None)]
    assert states[mine_overcrowded.KIND]["open"].height == 1
    state, episodes = mine_overcrowded.evaluate(states[mine_overcrowded.KIND], rule_input(elsewhere, two), hour(9, 5))
    assert episodes.is_empty() and state["open"].height == 1
    found, _ = run([(mine_overcrowded.KIND, mine_overcrowded)], [over, elsewhere, back], facts=two)
    assert [(a["mine_code"], a["start"], a["end"], a["peak"]) for a in found] == [
        (MINE, hour(9), hour(9, 10), 21.0)]


def test_positions_out_of_snapshot_order_are_refused():
    snaps = [snapshot(hour(9), crowd(3, down=hour(7, 50))), snapshot(hour(9, 5), crowd(3, down=hour(7, 50)))]
    ordered = rule_input(snaps)
    rows = ordered.positions
    interleaved = pl.concat([rows.slice(1), rows.slice(0, 1)])  # a row of 09:00 after those of 09:05
    with pytest.raises(ValueError, match="must come sorted by mine and snapshot time"):
        mine_overcrowded.evaluate(mine_overcrowded.empty_state(), replace(ordered, positions=interleaved), hour(9, 5))


def test_an_earlier_batch_gone_does_not_forget_the_preparation_of_the_latest():
    first = rule_input([snapshot(hour(9), crowd(3, down=hour(7, 50)))])
    personnel.people(first)
    earlier_ref = personnel._LAST[0][0]  # held here, so it outlives its place in the cache
    latest = rule_input([snapshot(hour(9, 5), crowd(4, down=hour(7, 50)))])
    prepared = personnel.people(latest)
    del first
    gc.collect()
    assert earlier_ref() is None  # the earlier batch is gone (its callback ran)
    assert personnel.people(latest) is prepared  # the latest batch's preparation is kept, not made again
