"""The personnel alarm rules on crafted snapshots: each rule at its boundaries, episodes that end when a
person or an area leaves a snapshot, gaps in the snapshots, one batch against many."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuangan.engine.rules import (
    face_overcrowded,
    mine_overcrowded,
    no_leader_on_shift,
    overtime_underground,
    restricted_area_entry,
    shift_change_overcrowded,
    sos,
    suspended_mine_activity,
    uncertified_special_operator,
)
from kuangan.engine.rules.personnel import RULES
from kuangan.engine.schema import EPISODES

from .factories import MINE
from .personnel_factories import (
    OTHER_MINE,
    RESTRICTED,
    SOS,
    T0,
    alarms,
    area,
    area_code,
    at,
    card,
    crowd,
    every,
    facts,
    fence,
    inputs,
    leader,
    mine,
    one_by_one,
    only,
    operator,
    person,
    rule_input,
    run,
    shift,
    snapshot,
    station_code,
    status,
)
from .personnel_factories import settings as personnel_settings

pytestmark = pytest.mark.nodb

def found(module, snapshots, **kw):
    """(point, start, end, peak) of the rule's alarms over the snapshots as one batch."""
    return [(a["point_code"], a["start"], a["end"], a["peak"]) for a in alarms(only(module), snapshots, **kw)]


def evidence_of(module, snapshots, **kw):
    return [json.loads(a["evidence"]) for a in alarms(only(module), snapshots, **kw)]


# --- mine_overcrowded -----------------------------------------------------------------------------------------

LIMIT_20 = facts(mines=[mine(limit=20)])


def test_a_mine_at_its_limit_is_not_overcrowded_and_one_more_is():
    at_limit = [snapshot(at(9), crowd(20, down=at(7, 50)))]
    assert found(mine_overcrowded, at_limit, facts=LIMIT_20) == []
    over = [snapshot(at(9), crowd(21, down=at(7, 50))), snapshot(at(9, 5), crowd(20, down=at(7, 50)))]
    assert found(mine_overcrowded, over, facts=LIMIT_20) == [(None, at(9), at(9, 5), 21.0)]
    [shown] = evidence_of(mine_overcrowded, over, facts=LIMIT_20)
    assert (shown["people"], shown["limit"], shown["cards_total"], len(shown["cards"])) == (21, 20, 21, 21)
    assert shown["t"] == "2024-06-03 09:00:00"


def test_the_mine_limit_does_not_apply_during_a_shift_change():
    previous = crowd(15, first=1, down=at(-0.5))  # the 00:00 shift
    following = crowd(15, first=101, down=at(7, 40))  # the 08:00 shift
    snaps = [snapshot(at(7, 45), previous + following), snapshot(at(8, 30), following + crowd(10, first=200,
                                                                                           down=at(8, 10)))]
    # 30 underground at 07:45 but the shift is changing; 25 at 08:30 from one shift: over the limit
    assert found(mine_overcrowded, snaps, facts=LIMIT_20) == [(None, at(8, 30), None, 25.0)]


def test_a_mine_without_a_known_limit_is_not_judged_and_each_mine_has_its_own():
    snaps = [snapshot(at(9), crowd(30, down=at(7, 50))),
             snapshot(at(9), crowd(30, down=at(7, 50), mine=OTHER_MINE), mine=OTHER_MINE)]
    two = facts(mines=[mine(limit=20), mine(OTHER_MINE, limit=None)])
    result = alarms(only(mine_overcrowded), snaps, facts=two)
    assert [(a["mine_code"], a["peak"]) for a in result] == [(MINE, 30.0)]


# --- face_overcrowded -----------------------------------------------------------------------------------------

FACE_20 = facts(areas=[area(1, face=True, face_limit=20, maintenance_limit=30)], leaders=[leader(900)])


def test_a_face_at_its_limit_is_fine_and_one_more_is_overcrowded():
    assert found(face_overcrowded, [snapshot(at(9), crowd(20, down=at(7, 50)))], facts=FACE_20) == []
    snaps = [snapshot(at(9), crowd(21, down=at(7, 50))), snapshot(at(9, 5), crowd(20, down=at(7, 50)))]
    assert found(face_overcrowded, snaps, facts=FACE_20) == [(area_code(1), at(9), at(9, 5), 21.0)]


def test_exactly_twenty_percent_over_the_face_limit_is_a_major_hazard_and_just_under_is_not():
    [under] = evidence_of(face_overcrowded, [snapshot(at(9), crowd(23, down=at(7, 50)))], facts=FACE_20)
    assert (under["major"], under["item"], under["over"]) == (False, None, ["face_limit"])
    [major] = evidence_of(face_overcrowded, [snapshot(at(9), crowd(24, down=at(7, 50)))], facts=FACE_20)
    assert (major["major"], major["item"], major["over_share"], major["face_limit"]) == (True, "C01-06", 0.2, 20)


def test_an_episode_that_turns_major_later_shows_its_worst_snapshot():
    snaps = [snapshot(at(9), crowd(21, down=at(7, 50))), snapshot(at(9, 5), crowd(25, down=at(7, 50))),
             snapshot(at(9, 10), crowd(21, down=at(7, 50)))]
    for batches in ([snaps], one_by_one(snaps)):
        [alarm] = run(only(face_overcrowded), batches, facts=FACE_20)[0]
        shown = json.loads(alarm["evidence"])
        assert (alarm["start"], alarm["peak"], shown["major"], shown["t"]) == (at(9), 25.0, True, "2024-06-03 09:05:00")


def test_leaders_on_the_roster_are_not_counted_at_a_face_but_a_leader_by_the_mines_own_flag_is():
    workers = crowd(20, down=at(7, 50))
    with_leader = [snapshot(at(9), [*workers, person(900, down=at(8))])]
    assert found(face_overcrowded, with_leader, facts=FACE_20) == []
    self_declared = [snapshot(at(9), [*workers, person(901, down=at(8), leader_flag=True)])]
    [shown] = evidence_of(face_overcrowded, self_declared, facts=FACE_20)
    assert (shown["people"], shown["non_leaders"], shown["leaders"]) == (21, 21, 0)


def test_a_maintenance_shift_uses_the_faces_maintenance_limit():
    maintenance_at_night = facts(areas=[area(1, face=True, face_limit=20, maintenance_limit=30)],
                                 shifts=[shift(0, maintenance=True), shift(480), shift(960)])
    night = [snapshot(at(2), crowd(25, down=at(0, 10)))]
    day_shift = [snapshot(at(10), crowd(25, down=at(7, 50)))]
    assert found(face_overcrowded, night, facts=maintenance_at_night) == []
    [shown] = evidence_of(face_overcrowded, day_shift, facts=maintenance_at_night)
    assert (shown["shift"], shown["face_limit"], shown["major"]) == ("production", 20, True)


def test_any_area_above_its_ryqy_headcount_and_the_episode_ends_when_the_area_empties():
    roadway = facts(areas=[area(2, headcount=10)])
    snaps = [snapshot(at(9), crowd(10, area=2, down=at(7, 50))), snapshot(at(9, 5), crowd(11, area=2, down=at(7, 50))),
             snapshot(at(9, 10), crowd(11, area=1, down=at(7, 50)))]  # everyone moved on: area 2 absent
    assert [(s, e, p) for _, s, e, p in found(face_overcrowded, snaps, facts=roadway)] == [(at(9, 5), at(9, 10), 11.0)]
    [shown] = evidence_of(face_overcrowded, snaps, facts=roadway)
    assert (shown["over"], shown["headcount"], shown["major"]) == (["headcount"], 10, False)


def test_a_ryqy_headcount_of_zero_is_unset_not_a_limit_of_nobody():
    unset = facts(areas=[area(2, headcount=0), area(3, headcount=1)])
    snaps = [snapshot(at(9), crowd(6, area=2, down=at(7, 50)) + crowd(2, first=11, area=3, down=at(7, 50)))]
    assert [(p, s) for p, s, _, _ in found(face_overcrowded, snaps, facts=unset)] == [(area_code(3), at(9))]


# --- shift_change_overcrowded -----------------------------------------------------------------------------------

PREVIOUS = crowd(5, first=1, down=at(-0.5))  # the 00:00 shift, down at 23:30 the day before
FOLLOWING = crowd(5, first=101, down=at(7, 30))  # the 08:00 shift: its first person down at 07:30


def changeover(last_with_both):
    """Both shifts underground every 5 minutes from 07:30 to `last_with_both`, then only the new one."""
    start = last_with_both - timedelta(hours=2)
    return [*every(start, last_with_both, PREVIOUS + FOLLOWING),
            snapshot(last_with_both + timedelta(minutes=5), FOLLOWING)]


def test_a_shift_change_of_exactly_two_hours_is_allowed():
    assert found(shift_change_overcrowded, changeover(at(9, 30))) == []


def test_a_shift_change_of_two_hours_and_a_second_is_too_long():
    snaps = changeover(at(9, 30, 1))
    assert found(shift_change_overcrowded, snaps) == [(None, at(9, 30, 1), at(9, 35, 1), 10.0)]
    [shown] = evidence_of(shift_change_overcrowded, snaps)
    assert (shown["change_start"], shown["duration_s"], shown["too_long"], shown["over_total"]) == (
        "2024-06-03 07:30:00", 7201, True, False)
    assert (shown["previous_shift"], shown["next_shift"]) == ("2024-06-03 00:00:00", "2024-06-03 08:00:00")
    assert shown["previous_shift_cards"] == [card(n) for n in range(1, 6)]


def test_more_than_a_thousand_underground_outside_faces_during_a_change():
    faces = facts(areas=[area(7, face=True, face_limit=50)])
    old, new = crowd(500, first=1, down=at(-0.5)), crowd(500, first=1001, down=at(7, 40))
    assert found(shift_change_overcrowded, [snapshot(at(7, 50), old + new)], facts=faces) == []
    one_more = [snapshot(at(7, 50), [*old, *new, person(2000, down=at(7, 45))])]
    assert found(shift_change_overcrowded, one_more, facts=faces) == [(None, at(7, 50), None, 1001.0)]
    in_a_face = [snapshot(at(7, 50), [*old, *new, person(2000, down=at(7, 45), area=7)])]
    assert found(shift_change_overcrowded, in_a_face, facts=faces) == []


def test_a_card_left_underground_for_days_is_no_shift_change():
    forgotten = person(1, down=at(-40))
    snaps = [snapshot(at(10), [forgotten, *crowd(30, first=101, down=at(7, 50))])]
    assert found(shift_change_overcrowded, snaps) == []
    assert found(mine_overcrowded, snaps, facts=LIMIT_20) == [(None, at(10), None, 31.0)]


# --- no_leader_on_shift ------------------------------------------------------------------------------------------

ROSTER = facts(leaders=[leader(900), leader(901)])
CREW = crowd(5, down=at(7, 40))


def test_two_hours_into_a_shift_without_a_leader_underground():
    snaps = every(at(7, 50), at(10, 30), CREW)
    assert found(no_leader_on_shift, snaps, facts=ROSTER) == [(None, at(10), None, 5.0)]
    [shown] = evidence_of(no_leader_on_shift, snaps, facts=ROSTER)
    assert (shown["roster"], shown["roster_total"], shown["shift_start"]) == (
        [card(900), card(901)], 2, "2024-06-03 08:00:00")


def test_a_leader_by_the_mines_own_flag_but_not_on_the_roster_does_not_count():
    snaps = every(at(7, 50), at(10, 30), [*CREW, person(50, down=at(7, 45), leader_flag=True)])
    assert found(no_leader_on_shift, snaps, facts=ROSTER) == [(None, at(10), None, 6.0)]
    [shown] = evidence_of(no_leader_on_shift, snaps, facts=ROSTER)
    assert shown["flagged_off_roster"] == [card(50)]


def test_the_alarm_ends_when_a_leader_goes_down_or_the_shift_ends():
    late_leader = [*every(at(7, 50), at(10, 5), CREW), *every(at(10, 10), at(10, 30), [*CREW, person(901, down=at(10, 8))])]
    assert found(no_leader_on_shift, late_leader, facts=ROSTER) == [(None, at(10), at(10, 10), 5.0)]
    whole_shift = every(at(7, 50), at(16, 5), CREW)
    assert found(no_leader_on_shift, whole_shift, facts=ROSTER) == [(None, at(10), at(16), 5.0)]


def test_a_leader_who_went_down_earlier_in_the_shift_covers_it():
    snaps = [*every(at(7, 50), at(8, 55), CREW), *every(at(9), at(9, 30), [*CREW, person(900, down=at(8, 58))]),
             *every(at(9, 35), at(12), CREW)]
    assert found(no_leader_on_shift, snaps, facts=ROSTER) == []


def test_a_gap_in_the_snapshots_of_the_first_two_hours_opens_nothing():
    # snapshots stop from 08:00 to 08:40 (longer than snapshot_gap, 15 min): a leader may have been down
    gap = [*every(at(7, 50), at(8), CREW), *every(at(8, 40), at(11), CREW)]
    assert found(no_leader_on_shift, gap, facts=ROSTER) == []
    # snapshots 15 minutes apart are no gap
    sparse = every(at(7, 50), at(10, 30), CREW, minutes=15)
    assert found(no_leader_on_shift, sparse, facts=ROSTER)[0][1] == at(10, 5)


def test_a_mine_without_leader_cards_is_judged_and_another_mines_roster_does_not_count():
    # a mine that registers no leader card does not escape: nobody of it counts as a leader
    assert found(no_leader_on_shift, every(at(7, 50), at(10, 30), CREW)) == [(None, at(10), None, 5.0)]
    [shown] = evidence_of(no_leader_on_shift, every(at(7, 50), at(10, 30), CREW))
    assert shown["roster_total"] == 0
    # mine 2's roster names a card that mine 1 uses: it is not mine 1's leader
    foreign = facts(leaders=[leader(900), leader(7, mine=OTHER_MINE), {"mine_code": OTHER_MINE, "card_code": card(1)}])
    snaps = every(at(7, 50), at(10, 30), CREW)
    assert found(no_leader_on_shift, snaps, facts=foreign) == [(None, at(10), None, 5.0)]


# --- overtime_underground ---------------------------------------------------------------------------------------

MINER = person(1, down=at(7, 40))  # the 08:00 shift (8 h): allowed until 17:40 with 2 h of overtime


def test_overtime_starts_after_the_shift_length_plus_the_overtime_and_ends_when_the_person_is_up():
    assert found(overtime_underground, [snapshot(at(17, 40), [MINER])]) == []
    snaps = [snapshot(at(17, 40, 1), [MINER]), snapshot(at(18, 10), [MINER]), snapshot(at(18, 15), [])]
    assert found(overtime_underground, snaps) == [(card(1), at(17, 40, 1), at(18, 15), 2.5)]
    [shown] = evidence_of(overtime_underground, snaps)
    assert (shown["shift_start"], shown["shift_hours"], shown["allowed_hours"], shown["hours_underground"]) == (
        "2024-06-03 08:00:00", 8.0, 10.0, 10.5)


def test_overtime_follows_the_mines_own_shift_lengths():
    two_shifts = facts(shifts=[shift(0), shift(720)])  # 12-hour shifts: allowed 14 h
    snaps = [snapshot(at(20), [person(1, down=at(6, 30))]), snapshot(at(20, 30, 1), [person(1, down=at(6, 30))])]
    assert found(overtime_underground, snaps, facts=two_shifts) == [(card(1), at(20, 30, 1), None, 2.0)]


def test_a_new_descent_ends_overtime():
    snaps = [snapshot(at(18), [MINER]), snapshot(at(18, 5), [person(1, down=at(18, 2))])]
    assert found(overtime_underground, snaps) == [(card(1), at(18), at(18, 5), 2.33)]


# --- sos -------------------------------------------------------------------------------------------------------


def test_sos_opens_with_the_state_and_ends_when_it_is_cleared_or_the_card_is_gone():
    calling = person(3, down=at(7, 50), state=SOS, area=4)
    snaps = [snapshot(at(9), [person(3, down=at(7, 50))]), snapshot(at(9, 5), [calling]),
             snapshot(at(9, 10), [calling]), snapshot(at(9, 15), [person(3, down=at(7, 50))]),
             snapshot(at(9, 20), [calling]), snapshot(at(9, 25), [])]
    assert found(sos, snaps) == [(card(3), at(9, 5), at(9, 15), None), (card(3), at(9, 20), at(9, 25), None)]
    shown = evidence_of(sos, snaps)[0]
    assert (shown["card"], shown["area"], shown["t"]) == (card(3), area_code(4), "2024-06-03 09:05:00")


def test_the_sos_evidence_shows_who_called_where_and_since_when_as_first_seen():
    # reported above ground (flag 0) but calling: shown with its area, station and times as in that snapshot
    calling = {**person(3, down=at(7, 50), state=SOS, area=4, station=2, flag=0), "area_entered": at(8, 30),
               "station_reached": at(8, 45), "distance": 3.5}
    later = {**calling, "area_code": area_code(5), "distance": 80.0}  # a later snapshot shows nothing new
    shown = evidence_of(sos, [snapshot(at(9, 5), [calling]), snapshot(at(9, 10), [later])])
    assert shown == [{
        "card": card(3), "name": "工人3", "t": "2024-06-03 09:05:00", "flag": 0, "time_down": "2024-06-03 07:50:00",
        "area": area_code(4), "area_entered": "2024-06-03 08:30:00", "station": station_code(4, 2),
        "station_reached": "2024-06-03 08:45:00", "distance": 3.5,
    }]


# --- restricted_area_entry ----------------------------------------------------------------------------------------


def test_a_person_in_an_area_the_mine_declared_restricted():
    restricted = facts(areas=[area(3, kind=RESTRICTED)])
    snaps = [snapshot(at(9), [person(1, down=at(8), area=2)]), snapshot(at(9, 5), [person(1, down=at(8), area=3)]),
             snapshot(at(9, 10), [person(1, down=at(8), area=2)])]
    assert found(restricted_area_entry, snaps, facts=restricted) == [(card(1), at(9, 5), at(9, 10), None)]
    [shown] = evidence_of(restricted_area_entry, snaps, facts=restricted)
    assert (shown["area_type"], shown["restricted_area"], shown["fences"]) == (RESTRICTED, True, [])


def test_a_fence_counts_while_it_stands_by_its_area_or_its_station():
    fences = facts(fences=[fence("老空区", at(9), at(10), area=4), fence("盲巷", at(0), station=(5, 2))])
    inside = person(1, down=at(8), area=4)
    snaps = [snapshot(at(8, 55), [inside]), snapshot(at(9), [inside]), snapshot(at(10), [inside])]
    assert found(restricted_area_entry, snaps, facts=fences) == [(card(1), at(9), at(10), None)]
    [shown] = evidence_of(restricted_area_entry, snaps, facts=fences)
    assert shown["fences"] == ["老空区"]
    by_station = [snapshot(at(9), [person(2, down=at(8), area=5, station=1)]),
                  snapshot(at(9, 5), [person(2, down=at(8), area=5, station=2)])]
    assert found(restricted_area_entry, by_station, facts=fences) == [(card(2), at(9, 5), None, None)]


# --- suspended_mine_activity --------------------------------------------------------------------------------------

SUSPENDED = facts(status=[status("producing", at(-100), at(12), suspended=False), status("suspended_for_rectification", at(12))])


def test_ten_in_an_area_of_a_suspended_mine_is_allowed_eleven_is_not_and_eleven_at_a_producing_mine_is():
    assert found(suspended_mine_activity, [snapshot(at(13), crowd(10, down=at(12, 30)))], facts=SUSPENDED) == []
    eleven = crowd(11, down=at(12, 30), area=6)
    assert found(suspended_mine_activity, [snapshot(at(13), eleven)], facts=SUSPENDED) == [
        (area_code(6), at(13), None, 11.0)]
    assert found(suspended_mine_activity, [snapshot(at(11), eleven)], facts=SUSPENDED) == []
    [shown] = evidence_of(suspended_mine_activity, [snapshot(at(13), eleven)], facts=SUSPENDED)
    assert (shown["status"], shown["status_since"], shown["limit"], shown["people"]) == (
        "suspended_for_rectification", "2024-06-03 12:00:00", 10, 11)


def test_people_spread_over_areas_or_the_status_ending_end_the_episode():
    lifted = facts(status=[status("suspended_for_rectification", at(0), at(14)),
                           status("producing", at(14), suspended=False)])
    snaps = [snapshot(at(13), crowd(12, down=at(12, 30))), snapshot(at(13, 5), crowd(12, down=at(12, 30))),
             snapshot(at(13, 10), crowd(6, down=at(12, 30)) + crowd(6, first=50, area=2, down=at(12, 30))),
             snapshot(at(13, 50), crowd(12, down=at(12, 30))), snapshot(at(14), crowd(12, down=at(12, 30)))]
    assert [(s, e) for _, s, e, _ in found(suspended_mine_activity, snaps, facts=lifted)] == [
        (at(13), at(13, 10)), (at(13, 50), at(14))]


# --- uncertified_special_operator -----------------------------------------------------------------------------------


def test_a_certificate_expiring_that_day_is_valid_that_day_and_not_the_day_after():
    on_file = facts(mines=[mine(certificates=True)], operators=[operator(7, date(2018, 6, 4), date(2024, 6, 3))])
    operator_down = person(7, down=at(23, 30))
    snaps = [snapshot(at(23, 55), [operator_down]), snapshot(at(0, day=1), [operator_down])]
    assert found(uncertified_special_operator, snaps, facts=on_file) == [(card(7), at(0, day=1), None, None)]
    [shown] = evidence_of(uncertified_special_operator, snaps, facts=on_file)
    assert (shown["date"], shown["certificates"], shown["problem"]) == (
        "2024-06-04", ["2018-06-04~2024-06-03"], "expired")


def test_operators_without_certificates_only_where_certificates_are_on_file():
    without = [operator(8)]
    snaps = [snapshot(at(9), [person(8, down=at(7, 50)), person(9, down=at(7, 50))])]
    assert found(uncertified_special_operator, snaps, facts=facts(mines=[mine()], operators=without)) == []
    on_file = facts(mines=[mine(certificates=True)], operators=without)
    assert found(uncertified_special_operator, snaps, facts=on_file) == [(card(8), at(9), None, None)]
    assert evidence_of(uncertified_special_operator, snaps, facts=on_file)[0]["problem"] == "none"


def test_an_operator_down_twice_in_a_day_gives_two_alarms_each_showing_the_certificate_once():
    on_file = facts(mines=[mine(certificates=True)], operators=[operator(7, date(2018, 6, 1), date(2024, 6, 2))])
    down = person(7, down=at(7, 50))
    snaps = [snapshot(at(8), [down]), snapshot(at(8, 5)), snapshot(at(9), [down])]
    shown = [json.loads(a["evidence"]) for a in alarms(only(uncertified_special_operator), snaps, facts=on_file)]
    assert [e["certificates"] for e in shown] == [["2018-06-01~2024-06-02"]] * 2


# --- every rule: quiet batches, one batch against many ---------------------------------------------------------------

MODULES = [module for _, module in RULES]
KINDS = [name for name, _ in RULES]


def everything_open():
    """States in which every rule has an episode open: mine 1 crowded, an SOS in a restricted area, an old card,
    an uncertified operator, no leader, suspended since 10:00; mine 2 changing shifts with a crowd."""
    mine_1 = [person(1, down=at(-20), state=SOS, area=3), *crowd(30, first=10, down=at(7, 50))]
    mine_2 = [*crowd(15, first=1, down=at(-0.5), mine=OTHER_MINE), *crowd(15, first=101, down=at(7, 40), mine=OTHER_MINE)]
    snaps = [*every(at(7, 50), at(10, 30), mine_1), *every(at(7, 50), at(10, 30), mine_2, mine=OTHER_MINE)]
    return run(RULES, [snaps], facts=BUSY, settings=FAST)[1]


def test_every_rule_carries_its_open_episodes_in_its_state():
    assert {name for name, state in everything_open().items() if not state["open"].is_empty()} == set(KINDS)


@pytest.mark.parametrize("module", MODULES, ids=KINDS)
def test_a_batch_without_personnel_rows_returns_the_state_unchanged(module):
    state = everything_open()[module.KIND]
    nothing = rule_input([])
    new, episodes = module.evaluate(state, inputs(nothing.positions, nothing.snapshots, BUSY, FAST), at(11))
    assert new is state
    assert episodes.schema == pl.Schema(EPISODES) and episodes.is_empty()


BUSY = facts(
    mines=[mine(limit=25, certificates=True), mine(OTHER_MINE, limit=10)],
    areas=[area(1, face=True, face_limit=8), area(3, kind=RESTRICTED), area(2, headcount=5)],
    leaders=[leader(900), leader(900, OTHER_MINE)],
    operators=[operator(12, date(2020, 1, 1), date(2024, 6, 2))],
    fences=[fence("采空区", at(8), at(11), area=4)],
    status=[status("producing", at(-100), at(10), suspended=False), status("suspended_for_rectification", at(10))],
)
FAST = personnel_settings(leader_grace=timedelta(minutes=30), overtime=timedelta(minutes=0),
                          suspended_area_max=5, shift_change_max=timedelta(minutes=20), shift_change_total=20)


def busy_day(steps):
    """Two mines, a snapshot every 5 minutes from 07:30; each step moves a group of people somewhere."""
    out = []
    for i, (crowd_size, where, calling, leader_down, sent) in enumerate(steps):
        t = at(7, 30) + timedelta(minutes=5 * i)
        if not sent:
            continue
        people = [
            *crowd(4, first=1, down=at(-0.5)),  # the 00:00 shift, overstaying
            *crowd(crowd_size, first=10, down=at(7, 40), area=where),
            person(5, down=at(7, 35), area=3 if calling else 4, state=SOS if calling else "正常"),
        ]
        if leader_down:
            people.append(person(900, down=at(7, 30)))
        out.append(snapshot(t, people))
        out.append(snapshot(t, crowd(crowd_size, first=10, down=at(7, 40), area=where, mine=OTHER_MINE),
                            mine=OTHER_MINE))
    return out


step = st.tuples(st.integers(0, 30), st.sampled_from([1, 2, 3, 4, 6]), st.booleans(), st.booleans(),
                 st.booleans() | st.just(True))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=4, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=5),
       reload=st.booleans())
def test_one_batch_equals_many_small_batches(steps, cuts, reload):
    snaps = busy_day(steps)
    one, _ = run(RULES, [snaps], facts=BUSY, settings=FAST)
    times = sorted({s.t for s in snaps})
    bounds = sorted({at(7, 30) + timedelta(minutes=5 * c) for c in cuts})
    parts = [[s for s in snaps if lo <= s.t < hi] for lo, hi in zip([T0, *bounds], [*bounds, at(0, day=9)], strict=True)]
    many, _ = run(RULES, [p for p in parts if p], facts=BUSY, settings=FAST, reload=reload)
    assert one == many
    assert len(times) == 0 or one == run(RULES, one_by_one(snaps), facts=BUSY, settings=FAST)[0]


def test_a_day_of_every_kind_gives_the_same_alarms_in_one_batch_and_a_batch_per_snapshot():
    steps = ([(20, 1, False, False, True)] * 6 + [(20, 6, True, False, True)] * 4 + [(3, 4, False, True, True)] * 8
             + [(20, 2, False, False, True)] * 16)  # until 10:15: suspended from 10:00
    snaps = busy_day(steps)
    one, _ = run(RULES, [snaps], facts=BUSY, settings=FAST)
    many, _ = run(RULES, one_by_one(snaps), facts=BUSY, settings=FAST, reload=True)
    assert {a["kind"] for a in one} == set(KINDS)
    assert one == many
