"""Replay equals live: one day as one batch and as many small batches (the state carried, saved and
loaded in between) give identical alarms, for every rule."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuangan.engine.formats import ParsedBatch
from kuangan.engine.pipeline import EngineState, merge_episodes, run_batch
from kuangan.engine.settings import Override, PointSettings, Settings

from .factories import CH4, LAG, METHANE_FACE, MINE, SWITCH, at, batch, readings, report, split

pytestmark = pytest.mark.nodb

# short times so that a few dozen readings reach every rule
FAST = Settings(
    default=PointSettings(
        calibration_max_min=2.0, calibration_per_day=1, report_grace_s=90.0, feed_grace_s=60.0
    ),
    overrides=(Override(None, "0001", {"stuck": True, "stuck_hours": 0.05}),),
)


def replay(batches, *, reload: bool) -> list[tuple]:
    state, frames, newest = EngineState.empty(), [], datetime.min
    for b in batches:
        if b.files.height:
            newest = max(newest, b.files["header_time"].max())
        result = run_batch(state, b, newest, FAST)
        state = EngineState.from_bytes(result.state.to_bytes()) if reload else result.state
        frames.append(result.episodes)
    contract = ["mine_code", "point_code", "kind", "start", "end", "peak"]  # the evidence is what a batch saw
    return [tuple(r) for r in merge_episodes(frames).select(contract).iter_rows()]


steps = st.lists(
    st.tuples(
        st.sampled_from([0.3, 0.3, 0.5, 0.9, 1.0, 1.2, 1.6, 2.2, 4.5]),  # methane
        st.sampled_from([0, 0, 0, 0, 4, 16, 8]),  # its status
        st.sampled_from([1, 1, 0]),  # the linked switch
        st.booleans() | st.just(True),  # whether the mine sent this step (False: a gap)
        st.booleans(),  # whether the mine's YCBJ reports an over-limit starting here
    ),
    min_size=5,
    max_size=80,
)


def day(steps) -> ParsedBatch:
    """A face methane point and its linked switch, a step every 30 s, from drawn `steps`."""
    methane, switch, events = [], [], []
    for i, (value, status, sw, sent, reported) in enumerate(steps):
        if not sent:
            continue
        methane += readings(CH4, [value], start=i * 30, status=status)
        switch += readings(SWITCH, [sw], start=i * 30)
        if reported:
            events.append(report(CH4, at(i * 30), None, header_time=at(i * 30) + LAG))
    return batch(definitions=[{**METHANE_FACE, "header_time": at(-60)}], readings=methane + switch, events=events)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=steps, cuts=st.lists(st.integers(min_value=0, max_value=80 * 30), max_size=6), reload=st.booleans()
)
def test_replay_in_one_batch_equals_many_small_batches(steps, cuts, reload):
    whole = day(steps)
    one = replay([whole], reload=False)
    many = replay(split(whole, [at(c) for c in cuts]), reload=reload)
    assert one == many


def test_the_three_alarms_of_an_uncut_unreported_episode_survive_any_split():
    methane = readings(CH4, [0.5, 1.6, 1.7, 1.8, 1.6, 0.5] + [0.4, 0.41] * 5)
    whole = batch(definitions=[METHANE_FACE], readings=methane + readings(SWITCH, [1] * 16))
    one = replay([whole], reload=False)
    assert sorted(r[2] for r in one) == ["feed_failure", "over_limit", "unreported_event"]
    for cut in range(0, 16 * 30, 30):
        assert replay(split(whole, [at(cut + 10)]), reload=True) == one, cut
    assert MINE in one[0][0]
