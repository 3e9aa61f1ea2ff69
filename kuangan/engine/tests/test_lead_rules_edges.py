"""The lead rules' edges that their day-by-day tests (test_lead_rules.py) pass by: the mine's status at the
exact end of a status, statuses given out of order, a share of nothing; and the seal rule's episode carried
from one batch into the next (what it has seen so far, merged with what comes), rows without a count, the
same sighting sent again, and a batch of another mine."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest

from kuangan.engine.rules import (
    hidden_working_face,
    leads,
    over_capacity,
    power_use_while_suspended,
    seal_activity_while_suspended,
)
from kuangan.engine.schema import TIME

from .factories import MINE, code
from .lead_factories import (
    AREA,
    CAPACITY,
    METER,
    MIXED,
    MIXED_FACTS,
    OTHER,
    OUTPUT,
    PRODUCING,
    SEAL,
    SEAL_2,
    SUSPENDED,
    Records,
    area_code,
    area_facts,
    capacity_leads,
    card,
    count,
    counter,
    counter_definition,
    day,
    days_of_work,
    facts,
    hidden_leads,
    inputs,
    june,
    moment,
    power,
    power_day,
    power_leads,
    quiet_day,
    run,
    saved,
    sighting,
    snapshots,
    status,
    with_personnel,
)

pytestmark = pytest.mark.nodb

OTHER_SEAL = f"{OTHER}S01"


# --- leads.status_at and leads.share ------------------------------------------------------------------------


def status_at(times: list[tuple[str, datetime]], status_rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    frame = pl.LazyFrame({"mine_code": [m for m, _ in times], "t": [t for _, t in times]},
                         schema={"mine_code": pl.String, "t": TIME})
    result = leads.status_at(frame, "t", facts(status_rows=status_rows)).collect()
    return result.select("mine_code", "t", "mine_status", "suspended").rows()


def test_a_status_holds_until_just_before_its_end_and_nothing_is_known_after_a_last_one_ended():
    rows = [{"mine_code": MINE, "start": moment(0), "end": moment(5), "status": SUSPENDED, "suspended": True}]
    times = [(MINE, moment(4, 23.99)), (MINE, moment(5)), (MINE, moment(9))]
    assert status_at(times, rows) == [
        (MINE, moment(4, 23.99), SUSPENDED, True), (MINE, moment(5), None, False), (MINE, moment(9), None, False)]


def test_a_mine_the_registry_knows_nothing_of_is_not_suspended():
    rows = status(MINE, (day(0), SUSPENDED))
    assert status_at([(OTHER, moment(3)), (MINE, moment(3))], rows) == [
        (OTHER, moment(3), None, False), (MINE, moment(3), SUSPENDED, True)]


def test_statuses_given_in_any_order_are_matched_by_time_and_the_rows_keep_their_order():
    rows = status(MINE, (day(0), PRODUCING), (day(3), SUSPENDED), (day(6), PRODUCING))
    times = [(MINE, moment(7)), (MINE, moment(1)), (MINE, moment(4)), (MINE, moment(2))]
    assert status_at(times, list(reversed(rows))) == [
        (MINE, moment(7), PRODUCING, False), (MINE, moment(1), PRODUCING, False),
        (MINE, moment(4), SUSPENDED, True), (MINE, moment(2), PRODUCING, False)]


def test_a_share_of_a_whole_that_is_not_positive_is_null_and_of_a_small_whole_is_computed():
    shares = pl.DataFrame({"part": [1.0, 1.0, 0.3, 1.0], "whole": [0.0, -2.0, 0.5, None]}).select(
        leads.share(pl.col("part"), pl.col("whole"))).to_series().to_list()
    assert shares == [None, None, 0.6, None]


# --- seal_activity_while_suspended: an episode carried across batches ---------------------------------------


def seal_batches(*batches: list[dict[str, Any]], mines=(MINE,)) -> list[Any]:
    """The rows as consecutive batches (each row's header time set to its batch), the mines suspended."""
    rows = [{**r, "header_time": moment(20, i)} for i, b in enumerate(batches) for r in b]
    status_rows = [row for m in mines for row in status(m, (day(0), SUSPENDED))]
    return inputs(Records(seals=rows), facts(status_rows=status_rows), cuts=[moment(20, i) for i in range(1, len(batches))])


def evaluate_all(batches: list[Any], module: Any = seal_activity_while_suspended) -> tuple[Any, list[pl.DataFrame]]:
    """The state after the batches, and the episodes each batch raised or changed."""
    state, raised = module.empty_state(), []
    for b in batches:
        state, episodes = module.evaluate(state, b, datetime(2030, 1, 1))
        state = saved(state)
        raised.append(episodes)
    return state, raised


def evidence_of(episodes: pl.DataFrame, seal: str) -> dict[str, Any]:
    (text,) = episodes.filter(pl.col("point_code") == seal).get_column("evidence").to_list()
    return json.loads(text)


def test_an_episode_continued_in_a_later_batch_merges_counts_places_and_events_with_what_it_carried():
    first = [sighting(SEAL, moment(2, 10), people=3, vehicles=0),
             {**sighting(SEAL_2, moment(2, 10), people=1, vehicles=2), "place": "副斜井密闭"}]
    then = [{**sighting(SEAL, moment(2, 10.5), people=1, vehicles=2, event="车辆靠近"), "place": "回风井密闭"},
            {**sighting(SEAL, moment(2, 10.6), people=1), "place": None},  # the last place written stays
            {**sighting(SEAL_2, moment(2, 10.5), people=4, vehicles=0), "place": None}]
    state, raised = evaluate_all(seal_batches(first, then))
    assert state.select("seal_code", "start", "last", "sightings", "people", "vehicles", "place", "events").rows() == [
        (SEAL, moment(2, 10), moment(2, 10.6), 3, 3, 2, "回风井密闭", ["人员靠近", "车辆靠近"]),
        (SEAL_2, moment(2, 10), moment(2, 10.5), 2, 4, 2, "副斜井密闭", ["人员靠近"]),
    ]
    # what the platform is told of the second batch: the whole episode so far, still open
    evidence = evidence_of(raised[1], SEAL)
    assert {k: evidence[k] for k in ("seal", "place", "events", "sightings", "people_max", "vehicles_max")} == {
        "seal": SEAL, "place": "回风井密闭", "events": ["人员靠近", "车辆靠近"], "sightings": 3, "people_max": 3,
        "vehicles_max": 2}
    assert (evidence["first"], evidence["last"]) == (str(moment(2, 10)), str(moment(2, 10.6)))
    assert raised[1].filter(pl.col("point_code") == SEAL).select("start", "end", "peak").rows() == [
        (moment(2, 10), None, 3.0)]


def test_a_row_without_a_count_counts_as_nobody():
    rows = [sighting(SEAL, moment(2, 10), people=None, vehicles=0),  # no one: no sighting
            sighting(SEAL_2, moment(2, 10), people=0, vehicles=None),
            sighting(SEAL, moment(2, 10.2), people=None, vehicles=1),
            sighting(SEAL_2, moment(2, 10.2), people=2, vehicles=None)]
    state, _ = evaluate_all(seal_batches(rows))
    assert state.select("seal_code", "start", "sightings", "people", "vehicles").rows() == [
        (SEAL, moment(2, 10.2), 1, 0, 1), (SEAL_2, moment(2, 10.2), 1, 2, 0)]


def test_a_sighting_sent_again_in_a_later_batch_is_not_counted_twice():
    first = [sighting(SEAL, moment(2, 10))]
    then = [sighting(SEAL, moment(2, 10)), sighting(SEAL, moment(2, 10.3))]
    state, raised = evaluate_all(seal_batches(first, then))
    assert state.select("seal_code", "sightings").rows() == [(SEAL, 2)]
    assert evidence_of(raised[1], SEAL)["sightings"] == 2


def test_two_rows_of_one_seal_at_one_time_are_one_sighting():
    rows = [sighting(SEAL, moment(2, 10), people=2), sighting(SEAL, moment(2, 10), people=5, event="人员滞留")]
    result = run(seal_activity_while_suspended, seal_batches(rows))
    assert result.leads == [(SEAL, moment(2, 10), None, 1.0)]
    assert (result.evidence[0]["people_max"], result.evidence[0]["events"]) == (2, ["人员靠近"])


def test_a_batch_of_another_mine_leaves_an_open_episode_open_and_unreported():
    first = [sighting(SEAL, moment(2, 10))]
    # the other mine's data runs hours later: its clock closes nothing of this mine
    then = [sighting(OTHER_SEAL, moment(2, 14), mine=OTHER)]
    state, raised = evaluate_all(seal_batches(first, then, mines=(MINE, OTHER)))
    assert state.select("mine_code", "seal_code", "start").rows() == [
        (MINE, SEAL, moment(2, 10)), (OTHER, OTHER_SEAL, moment(2, 14))]
    assert raised[1].select("point_code", "end").rows() == [(OTHER_SEAL, None)]


def test_a_batch_that_neither_continues_nor_closes_an_open_episode_reports_only_what_it_changed():
    first = [sighting(SEAL, moment(2, 10))]
    then = [sighting(SEAL_2, moment(2, 10.5))]  # half an hour on: the first seal's episode may go on
    state, raised = evaluate_all(seal_batches(first, then))
    assert raised[1].select("point_code", "start", "end").rows() == [(SEAL_2, moment(2, 10.5), None)]
    assert state.get_column("seal_code").to_list() == [SEAL, SEAL_2]
    # an hour and a second after the first seal's last sighting, the mine's data closes it
    _, closing = evaluate_all(seal_batches(first, then, [sighting(SEAL_2, moment(2, 10) + timedelta(hours=1, seconds=1))]))
    assert closing[2].select("point_code", "start", "end").sort("point_code").rows() == [
        (SEAL, moment(2, 10), moment(2, 10)), (SEAL_2, moment(2, 10.5), None)]


# --- over_capacity: the evidence, counters as defined or not, several mines ---------------------------------

JULY_1 = datetime(2024, 7, 1, 1)


def test_the_capacity_evidence_shows_the_latest_reading_over_a_share_its_shares_and_the_limits():
    settings = with_personnel(capacity_month_share=0.123456, capacity_year_share=1.234567)
    # 12.3456 % of 1,200,000 t is 148,147.2 t: June goes over on the 20th, and further on the 25th
    result = capacity_leads(counter([(june(1, 0), 0.0), (june(20), 150_000.0), (june(25), 150_060.456)]),
                          settings=settings)
    assert result.leads == [(None, june(20), None, pytest.approx(150_060.456))]
    assert result.evidence[0] == {
        "at": str(june(25)), "month": "2024-06", "month_tonnes": 150_060.5, "month_share_pct": 12.51,
        "month_over": True, "year": 2024, "year_tonnes": 150_060.5, "year_share_pct": 12.51, "year_over": False,
        "capacity": CAPACITY, "limit_month_share_pct": 12.35, "limit_year_share_pct": 123.46,
        "counters": [{"point_code": OUTPUT, "unit": "t", "unit_known": True}], "units_assumed": False,
    }


def test_a_capacity_lead_opened_and_ended_in_one_batch_is_one_episode_showing_its_reading_over():
    records = counter([(june(1, 0), 5000.0), (june(30, 23), 125_001.0), (JULY_1, 125_011.0)])
    (batch,) = inputs(records, facts(capacity={MINE: CAPACITY}))
    _, episodes = over_capacity.evaluate(over_capacity.empty_state(), batch, JULY_1)
    assert episodes.select("start", "end", "peak").rows() == [(june(30, 23), JULY_1, 120_001.0)]
    assert json.loads(episodes.item(0, "evidence"))["at"] == str(june(30, 23))


def test_a_counter_reading_the_same_value_again_adds_nothing():
    result = capacity_leads(counter([(june(1), 125_000.0), (june(10), 125_000.0), (june(20), 125_010.0)]))
    assert result.leads == []
    assert result.state["counters"].select("value").item() == 125_010.0


def test_the_definition_s_sensor_type_decides_what_is_an_output_counter_and_the_code_only_without_one():
    coded_water = code("1014", 8, "LJ")  # coded as a water meter, defined as an output counter
    coded_output = code("3001", 9, "LJ")  # the other way round
    undefined = code("3001", 10, "LJ")  # no definition: its code says output
    records = (counter([(june(1), 0.0), (june(20), 50_000.0)], point=coded_water, sensor_type="3001")
               + counter([(june(1), 0.0), (june(20), 900_000.0)], point=coded_output, sensor_type="1014")
               + Records(readings=[count(undefined, june(1), 0.0), count(undefined, june(21), 70_001.0)]))
    result = capacity_leads(records)
    assert result.leads == [(None, june(21), None, 120_001.0)]
    assert result.evidence[0]["counters"] == [
        {"point_code": coded_water, "unit": "t", "unit_known": True},
        {"point_code": undefined, "unit": None, "unit_known": False}]
    assert result.evidence[0]["units_assumed"] is True


def test_several_mines_in_one_batch_are_judged_each_on_its_own_output_and_capacity():
    theirs = code("3001", 7, "LJ", mine=OTHER)
    records = (counter([(june(1, 0), 0.0), (june(20), 130_000.0), (JULY_1, 130_010.0)])
               + counter([(june(1, 1), 0.0), (june(21), 125_000.0), (JULY_1 + timedelta(hours=1), 125_005.0)],
                         point=theirs)
               + counter([(june(1, 2), 0.0), (june(22), 70_000.0)], point=code("3001", 8, "LJ", mine=OTHER)))
    (batch,) = inputs(records, facts(capacity={MINE: CAPACITY, OTHER: 200.0}))
    _, episodes = over_capacity.evaluate(over_capacity.empty_state(), batch, JULY_1)
    # the other mine: 195,000 t in June, under 10 % of 2,000,000 t; ours: 130,000 t, over
    assert episodes.select("mine_code", "start", "end", "peak").rows() == [
        (MINE, june(20), JULY_1, 130_000.0)]
    records = records + counter([(june(28), 90_000.0)], point=code("3001", 8, "LJ", mine=OTHER))
    (batch,) = inputs(records, facts(capacity={MINE: CAPACITY, OTHER: 200.0}))
    _, episodes = over_capacity.evaluate(over_capacity.empty_state(), batch, JULY_1)
    # now 215,000 t: over from the 28th
    assert episodes.select("mine_code", "start", "end", "peak").sort("mine_code").rows() == [
        (MINE, june(20), JULY_1, 130_000.0), (OTHER, june(28), JULY_1 + timedelta(hours=1), 215_000.0)]
    assert [json.loads(e)["year_tonnes"] for e in episodes.sort("mine_code").get_column("evidence")] == [
        130_000.0, 215_000.0]


def test_a_late_file_of_last_december_counts_toward_last_year_after_the_new_year_began():
    # 120,000 t a month from January to October 2024 (exactly 10 %; 100 % for the year), nothing after, from
    # one counter, read into January; then a second counter's December, 130,000 t, comes late: 2024 reaches
    # 1,330,000 t, over 110 %
    values = [(datetime(2024, 1, 1, 0, 30), 0.0)] + [(datetime(2024, m, 28, 23), 120_000.0 * m) for m in range(1, 11)]
    values += [(datetime(2024, 12, 28), 1_200_000.0), (datetime(2025, 1, 2), 1_200_010.0)]
    late = code("3001", 8, "LJ")
    arrived = datetime(2025, 1, 3)
    records = counter(values) + Records(
        readings=[{**count(late, t, v), "header_time": arrived} for t, v in
                  [(datetime(2024, 12, 1), 0.0), (datetime(2024, 12, 20), 130_000.0)]],
        definitions=[counter_definition(late)])
    result = run(over_capacity, inputs(records, facts(capacity={MINE: CAPACITY}), cuts=[arrived]))
    assert result.leads == [(None, datetime(2024, 12, 20), None, 1_330_000.0)]


def test_a_mine_whose_capacity_leaves_the_registry_has_its_open_lead_ended_at_its_next_reading():
    first = counter([(june(1, 0), 0.0), (june(20), 130_000.0)])
    later = Records(readings=[count(OUTPUT, june(25), 130_100.0)])
    batches = (inputs(first, facts(capacity={MINE: CAPACITY}))
               + inputs(first + later, facts(), cuts=[june(21)])[1:])
    assert run(over_capacity, batches).leads == [(None, june(20), june(25), 130_000.0)]


# --- power_use_while_suspended: intervals, the night, days without data, the baseline kept ------------------

def producing_days(n: int, per_day: float = 1000.0, *, mine: str = MINE, first: int = 0) -> list[dict[str, Any]]:
    return [r for d in range(first, first + n) for r in power_day(f"{mine}M001", d, per_day, mine=mine)]


def quarters(n: int, kwh: dict[int, float], *, mine: str = MINE) -> list[dict[str, Any]]:
    """Day n in 96 quarter hours of the mine's meter, all 0 kWh but the given ones (0 = 00:00-00:15)."""
    return power(f"{mine}M001", moment(n), [kwh.get(i, 0.0) for i in range(96)], minutes=15, mine=mine)


def test_an_interval_without_length_is_ignored_and_one_of_zero_kwh_counts():
    # an interval that ends where it starts or before: its kWh is not counted, and its end does not make
    # the days up to it complete (the lead of day 10 stays open)
    bogus = [{**power(METER, moment(15), [900.0])[0], "end": moment(15), "header_time": moment(11)},
             {**power(METER, moment(20), [900.0])[0], "end": moment(16), "header_time": moment(11)}]
    assert power_leads(Records(power=producing_days(10) + power_day(METER, 10, 500.0) + bogus)).leads == [
        (None, moment(10), None, 50.0)]
    # nor does it make a later file of the days before its end look sent already
    later = power_day(METER, 11, 500.0) + power_day(METER, 12, 100.0) + power_day(METER, 13, 100.0)
    result = power_leads(Records(power=producing_days(10) + power_day(METER, 10, 500.0) + bogus + later),
                         cuts=[moment(11, 0.5)])
    assert result.leads == [(None, moment(10), moment(12), 50.0)]
    # day 11 draws nothing, reported as zeros past its midnight: complete and under, it ends the lead
    zeros = power(METER, moment(11), [0.0] * 25)
    result = power_leads(Records(power=producing_days(10) + power_day(METER, 10, 500.0) + zeros))
    assert result.leads == [(None, moment(10), moment(11), 50.0)]


def test_an_interval_is_spread_over_the_quarter_hours_it_covers_pro_rata():
    # 23:50 to 00:20, 30 kWh: 10 on the first day; 15 in 00:00-00:15 and 5 after, on the second
    rows = [{**power(METER, moment(9, 23) + timedelta(minutes=50), [30.0])[0], "end": moment(10, 0.5) - timedelta(
        minutes=10)}]
    result = power_leads(Records(power=rows), status_rows=status(MINE, (day(-100), PRODUCING)))
    assert result.state["days"].select("day", "kwh", "night_peak").rows() == [
        (day(9), pytest.approx(10.0), None), (day(10), pytest.approx(20.0), pytest.approx(15.0))]


def test_a_quarter_hour_from_six_o_clock_is_not_night():
    # the baseline's night peak is 1000 / 96 kWh; 100 kWh in 06:00-06:15 is 10 % of the day
    assert power_leads(Records(power=producing_days(10) + quarters(10, {24: 100.0}))).leads == []
    assert power_leads(Records(power=producing_days(10) + quarters(10, {23: 100.0}))).leads[0][1] == moment(10)


def test_a_night_peak_at_exactly_its_share_of_the_baseline_is_no_lead():
    # 768 kWh a day evenly: 8 kWh a quarter hour; 4 kWh at 02:00 is exactly 50 %
    assert power_leads(Records(power=producing_days(10, 768.0) + quarters(10, {8: 4.0}))).leads == []
    assert power_leads(Records(power=producing_days(10, 768.0) + quarters(10, {8: 4.01}))).leads[0][1] == moment(10)


def test_without_power_at_night_while_producing_there_is_no_night_baseline_and_no_night_lead():
    daytime = [r for d in range(10) for r in power(METER, moment(d, 8), [100.0] * 8)]
    result = power_leads(Records(power=daytime + quarters(10, {8: 10.0})))  # 10 kWh at 02:00, 1.25 % of the day's baseline
    assert result.leads == []
    assert power_use_while_suspended.baseline(result.state, MINE) == (800.0, 10, 7, 0.0)


def test_a_suspended_day_without_night_data_has_no_night_peak():
    # 1 kWh every quarter hour while producing: the night peak is 1 kWh; the suspended day's 20 kWh at 10:00
    # is 21 % of the day's baseline, and nothing was reported at night
    rows = [r for d in range(10) for r in power(METER, moment(d), [1.0] * 96, minutes=15)]
    assert power_leads(Records(power=rows + power(METER, moment(10, 10), [20.0] + [0.0] * 13))).leads == []


def test_a_mine_that_drew_nothing_while_producing_has_no_baseline_to_be_over():
    assert power_leads(Records(power=producing_days(10, 0.0) + power_day(METER, 10, 100.0))).leads == []


def test_the_baseline_is_kept_over_the_newest_producing_days_of_each_mine():
    settings = with_personnel(power_baseline_days=7)
    # days 0-3 at 10,000 kWh, 4-9 at 1000: the newest seven have a median of 1000
    rows = (producing_days(4, 10_000.0) + producing_days(6, first=4)
            + producing_days(4, 10_000.0, mine=OTHER) + producing_days(6, first=4, mine=OTHER))
    # 40 % on day 10 at both mines, judged in a later batch, after the state was cut to seven days
    rows += power_day(METER, 10, 400.0) + power_day(f"{OTHER}M001", 10, 400.0, mine=OTHER)
    both = [row for m in (MINE, OTHER) for row in status(m, (day(-100), PRODUCING), (day(10), SUSPENDED))]
    result = power_leads(Records(power=rows), status_rows=both, cuts=[moment(10, 1)], settings=settings)
    assert result.leads == [(None, moment(10), None, 40.0)] * 2
    assert [e["baseline_days"] for e in result.evidence] == [7, 7]
    # in one batch, with days 11 and 12 under: each mine's lead ends at day 11
    rows += [r for m in (MINE, OTHER) for d in (11, 12) for r in power_day(f"{m}M001", d, 100.0, mine=m)]
    one = power_leads(Records(power=rows), status_rows=both, settings=settings)
    assert one.leads == [(None, moment(10), moment(11), 40.0)] * 2
    assert [e["baseline_days"] for e in one.evidence] == [7, 7]
    kept = result.state["days"].filter(pl.col("final")).group_by("mine_code").agg(pl.col("day").min(), pl.len())
    assert kept.sort("mine_code").rows() == [(MINE, day(3), 7), (OTHER, day(3), 7)]


def test_the_baseline_is_the_median_of_the_newest_days_in_calendar_order_however_the_days_arrive():
    # days 0-9 at 100, 200 ... 1000 kWh, the meter's file written newest first: the newest seven (400-1000)
    # have a median of 700, and day 10's 224 kWh is 32 % of it
    rows = [r for n in reversed(range(10)) for r in power_day(METER, n, 100.0 * (n + 1))]
    result = power_leads(Records(power=rows + power_day(METER, 10, 224.0)),
                         settings=with_personnel(power_baseline_days=7))
    assert result.leads == [(None, moment(10), None, 32.0)]
    assert (result.evidence[0]["baseline_kwh"], result.evidence[0]["baseline_days"]) == (700.0, 7)


def test_a_complete_day_without_data_ends_a_lead_and_is_shown_as_drawing_nothing():
    first = producing_days(10) + power_day(METER, 10, 500.0)
    batches = inputs(Records(power=first + power_day(METER, 12, 500.0)), facts(
        status_rows=status(MINE, (day(-100), PRODUCING), (day(10), SUSPENDED))), cuts=[moment(11, 1)])
    _, raised = evaluate_all(batches, power_use_while_suspended)
    assert raised[1].select("start", "end").rows() == [(moment(10), moment(11)), (moment(12), None)]
    ended = json.loads(raised[1].item(0, "evidence"))
    assert (ended["day"], ended["kwh"]) == (str(day(11)), 0.0)


def test_a_day_is_not_judged_under_until_a_meter_reports_past_its_midnight():
    # day 11 reported until 08:00 at a low rate: it may still go over
    low = power(METER, moment(11), [1.0] * 8)
    result = power_leads(Records(power=producing_days(10) + power_day(METER, 10, 500.0) + low))
    assert result.leads == [(None, moment(10), None, 50.0)]
    assert result.evidence[0]["day"] == str(day(10))  # the latest day judged over, not the day still open


def test_a_mine_producing_again_ends_the_lead_at_the_start_of_its_first_producing_day():
    statuses = status(MINE, (day(-100), PRODUCING), (day(10), SUSPENDED), (day(12), PRODUCING))
    rows = producing_days(10) + power_day(METER, 10, 500.0) + power_day(METER, 11, 500.0) + power_day(
        METER, 12, 2000.0)
    assert power_leads(Records(power=rows), status_rows=statuses).leads == [(None, moment(10), moment(12), 50.0)]


def test_the_same_interval_twice_in_one_file_counts_once_as_first_written():
    day_10 = power_day(METER, 10, 240.0)  # 24 %
    again = {**day_10[8], "kwh": 400.0}
    assert power_leads(Records(power=producing_days(10) + day_10 + [again])).leads == []


def test_the_power_evidence_shows_the_day_its_shares_the_baseline_and_the_limits():
    result = power_leads(Records(power=producing_days(10) + power_day(METER, 10, 301.23)))
    assert result.evidence == [{
        "day": str(day(10)), "kwh": 301.2, "status": SUSPENDED, "baseline_kwh": 1000.0, "baseline_days": 10,
        "share_pct": 30.1, "night_peak_kwh": 3.14, "baseline_night_peak_kwh": 10.42, "night_share_pct": 30.1,
        "limit_share_pct": 30.0, "limit_night_share_pct": 50.0,
    }]
    # the limits as set, and the baseline, to a tenth of a percent and of a kWh
    settings = with_personnel(power_share=0.3333, power_night_share=0.4444)
    shown = power_leads(Records(power=producing_days(10, 1000.04) + power_day(METER, 10, 340.0)),
                        settings=settings).evidence[0]
    assert (shown["limit_share_pct"], shown["limit_night_share_pct"], shown["baseline_kwh"]) == (33.3, 44.4, 1000.0)


def test_a_night_quarter_hour_sent_by_two_meters_in_two_batches_adds_up_before_its_day_is_complete():
    # day 10 to 08:00: 4 kWh at 02:00 from each meter, the second meter's in a later file; together 8 kWh,
    # 77 % of the 10.42 kWh night baseline (one meter's 4 kWh would be 38 %)
    second = f"{MINE}M002"
    first_part = power(METER, moment(10), [4.0 if i == 8 else 0.0 for i in range(32)], minutes=15)
    second_part = [{**r, "header_time": moment(10, 9)}
                   for r in power(second, moment(10), [4.0 if i == 8 else 0.0 for i in range(32)], minutes=15)]
    rows = producing_days(10) + first_part + second_part
    result = power_leads(Records(power=rows), cuts=[moment(10, 8.5)])
    assert result.leads == power_leads(Records(power=rows)).leads == [(None, moment(10), None, 0.8)]
    assert result.evidence[0]["night_peak_kwh"] == 8.0


def test_power_state_after_many_batches_equals_that_after_one():
    rows = producing_days(10) + [r for n, k in enumerate([300.0, 500.0, 100.0]) for r in power_day(METER, 10 + n, k)]
    whole = power_leads(Records(power=rows))
    cut = power_leads(Records(power=rows), cuts=[moment(n, h) for n in range(13) for h in (0.25, 3.1, 17)])
    assert cut.leads == whole.leads
    for name in ("days", "night", "meters"):
        assert cut.state[name].equals(whole.state[name]), name


@pytest.mark.parametrize("module", [module for _, module in leads.RULES])
def test_the_state_keeps_its_declared_columns_batch_after_batch(module):
    state = run(module, inputs(MIXED, MIXED_FACTS, cuts=[moment(11, 2), moment(12, 12)])).state
    empty = module.empty_state()
    assert ({k: f.schema for k, f in state.items()} if isinstance(state, dict) else state.schema) == (
        {k: f.schema for k, f in empty.items()} if isinstance(empty, dict) else empty.schema)


# --- hidden_working_face: who is counted, when a day is judged, the evidence --------------------------------


def test_the_hidden_lead_opens_in_the_batch_of_its_third_qualifying_day_before_the_day_is_over():
    # the day's second batch, from 09:00, holds the hour that makes the third day qualify
    result = hidden_leads(days_of_work(0, 1, 2), cuts=[moment(1), moment(2, 9)])
    assert result.leads == [(AREA, moment(0, 8), None, 3.0)]


def test_a_card_reported_above_ground_with_an_area_is_not_in_it():
    work = days_of_work(0, 1, 2)
    surface = Records(positions=[{**r, "flag": 0} for r in work.positions], snapshots=work.snapshots)
    assert hidden_leads(surface).leads == []


def test_a_card_listed_twice_in_one_snapshot_stays_in_the_area_listed_first():
    work = days_of_work(0, 1, 2)
    # each position listed again, in another undeclared area, after the first
    twice = [r for p in work.positions for r in (p, {**p, "area_code": area_code(9)})]
    result = hidden_leads(Records(positions=twice, snapshots=work.snapshots))
    assert result.leads == [(AREA, moment(0, 8), None, 3.0)]


def test_the_hidden_evidence_shows_each_qualifying_person_s_hours():
    # 08:00 to 23:55, and a quarter of an hour more: the gap to the next snapshot, at 08:00, counts up to 15 min
    result = hidden_leads(days_of_work(0, 1, 2, hours=15 + 55 / 60))
    assert result.evidence[0]["qualifying_days"][0] == {
        "day": str(day(0)), "people": 3, "first": str(moment(0, 8)), "last": str(moment(1, 8)),
        "who": [{"card_code": card(i), "hours": 16.17} for i in (1, 2, 3)]}


def crews_at_work(days: range, crews: dict[str, str], *, mine: str = MINE) -> Records:
    """The cards in their areas from 08:00 to 12:00 (4 h) on each day, snapshots every 5 minutes."""
    records = Records()
    for n in days:
        pos, snaps = snapshots(moment(n, 8), moment(n, 12), crews, mine=mine)
        records = records + Records(positions=pos, snapshots=snaps)
    return records


def test_a_lead_of_one_qualifying_day_ends_a_window_later_at_that_day_s_last_stay():
    # with one day needed, day 0 keeps the lead open through day 6; day 7 ends it, once complete, at day 0's
    # last stay (read from the day just before day 7's window), and the quiet days after open nothing
    settings = with_personnel(hidden_days=1)
    records = crews_at_work(range(1), {card(i): AREA for i in (1, 2, 3)})
    for n in range(1, 10):
        records = records + quiet_day(n)
    expected = [(AREA, moment(0, 8), moment(0, 12), 3.0)]
    assert hidden_leads(records, settings=settings).leads == expected
    assert hidden_leads(records, settings=settings, cuts=[moment(n) for n in range(1, 10)]).leads == expected
    _, raised = evaluate_all(inputs(records, area_facts(), settings=settings), hidden_working_face)
    assert raised[0].select("point_code", "start", "end", "peak").rows() == [
        (AREA, moment(0, 8), moment(0, 12), 3.0)]


def test_each_area_s_lead_is_tracked_on_its_own():
    third = area_code(3)
    crews = {**{card(i): AREA for i in (1, 2, 3)}, **{card(i): third for i in (4, 5, 6)}}
    records = crews_at_work(range(3), crews)
    for n in range(3, 9):
        records = records + quiet_day(n)
    assert hidden_leads(records).leads == [(AREA, moment(0, 8), moment(2, 12), 3.0),
                                           (third, moment(0, 8), moment(2, 12), 3.0)]


def test_who_was_in_an_area_is_remembered_through_a_batch_of_another_mine():
    # each day, a batch of another mine's snapshot comes between our 09:55 and 10:00 snapshots: the stay
    # across it still counts, and the three days of four hours make a lead
    records = crews_at_work(range(3), {card(i): AREA for i in (1, 2, 3)})
    cuts = []
    for n in range(3):
        pos, snaps = snapshots(moment(n, 9.99), moment(n, 9.99), {card(1, OTHER): area_code(1, OTHER)}, mine=OTHER)
        records = records + Records(positions=pos, snapshots=snaps)
        cuts += [moment(n, 9.985), moment(n, 9.995)]
    assert hidden_leads(records, cuts=cuts).leads == [(AREA, moment(0, 8), None, 3.0)]


def test_a_hidden_lead_opened_and_ended_in_one_batch_shows_the_day_that_ended_it():
    # days 0-2 qualify; day 7's window (days 1-7) holds two of the three days needed: it ends the lead, and
    # the evidence shows that day and its window, not day 6, the last day the lead held
    records = days_of_work(0, 1, 2)
    for n in range(3, 9):
        records = records + quiet_day(n)
    result = hidden_leads(records)
    assert result.leads == [(AREA, moment(0, 8), moment(2, 12), 3.0)]
    shown = result.evidence[0]
    assert shown["judged_day"] == str(day(7))
    assert [d["day"] for d in shown["qualifying_days"]] == [str(day(1)), str(day(2))]


def test_the_hidden_evidence_shows_the_area_as_registered_the_judged_day_and_the_settings_applied():
    settings = with_personnel(hidden_people=2, hidden_hours=3.5, hidden_days=2, hidden_window_days=5)
    stopped = area_facts(declared_as="face", face_status="stopped", area_type="采掘工作面")
    result = hidden_leads(days_of_work(0, 1, people=2), stopped, settings=settings)
    assert result.leads == [(AREA, moment(0, 8), None, 2.0)]
    shown = result.evidence[0]
    assert [d["day"] for d in shown.pop("qualifying_days")] == [str(day(0)), str(day(1))]
    assert shown == {"area": AREA, "declared": "face_stopped", "declared_as": "face", "face_status": "stopped",
                     "area_type": "采掘工作面", "judged_day": str(day(1)), "people_needed": 2, "hours_needed": 3.5,
                     "days_needed": 2, "window_days": 5}


def test_a_stay_counted_in_one_batch_is_not_counted_again_in_the_next():
    # three days of 2 h 30 min, each day's batch after the one before: under four hours, however cut
    records = days_of_work(0, 1, 2, hours=2.5) + quiet_day(3)
    cuts = [moment(n, 20) for n in range(3)] + [moment(n, 9) for n in range(3)]
    assert hidden_leads(records, cuts=cuts).leads == []
    result = hidden_leads(records, cuts=cuts, settings=with_personnel(hidden_hours=2.5))
    assert result.leads == [(AREA, moment(0, 8), None, 3.0)]
    assert [p["hours"] for d in result.evidence[0]["qualifying_days"] for p in d["who"]] == [2.5] * 9
