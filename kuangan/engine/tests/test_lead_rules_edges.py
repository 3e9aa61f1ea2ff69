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

from kuangan.engine.rules import leads, seal_activity_while_suspended
from kuangan.engine.schema import TIME

from .factories import MINE
from .lead_factories import (
    OTHER,
    PRODUCING,
    SUSPENDED,
    Records,
    day,
    facts,
    inputs,
    moment,
    run,
    saved,
    sighting,
    status,
)

pytestmark = pytest.mark.nodb

SEAL, SEAL_2 = f"{MINE}S01", f"{MINE}S02"
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


def evaluate_all(batches: list[Any]) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """The state after the batches, and the episodes each batch raised or changed."""
    state, raised = seal_activity_while_suspended.empty_state(), []
    for b in batches:
        state, episodes = seal_activity_while_suspended.evaluate(state, b, datetime(2030, 1, 1))
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
