"""Cases of the rules the mutation run (scripts/mutation) found no test for."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kuangan.engine import schema
from kuangan.engine.episodes import carried_schema, track
from kuangan.engine.pipeline import EngineState, merge_episodes, run_batch
from kuangan.engine.rules import personnel
from kuangan.engine.rules.base import RuleInput
from kuangan.engine.schema import TIME
from kuangan.engine.settings import (
    CALIBRATION,
    NOT_POLLED,
    OUTSTATION_FAULT,
    OVER_RANGE,
    SENSOR_FAULT,
    Override,
    Settings,
)

from .factories import (
    CH4,
    CO,
    LAG,
    METHANE_FACE,
    MINE,
    O2,
    SWITCH,
    T0,
    at,
    batch,
    code,
    definition,
    readings,
    report,
)
from .personnel_factories import OTHER_MINE, facts, shift

pytestmark = pytest.mark.nodb

H = 3600


def _table(f, *mines: str) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    lf = pl.LazyFrame({"mine_code": list(mines)}, schema={"mine_code": pl.String})
    return personnel.shift_table(f, lf).collect().sort("mine_code", "o", nulls_last=True)


def _rows(mine: str | None, *rows: tuple[int, int, int, int, int, int, bool]) -> pl.DataFrame:
    """(o, end, lb, ub, prev_o, prev_lb, maintenance) in hours from the day's midnight."""
    return pl.DataFrame(
        [(mine, *(int(h * H) for h in r[:6]), r[6]) for r in rows], schema=personnel.SHIFT_TABLE, orient="row")


# --- the shift table ----------------------------------------------------------------------------------------


def test_the_shift_table_of_three_shifts_a_day_is_the_days_starts_and_the_next_midnight():
    f = facts(shifts=[shift(0), shift(8 * 60), shift(16 * 60, maintenance=True)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (0, 8, -4, 4, -8, -12, False),
        (8, 16, 4, 12, 0, -4, False),
        (16, 24, 12, 20, 8, 4, True),
        (24, 32, 20, 28, 16, 12, False),
    ))


def test_one_shift_a_day_reaches_two_days_back_and_two_ahead():
    f = facts(shifts=[shift(6 * 60)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (6, 30, -6, 18, -18, -30, False),
        (30, 54, 18, 42, 6, -6, False),
    ))


def test_two_shifts_a_day_end_where_the_next_midnight_is_nearest():
    f = facts(shifts=[shift(8 * 60), shift(20 * 60)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (-4, 8, -10, 2, -16, -22, False),  # last night's shift: whoever goes down before 02:00 belongs to it
        (8, 20, 2, 14, -4, -10, False),
        (20, 32, 14, 26, 8, 2, False),
    ))


def test_a_start_at_24_00_is_midnight_and_a_shift_without_its_kind_is_a_production_shift():
    f = facts(shifts=[shift(0), {**shift(12 * 60), "maintenance": None}, shift(24 * 60)])
    assert_frame_equal(_table(f, "141129000001"), _rows(
        "141129000001",
        (0, 12, -6, 6, -12, -18, False),
        (12, 24, 6, 18, 0, -6, False),
        (24, 36, 18, 30, 12, 6, False),
    ))


def test_a_mine_without_shifts_on_record_works_three_shifts_from_midnight():
    f = facts(shifts=[shift(6 * 60, mine=OTHER_MINE)])
    table = _table(f, "141129000001", OTHER_MINE)
    assert_frame_equal(table.filter(pl.col("mine_code") == "141129000001"), _rows(
        "141129000001",
        (0, 8, -4, 4, -8, -12, False),
        (8, 16, 4, 12, 0, -4, False),
        (16, 24, 12, 20, 8, 4, False),
        (24, 32, 20, 28, 16, 12, False),
    ))
    assert table.filter(pl.col("mine_code") == OTHER_MINE).get_column("o").to_list() == [6 * H, 30 * H]


# --- CDSS rules, batch by batch ------------------------------------------------------------------------------


def episodes(*batches, kind: str, reload: bool = True, settings=None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every column of the alarms of `kind` that the batches add up to, run in order (now = the newest
    header time so far), the state saved and loaded between batches as the platform does."""
    state, frames, newest = EngineState.empty(), [], datetime.min
    for b in batches:
        if b.files.height:
            newest = max(newest, b.files["header_time"].max())
        result = run_batch(state, b, newest, settings)
        state = EngineState.from_bytes(result.state.to_bytes()) if reload else result.state
        frames.append(result.episodes)
    return [r for r in merge_episodes(frames).iter_rows(named=True) if r["kind"] == kind]


def _alarm(point: str, kind: str, start: datetime, end: datetime | None, peak: float | None, evidence: str,
           void: bool = False) -> dict:  # type: ignore[type-arg]
    return {"mine_code": point[:12], "point_code": point, "kind": kind, "start": start, "end": end, "peak": peak,
            "evidence": evidence, "void": void}


def _stuck(values: list[float], *, start: float = 0, period: float = 60) -> list[dict]:  # type: ignore[type-arg]
    return readings(CH4, values, start=start, period=period)


def test_a_stuck_run_is_carried_from_batch_to_batch():
    data = _stuck([0.31] + [0.30] * 420 + [0.32])  # 0.30 from 00:01 for seven hours
    expected = [_alarm(CH4, "stuck_value", at(60), at(421 * 60), 0.30, '{"value":0.3,"hours":6.0}')]
    assert episodes(batch(definitions=[METHANE_FACE], readings=data), kind="stuck_value") == expected
    parts = [data[:140], data[140:280], data[280:]]
    assert episodes(batch(definitions=[METHANE_FACE], readings=parts[0]), *(batch(readings=p) for p in parts[1:]),
                    kind="stuck_value") == expected
    # a run already held when a batch ends, one carried through a batch that only continues it, and one
    # that ends on the first reading of a batch
    for cuts in ((380, 400), (380, 421)):
        parts = [data[:cuts[0]], data[cuts[0]:cuts[1]], data[cuts[1]:]]
        assert episodes(batch(definitions=[METHANE_FACE], readings=parts[0]),
                        *(batch(readings=p) for p in parts[1:]), kind="stuck_value") == expected, cuts


def test_a_point_missing_from_a_batch_keeps_its_run():
    first = _stuck([0.30] * 241)  # 00:00 to 04:00
    other = readings(CO, [3.0], start=241 * 60 - 30)  # another point's file in between
    rest = _stuck([0.30] * 180 + [0.33], start=241 * 60)  # on to 07:01
    found = episodes(batch(definitions=[METHANE_FACE], readings=first), batch(readings=other), batch(readings=rest),
                     kind="stuck_value")
    assert [(r["start"], r["end"]) for r in found] == [(at(0), at(421 * 60))]


def test_a_pause_of_exactly_the_lateness_does_not_break_a_run():
    before = _stuck([0.30] * 181)  # 00:00 to 03:00
    after = _stuck([0.30] * 200 + [0.33], start=180 * 60 + 300)  # five minutes later, on past 06:00
    found = episodes(batch(definitions=[METHANE_FACE], readings=before + after), kind="stuck_value")
    assert [r["start"] for r in found] == [at(0)]
    later = _stuck([0.30] * 200 + [0.33], start=180 * 60 + 301)  # a second more: the run starts again
    assert episodes(batch(definitions=[METHANE_FACE], readings=before + later), kind="stuck_value") == []


def test_a_value_unchanged_for_exactly_the_stuck_hours_is_stuck():
    exactly = _stuck([0.30] * 361 + [0.33])  # 00:00 to 06:00 the same, different at 06:01
    assert [(r["start"], r["end"]) for r in episodes(batch(definitions=[METHANE_FACE], readings=exactly),
                                                     kind="stuck_value")] == [(at(0), at(361 * 60))]
    short = _stuck([0.30] * 360 + [0.33])  # a minute short
    assert episodes(batch(definitions=[METHANE_FACE], readings=short), kind="stuck_value") == []


# --- over_limit ------------------------------------------------------------------------------------------------

OXYGEN = definition(O2, unit="%", range_low=0.0, range_high=25.0, lower_alarm=18.5, lower_alarm_clear=19.0)


def test_over_limit_evidence_names_the_direction_and_both_thresholds():
    found = episodes(batch(definitions=[METHANE_FACE, OXYGEN],
                           readings=readings(CH4, [0.4, 1.2, 0.5]) + readings(O2, [20.5, 18.0, 19.5])),
                     kind="over_limit")
    assert found == [
        _alarm(CH4, "over_limit", at(30), at(60), 1.2, '{"direction":"upper","threshold":1.0,"clear":0.8}'),
        _alarm(O2, "over_limit", at(30), at(60), 18.0, '{"direction":"lower","threshold":18.5,"clear":19.0}'),
    ]


def test_without_a_clear_value_the_alarm_threshold_ends_the_alarm():
    no_clear = {**OXYGEN, "lower_alarm_clear": None}  # no default either: only methane and CO have upper ones
    found = episodes(batch(definitions=[no_clear], readings=readings(O2, [20.5, 18.0, 18.6, 19.5])), kind="over_limit")
    assert found == [
        _alarm(O2, "over_limit", at(30), at(60), 18.0, '{"direction":"lower","threshold":18.5,"clear":18.5}')]


def test_an_upper_and_a_lower_alarm_carried_together_from_batch_to_batch():
    ch4 = readings(CH4, [0.4, 1.2, 1.3, 1.1, 0.5])
    o2 = readings(O2, [20.5, 18.0, 17.5, 18.2, 19.5])
    one = episodes(batch(definitions=[METHANE_FACE, OXYGEN], readings=ch4 + o2), kind="over_limit")
    assert [(r["point_code"], r["start"], r["end"], r["peak"]) for r in one] == [
        (CH4, at(30), at(120), 1.3), (O2, at(30), at(120), 17.5)]
    for reload in (True, False):
        many = episodes(batch(definitions=[METHANE_FACE, OXYGEN], readings=ch4[:2] + o2[:2]),
                        *(batch(readings=[ch4[i], o2[i]]) for i in range(2, 5)), kind="over_limit", reload=reload)
        assert many == one
    # only the lower one open when a batch ends
    many = episodes(batch(definitions=[METHANE_FACE, OXYGEN], readings=ch4[:1] + o2[:2]),
                    *(batch(readings=[ch4[i], o2[i]]) for i in range(1, 5)), kind="over_limit")
    assert many == one


# --- calibration_abuse -----------------------------------------------------------------------------------------

OTHER = code("0004", 9, mine="141129000002")  # a point of another mine: its files move the engine's clock


def test_yesterdays_calibrations_still_count_for_yesterdays_late_readings():
    cycle = [0] * 10 + [CALIBRATION] * 5
    morning = readings(CH4, [0.3 if s == 0 else 1.5 for s in cycle * 2] + [0.3], status=cycle * 2 + [0], period=60)
    midnight = readings(OTHER, [3.0], start=16 * 3600 + 600)  # 00:10 the next day
    evening = readings(CH4, [0.3] * 10 + [1.5] * 5 + [0.3], status=[0] * 10 + [CALIBRATION] * 5 + [0],
                       start=15 * 3600 + 30 * 60, period=60)  # 23:30 that day: its third calibration
    found = episodes(batch(definitions=[METHANE_FACE], readings=morning), batch(readings=midnight),
                     batch(readings=evening), kind="calibration_abuse")
    third = at(15 * 3600 + 40 * 60)
    assert found == [_alarm(CH4, "calibration_abuse", third, third + timedelta(minutes=5), 1.5,
                            '{"minutes":5.0,"nth_today":3,"max_minutes":30.0,"per_day":2}')]


# --- point_fault -----------------------------------------------------------------------------------------------

STATION = MINE + "00001"


def _fzss(statuses: list[int], *, start: float = 0, period: float = 60, station: str = STATION) -> list[dict]:  # type: ignore[type-arg]
    return [{"mine_code": MINE, "outstation_code": station, "running_status": s, "power_status": 1,
             "data_time": at(start + i * period), "header_time": at(start + i * period) + LAG}
            for i, s in enumerate(statuses)]


def test_point_fault_evidence_names_the_source_and_every_status_seen():
    status = [0, OUTSTATION_FAULT, NOT_POLLED, OUTSTATION_FAULT, 0]
    found = episodes(batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.3] * 5, status=status),
                           outstation_status=_fzss([0, 1, 2, 0])), kind="point_fault")
    assert found == [
        _alarm(CH4, "point_fault", at(30), at(120), None, f'{{"source":"status","status":[{OUTSTATION_FAULT},{NOT_POLLED}]}}'),
        _alarm(STATION, "point_fault", at(60), at(180), None, '{"source":"outstation","status":[1,2]}'),
    ]


def test_faults_are_carried_from_batch_to_batch_for_points_missing_from_a_batch_too():
    point = readings(CH4, [0.3] * 6, status=[0, SENSOR_FAULT, SENSOR_FAULT, SENSOR_FAULT, SENSOR_FAULT, 0])
    station = _fzss([0, 1, 1, 1, 1, 0], start=30)
    one = episodes(batch(definitions=[METHANE_FACE], readings=point, outstation_status=station), kind="point_fault")
    assert [(r["point_code"], r["start"], r["end"]) for r in one] == [(CH4, at(30), at(150)), (STATION, at(90), at(330))]
    # batch 2 holds only the point, batch 3 only the station; each fault ends on the first row of a batch
    many = episodes(batch(definitions=[METHANE_FACE], readings=point[:3], outstation_status=station[:3]),
                    batch(readings=point[3:5]), batch(outstation_status=station[3:5]),
                    batch(readings=point[5:]), batch(outstation_status=station[5:]), kind="point_fault")
    assert many == one


def test_an_outstations_statuses_out_of_time_order_in_a_batch_are_put_in_order():
    station = _fzss([0, 1, 1, 0])
    found = episodes(batch(outstation_status=[station[2], station[0], station[3], station[1]]), kind="point_fault")
    assert [(r["start"], r["end"]) for r in found] == [(at(60), at(180))]


def test_each_open_fault_is_carried_once_however_many_batches_pass():
    """A point's fault and an outstation's lost link stay open while batches of the point alone pass: the
    saved state holds each once (it is saved with every batch, and read back before the next), and the
    point's fault, when it ends, is one alarm."""
    faulty = readings(CH4, [0.3] * 6, status=[SENSOR_FAULT] * 5 + [0], period=60)
    state = run_batch(EngineState.empty(), batch(definitions=[METHANE_FACE], readings=faulty[:1],
                                                 outstation_status=_fzss([1])), at(60)).state
    found = []
    for row in faulty[1:]:
        result = run_batch(state, batch(readings=[row]), row["header_time"])
        state = EngineState.from_bytes(result.state.to_bytes())
        found += [r for r in result.episodes.iter_rows(named=True) if r["end"] is not None]
        carried = state.rules["point_fault"].sort("point_code")
        expected = [STATION] if row is faulty[-1] else [CH4, STATION]
        assert carried.get_column("point_code").to_list() == sorted(expected), row["data_time"]
    assert [(r["point_code"], r["start"], r["end"]) for r in found] == [(CH4, at(0), at(300))]


def test_an_outstations_status_sent_again_for_the_same_time_counts_as_first_received():
    normal, lost = _fzss([0, 0, 0]), _fzss([1], start=60)[0]  # a second status for 08:01, lost
    after = [normal[0], normal[1], lost, normal[2]]
    assert episodes(batch(outstation_status=after), kind="point_fault") == []
    assert episodes(batch(outstation_status=normal), batch(outstation_status=[lost]), kind="point_fault") == []
    before = [normal[0], lost, normal[1], normal[2]]
    assert [(r["start"], r["end"]) for r in episodes(batch(outstation_status=before), kind="point_fault")] == [
        (at(60), at(120))]


def _calibrating(minutes: int, *, before: int = 1, after: int = 1, start: float = 0, period: float = 60
                 ) -> list[dict]:  # type: ignore[type-arg]
    status = [0] * before + [CALIBRATION] * minutes + [0] * after
    return readings(CH4, [0.3 if s == 0 else 1.5 for s in status], status=status, start=start, period=period)


def test_a_calibration_of_exactly_the_allowed_minutes_is_allowed_and_a_longer_one_is_measured_to_the_second():
    exactly = _calibrating(31)  # from 00:01 to the first reading without calibration at 00:32... 31 minutes
    assert episodes(batch(definitions=[METHANE_FACE], readings=_calibrating(30)), kind="calibration_abuse") == []
    found = episodes(batch(definitions=[METHANE_FACE], readings=exactly), kind="calibration_abuse")
    assert [r["evidence"] for r in found] == ['{"minutes":31.0,"nth_today":1,"max_minutes":30.0,"per_day":2}']
    odd = _calibrating(41, period=45)  # 30 minutes 45 seconds
    found = episodes(batch(definitions=[METHANE_FACE], readings=odd), kind="calibration_abuse")
    assert [(r["start"], r["end"], r["evidence"]) for r in found] == [
        (at(45), at(42 * 45), '{"minutes":30.8,"nth_today":1,"max_minutes":30.0,"per_day":2}')]


def test_a_calibration_still_under_way_is_measured_to_its_last_reading():
    found = episodes(batch(definitions=[METHANE_FACE], readings=_calibrating(40, after=0)), kind="calibration_abuse")
    assert found == [_alarm(CH4, "calibration_abuse", at(60), None, 1.5,
                            '{"minutes":39.0,"nth_today":1,"max_minutes":30.0,"per_day":2}')]


def test_calibrations_are_counted_per_day():
    cycle = [0] * 10 + [CALIBRATION] * 5
    evening = readings(CH4, [0.3 if s == 0 else 1.5 for s in cycle * 2 + [0]], status=cycle * 2 + [0],
                       start=14 * 3600, period=60)  # two from 22:00
    morning = _calibrating(5, before=10, start=17 * 3600)  # 01:00 the next day: its first
    assert episodes(batch(definitions=[METHANE_FACE], readings=evening + morning), kind="calibration_abuse") == []


def test_a_long_calibration_is_carried_from_batch_to_batch():
    data = _calibrating(41)
    one = episodes(batch(definitions=[METHANE_FACE], readings=data), kind="calibration_abuse")
    assert [(r["start"], r["end"]) for r in one] == [(at(60), at(42 * 60))]
    for cut in (10, 25):
        many = episodes(batch(definitions=[METHANE_FACE], readings=data[:cut]), batch(readings=data[cut:]),
                        kind="calibration_abuse")
        assert many == one, cut
    # raised in the first batch, ended in the second (at its first reading from 42): the alarm keeps the
    # evidence it was raised with
    for cut, minutes in ((35, 33.0), (42, 40.0)):
        many = episodes(batch(definitions=[METHANE_FACE], readings=data[:cut]), batch(readings=data[cut:]),
                        kind="calibration_abuse")
        assert [(r["start"], r["end"], r["evidence"]) for r in many] == [
            (at(60), at(42 * 60), f'{{"minutes":{minutes},"nth_today":1,"max_minutes":30.0,"per_day":2}}')], cut


def test_calibrations_counted_before_yesterday_leave_the_saved_state():
    """Today's and yesterday's calibrations count (a late reading of yesterday's may still come); older
    ones are forgotten, in quiet batches too, so the state saved with every batch does not grow."""
    state = run_batch(EngineState.empty(), batch(definitions=[METHANE_FACE], readings=_calibrating(5)),
                      at(7 * 60)).state
    days = []
    for day in (1, 2):
        quiet = readings(CH4, [0.3], start=day * 86400)
        state = run_batch(state, batch(readings=quiet), quiet[0]["header_time"]).state
        days.append(state.rules["calibration_abuse"]["counts"].get_column("day").to_list())
    assert days == [[T0.date()], []]


# --- out_of_range ----------------------------------------------------------------------------------------------


def test_out_of_range_evidence_names_the_direction_and_the_range():
    found = episodes(batch(definitions=[METHANE_FACE], readings=readings(CH4, [0.3, 4.5, -0.5, 0.3])),
                     kind="out_of_range")
    assert found == [
        _alarm(CH4, "out_of_range", at(30), at(60), 4.5, '{"direction":"upper","range_low":0.0,"range_high":4.0}'),
        _alarm(CH4, "out_of_range", at(60), at(90), -0.5, '{"direction":"lower","range_low":0.0,"range_high":4.0}'),
    ]


def test_out_of_range_both_ways_carried_from_batch_to_batch():
    data = readings(CH4, [0.3, 4.5, 5.0, 0.3, -0.5, -1.0, 0.3], status=[0, 0, 0, 0, 0, 0, 0])
    one = episodes(batch(definitions=[METHANE_FACE], readings=data), kind="out_of_range")
    assert [(r["start"], r["end"], r["peak"]) for r in one] == [(at(30), at(90), 5.0), (at(120), at(180), -1.0)]
    for cut in (2, 3, 5, 6):
        for reload in (True, False):
            many = episodes(batch(definitions=[METHANE_FACE], readings=data[:cut]), batch(readings=data[cut:]),
                            kind="out_of_range", reload=reload)
            assert many == one, (cut, reload)
    flagged = readings(CH4, [0.3, 3.9, 3.9, 0.3], status=[0, OVER_RANGE, OVER_RANGE, 0])  # the device says so
    assert [(r["start"], r["end"]) for r in episodes(batch(definitions=[METHANE_FACE], readings=flagged),
                                                     kind="out_of_range")] == [(at(30), at(90))]


# --- feed_failure ------------------------------------------------------------------------------------------------


def test_feed_failure_evidence_names_the_threshold_the_grace_and_the_switches_still_on():
    other_switch = code("1009", 5, "KG")
    face = {**METHANE_FACE, "relations": f"D-{SWITCH}◇D-{other_switch}"}
    data = readings(CH4, [0.5, 1.6, 1.7, 1.8, 1.6, 0.9, 0.5]) + readings(SWITCH, [1] * 7) + \
        readings(other_switch, [0] * 7)
    assert episodes(batch(definitions=[face], readings=data), kind="feed_failure") == [_alarm(
        CH4, "feed_failure", at(90), at(150), 1.8, f'{{"power_off":1.5,"grace_s":60.0,"switches_on":["{SWITCH}"]}}')]


def test_feed_failure_reads_the_switch_from_an_earlier_batch_and_is_carried_from_batch_to_batch():
    methane = readings(CH4, [0.5, 1.6, 1.7, 1.8, 1.6, 1.6, 0.9, 0.5])
    switch = readings(SWITCH, [1])  # its last value, from the first batch only
    one = episodes(batch(definitions=[METHANE_FACE], readings=methane + switch), kind="feed_failure")
    assert [(r["start"], r["end"], r["peak"]) for r in one] == [(at(90), at(180), 1.8)]
    for cut in (1, 3, 4, 6):
        many = episodes(batch(definitions=[METHANE_FACE], readings=methane[:cut] + switch),
                        batch(readings=methane[cut:]), kind="feed_failure")
        assert [(r["start"], r["end"], r["peak"]) for r in many] == [(at(90), at(180), 1.8)], cut
    # a switch that another batch turned off, then on again
    later = episodes(batch(definitions=[METHANE_FACE], readings=methane[:2] + switch),
                     batch(readings=readings(SWITCH, [0], start=35)), batch(readings=methane[2:]),
                     kind="feed_failure")
    assert later == []


def test_a_relation_to_a_switch_of_a_mine_whose_code_has_letters():
    mine = "14112900000a"
    methane, switch = code("0001", 1, mine=mine), code("1009", 4, "KG", mine=mine)
    face = {**definition(methane), **{k: METHANE_FACE[k] for k in ("unit", "range_low", "range_high", "upper_alarm",
                                                                   "upper_alarm_clear", "upper_power_off",
                                                                   "upper_power_restore")},
            "relations": f"D-{switch}"}
    data = readings(methane, [0.5, 1.6, 1.7, 1.8, 1.6, 0.9, 0.5]) + readings(switch, [1] * 7)
    found = episodes(batch(definitions=[face], readings=data), kind="feed_failure")
    assert [(r["point_code"], r["start"], r["end"]) for r in found] == [(methane, at(90), at(150))]


# --- unreported_event ------------------------------------------------------------------------------------------


def _over(start: float = 0, quiet_after: int = 30) -> list[dict]:  # type: ignore[type-arg]
    """An over-limit of CH4 from start + 30 s to start + 90 s (peak 1.3), then `quiet_after` calm readings."""
    return readings(CH4, [0.4, 1.2, 1.3, 0.5] + [0.4] * quiet_after, start=start, period=30)


def test_unreported_evidence_gives_the_grace():
    found = episodes(batch(definitions=[METHANE_FACE], readings=_over()), kind="unreported_event")
    assert found == [_alarm(CH4, "unreported_event", at(30), at(90), 1.3, '{"grace_s":600.0,"reported":false}')]


def test_the_grace_is_the_points_setting():
    data = batch(definitions=[METHANE_FACE], readings=_over(quiet_after=10))  # data until 7 minutes after
    assert episodes(data, kind="unreported_event") == []  # not decided yet with ten minutes of grace
    shorter = Settings(overrides=(Override(MINE, "0001", {"report_grace_s": 120.0}),))
    assert episodes(data, kind="unreported_event", settings=shorter) == [
        _alarm(CH4, "unreported_event", at(30), at(90), 1.3, '{"grace_s":120.0,"reported":false}')]


def test_a_report_exactly_at_the_edges_of_the_grace_counts():
    grace = 600
    at_the_edge = report(CH4, at(30 + grace), at(90), header_time=at(30 + grace))  # start and file both at the edge
    data = _over(quiet_after=30) + readings(CH4, [0.4], start=35 * 30)
    assert episodes(batch(definitions=[METHANE_FACE], readings=data, events=[at_the_edge]),
                    kind="unreported_event") == []
    late = report(CH4, at(30 + grace + 1), at(90), header_time=at(30 + grace))
    assert len(episodes(batch(definitions=[METHANE_FACE], readings=data, events=[late]),
                        kind="unreported_event")) == 1


def test_a_report_that_came_in_an_earlier_batch_counts():
    ycbj = report(CH4, at(30), at(90), header_time=at(60))
    other = readings(code("0004", 9), [3.0], start=0)  # the report's batch has no over-limit and none pending
    found = episodes(batch(definitions=[METHANE_FACE], readings=other, events=[ycbj]),
                     batch(readings=_over()), kind="unreported_event")
    assert found == []


def test_an_over_limit_spread_over_batches_is_decided_with_its_end_and_peak():
    data = _over()
    one = episodes(batch(definitions=[METHANE_FACE], readings=data), kind="unreported_event")
    for cuts in ((2, 3), (3, 4), (4, 20), (2, 30)):
        parts = [data[:cuts[0]], data[cuts[0]:cuts[1]], data[cuts[1]:]]
        many = episodes(batch(definitions=[METHANE_FACE], readings=parts[0]), batch(readings=parts[1]),
                        batch(readings=parts[2]), kind="unreported_event")
        assert many == one, cuts


def test_an_alarm_raised_while_its_over_limit_goes_on_takes_the_later_end_and_peak():
    long = readings(CH4, [0.4] + [1.2] * 30 + [1.5, 0.5] + [0.4] * 5, period=30)  # over from 30 s to 16:30
    one = episodes(batch(definitions=[METHANE_FACE], readings=long), kind="unreported_event")
    assert [(r["start"], r["end"], r["peak"]) for r in one] == [(at(30), at(32 * 30), 1.5)]
    many = episodes(batch(definitions=[METHANE_FACE], readings=long[:25]), batch(readings=long[25:]),
                    kind="unreported_event")
    assert [(r["start"], r["end"], r["peak"]) for r in many] == [(at(30), at(32 * 30), 1.5)]


def test_each_over_limit_is_decided_when_the_data_passes_its_own_grace():
    ch4 = _over(quiet_after=16)  # CH4's over-limit from 30 s: decided at 630 s
    co = readings(CO, [10.0] * 10 + [30.0, 10.0] + [10.0] * 8, period=30)  # CO's from 300 s: decided at 900 s
    first, second = ch4 + co[:18], readings(CO, [10.0] * 20, start=18 * 30, period=30)
    found = episodes(batch(definitions=[METHANE_FACE], readings=first), batch(readings=second),
                     kind="unreported_event")
    assert [(r["point_code"], r["start"]) for r in found] == [(CH4, at(30)), (CO, at(300))]


def test_a_silent_mine_is_not_decided_by_another_mines_files():
    other_mine = readings(code("0004", 9, mine="141129000002"), [3.0] * 40, period=30)
    found = episodes(batch(definitions=[METHANE_FACE], readings=_over(quiet_after=0) + other_mine),
                     kind="unreported_event")
    assert found == []


# --- mine_silent ---------------------------------------------------------------------------------------------


def _files(file_type: str, *seconds: float, arrival: float | None = None) -> list[dict]:  # type: ignore[type-arg]
    return [{"mine_code": MINE, "file_type": file_type, "header_time": at(s),
             **({"arrival": at(arrival)} if arrival is not None else {})} for s in seconds]


def _silent(*batches, now=None, settings=None, mines=False) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    """The mine_silent alarms the batches add up to, each judged at its own `now` (default: its newest file),
    with the evidence of the latest batch that told of each (the platform takes a silence's new evidence)."""
    state, frames = EngineState.empty(), []
    for i, b in enumerate(batches):
        at_now = now[i] if now is not None else b.files["header_time"].max()
        result = run_batch(state, b, at_now, settings)
        state = EngineState.from_bytes(result.state.to_bytes())
        frames.append(result.episodes.filter(pl.col("kind") == "mine_silent"))
    latest = {(r["mine_code"], r["start"]): r["evidence"] for f in frames for r in f.iter_rows(named=True)}
    return [{**({"mine_code": r["mine_code"]} if mines else {}), **{k: r[k] for k in ("start", "end", "void")},
             "evidence": latest[r["mine_code"], r["start"]]}
            for r in merge_episodes(frames).iter_rows(named=True)]


def test_a_silence_names_its_late_types_and_the_backlog_that_ended_it():
    backlog = _files("CDSS", 10 * 60, 15 * 60, arrival=20 * 60)  # written during the silence, sent at 20 min
    found = _silent(batch(files=_files("CDSS", 0, 30) + backlog + _files("CDSS", 20 * 60, 20 * 60 + 30)))
    assert found == [{"start": at(330), "end": at(20 * 60), "void": False, "evidence":
                      '{"types":["CDSS"],"backlog_files":2,"backlog_from":"2024-06-01 08:10:00",'
                      '"backlog_to":"2024-06-01 08:15:00"}'}]


def test_silences_of_two_types_that_overlap_are_one_naming_both():
    files = _files("CDSS", 0, 30, 30 * 60, 38 * 60) + _files("FZSS", 0, 60, 40 * 60)
    assert _silent(batch(files=files)) == [
        {"start": at(330), "end": at(40 * 60), "void": False, "evidence": '{"types":["CDSS","FZSS"]}'}]


def test_a_silence_is_open_until_a_file_comes_and_takes_the_types_of_every_batch():
    first = batch(files=_files("CDSS", 0, 30) + _files("FZSS", 0))
    second = batch(files=_files("CDSS", 10 * 60))  # CDSS back, FZSS still missing
    third = batch(files=_files("FZSS", 20 * 60) + _files("CDSS", 20 * 60))
    found = _silent(first, second, third, now=[at(6 * 60), at(10 * 60), at(20 * 60)])
    assert found == [{"start": at(300), "end": at(20 * 60), "void": False, "evidence": '{"types":["CDSS","FZSS"]}'}]


def test_a_silence_disproved_by_a_file_that_arrived_before_it_began_is_withdrawn():
    first = batch(files=_files("CDSS", 0, 30))
    waited = batch(files=_files("CDSS", 60, arrival=100))  # it arrived at 100 s, behind another batch
    found = _silent(first, waited, now=[at(10 * 60), at(10 * 60)])
    assert found == [
        {"start": at(330), "end": None, "void": True, "evidence": '{"types":["CDSS"]}'},
        {"start": at(400), "end": None, "void": False, "evidence": '{"types":["CDSS"]}'},
    ]


def test_the_platforms_own_downtime_is_not_the_mines_silence():
    settings = Settings(platform_gap=timedelta(minutes=10))
    first = batch(files=_files("CDSS", 0, 30))
    second = batch(files=_files("CDSS", 60 * 60))  # the platform judged nothing from 00:06 to 01:00
    found = _silent(first, second, now=[at(6 * 60), at(60 * 60)], settings=settings)
    assert found == [{"start": at(330), "end": at(6 * 60), "void": False, "evidence": '{"types":["CDSS"]}'}]


def test_a_mine_is_silent_from_exactly_its_lateness_after_its_last_file():
    files = batch(files=_files("CDSS", 0, 30))  # late from 08:05:30
    assert _silent(files, now=[at(330)]) == []
    assert _silent(files, now=[at(331)]) == [{"start": at(330), "end": None, "void": False,
                                             "evidence": '{"types":["CDSS"]}'}]


def test_each_mine_is_judged_by_its_own_files_in_a_batch_of_many_mines():
    theirs = [{**f, "mine_code": OTHER_MINE} for f in _files("CDSS", 0, 30, 10 * 60)]
    found = _silent(batch(files=_files("CDSS", 0, 30) + theirs), now=[at(12 * 60)], mines=True)
    assert [(r["mine_code"], r["start"], r["end"]) for r in found] == [
        (MINE, at(330), None), (OTHER_MINE, at(330), at(10 * 60))]


def test_two_silences_of_one_mine_in_one_batch_are_two_alarms():
    found = _silent(batch(files=_files("CDSS", 0, 30, 1000, 1030)), now=[at(1400)])
    assert [(r["start"], r["end"]) for r in found] == [(at(330), at(1000)), (at(1330), None)]


def test_a_type_back_in_an_earlier_batch_is_still_named_when_the_silence_ends():
    first = batch(files=_files("CDSS", 0, 30) + _files("FZSS", 0))  # FZSS late from 08:05, CDSS from 08:05:30
    cdss_back = batch(files=_files("CDSS", 340))
    nothing_new = batch()
    both_back = batch(files=_files("CDSS", 600) + _files("FZSS", 600))
    found = _silent(first, cdss_back, nothing_new, both_back, now=[at(360), at(400), at(500), at(600)])
    assert found == [{"start": at(300), "end": at(600), "void": False, "evidence": '{"types":["CDSS","FZSS"]}'}]


def test_a_silence_is_withdrawn_only_when_every_late_type_had_a_file_before_it_began():
    first = batch(files=_files("CDSS", 0, 40) + _files("FZSS", 0, 30))  # FZSS late from 330, CDSS from 340
    fzss_back = batch(files=_files("FZSS", 400))
    waited = batch(files=_files("CDSS", 60, arrival=100))  # CDSS was in time until 400; FZSS was not
    found = _silent(first, fzss_back, waited, now=[at(360), at(420), at(420)])
    assert found == [{"start": at(330), "end": None, "void": False, "evidence": '{"types":["CDSS","FZSS"]}'}]


def test_a_file_exactly_at_the_deadline_is_in_time():
    assert _silent(batch(files=_files("CDSS", 0, 30, 330)), now=[at(400)]) == []


def test_a_file_that_arrived_exactly_when_the_silence_began_disproves_it():
    first = batch(files=_files("CDSS", 0, 30))
    waited = batch(files=_files("CDSS", 60, arrival=330))  # in time: a file at the deadline is not late
    found = _silent(first, waited, now=[at(600), at(600)])
    assert found == [{"start": at(330), "end": None, "void": True, "evidence": '{"types":["CDSS"]}'}]


def test_a_mine_still_silent_after_the_platforms_downtime_is_silent_again_from_its_end():
    settings = Settings(platform_gap=timedelta(minutes=10))
    found = _silent(batch(files=_files("CDSS", 0, 30)), batch(), now=[at(6 * 60), at(60 * 60)], settings=settings)
    assert [(r["start"], r["end"], r["void"]) for r in found] == [(at(330), at(6 * 60), False),
                                                                  (at(60 * 60), None, False)]


def test_the_platform_is_down_only_when_its_judgements_lie_further_apart_than_its_gap():
    settings, files = Settings(platform_gap=timedelta(minutes=10)), batch(files=_files("CDSS", 0, 30))
    exactly = _silent(files, batch(), now=[at(6 * 60), at(16 * 60)], settings=settings)
    assert [(r["start"], r["end"]) for r in exactly] == [(at(330), None)]
    # judged last exactly when the mine fell silent: none of its silence lies before the downtime
    at_start = _silent(files, batch(), now=[at(330), at(60 * 60)], settings=settings)
    assert [(r["start"], r["end"]) for r in at_start] == [(at(60 * 60), None)]


def test_a_wall_clock_stepped_back_neither_ends_a_silence_nor_makes_the_platform_look_down():
    settings, state, told = Settings(platform_gap=timedelta(minutes=10)), EngineState.empty(), []
    for b, now in ((batch(files=_files("CDSS", 0, 30)), 20 * 60), (batch(), 5 * 60), (batch(), 29 * 60)):
        result = run_batch(state, b, at(now), settings)
        state = EngineState.from_bytes(result.state.to_bytes())
        told += [(r["start"], r["end"], r["void"]) for r in result.episodes.iter_rows(named=True)]
    assert told == [(at(330), None, False)] * 3  # the same open silence each time, never withdrawn


# --- episodes.track -----------------------------------------------------------------------------------------


def _points(values: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"point_code": [CH4] * len(values), "t": [at(i * 60) for i in range(len(values))],
                         "v": values}, schema={"point_code": pl.String, "t": TIME, "v": pl.Float64})


def test_a_quiet_batch_answers_in_the_shapes_of_a_busy_one():
    """A rule concatenates the rows and episodes of its tracks, busy or quiet: both must have one schema."""
    key, constants = ["point_code", "direction"], {"direction": "upper"}
    busy = track(_points([0.1, 0.9, 0.1]), key=key, signal=pl.col("v") > 0.5, carried=pl.DataFrame(),
                 constants=constants)
    quiet = track(_points([0.1, 0.2, 0.1]), key=key, signal=pl.col("v") > 0.5, carried=pl.DataFrame(),
                  constants=constants)
    assert busy.episodes.height == 1 and quiet.episodes.is_empty() and quiet.rows.is_empty()
    assert dict(quiet.rows.schema) == dict(busy.rows.schema)
    assert dict(quiet.episodes.schema) == dict(busy.episodes.schema)
    assert quiet.carried.schema == busy.carried.schema == pl.Schema(carried_schema(key))


def test_an_episode_carried_in_another_schema_is_carried_on_in_the_trackers():
    """State read back from bytes may come with other types (an integer peak, milliseconds): a quiet batch
    hands it on as the tracker's own schema, its values unchanged."""
    key = ["point_code", "direction"]
    carried = pl.DataFrame({"point_code": ["其他测点"], "direction": ["upper"], "start": [at(0)], "peak": [2],
                            "last": [at(60)]}).with_columns(pl.col("start", "last").cast(pl.Datetime("ms")))
    for values in ([0.1, 0.2], [0.1, 0.9]):  # quiet, and busy with a point of its own
        out = track(_points(values), key=key, signal=pl.col("v") > 0.5, carried=carried,
                    constants={"direction": "upper"}).carried
        assert out.schema == pl.Schema(carried_schema(key))
        assert out.filter(pl.col("point_code") == "其他测点").rows() == [("其他测点", "upper", at(0), 2.0, at(60))]


def test_an_episode_carried_into_a_batch_holds_through_a_first_reading_that_decides_nothing():
    """CH4's alarm from the first batch; the second opens in the hysteresis band (0.9: neither alarm nor
    clear), after another point whose own alarm ended in that batch. The carried state holds: the state of
    the point before it in the frame must not leak into it."""
    before = {**METHANE_FACE, "point_code": code("0001", 0)}  # sorts before CH4
    first = batch(definitions=[METHANE_FACE, before], readings=readings(CH4, [0.4, 1.2]))
    second = batch(readings=readings(before["point_code"], [1.2, 0.5], start=60)
                   + readings(CH4, [0.9, 0.9, 0.5], start=60))
    found = episodes(first, second, kind="over_limit")
    assert sorted((r["point_code"], r["start"], r["end"]) for r in found) == [
        (before["point_code"], at(60), at(90)), (CH4, at(30), at(120))]


def test_a_batch_that_opens_on_an_alarm_and_alarms_again_keeps_two_episodes():
    found = episodes(batch(definitions=[METHANE_FACE], readings=readings(CH4, [1.2, 0.5, 1.3, 0.5])),
                     kind="over_limit")
    assert [(r["start"], r["end"], r["peak"]) for r in found] == [(at(0), at(30), 1.2), (at(60), at(90), 1.3)]


def test_an_episodes_last_time_never_goes_back_for_a_late_reading():
    """A reading that arrives late (older than the last one the open episode has seen) continues the episode
    and its peak counts, but the episode's last time stays the newest seen."""
    key = ["point_code"]
    carried = pl.DataFrame({"point_code": [CH4], "start": [at(0)], "peak": [1.2], "last": [at(600)]},
                           schema=carried_schema(key))
    late = track(_points([1.5]), key=key, signal=pl.col("v") > 1.0, carried=carried, value=pl.col("v"))
    assert late.carried.rows() == [(CH4, at(0), 1.5, at(600))]
    newer = track(_points([1.1] * 12), key=key, signal=pl.col("v") > 1.0, carried=carried, value=pl.col("v"))
    assert newer.carried.rows() == [(CH4, at(0), 1.2, at(660))]


def test_the_episodes_of_a_batch_come_sorted_by_key_and_start():
    other = code("0001", 0)  # sorts before CH4, its episodes start later
    df = pl.concat([_points([0.1, 0.1, 0.9, 0.1, 0.9]).with_columns(point_code=pl.lit(other)),
                    _points([0.9, 0.1, 0.9, 0.1, 0.1])])
    found = track(df.sort("point_code", "t"), key=["point_code"], signal=pl.col("v") > 0.5,
                  carried=pl.DataFrame()).episodes
    assert found.select("point_code", "start").rows() == [
        (other, at(120)), (other, at(240)), (CH4, at(0)), (CH4, at(120))]


def test_a_rule_input_given_only_the_monitoring_files_holds_empty_frames_of_every_other_kind():
    """A batch of CDSS files alone (the usual batch): the personnel, power, seal and definition frames a rule
    reads are there, empty and of their schemas, so that a rule can filter and join them without asking."""
    given = RuleInput(readings=pl.DataFrame(), files=pl.DataFrame(), reports=pl.DataFrame(),
                      outstation_status=pl.DataFrame(), settings=Settings())
    for name, expected in (("positions", schema.POSITIONS), ("snapshots", schema.SNAPSHOTS),
                           ("station_status", schema.STATION_STATUS), ("power", schema.POWER),
                           ("seals", schema.SEALS), ("definitions", schema.DEFINITIONS)):
        frame = getattr(given, name)
        assert frame.is_empty() and frame.schema == pl.Schema(expected), name
