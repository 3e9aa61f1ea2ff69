"""Each rule on crafted sequences: start, end, peak, hysteresis, grace, suppression by silence."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kuangan.engine.pipeline import EngineState, merge_episodes, run_batch
from kuangan.engine.settings import CALIBRATION, OUTSTATION_FAULT, Override, Settings

from .factories import (
    CH4,
    CO,
    LAG,
    METHANE_FACE,
    MINE,
    O2,
    SWITCH,
    at,
    batch,
    code,
    definition,
    readings,
    report,
)

pytestmark = pytest.mark.nodb


def alarms(*batches, now=None, settings=None, state=None):
    """Run the batches in order (now = the newest header time so far, as in a replay) and return the
    merged alarms as tuples (point, kind, start, end, peak)."""
    state = state or EngineState.empty()
    frames, newest = [], datetime.min
    for b in batches:
        if b.files.height:
            newest = max(newest, b.files["header_time"].max())
        result = run_batch(state, b, now or newest, settings)
        state = result.state
        frames.append(result.episodes)
    merged = merge_episodes(frames)
    return [
        (r["point_code"], r["kind"], r["start"], r["end"], r["peak"]) for r in merged.iter_rows(named=True)
    ], state


def kinds(rows, kind):
    return [r for r in rows if r[1] == kind]


# --- over_limit -------------------------------------------------------------------------------------------


def test_over_limit_starts_at_the_threshold_and_ends_below_the_clear_value():
    # alarm 1.0, clear 0.8: 0.9 and 0.85 keep the alarm on (hysteresis); 0.5 ends it
    rows, _ = alarms(
        batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.4, 1.0, 1.3, 0.9, 0.85, 0.5, 0.4]))
    )
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(30), at(150), 1.3)]


def test_a_reading_exactly_on_the_clear_value_keeps_the_alarm_on():
    """Hysteresis ends an alarm strictly below the clear value (above it for a lower limit): 0.8 at clear 0.8
    and 19.0 at a lower clear of 19.0 are not clear yet."""
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.4, 1.0, 0.8, 0.79])))
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(30), at(90), 1.0)]
    oxygen = definition(O2, unit="%", range_low=0.0, range_high=25.0, lower_alarm=18.5, lower_alarm_clear=19.0)
    rows, _ = alarms(batch(definitions=[oxygen], readings=readings(O2, [20.5, 18.5, 19.0, 19.01])))
    assert kinds(rows, "over_limit") == [(O2, "over_limit", at(30), at(90), 18.5)]


def test_over_limit_ignores_readings_under_calibration():
    values = [0.4, 2.0, 2.1, 0.4]
    rows, _ = alarms(
        batch(
            definitions=[METHANE_FACE],
            readings=readings(CH4, values, status=[0, CALIBRATION, CALIBRATION, 0]),
        )
    )
    assert kinds(rows, "over_limit") == []


def test_over_limit_still_open_has_no_end():
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.4, 1.1, 1.2])))
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(30), None, 1.2)]


def test_lower_limit_alarm_peak_is_the_minimum():
    oxygen = definition(
        O2, unit="%", range_low=0.0, range_high=25.0, lower_alarm=18.5, lower_alarm_clear=19.0
    )
    rows, _ = alarms(batch(definitions=[oxygen], readings=readings(O2, [20.5, 18.4, 17.9, 18.8, 19.5])))
    assert kinds(rows, "over_limit") == [(O2, "over_limit", at(30), at(120), 17.9)]


def test_undefined_methane_point_uses_the_regulation_default():
    # no CDDY for this point: methane alarms at 1.0 % (RULES.md §3.1)
    rows, _ = alarms(batch(readings=readings(CH4, [0.5, 1.0, 0.99])))
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(30), at(60), 1.0)]


def test_thresholds_follow_the_definition_in_force():
    stricter = {**METHANE_FACE, "upper_alarm": 0.5, "upper_alarm_clear": 0.5, "header_time": at(50)}
    rows, _ = alarms(
        batch(definitions=[METHANE_FACE, stricter], readings=readings(CH4, [0.6, 0.6, 0.6, 0.4]))
    )
    # 0.6 at 0 s is under the old 1.0 alarm; from 50 s on the new definition (0.5) applies
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(60), at(90), 0.6)]


# --- feed_failure -----------------------------------------------------------------------------------------


def switch_on(values):
    return readings(SWITCH, values)


def test_feed_failure_when_the_linked_switch_keeps_power_on_after_the_grace():
    methane = [0.5, 1.6, 1.7, 1.8, 1.6, 0.9, 0.5]  # power-off from 30 s, restore below 1.0 at 150 s
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, methane) + switch_on([1] * 7)))
    # crossing at 30 s; at 90 s the grace of 60 s has passed and the switch still shows 1
    assert kinds(rows, "feed_failure") == [(CH4, "feed_failure", at(90), at(150), 1.8)]


def test_no_feed_failure_when_the_switch_cuts_within_the_grace():
    methane = [0.5, 1.6, 1.7, 1.8, 1.6, 0.9, 0.5]
    switch = [1, 1, 0, 0, 0, 0, 1]  # cut 30 s after the crossing, restored after the value fell
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, methane) + switch_on(switch)))
    assert kinds(rows, "feed_failure") == []
    assert len(kinds(rows, "over_limit")) == 1


def test_feed_failure_grace_is_a_setting_per_mine_and_sensor_type():
    methane = [0.5, 1.6, 1.7, 1.8, 1.6, 1.6, 0.9, 0.5]
    data = batch(definitions=[METHANE_FACE], readings=readings(CH4, methane) + switch_on([1] * 8))
    settings = Settings(overrides=(Override(MINE, "0001", {"feed_grace_s": 120.0}),))
    rows, _ = alarms(data, settings=settings)
    # 120 s after the crossing at 30 s: the reading at 150 s; the value falls below restore at 180 s
    assert kinds(rows, "feed_failure") == [(CH4, "feed_failure", at(150), at(180), 1.6)]
    other_mine = Settings(overrides=(Override("149999000001", "0001", {"feed_grace_s": 120.0}),))
    rows, _ = alarms(data, settings=other_mine)
    assert kinds(rows, "feed_failure") == [(CH4, "feed_failure", at(90), at(180), 1.8)]


# --- mine_silent ------------------------------------------------------------------------------------------


def cdss_files(seconds):
    return [{"mine_code": MINE, "file_type": "CDSS", "header_time": at(s)} for s in seconds]


def test_mine_silent_from_last_file_plus_lateness_to_the_next_file():
    files = cdss_files([0, 30, 60, 20 * 60, 20 * 60 + 30])
    rows, _ = alarms(batch(files=files))
    assert kinds(rows, "mine_silent") == [(None, "mine_silent", at(60 + 300), at(20 * 60), None)]


def test_mine_silent_stays_open_while_now_moves_on():
    rows, _ = alarms(batch(files=cdss_files([0, 30])), now=at(30 * 60))
    assert kinds(rows, "mine_silent") == [(None, "mine_silent", at(330), None, None)]
    # not late yet
    rows, _ = alarms(batch(files=cdss_files([0, 30])), now=at(30 + 299))
    assert kinds(rows, "mine_silent") == []


def test_mine_silent_across_batches_and_types_is_one_alarm():
    fz = [{"mine_code": MINE, "file_type": "FZSS", "header_time": at(s)} for s in (0, 60, 100 * 60)]
    first = batch(files=cdss_files([0, 30]) + fz[:2])
    second = batch(files=cdss_files([50 * 60]))  # CDSS back at 50 min, FZSS still missing
    third = batch(files=fz[2:] + cdss_files([100 * 60]))
    rows, _ = alarms(first, second, third, now=None)
    silent = kinds(rows, "mine_silent")
    assert silent[0][2] == at(330) and silent[-1][3] == at(100 * 60)
    assert len(silent) == 1


# --- point_fault, out_of_range ----------------------------------------------------------------------------


def test_point_fault_from_status_bits_and_from_a_lost_outstation():
    station = MINE + "00001"
    status = [
        {
            "mine_code": MINE,
            "outstation_code": station,
            "running_status": s,
            "power_status": 1,
            "data_time": at(i * 60),
            "header_time": at(i * 60) + LAG,
        }
        for i, s in enumerate([0, 1, 1, 0])
    ]
    rows, _ = alarms(
        batch(
            definitions=[METHANE_FACE],
            outstation_status=status,
            readings=readings(CH4, [0.3, 0.3, 0.3, 0.31], status=[0, OUTSTATION_FAULT, 0, 0]),
        )
    )
    assert (CH4, "point_fault", at(30), at(60), None) in rows
    assert (station, "point_fault", at(60), at(180), None) in rows


def test_an_outstation_code_repeated_by_another_mine_is_another_outstation():
    # against the format (the code starts with the mine's), but it happens: each mine's own history counts
    def station(mine, statuses):
        return [
            {"mine_code": mine, "outstation_code": "00001", "running_status": s, "power_status": 1,
             "data_time": at(i * 60), "header_time": at(i * 60) + LAG}
            for i, s in enumerate(statuses)
        ]

    other = "140000000002"  # sorts before MINE: its lost outstation must not be ended by MINE's rows
    rows, _ = alarms(batch(outstation_status=station(MINE, [0, 0, 0]) + station(other, [0, 0, 1])))
    assert [(r[2], r[3]) for r in kinds(rows, "point_fault")] == [(at(120), None)]


def test_out_of_range_above_the_range_and_by_the_over_range_bit():
    rows, _ = alarms(
        batch(
            definitions=[METHANE_FACE],
            readings=readings(CH4, [0.3, 5.0, 6.5, 0.3, 0.3], status=[0, 0, 0, 0, 8]),
        )
    )
    assert kinds(rows, "out_of_range") == [
        (CH4, "out_of_range", at(30), at(90), 6.5),
        (CH4, "out_of_range", at(120), None, 0.3),
    ]


# --- stuck_value ------------------------------------------------------------------------------------------


def hours_of(value, hours, period=60):
    return [value] * int(hours * 3600 / period)


def test_stuck_methane_starts_where_the_value_stopped_changing():
    values = [0.31, 0.32] + hours_of(0.30, 6.5) + [0.33]
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, values, period=60)))
    end = at(60 * (len(values) - 1))
    assert kinds(rows, "stuck_value") == [(CH4, "stuck_value", at(120), end, 0.30)]


def test_a_value_that_keeps_changing_is_not_stuck_and_a_short_run_is_not():
    jitter = [0.30 + 0.01 * (i % 3) for i in range(7 * 60)]
    rows, _ = alarms(
        batch(definitions=[METHANE_FACE], readings=readings(CH4, jitter + hours_of(0.3, 5), period=60))
    )
    assert kinds(rows, "stuck_value") == []


def test_silence_breaks_a_stuck_run():
    before = readings(CH4, hours_of(0.30, 4), period=60)
    after = readings(CH4, hours_of(0.30, 4), start=5 * 3600, period=60)  # an hour of silence in between
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=before + after))
    assert kinds(rows, "stuck_value") == []
    assert len(kinds(rows, "mine_silent")) == 1


def test_stuck_applies_to_co_but_not_to_wind():
    wind = "141129000001" + "01MN0002" + "00000009"
    rows, _ = alarms(
        batch(
            readings=readings(CO, hours_of(3.0, 7), period=60) + readings(wind, hours_of(2.0, 7), period=60)
        )
    )
    assert [r[0] for r in kinds(rows, "stuck_value")] == [CO]


# --- calibration_abuse ------------------------------------------------------------------------------------


def test_calibration_longer_than_allowed():
    status = [0] + [CALIBRATION] * 41 + [0]  # 41 minutes
    rows, _ = alarms(
        batch(
            definitions=[METHANE_FACE],
            readings=readings(CH4, [0.3] + [1.8] * 41 + [0.3], status=status, period=60),
        )
    )
    assert kinds(rows, "calibration_abuse") == [(CH4, "calibration_abuse", at(60), at(42 * 60), 1.8)]
    assert kinds(rows, "over_limit") == []


def test_calibration_more_often_than_allowed_per_day():
    cycle = [0] * 10 + [CALIBRATION] * 5
    status = cycle * 3 + [0]
    values = [0.3 if s == 0 else 1.5 for s in status]
    rows, _ = alarms(
        batch(definitions=[METHANE_FACE], readings=readings(CH4, values, status=status, period=60))
    )
    third = at(60 * (2 * 15 + 10))
    assert kinds(rows, "calibration_abuse") == [
        (CH4, "calibration_abuse", third, third + timedelta(minutes=5), 1.5)
    ]


# --- unreported_event -------------------------------------------------------------------------------------


def over_limit_episode():
    return readings(CH4, [0.4, 1.2, 1.3, 0.5] + [0.4] * 30, period=30)


def test_an_over_limit_the_mine_did_not_report_is_raised_with_the_episode():
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=over_limit_episode()))
    assert kinds(rows, "unreported_event") == [(CH4, "unreported_event", at(30), at(90), 1.3)]


def test_a_reported_over_limit_raises_nothing():
    ycbj = report(CH4, at(30), at(90), header_time=at(120))
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=over_limit_episode(), events=[ycbj]))
    assert kinds(rows, "unreported_event") == []
    assert len(kinds(rows, "over_limit")) == 1


def test_a_report_after_the_grace_does_not_count():
    late = report(CH4, at(30), at(90), header_time=at(30 + 600 + 60))
    rows, _ = alarms(
        batch(
            definitions=[METHANE_FACE],
            readings=over_limit_episode() + readings(CH4, [0.4] * 10, start=31 * 30),
            events=[late],
        )
    )
    assert len(kinds(rows, "unreported_event")) == 1


def test_unreported_is_not_judged_while_the_mine_is_silent():
    # the over-limit comes just before the mine falls silent: no later file, no judgement yet
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.4, 1.2, 1.3, 0.5])))
    assert kinds(rows, "unreported_event") == []


def test_one_unreported_uncut_episode_gives_three_alarms():
    methane = [0.5, 1.6, 1.7, 1.8, 1.6, 0.5] + [0.4] * 30
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, methane) + switch_on([1] * 36)))
    assert sorted(r[1] for r in rows) == ["feed_failure", "over_limit", "unreported_event"]


# --- state ------------------------------------------------------------------------------------------------


def test_state_survives_a_save_and_load_between_batches():
    first = batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.4, 1.2, 1.3]))
    second = batch(readings=readings(CH4, [1.4, 0.5], start=90))
    _, state = alarms(first)
    reloaded = EngineState.from_bytes(state.to_bytes())
    rows, _ = alarms(second, state=reloaded)
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(30), at(120), 1.4)]


def test_state_saved_without_its_definitions_needs_the_same_ones_back():
    _, state = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.4, 1.2, 1.3])))
    blob = state.to_bytes(definitions=False)
    assert EngineState.saved_definitions_digest(blob) == state.definitions_digest()
    reloaded = EngineState.from_bytes(blob, state.definitions_bytes())
    assert reloaded.definitions.equals(state.definitions)
    rows, _ = alarms(batch(readings=readings(CH4, [1.4, 0.5], start=90)), state=reloaded)
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(30), at(120), 1.4)]
    with pytest.raises(ValueError):
        EngineState.from_bytes(blob, EngineState.empty().definitions_bytes())
    with pytest.raises(ValueError):
        EngineState.from_bytes(blob)


def test_readings_sent_twice_count_once():
    data = readings(CH4, [0.4, 1.2, 1.3, 0.5])
    _, state = alarms(batch(definitions=[METHANE_FACE], readings=data))
    rows, _ = alarms(batch(readings=data), state=state)
    assert rows == []  # nothing new: the over-limit is not raised again


def test_readings_out_of_time_order_in_a_batch_are_put_in_order():
    # a late file re-sent after newer ones: the batch holds the point's readings out of order
    _, state = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.4])))
    data = readings(CH4, [0.4, 1.2, 1.3, 0.5, 0.4], start=30)
    shuffled = [data[3], data[0], data[4], data[2], data[1]]
    rows, _ = alarms(batch(readings=shuffled), state=state)
    assert kinds(rows, "over_limit") == [(CH4, "over_limit", at(60), at(120), 1.3)]


def test_calibration_gas_is_no_feed_failure():
    methane = [0.5, 1.8, 1.9, 1.9, 1.8, 0.5]
    status = [0, CALIBRATION, CALIBRATION, CALIBRATION, CALIBRATION, 0]
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, methane, status=status)
                           + switch_on([1] * 6)))
    assert kinds(rows, "feed_failure") == [] and kinds(rows, "over_limit") == []


# --- feed_failure and out_of_range: edges -------------------------------------------------------------------


def found(*batches, kind):
    """(point, start, end, peak, evidence) of the alarms of `kind` the batches add up to, the state saved
    and loaded between batches as the platform does."""
    state, frames, newest = EngineState.empty(), [], datetime.min
    for b in batches:
        if b.files.height:
            newest = max(newest, b.files["header_time"].max())
        result = run_batch(state, b, newest)
        state = EngineState.from_bytes(result.state.to_bytes())
        frames.append(result.episodes)
    return [(r["point_code"], r["start"], r["end"], r["peak"], r["evidence"])
            for r in merge_episodes(frames).iter_rows(named=True) if r["kind"] == kind]


def test_a_power_off_holds_between_the_restore_and_the_power_off_threshold():
    # power-off 1.5, restore 1.0: 1.4, 1.1 and 1.0 keep the power-off state (and the feed failure) on
    methane = [0.5, 1.6, 1.7, 1.4, 1.1, 1.0, 0.9, 0.5]
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=readings(CH4, methane) + switch_on([1] * 8)))
    assert kinds(rows, "feed_failure") == [(CH4, "feed_failure", at(90), at(180), 1.4)]


def test_without_a_restore_threshold_the_power_off_state_ends_below_the_power_off_threshold():
    # CO has no regulation default for either threshold: the definition gives the power-off alone
    gas = definition(CO, unit="ppm", range_low=0.0, range_high=1000.0, upper_power_off=50.0,
                     relations=f"D-{SWITCH}")
    rows, _ = alarms(batch(definitions=[gas], readings=readings(CO, [10, 60, 60, 55, 49, 10]) + switch_on([1] * 6)))
    assert kinds(rows, "feed_failure") == [(CO, "feed_failure", at(90), at(120), 55.0)]


def test_a_value_exactly_at_the_power_off_threshold_cuts_and_one_exactly_at_restore_does_not_restore():
    exactly_off = readings(CH4, [0.5, 1.5, 1.5, 1.5, 0.9])
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=exactly_off + switch_on([1] * 5)))
    assert kinds(rows, "feed_failure") == [(CH4, "feed_failure", at(90), at(120), 1.5)]
    exactly_restore = readings(CH4, [0.5, 1.6, 1.6, 1.6, 1.0, 0.99])
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=exactly_restore + switch_on([1] * 6)))
    assert kinds(rows, "feed_failure") == [(CH4, "feed_failure", at(90), at(150), 1.6)]


def test_a_switchs_last_value_is_remembered_through_a_batch_without_it():
    on = batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.5]) + switch_on([1]))
    without_switch = batch(readings=readings(CH4, [0.5], start=30))
    power_off = batch(readings=readings(CH4, [1.6, 1.7, 1.8, 0.5], start=60))  # the switch never reports again
    assert found(on, without_switch, power_off, kind="feed_failure") == [
        (CH4, at(120), at(150), 1.8, f'{{"power_off":1.5,"grace_s":60.0,"switches_on":["{SWITCH}"]}}')]


def test_no_feed_failure_while_no_linked_switch_is_known_to_be_on():
    # a switch that has never reported, or a relation field that names no switch: nothing is taken for on
    methane = readings(CH4, [0.5, 1.6, 1.7, 1.8, 1.6, 0.5])
    rows, _ = alarms(batch(definitions=[METHANE_FACE], readings=methane))
    assert kinds(rows, "feed_failure") == [] and len(kinds(rows, "over_limit")) == 1
    assert found(batch(definitions=[METHANE_FACE], readings=methane[:3]), batch(readings=methane[3:]),
                 kind="feed_failure") == []
    unnamed = {**METHANE_FACE, "relations": "D-"}
    rows, _ = alarms(batch(definitions=[unnamed], readings=methane + switch_on([1] * 6)))
    assert kinds(rows, "feed_failure") == [] and len(kinds(rows, "over_limit")) == 1


def test_a_counter_or_switch_point_with_a_power_off_threshold_is_no_feed_failure():
    # a definition may carry a power-off threshold and a D relation on a point that is not analog
    counter, other_switch = code("0001", 6, "LJ"), code("1009", 5, "KG")
    linked = {"upper_power_off": 0.5, "upper_power_restore": 0.2, "relations": f"D-{SWITCH}"}
    data = (readings(CH4, [0.5, 1.6, 1.7, 1.8, 1.6, 0.5]) + readings(counter, [0, 5, 10, 15, 20, 25])
            + readings(other_switch, [1] * 6) + switch_on([1] * 6))
    defs = [METHANE_FACE, definition(counter, **linked), definition(other_switch, **linked)]
    rows, _ = alarms(batch(definitions=defs, readings=data))
    assert kinds(rows, "feed_failure") == [(CH4, "feed_failure", at(90), at(150), 1.8)]  # the analog one only


def test_a_value_exactly_on_the_range_edges_is_in_range():
    # range 0 to 4: 4.0 and 0.0 are in range, 4.01 and -0.01 are not
    rows, _ = alarms(batch(definitions=[METHANE_FACE],
                           readings=readings(CH4, [0.3, 4.0, 0.0, 4.01, 0.3, -0.01, 0.3])))
    assert kinds(rows, "out_of_range") == [
        (CH4, "out_of_range", at(90), at(120), 4.01),
        (CH4, "out_of_range", at(150), at(180), -0.01),
    ]


def test_an_analog_point_without_a_range_high_or_low_is_never_out_of_range_on_that_side():
    low_only = definition(CO, unit="ppm", range_low=0.0)
    high_only = definition(O2, unit="%", range_high=25.0)
    undefined = code("0012", 8)  # no definition: no range at all
    data = (readings(CO, [3.0, 5000.0, 3.0, -1.0, 3.0]) + readings(O2, [20.0, -5.0, 20.0, 30.0, 20.0])
            + readings(undefined, [20.0, -5.0, 1e6, 20.0]))
    rows, _ = alarms(batch(definitions=[low_only, high_only], readings=data))
    assert sorted(kinds(rows, "out_of_range")) == sorted([
        (CO, "out_of_range", at(90), at(120), -1.0),
        (O2, "out_of_range", at(90), at(120), 30.0),
    ])


def test_open_out_of_range_alarms_up_and_down_are_each_held_once_in_the_saved_state():
    oxygen = definition(O2, unit="%", range_low=0.0, range_high=25.0)
    ch4 = readings(CH4, [0.3, 4.5, 5.0, 4.8, 0.3, 0.3])  # above from 30 s to 120 s
    o2 = readings(O2, [20.5, -1.0, -2.0, -0.5, -0.7, 20.0])  # below from 30 s to 150 s
    batches = [batch(definitions=[METHANE_FACE, oxygen], readings=ch4[:2] + o2[:2])]
    batches += [batch(readings=[ch4[i], o2[i]]) for i in range(2, 6)]
    both = [(CH4, "upper"), (O2, "lower")]
    held_after = [both, both, both, [(O2, "lower")], []]
    state, ended = EngineState.empty(), []
    for b, expected in zip(batches, held_after, strict=True):
        result = run_batch(state, b, b.files["header_time"].max())
        state = EngineState.from_bytes(result.state.to_bytes())
        ended += [(r["point_code"], r["start"], r["end"], r["peak"]) for r in result.episodes.iter_rows(named=True)
                  if r["kind"] == "out_of_range" and r["end"] is not None]
        held = state.rules["out_of_range"].sort("point_code", "direction").select("point_code", "direction").rows()
        assert held == expected, b.files["header_time"].max()
    assert ended == [(CH4, at(30), at(120), 5.0), (O2, at(30), at(150), -2.0)]


def test_a_feed_failure_held_through_a_calibration_names_only_the_switches_seen_on():
    # failing from 90 s; at 120 s the point reads calibration gas (the state holds) and the switch reads 0
    methane = readings(CH4, [0.5, 1.6, 1.7, 1.8, 1.8, 0.5], status=[0, 0, 0, 0, CALIBRATION, 0])
    assert found(batch(definitions=[METHANE_FACE], readings=methane + switch_on([1, 1, 1, 1, 0, 0])),
                 kind="feed_failure") == [
        (CH4, at(90), at(150), 1.8, f'{{"power_off":1.5,"grace_s":60.0,"switches_on":["{SWITCH}"]}}')]
