"""The personnel rules at the edges their day-by-day tests (test_personnel_rules.py) pass by. The shared
preparation (engine.rules.personnel): the shift boundaries to the second, a shift change's counts at their
bounds, an empty snapshot, two mines with snapshots at the same time, the cards an evidence lists, the shortest
shift, positions out of order, the batch prepared once. Each rule: its whole evidence and the snapshot it
shows, its limits to the second, cards above ground, and a registry that changes between batches."""

from __future__ import annotations

import gc
import json
from dataclasses import replace
from datetime import date

import pytest

from kuangan.engine.rules import (
    face_overcrowded,
    mine_overcrowded,
    no_leader_on_shift,
    overtime_underground,
    personnel,
    restricted_area_entry,
    shift_change_overcrowded,
    suspended_mine_activity,
    uncertified_special_operator,
)

from .factories import MINE
from .personnel_factories import (
    OTHER,
    OTHER_MINE,
    RESTRICTED,
    alarms,
    area,
    area_code,
    at,
    card,
    crowd,
    every,
    facts,
    fence,
    leader,
    mine,
    only,
    operator,
    person,
    rule_input,
    run,
    settings,
    shift,
    snapshot,
    station_code,
    status,
)

pytestmark = pytest.mark.nodb

def snaps_of(snapshots, **kw) -> list[dict]:
    cols = ["mine_code", "t", "people", "outside", "shift_start", "in_change", "prev_shift", "next_shift",
            "prev_lb", "next_lb", "prev_people", "next_down"]
    return personnel.people(rule_input(snapshots, **kw)).snaps.select(cols).to_dicts()


def test_a_shift_change_counts_the_previous_shift_from_its_lower_bound_and_the_next_from_its_own():
    # 三八制: the 08:00 shift's people went down from 04:00 (inclusive) to 12:00 (exclusive), the 16:00 shift's
    # from 12:00. One of each bound: 04:00:00 is of the 08:00 shift, 12:00:00 of the 16:00 shift.
    crew = [person(1, down=at(4)), person(2, down=at(12)), person(3, down=at(15, 30))]
    first, at_change = snaps_of([snapshot(at(15, 50), crew), snapshot(at(16), crew)])
    assert first == {
        "mine_code": MINE, "t": at(15, 50), "people": 3, "outside": 3, "shift_start": at(8), "in_change": True,
        "prev_shift": at(8), "next_shift": at(16), "prev_lb": at(4), "next_lb": at(12), "prev_people": 1,
        "next_down": at(12)}
    # a snapshot exactly at a shift's start is in that shift, once
    assert (at_change["t"], at_change["shift_start"], at_change["prev_people"]) == (at(16), at(16), 1)


def test_a_person_down_exactly_half_way_between_two_starts_belongs_to_the_later_shift():
    # overtime is 2 h past the end of the person's shift: down at 04:00:00 is of the 08:00 shift (over at
    # 18:00), down at 12:00:00 of the 16:00 shift (not over at 18:05)
    snaps = [snapshot(at(18, 5), [person(1, down=at(4)), person(2, down=at(12))])]
    found = alarms(only(overtime_underground), snaps)
    assert [(a["point_code"], a["start"]) for a in found] == [(card(1), at(18, 5))]
    assert json.loads(found[0]["evidence"])["shift_start"] == "2024-06-03 08:00:00"


def test_an_empty_snapshot_counts_nobody_underground_and_nobody_outside_the_faces():
    [empty] = snaps_of([snapshot(at(9), [])])
    assert (empty["people"], empty["outside"], empty["in_change"]) == (0, 0, False)


def test_two_mines_with_a_snapshot_at_the_same_time_are_counted_apart():
    # at 15:50 our mine has the 16:00 shift down and a card left from the night before (not the shift just
    # before: no change), the other mine a change under way; in the positions, sorted by mine, the two
    # snapshots are neighbours
    ours = [person(1, down=at(-4)), person(2, down=at(15, 40))]
    theirs = [person(1, down=at(6), mine=OTHER_MINE), person(2, down=at(15, 40), mine=OTHER_MINE)]
    snaps = [snapshot(at(15, 50), ours), snapshot(at(15, 50), theirs, mine=OTHER_MINE)]
    by_mine = {s["mine_code"]: s for s in snaps_of(snaps)}
    assert (by_mine[MINE]["in_change"], by_mine[OTHER_MINE]["in_change"]) == (False, True)
    assert (by_mine[MINE]["people"], by_mine[OTHER_MINE]["prev_people"]) == (2, 1)
    found = alarms(only(shift_change_overcrowded), snaps, settings=settings(shift_change_total=0))
    assert [a["mine_code"] for a in found] == [OTHER_MINE]


def test_an_evidence_lists_the_first_50_cards_underground_and_counts_them_all():
    crowded = crowd(60, down=at(7, 40))
    above = [person(n, down=at(7, 40), flag=flag) for n, flag in ((61, 0), (62, 2), (63, 0))]
    found = alarms(only(mine_overcrowded), [snapshot(at(8), crowded + above)], facts=facts(mines=[mine(limit=20)]))
    shown = json.loads(found[0]["evidence"])
    assert (len(shown["cards"]), shown["cards_total"]) == (50, 60)
    assert shown["cards"] == [card(n) for n in range(1, 51)]


def test_a_short_shift_of_a_mine_with_a_long_one_is_still_judged_for_overtime():
    # shifts at 00:00 (20 h) and 20:00 (4 h): down at 20:00, 6 h 30 min later is 30 min over 4 h + 2 h
    shifts = facts(shifts=[shift(0), shift(20 * 60)])
    snaps = [snapshot(at(26, 30), [person(1, down=at(20))])]
    found = alarms(only(overtime_underground), snaps, facts=shifts)
    assert [(a["point_code"], a["peak"]) for a in found] == [(card(1), 2.5)]  # hours past the 4 h


def test_positions_out_of_order_are_refused_with_what_the_pipeline_must_guarantee():
    # the 09:00 snapshot's two rows split by the 09:05 snapshot's
    batch = rule_input([snapshot(at(9), [person(1, down=at(8)), person(2, down=at(8))]),
                        snapshot(at(9, 5), [person(1, down=at(8))])])
    out_of_order = replace(batch, positions=batch.positions[[0, 2, 1]])
    with pytest.raises(ValueError, match=r"^RYSS positions must come sorted by mine and snapshot time "
                                         r"\(engine\.pipeline\)$"):
        personnel.people(out_of_order)


def test_the_batch_prepared_for_the_rules_is_reused_and_let_go_with_the_batch():
    batch = rule_input([snapshot(at(9), [person(1, down=at(8))])])
    prepared = personnel.people(batch)
    assert personnel.people(batch) is prepared  # the other rules reuse it
    del batch, prepared
    gc.collect()
    assert personnel._LAST == []  # not held until the next batch: a day of RYSS is millions of rows


def test_a_batch_not_prepared_before_is_prepared_again():
    first = rule_input([snapshot(at(9), [person(1, down=at(8))])])
    second = rule_input([snapshot(at(9), [person(1, down=at(8)), person(2, down=at(8))])])
    assert personnel.people(first).snaps["people"].to_list() == [1]
    assert personnel.people(second).snaps["people"].to_list() == [2]


# --- overtime_underground ---------------------------------------------------------------------------------------


def test_overtime_begins_after_exactly_the_shift_and_the_allowance():
    # the 08:00 shift (8 h) and 2 h more: 18:00:00 is allowed, 18:00:01 is not
    snaps = [snapshot(at(18), [person(1, down=at(8))]), snapshot(at(18, 0, 1), [person(1, down=at(8))])]
    found = alarms(only(overtime_underground), snaps)
    assert [(a["point_code"], a["start"]) for a in found] == [(card(1), at(18, 0, 1))]


def test_a_long_shift_is_judged_by_its_own_length_not_the_shortest():
    # shifts at 00:00 (20 h) and 20:00 (4 h): down at 00:00, 20 h 5 min and 22 h later are within 20 h + 2 h
    shifts = facts(shifts=[shift(0), shift(20 * 60)])
    snaps = [snapshot(t, [person(1, down=at(0))]) for t in (at(20, 5), at(22), at(22, 0, 1))]
    found = alarms(only(overtime_underground), snaps, facts=shifts)
    assert [(a["point_code"], a["start"]) for a in found] == [(card(1), at(22, 0, 1))]


def test_a_card_reported_come_up_or_above_ground_is_not_overtime_underground():
    snaps = [snapshot(at(20), [person(1, down=at(8), flag=2, up=at(19)), person(2, down=at(8), flag=0)])]
    assert alarms(only(overtime_underground), snaps) == []


def test_the_overtime_evidence_shows_the_person_the_shift_and_the_hours():
    late = {**person(1, down=at(8), area=3, station=2), "name": "张三"}
    found = alarms(only(overtime_underground), [snapshot(at(18, 0, 20), [late])])
    assert json.loads(found[0]["evidence"]) == {
        "card": card(1), "name": "张三", "t": "2024-06-03 18:00:20", "time_down": "2024-06-03 08:00:00",
        "shift_start": "2024-06-03 08:00:00", "shift_hours": 8.0, "allowed_hours": 10.0,
        "hours_underground": 10.01, "hours_over": 2.01, "area": area_code(3), "station": station_code(3, 2),
    }


# --- restricted_area_entry --------------------------------------------------------------------------------------


def test_the_restricted_area_evidence_shows_the_person_the_place_and_the_fences_in_force():
    fenced = facts(areas=[area(3)], fences=[fence("旧采空区", at(0), area=3), fence("已过期", at(0), at(1), area=3)])
    inside = {**person(1, down=at(7), area=3, station=2), "area_entered": at(8, 30), "station_reached": at(8, 40)}
    found = alarms(only(restricted_area_entry), [snapshot(at(9), [inside])], facts=fenced)
    assert json.loads(found[0]["evidence"]) == {
        "card": card(1), "name": "工人1", "t": "2024-06-03 09:00:00", "area": area_code(3), "area_type": OTHER,
        "restricted_area": False, "fences": ["旧采空区"], "area_entered": "2024-06-03 08:30:00",
        "station": station_code(3, 2), "station_reached": "2024-06-03 08:40:00",
    }


def test_a_card_above_ground_with_a_restricted_area_code_has_not_entered_it():
    restricted = facts(areas=[area(3, kind=RESTRICTED)])
    snaps = [snapshot(at(9), [person(1, down=at(7), area=3, flag=0), person(2, down=at(7), area=3, flag=2)])]
    assert alarms(only(restricted_area_entry), snaps, facts=restricted) == []


def test_a_mine_with_nothing_restricted_keeps_the_rule_s_state_batch_after_batch():
    batches = [[snapshot(at(9), [person(1, down=at(7), area=3)])], [snapshot(at(9, 5), [person(1, down=at(7))])]]
    found, states = run(only(restricted_area_entry), batches)
    assert found == []
    assert set(states[restricted_area_entry.KIND]) == {"open", "evidence"}


# --- suspended_mine_activity ------------------------------------------------------------------------------------

SUSPENDED_AT_NOON = facts(status=[status("producing", at(-100), at(12), suspended=False),
                                  status("suspended_for_rectification", at(12))])


def test_each_crowded_area_of_a_suspended_mine_shows_its_most_crowded_snapshot_and_its_own_cards():
    # from 12:00:00 exactly the mine is suspended; area 6 has 11 then 13 people, area 7 has 11 then 12
    snaps = [snapshot(at(12), crowd(11, area=6, down=at(11)) + crowd(11, first=100, area=7, down=at(11))),
             snapshot(at(12, 5), crowd(13, area=6, down=at(11)) + crowd(12, first=100, area=7, down=at(11)))]
    found = alarms(only(suspended_mine_activity), snaps, facts=SUSPENDED_AT_NOON)
    assert [(a["point_code"], a["start"], a["peak"]) for a in found] == [
        (area_code(6), at(12), 13.0), (area_code(7), at(12), 12.0)]
    assert json.loads(found[0]["evidence"]) == {
        "area": area_code(6), "t": "2024-06-03 12:05:00", "status": "suspended_for_rectification",
        "status_since": "2024-06-03 12:00:00", "people": 13, "limit": 10,
        "cards": [card(n) for n in range(1, 14)], "cards_total": 13,
    }
    assert json.loads(found[1]["evidence"])["cards"] == [card(n) for n in range(100, 112)]


def test_a_status_not_known_to_be_suspended_is_not_suspended():
    unknown = facts(status=[{**status("suspended_for_rectification", at(0)), "suspended": None}])
    assert alarms(only(suspended_mine_activity), [snapshot(at(9), crowd(11, down=at(8)))], facts=unknown) == []


def test_a_batch_of_a_mine_never_suspended_keeps_the_rule_s_state_batch_after_batch():
    batches = [[snapshot(at(9), crowd(11, down=at(8)))], [snapshot(at(9, 5), crowd(11, down=at(8)))]]
    found, states = run(only(suspended_mine_activity), batches)
    assert found == []
    assert set(states[suspended_mine_activity.KIND]) == {"open", "evidence"}


# --- shift_change_overcrowded -----------------------------------------------------------------------------------

NIGHT_LEFT = person(90, down=at(4))  # of the 08:00 shift, down exactly at its lower bound


def change_at(t, coming: int, *, first: int = 1, down=None, mine=MINE):
    """A snapshot at `t` during the 16:00 change: NIGHT_LEFT still down and `coming` of the 16:00 shift."""
    crew = [person(first + i, down=down or at(15), mine=mine) for i in range(coming)]
    return snapshot(t, [{**NIGHT_LEFT, "mine_code": mine, "card_code": card(90, mine)}, *crew], mine=mine)


def test_the_shift_change_evidence_is_its_worst_snapshot_over_the_total_first_then_the_longest():
    # over 3 outside the faces at 15:10 (10 min) and 15:20 (20 min); 2 h 5 min long at 17:05 but under the total
    snaps = [change_at(at(15, 10), 3), change_at(at(15, 20), 4), change_at(at(17, 5), 1),
             snapshot(at(17, 10), crowd(4, down=at(15)))]
    found = alarms(only(shift_change_overcrowded), snaps, settings=settings(shift_change_total=3))
    assert [(a["start"], a["end"], a["peak"]) for a in found] == [(at(15, 10), at(17, 10), 5.0)]
    assert json.loads(found[0]["evidence"]) == {
        "t": "2024-06-03 15:20:00", "previous_shift": "2024-06-03 08:00:00", "next_shift": "2024-06-03 16:00:00",
        "change_start": "2024-06-03 15:00:00", "duration_s": 1200.0, "outside_faces": 5, "people": 5,
        "total_limit": 3, "max_duration_s": 7200, "over_total": True, "too_long": False,
        "previous_shift_cards": [card(90)], "previous_shift_people": 1,
    }


def test_the_previous_shift_s_cards_are_those_down_from_its_lower_bound_to_the_next_one_s():
    # down at 12:00:00 is of the 16:00 shift: not listed with the 08:00 shift's people
    snaps = [change_at(at(15, 10), 3, down=at(12))]
    found = alarms(only(shift_change_overcrowded), snaps, settings=settings(shift_change_total=3))
    shown = json.loads(found[0]["evidence"])
    assert (shown["previous_shift_cards"], shown["change_start"]) == ([card(90)], "2024-06-03 12:00:00")


def test_a_change_s_start_is_its_own_mine_s_and_shift_s_first_person_down():
    # our 16:00 shift began coming down at 14:00: 2 h 5 min at 16:05, too long; the other mine's at 15:30
    ours = [change_at(t, 1, down=at(14)) for t in (at(15, 55), at(16, 5))]
    other = [change_at(t, 1, down=at(15, 30), mine=OTHER_MINE) for t in (at(15, 55), at(16, 5))]
    found = alarms(only(shift_change_overcrowded), ours + other)
    assert [(a["mine_code"], a["start"]) for a in found] == [(MINE, at(16, 5))]


def test_each_shift_change_of_a_batch_starts_from_its_own_first_person_down():
    # the 08:00 change (from 07:30, P = the 00:00 shift) and the 16:00 change (from 15:30), each 40 min
    morning = [snapshot(t, [person(80, down=at(-1)), person(1, down=at(7, 30))]) for t in (at(7, 50), at(8, 10))]
    evening = [snapshot(t, [person(2, down=at(6)), person(3, down=at(15, 30))]) for t in (at(15, 50), at(16, 10))]
    assert alarms(only(shift_change_overcrowded), morning + evening) == []


# --- uncertified_special_operator and no_leader_on_shift --------------------------------------------------------


def certified(*certificates: tuple[date | None, date | None], on_file: bool | None = True):
    return facts(mines=[{**mine(certificates=True), "certificates_on_file": on_file}],
                 operators=[operator(7, issued, expires) for issued, expires in certificates])


def test_a_certificate_is_valid_from_the_day_it_is_issued_and_without_an_expiry_never_expires():
    down = [snapshot(at(9), [person(7, down=at(8))])]
    assert alarms(only(uncertified_special_operator), down, facts=certified((date(2024, 6, 3), None))) == []
    assert alarms(only(uncertified_special_operator), down, facts=certified((None, date(2024, 6, 3)))) == []
    assert len(alarms(only(uncertified_special_operator), down, facts=certified((date(2024, 6, 4), None)))) == 1


def test_an_operator_above_ground_or_at_a_mine_whose_certificates_are_not_known_to_be_on_file_is_not_judged():
    above = [snapshot(at(9), [person(7, down=at(8), flag=0)])]
    assert alarms(only(uncertified_special_operator), above, facts=certified((None, None))) == []
    down = [snapshot(at(9), [person(7, down=at(8))])]
    assert alarms(only(uncertified_special_operator), down, facts=certified((None, None), on_file=None)) == []
    found, states = run(only(uncertified_special_operator), [down, [snapshot(at(9, 5), [person(7, down=at(8))])]])
    assert found == [] and set(states[uncertified_special_operator.KIND]) == {"open", "evidence"}


def test_a_shift_without_a_leader_lists_the_first_50_of_a_longer_roster_and_counts_it_all():
    roster = facts(leaders=[leader(n) for n in range(900, 960)])
    snaps = every(at(7, 50), at(10, 5), [person(1, down=at(7, 45))])
    [shown] = [json.loads(a["evidence"]) for a in alarms(only(no_leader_on_shift), snaps, facts=roster)]
    assert (shown["roster"], shown["roster_total"]) == ([card(n) for n in range(900, 950)], 60)


# --- mine_overcrowded and face_overcrowded ----------------------------------------------------------------------


def test_the_mine_overcrowded_evidence_is_its_most_crowded_snapshot_with_the_limit_and_where_it_comes_from():
    limit = facts(mines=[mine(limit=20, capacity=120.0, severe=True)])
    snaps = [snapshot(at(9), crowd(21, down=at(7, 50))), snapshot(at(9, 5), crowd(25, down=at(7, 50)))]
    shown = json.loads(alarms(only(mine_overcrowded), snaps, facts=limit)[0]["evidence"])
    assert {k: v for k, v in shown.items() if k != "cards"} == {
        "t": "2024-06-03 09:05:00", "people": 25, "limit": 20, "limit_source": "mine_limit", "capacity": 120.0,
        "disaster_severe": True, "cards_total": 25}


def test_a_mine_taken_out_of_the_registry_ends_its_overcrowding_at_its_next_snapshot():
    crowded = [snapshot(at(9), crowd(21, down=at(7, 50)))]
    opened, states = run(only(mine_overcrowded), [crowded], facts=facts(mines=[mine(limit=20)]))
    assert [(a["start"], a["end"]) for a in opened] == [(at(9), None)]
    ended, _ = run(only(mine_overcrowded), [[snapshot(at(9, 5), crowd(21, down=at(7, 50)))]], facts=facts(),
                   states=states)
    assert [(a["start"], a["end"]) for a in ended] == [(at(9), at(9, 5))]


def test_a_face_s_evidence_is_its_major_snapshot_before_one_with_more_people_and_else_its_most_crowded():
    face = facts(areas=[area(1, face=True, face_limit=20)], leaders=[leader(n) for n in range(900, 904)])
    major = crowd(24, down=at(7, 50))  # 24 workers: 20 % over
    more_people = crowd(22, down=at(7, 50)) + [person(n, down=at(8)) for n in range(900, 904)]  # 26, 22 workers
    snaps = [snapshot(at(9), crowd(21, down=at(7, 50))), snapshot(at(9, 5), major), snapshot(at(9, 10), more_people)]
    shown = json.loads(alarms(only(face_overcrowded), snaps, facts=face)[0]["evidence"])
    assert (shown["t"], shown["people"], shown["major"]) == ("2024-06-03 09:05:00", 24, True)
    minor = [snapshot(at(9), crowd(21, down=at(7, 50))), snapshot(at(9, 5), crowd(22, down=at(7, 50)))]
    shown = json.loads(alarms(only(face_overcrowded), minor, facts=face)[0]["evidence"])
    assert (shown["t"], shown["people"], shown["major"]) == ("2024-06-03 09:05:00", 22, False)


def test_a_maintenance_shift_without_a_maintenance_limit_uses_the_face_s_production_limit():
    no_maintenance_limit = facts(areas=[area(1, face=True, face_limit=20)],
                                 shifts=[shift(0, maintenance=True), shift(480), shift(960)])
    night = [snapshot(at(2), crowd(21, down=at(0, 10)))]
    [alarm] = alarms(only(face_overcrowded), night, facts=no_maintenance_limit)
    shown = json.loads(alarm["evidence"])
    assert (shown["shift"], shown["face_limit"], shown["people"]) == ("maintenance", 20, 21)


def test_each_crowded_area_s_evidence_shows_its_limits_their_sources_and_its_own_cards():
    limits = facts(areas=[area(1, face=True, face_limit=30), area(2, headcount=10)])
    snaps = [snapshot(at(9), crowd(31, down=at(7, 50)) + crowd(11, first=100, area=2, down=at(7, 50)))]
    face, roadway = (json.loads(a["evidence"]) for a in alarms(only(face_overcrowded), snaps, facts=limits))
    assert face == {
        "area": area_code(1), "declared_as": "face", "t": "2024-06-03 09:00:00", "people": 31, "non_leaders": 31,
        "leaders": 0, "shift": "production", "face_limit": 30, "face_limit_source": "staffing_limit",
        "headcount": None, "headcount_source": "RYQY", "over": ["face_limit"], "over_share": 0.0333,
        "major": False, "item": None, "cards": [card(n) for n in range(1, 32)], "cards_total": 31}
    assert (roadway["area"], roadway["face_limit_source"], roadway["headcount"], roadway["over"]) == (
        area_code(2), None, 10, ["headcount"])
    assert roadway["cards"] == [card(n) for n in range(100, 111)]


LEADERS = facts(leaders=[leader(900)])
WORKERS = [person(n, down=at(7, 45)) for n in range(1, 4)]


def no_leader_alarms(batches):
    return [(a["start"], a["end"]) for a in run(only(no_leader_on_shift), batches, facts=LEADERS)[0]]


def test_a_leader_seen_only_in_the_shift_s_first_snapshot_covers_the_shift():
    snaps = [*every(at(7, 50), at(7, 55), WORKERS), snapshot(at(8), [*WORKERS, person(900, down=at(7, 50))]),
             *every(at(8, 5), at(10, 30), WORKERS)]
    assert no_leader_alarms([snaps]) == []


def test_a_leader_come_up_at_the_shift_s_start_covers_it_and_one_come_up_before_does_not():
    came_up_at_start = person(900, down=at(6), flag=2, up=at(8))
    assert no_leader_alarms([every(at(8), at(10, 30), [*WORKERS, came_up_at_start])]) == []
    came_up_before = person(900, down=at(6), flag=2, up=at(7, 59))
    assert no_leader_alarms([every(at(8), at(10, 30), [*WORKERS, came_up_before])]) == [(at(10), None)]


def test_a_leader_of_the_shift_before_in_an_earlier_batch_does_not_cover_the_next_shift():
    night = every(at(7, 30), at(7, 55), [*WORKERS, person(900, down=at(0))])
    day = every(at(8), at(10, 30), WORKERS)
    assert no_leader_alarms([night, day]) == [(at(10), None)]


def test_the_uncertified_evidence_shows_the_certificates_on_file_and_why_none_is_valid():
    on_file = facts(mines=[mine(certificates=True)],
                    operators=[operator(7, date(2024, 6, 10)), operator(8, None, date(2024, 6, 1))])
    seven = {**person(7, down=at(8), area=3, station=2), "name": "李四"}
    found = alarms(only(uncertified_special_operator), [snapshot(at(9), [seven, person(8, down=at(8))])],
                   facts=on_file)
    shown = [json.loads(a["evidence"]) for a in found]
    assert shown[0] == {"card": card(7), "name": "李四", "t": "2024-06-03 09:00:00", "date": "2024-06-03",
                        "certificates": ["2024-06-10~"], "problem": "not_yet_valid", "area": area_code(3),
                        "station": station_code(3, 2)}
    assert (shown[1]["certificates"], shown[1]["problem"]) == (["?~2024-06-01"], "expired")


def test_the_no_leader_evidence_shows_the_most_crowded_snapshot_the_shift_and_who_claimed_to_lead():
    claimants = [person(n, down=at(7, 45), leader_flag=True) for n in range(100, 155)]  # 55, off the roster
    snaps = [*every(at(8), at(10), WORKERS), snapshot(at(10, 5), [*WORKERS, *claimants]),
             snapshot(at(10, 10), WORKERS)]
    [alarm] = run(only(no_leader_on_shift), [snaps], facts=LEADERS)[0]
    assert json.loads(alarm["evidence"]) == {
        "t": "2024-06-03 10:05:00", "shift_start": "2024-06-03 08:00:00", "shift_end": "2024-06-03 16:00:00",
        "grace_s": 7200, "people": 58, "covered_since": "2024-06-03 08:00:00", "roster": [card(900)],
        "roster_total": 1, "flagged_off_roster": [card(n) for n in range(100, 150)]}


def test_one_person_underground_without_a_leader_is_a_shift_without_a_leader():
    assert no_leader_alarms([every(at(8), at(10, 5), WORKERS[:1])]) == [(at(10), None)]
    [alarm] = run(only(no_leader_on_shift), [every(at(8), at(10, 5), WORKERS)], facts=LEADERS)[0]
    assert json.loads(alarm["evidence"])["flagged_off_roster"] == []


def test_a_mine_without_leader_cards_on_its_roster_shows_an_empty_roster():
    [alarm] = run(only(no_leader_on_shift), [every(at(8), at(10, 5), WORKERS)], facts=facts())[0]
    shown = json.loads(alarm["evidence"])
    assert (shown["roster"], shown["roster_total"]) == ([], 0)


def test_a_batch_of_an_empty_snapshot_ends_an_overcrowding_as_everyone_left():
    batches = [[snapshot(at(9), crowd(21, down=at(7, 50)))], [snapshot(at(9, 5), [])]]
    found, _ = run(only(mine_overcrowded), batches, facts=facts(mines=[mine(limit=20)]))
    assert [(a["start"], a["end"]) for a in found] == [(at(9), at(9, 5))]
