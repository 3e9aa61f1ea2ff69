"""The lead rules (engine.rules.leads) on crafted days: each one's boundaries, one batch against many,
and the batch without their rows, which leaves the state as it was."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from kuangan.engine.rules import (
    leads,
    over_capacity,
    power_use_while_suspended,
)
from kuangan.engine.settings import Settings

from .factories import MINE, code, readings
from .lead_factories import (
    AREA,
    BASE_DAYS,
    CAPACITY,
    ELSEWHERE,
    METER,
    MIXED,
    MIXED_FACTS,
    OTHER,
    OUTPUT,
    SEAL,
    SEAL_2,
    SUSPENDED,
    Records,
    area,
    area_facts,
    capacity_leads,
    card,
    counter,
    day,
    days_of_work,
    facts,
    hidden_leads,
    inputs,
    june,
    leads_status,
    moment,
    power,
    power_day,
    power_leads,
    power_records,
    quiet_day,
    run,
    seal_leads,
    sighting,
    snapshots,
    suspended_from,
    with_personnel,
)

pytestmark = pytest.mark.nodb


def test_the_lead_kinds_are_the_four_rules():
    assert leads.LEAD_KINDS == {"hidden_working_face", "power_use_while_suspended", "over_capacity",
                                "seal_activity_while_suspended"}
    assert [module.KIND for _, module in leads.RULES] == [name for name, _ in leads.RULES]


# --- power_use_while_suspended ------------------------------------------------------------------------------

def test_a_suspended_day_at_exactly_30_percent_is_no_lead_and_just_over_is():
    # day 10: 300 kWh = 30 % of the 1000 kWh median, not above; day 11: 301 kWh; day 12: 100 kWh ends it
    # (once day 12 is complete: its last hour reported)
    result = power_leads(power_records([300.0, 301.0, 100.0]))
    assert result.leads == [(None, moment(11), moment(12), 30.1)]
    shown = result.evidence[0]
    assert (shown["day"], shown["kwh"], shown["baseline_kwh"], shown["baseline_days"], shown["status"]) == (
        str(day(11)), 301.0, 1000.0, BASE_DAYS, SUSPENDED)


def test_consecutive_suspended_days_over_the_share_are_one_lead_open_until_a_day_is_under():
    result = power_leads(power_records([500.0, 400.0, 350.0]))
    assert result.leads == [(None, moment(10), None, 50.0)]


def test_a_producing_mine_using_power_is_no_lead():
    result = run(power_use_while_suspended, inputs(power_records([2000.0, 3000.0]), facts(
        status_rows=leads_status(MINE, 1000))))
    assert result.leads == []


def test_without_seven_producing_days_there_is_no_baseline_and_no_lead():
    six = power_leads(power_records([900.0, 900.0], producing_days=6), suspended_on=6)
    assert six.leads == []
    baseline = power_use_while_suspended.baseline(six.state, MINE)
    assert baseline is not None and (baseline.median, baseline.days, baseline.needed) == (None, 6, 7)
    assert power_use_while_suspended.baseline(six.state, OTHER) is None  # no power data at all
    seven = power_leads(power_records([900.0, 900.0], producing_days=7), suspended_on=7)
    assert seven.leads == [(None, moment(7), None, 90.0)]
    baseline = power_use_while_suspended.baseline(seven.state, MINE)
    assert baseline is not None and (baseline.median, baseline.days) == (1000.0, 7)


def test_the_baseline_is_the_median_of_the_last_30_producing_days():
    rows = []
    for n in range(40):  # days 0-9 at 10,000 kWh, then 30 days at 1000: the first ten fall out
        rows += power_day(METER, n, 10_000.0 if n < 10 else 1000.0)
    rows += power_day(METER, 40, 400.0)
    result = power_leads(Records(power=rows), suspended_on=40)
    assert result.leads == [(None, moment(40), None, 40.0)]
    assert power_use_while_suspended.baseline(result.state, MINE) == (1000.0, 30, 7, pytest.approx(1000 / 96))


def test_an_interval_across_midnight_is_split_between_the_days():
    # day 9 (producing) 23:00 to day 10 (suspended) 01:00: 700 kWh, half of it on day 10 = 35 %
    third = f"{MINE}M003"
    records = power_records([]) + Records(power=power(third, moment(9, 23), [700.0], minutes=120)
                                          + power(third, moment(10, 1), [0.0] * 23))
    result = power_leads(records)
    assert result.leads == [(None, moment(10), None, 35.0)]  # open: no later day yet
    assert result.evidence[0]["kwh"] == 350.0


def test_a_night_burst_above_half_the_baseline_night_peak_is_a_lead():
    # baseline: 1000 kWh a day evenly, a 15-minute slot 10.42 kWh; the suspended day uses 100 kWh in all
    # (10 %), 6 kWh of it between 02:00 and 02:15 (58 % of the night peak)
    quarter = [94 / 95] * 96
    quarter[8] = 6.0
    result = power_leads(power_records([]) + Records(power=power(METER, moment(10), quarter, minutes=15)))
    assert len(result.leads) == 1 and result.leads[0][:3] == (None, moment(10), None)
    shown = result.evidence[0]
    assert shown["share_pct"] == 10.0 and shown["night_share_pct"] == pytest.approx(57.6, abs=0.1)
    quiet = [100 / 96] * 96  # the same 100 kWh spread over the day: no lead
    assert power_leads(power_records([]) + Records(power=power(METER, moment(10), quiet, minutes=15))).leads == []


def test_a_power_file_sent_twice_counts_once():
    records = power_records([200.0])
    again = Records(power=[{**r, "header_time": moment(10, 23)} for r in power_day(METER, 10, 200.0)])
    result = power_leads(records + again, cuts=[moment(10, 22)])
    assert result.leads == []  # 2 × 200 would be 40 %


def test_power_one_batch_equals_many():
    records = power_records([300.0, 301.0, 100.0, 800.0, 900.0])
    whole = power_leads(records)
    cuts = [moment(n, h) for n in range(16) for h in (0.5, 7.25, 13, 23.9)]
    assert power_leads(records, cuts=cuts).leads == whole.leads
    assert whole.leads == [(None, moment(11), moment(12), 30.1), (None, moment(13), None, 90.0)]


# --- over_capacity ------------------------------------------------------------------------------------------

def test_a_month_of_exactly_10_percent_is_no_lead_and_one_tonne_more_is():
    exactly = counter([(june(1, 0), 5000.0), (june(15), 65_000.0), (june(30, 23), 125_000.0),
                       (datetime(2024, 7, 1, 1), 125_010.0)])
    assert capacity_leads(exactly).leads == []
    over = counter([(june(1, 0), 5000.0), (june(15), 65_000.0), (june(30, 23), 125_001.0),
                    (datetime(2024, 7, 1, 1), 125_011.0)])
    result = capacity_leads(over)
    # opens at the reading that takes June over, ends at July's first
    assert result.leads == [(None, june(30, 23), datetime(2024, 7, 1, 1), 120_001.0)]
    shown = result.evidence[0]
    assert (shown["month"], shown["month_tonnes"], shown["capacity"], shown["month_over"]) == (
        "2024-06", 120_001.0, CAPACITY, True)
    assert shown["counters"] == [{"point_code": OUTPUT, "unit": "t", "unit_known": True}]


def test_a_counter_reset_counts_the_new_value_from_zero():
    # 0 → 100,000, then the counter restarts and reads 30,000: 130,000 t in June
    result = capacity_leads(counter([(june(1), 0.0), (june(10), 100_000.0), (june(11), 30_000.0)]))
    assert result.leads == [(None, june(11), None, 130_000.0)]
    assert result.evidence[0]["month_tonnes"] == 130_000.0
    assert over_capacity.empty_state().keys() == result.state.keys()
    assert result.state["counters"].row(0) == (MINE, OUTPUT, 30_000.0, june(11))


def test_a_counter_in_wan_tonnes_is_multiplied_and_an_unknown_unit_read_as_tonnes():
    result = capacity_leads(counter([(june(1), 3.0), (june(20), 15.0001)], unit="万吨"))
    assert result.leads == [(None, june(20), None, pytest.approx(120_001.0))]
    assert result.evidence[0]["units_assumed"] is False
    odd = capacity_leads(counter([(june(1), 0.0), (june(20), 120_001.0)], unit="车"))
    assert odd.leads == [(None, june(20), None, 120_001.0)]
    assert odd.evidence[0]["units_assumed"] is True
    assert odd.evidence[0]["counters"] == [{"point_code": OUTPUT, "unit": "车", "unit_known": False}]


def test_the_mine_output_is_the_sum_of_its_counters_and_other_counters_do_not_count():
    second = code("3001", 8, "LJ")
    water = code("1014", 9, "LJ")  # a cumulative water meter: not output
    records = (counter([(june(1), 0.0), (june(20), 60_001.0)])
               + counter([(june(1), 0.0), (june(20), 60_000.0)], point=second)
               + counter([(june(1), 0.0), (june(20), 900_000.0)], point=water))
    result = capacity_leads(records)
    assert result.leads == [(None, june(20), None, 120_001.0)]
    assert [c["point_code"] for c in result.evidence[0]["counters"]] == sorted([OUTPUT, second])


def year_values(last_month: float) -> list[tuple[datetime, float]]:
    """0 on 1 January, then 120,000 t a month (exactly 10 %: no month over) to November, where the counter
    ends at `last_month` more than October's."""
    values = [(datetime(2024, 1, 1, 0, 30), 0.0)]
    for m in range(1, 11):
        values.append((datetime(2024, m, 28, 23), 120_000.0 * m))
    values.append((datetime(2024, 11, 28, 23), 1_200_000.0 + last_month))
    values += [(datetime(2024, 12, 10), 1_200_000.0 + last_month + 10.0),
               (datetime(2025, 1, 2), 1_200_000.0 + last_month + 20.0)]
    return values


def test_a_year_at_109_9_percent_is_no_lead_and_at_110_percent_is():
    assert capacity_leads(counter(year_values(118_800.0))).leads == []  # 1,318,800 t: 109.9 %
    result = capacity_leads(counter(year_values(120_000.0)))  # 1,320,000 t: 110 %
    assert result.leads == [(None, datetime(2024, 11, 28, 23), datetime(2025, 1, 2), 1_320_010.0)]
    assert result.evidence[0]["year_over"] is True and result.evidence[0]["year_share_pct"] == 110.0


def test_a_mine_without_a_capacity_is_not_judged():
    records = counter([(june(1), 0.0), (june(20), 10_000_000.0)])
    assert run(over_capacity, inputs(records, facts())).leads == []


def test_over_capacity_one_batch_equals_many():
    records = counter(year_values(130_000.0)) + counter(
        [(datetime(2024, 3, 1), 0.0), (datetime(2024, 3, 20), 50_000.0), (datetime(2024, 3, 21), 10.0),
         (datetime(2024, 3, 30), 70_000.0)], point=code("3001", 8, "LJ"))
    whole = capacity_leads(records)
    cuts = [datetime(2024, m, d) for m in range(1, 13) for d in (2, 20, 29)]
    assert capacity_leads(records, cuts=cuts).leads == whole.leads
    assert len(whole.leads) == 2  # March over by the second counter; the year from November


def test_a_batch_of_analog_readings_leaves_the_counter_state_unchanged():
    result = capacity_leads(counter([(june(1), 0.0), (june(20), 50_000.0)]))
    analog = inputs(Records(readings=[{**r, "mine_code": MINE} for r in readings(code("0001", 1), [0.3, 0.4])]),
                    facts(capacity={MINE: CAPACITY}))[0]
    assert analog.readings.height == 2
    state, episodes = over_capacity.evaluate(result.state, analog, june(21))
    assert state is result.state and episodes.is_empty()


# --- seal_activity_while_suspended --------------------------------------------------------------------------


def test_sightings_within_an_hour_are_one_lead_and_a_longer_gap_starts_another():
    rows = [sighting(SEAL, moment(2, 10)), sighting(SEAL, moment(2, 10.5), people=3),
            sighting(SEAL, moment(2, 11.5)),  # exactly an hour after the last: the same episode
            sighting(SEAL, moment(2, 13), people=0, vehicles=1),  # 1 h 30 min later: a new one
            sighting(SEAL_2, moment(2, 14.5), people=0, event="设备在线")]  # no one seen: only the clock of the data
    result = seal_leads(rows)
    assert result.leads == [(SEAL, moment(2, 10), moment(2, 11.5), 3.0), (SEAL, moment(2, 13), moment(2, 13), 1.0)]
    first = result.evidence[0]
    assert (first["sightings"], first["people_max"], first["events"], first["status"]) == (
        3, 3, ["人员靠近"], SUSPENDED)
    assert result.evidence[1]["vehicles_max"] == 1
    assert result.state.is_empty()


def test_a_seal_lead_stays_open_while_no_later_data_shows_an_hour_without_sightings():
    result = seal_leads([sighting(SEAL, moment(2, 10)), sighting(SEAL_2, moment(2, 11))])
    assert result.leads == [(SEAL, moment(2, 10), None, 1.0), (SEAL_2, moment(2, 11), None, 1.0)]
    assert result.state.height == 2


def test_a_producing_mine_s_seal_events_are_no_lead():
    rows = [sighting(SEAL, moment(2, 10)), sighting(SEAL, moment(5, 10)), sighting(SEAL, moment(5, 12))]
    # suspended from day 3: only day 5's sightings count
    result = seal_leads(rows, suspended_from(3))
    assert result.leads == [(SEAL, moment(5, 10), moment(5, 10), 1.0), (SEAL, moment(5, 12), None, 1.0)]
    producing = seal_leads(rows, facts(status_rows=leads_status(MINE, 1000)))
    assert producing.leads == []


def test_seal_one_batch_equals_many():
    rows = [sighting(SEAL, moment(2, h)) for h in (1, 1.5, 2.5, 4, 4.2, 9, 9.9)]
    rows += [sighting(SEAL_2, moment(2, h), people=0, vehicles=2) for h in (3, 3.9, 6)]
    whole = seal_leads(rows)
    assert seal_leads(rows, cuts=[moment(2, h) for h in (1.2, 2, 4.1, 5, 9.5)]).leads == whole.leads
    assert [lead[1:] for lead in whole.leads] == [
        (moment(2, 1), moment(2, 2.5), 3.0), (moment(2, 3), moment(2, 3.9), 2.0),
        (moment(2, 4), moment(2, 4.2), 2.0), (moment(2, 6), moment(2, 6), 1.0), (moment(2, 9), None, 2.0)]


# --- hidden_working_face ------------------------------------------------------------------------------------

def test_three_people_four_hours_on_three_of_seven_days_open_a_lead():
    result = hidden_leads(days_of_work(0, 3, 6))
    assert result.leads == [(AREA, moment(0, 8), None, 3.0)]
    shown = result.evidence[0]
    assert shown["declared"] == "undeclared" and shown["area"] == AREA
    assert [d["day"] for d in shown["qualifying_days"]] == [str(day(0)), str(day(3)), str(day(6))]
    assert shown["qualifying_days"][0]["who"] == [{"card_code": card(i), "hours": 4.0} for i in (1, 2, 3)]


def test_two_qualifying_days_in_seven_are_no_lead():
    assert hidden_leads(days_of_work(0, 3) + quiet_day(7)).leads == []
    assert hidden_leads(days_of_work(0, 3, 7)).leads == []  # day 0 is out of day 7's window


def test_3_h_59_is_not_4_h():
    assert hidden_leads(days_of_work(0, 1, 2, hours=4 - 1 / 60)).leads == []
    assert hidden_leads(days_of_work(0, 1, 2, hours=4)).leads == [(AREA, moment(0, 8), None, 3.0)]


def test_two_people_are_not_three():
    assert hidden_leads(days_of_work(0, 1, 2, people=2)).leads == []
    assert hidden_leads(days_of_work(0, 1, 2, people=4)).leads == [(AREA, moment(0, 8), None, 4.0)]


def test_a_stopped_or_sealed_face_is_hidden_and_an_active_one_is_not():
    work = days_of_work(0, 1, 2)
    stopped = hidden_leads(work, area_facts("face", "stopped"))
    assert stopped.leads == [(AREA, moment(0, 8), None, 3.0)]
    assert (stopped.evidence[0]["declared"], stopped.evidence[0]["face_status"]) == ("face_stopped", "stopped")
    assert hidden_leads(work, area_facts("face", "sealed")).leads == [(AREA, moment(0, 8), None, 3.0)]
    assert hidden_leads(work, area_facts("face", "producing")).leads == []
    assert hidden_leads(work, area_facts("roadway")).leads == []


def test_an_undeclared_shaft_top_is_no_hidden_face():
    """Everyone passes the shaft top; the mine's own RYQY calling an area that is not evidence of a face."""
    work = days_of_work(0, 1, 2)
    assert hidden_leads(work, area_facts(None, area_type="井口区域")).leads == []
    assert hidden_leads(work, area_facts(None, area_type="重点区域")).leads == [(AREA, moment(0, 8), None, 3.0)]


def test_the_lead_ends_when_the_window_no_longer_holds_three_days():
    # days 0-2 qualify; day 7's window (days 1-7) holds two: the lead ends, once day 7 is complete, at the
    # last stay of day 2
    quiet = Records()
    for n in range(3, 9):
        quiet = quiet + quiet_day(n)
    result = hidden_leads(days_of_work(0, 1, 2) + quiet)
    assert result.leads == [(AREA, moment(0, 8), moment(2, 12), 3.0)]
    open_yet = hidden_leads(days_of_work(0, 1, 2) + quiet_day(6) + quiet_day(7))  # day 7 not complete
    assert open_yet.leads == [(AREA, moment(0, 8), None, 3.0)]


def test_snapshots_further_apart_than_the_gap_count_only_the_gap():
    # hourly snapshots from 08:00 to 16:00: 8 hours in the area, counted as 8 × 15 minutes
    pos, snaps = snapshots(moment(0, 8), moment(0, 16), {card(i): AREA for i in (1, 2, 3)},
                           every=timedelta(hours=1))
    records = Records(positions=pos, snapshots=snaps)
    for n in (1, 2):
        p, s = snapshots(moment(n, 8), moment(n, 16), {card(i): AREA for i in (1, 2, 3)}, every=timedelta(hours=1))
        records = records + Records(positions=p, snapshots=s)
    assert hidden_leads(records).leads == []
    assert hidden_leads(records, settings=with_personnel(snapshot_gap=timedelta(hours=1))).leads == [
        (AREA, moment(0, 8), None, 3.0)]


def test_a_person_absent_from_a_snapshot_stays_no_longer():
    # three people in the area 08:00-12:05 each day (4 h 05 min); if one of them is elsewhere in the 10:00
    # snapshot, the two intervals around it (10 min) are not a stay: 3 h 55 min

    def days(leaves: bool) -> Records:
        records = Records()
        for n in (0, 1, 2):
            crew = {card(i): AREA for i in (1, 2, 3)}
            minutes = timedelta(minutes=5)
            p1, s1 = snapshots(moment(n, 8), moment(n, 10) - minutes, crew)
            p2, s2 = snapshots(moment(n, 10), moment(n, 10), {**crew, card(3): ELSEWHERE if leaves else AREA})
            p3, s3 = snapshots(moment(n, 10) + minutes, moment(n, 12) + minutes, crew)
            records = records + Records(positions=p1 + p2 + p3, snapshots=s1 + s2 + s3)
        return records

    assert hidden_leads(days(leaves=False)).leads == [(AREA, moment(0, 8), None, 3.0)]
    assert hidden_leads(days(leaves=True)).leads == []


def test_hidden_one_batch_equals_many():
    records = days_of_work(0, 1, 3, 4, 5) + days_of_work(12, 13, people=4) + days_of_work(14, people=5)
    for n in (6, 7, 8, 9, 10, 11, 15, 16):
        records = records + quiet_day(n)
    whole = hidden_leads(records)
    assert whole.leads == [(AREA, moment(0, 8), moment(5, 12), 3.0), (AREA, moment(12, 8), None, 5.0)]
    cuts = [moment(n, h) for n in range(17) for h in (0, 9.03, 11.99, 12, 12.01, 15)]
    assert hidden_leads(records, cuts=cuts).leads == whole.leads


def test_another_mine_s_area_of_the_same_name_is_another_area():
    other = Records()
    for n in (2,):
        crew = {card(i, OTHER): AREA for i in (1, 2, 3)}  # area code of MINE, written by OTHER
        p, s = snapshots(moment(n, 8), moment(n, 12), crew, mine=OTHER)
        other = other + Records(positions=p, snapshots=s)
    result = hidden_leads(days_of_work(0, 1) + other)
    # two days of MINE's and one of OTHER's: each mine's area has too few
    assert result.leads == []
    assert result.state["dwell"].group_by("mine_code").agg(pl.col("day").n_unique()).sort("mine_code").rows() == [
        (MINE, 2), (OTHER, 1)]


# --- every rule: a batch without its rows -------------------------------------------------------------------


@pytest.mark.parametrize("module", [module for _, module in leads.RULES])
def test_a_batch_without_the_rules_rows_returns_the_state_unchanged(module):
    records = (power_records([500.0]) + days_of_work(0, 1, 2)
               + Records(seals=[sighting(SEAL, moment(12, 10))])
               + counter([(moment(10), 0.0), (moment(12), 200_000.0)]))
    the_facts = facts(status_rows=leads_status(MINE, 10), capacity={MINE: CAPACITY},
                      areas=[area(ELSEWHERE, "roadway")])
    result = run(module, inputs(records, the_facts))
    assert result.leads  # each rule saw its rows
    nothing = inputs(Records(), the_facts, settings=Settings())[0]
    state, episodes = module.evaluate(result.state, nothing, moment(20))
    assert state is result.state
    assert episodes.is_empty() and episodes.columns == ["mine_code", "point_code", "kind", "start", "end", "peak",
                                                        "evidence", "void"]


@pytest.mark.parametrize("module", [module for _, module in leads.RULES])
def test_every_state_frame_is_keyed_by_its_mine(module):
    # the pipeline splits a state by mine (EngineState.of_mine) to judge one mine again
    state = module.empty_state()
    frames = state.values() if isinstance(state, dict) else [state]
    assert all("mine_code" in f.columns for f in frames)


def test_the_episodes_are_judged_per_mine():
    records = power_records([500.0]) + Records(power=[{**r, "mine_code": OTHER, "meter_code": OTHER + "M1"}
                                                      for r in power_day(METER, 10, 500.0)])
    the_facts = facts(status_rows=leads_status(MINE, 10) + leads_status(OTHER, 10))
    result = run(power_use_while_suspended, inputs(records, the_facts))
    assert result.leads == [(None, moment(10), None, 50.0)]  # OTHER has no baseline
    assert power_use_while_suspended.baseline(result.state, OTHER) == (None, 0, 7, None)


# --- every rule: any cut into batches gives the same leads --------------------------------------------------


@functools.cache
def mixed_as_one_batch(module):
    return run(module, inputs(MIXED, MIXED_FACTS)).leads


@given(st.lists(st.integers(min_value=9 * 24 * 60, max_value=15 * 24 * 60), max_size=12))
@hyp_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_cut_into_batches_gives_the_same_leads(minutes):
    cuts = [moment(0) + timedelta(minutes=m) for m in minutes]
    for _, module in leads.RULES:
        whole = mixed_as_one_batch(module)
        assert whole, module.KIND
        assert run(module, inputs(MIXED, MIXED_FACTS, cuts=cuts)).leads == whole, module.KIND
