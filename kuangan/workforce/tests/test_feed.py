"""Workers from the RYXX rosters (feed.upsert_from_feed), inside an ingestion-like transaction: two mines at once,
the newest roster winning card by card whatever the order of arrival, a mine speaking only for its own cards,
nothing deleted when a roster leaves someone out, one audit event per mine, bulk reads and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import pytest

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.models import AuditEvent
from kuangan.engine.schema import PEOPLE
from kuangan.workforce.feed import upsert_from_feed
from kuangan.workforce.models import Worker

from .helpers import make_worker

DAY1 = datetime(2024, 6, 30, 6, 0)  # header (upload) times: naive Beijing, as in the files
DAY2 = datetime(2024, 7, 1, 6, 0)
A1, B1 = "1411290001", "1411810001"


def person(mine: str, n: int, name: str, at: datetime, **extra: Any) -> dict[str, Any]:
    row = {"file_id": 1, "mine_code": mine, "card_code": f"{mine}{n:05d}", "name": name, "trade": "采煤工",
           "post": "采煤机司机", "team": "综采一队", "birth_month": "1985-03", "education": "高中",
           "leader_flag": False, "special_flag": True, "header_time": at}
    row.update(extra)
    return row


def roster(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=PEOPLE)


@pytest.fixture
def ingest(world):  # type: ignore[no-untyped-def]
    mines = {A1: world.a1, B1: world.b1}

    def run(frame: pl.DataFrame) -> dict[str, int]:
        return upsert_from_feed(frame, mines, by=Actor.system(Via.INGEST, at=clock.from_local(DAY2)))

    return run


def names(mine: Any) -> dict[str, str]:
    return dict(Worker.objects.filter(mine=mine).values_list("card_code", "name"))


def test_a_roster_creates_the_workers_of_two_mines_with_one_event_each(world, ingest):
    counts = ingest(roster(person(A1, 1, "张三", DAY1), person(A1, 2, "李四", DAY1, leader_flag=True),
                           person(B1, 1, "王五", DAY1)))
    assert counts == {"workers_created": 3, "workers_changed": 0}
    assert names(world.a1) == {"141129000100001": "张三", "141129000100002": "李四"}
    assert names(world.b1) == {"141181000100001": "王五"}
    li = Worker.objects.get(card_code="141129000100002")
    assert (li.leader_flag, li.special_flag, li.trade, li.team, li.active) == (True, True, "采煤工", "综采一队", True)
    assert li.roster_at == clock.from_local(DAY1)
    events = AuditEvent.objects.filter(verb="workforce.worker.roster_applied").order_by("seq")
    assert [(e.target_id, e.after["workers_created"], e.after["workers_changed"], e.via) for e in events] == [
        (str(world.a1.pk), 2, 0, "ingest"), (str(world.b1.pk), 1, 0, "ingest")]
    assert events[0].division_path == world.a1.division.path  # each mine's county sees its own event


def test_an_older_roster_arriving_later_does_not_overwrite_a_newer_one(world, ingest):
    ingest(roster(person(A1, 1, "张三（新）", DAY2, team="综采二队")))
    before = AuditEvent.objects.count()
    counts = ingest(roster(person(A1, 1, "张三", DAY1, team="综采一队"), person(A1, 2, "李四", DAY1)))
    assert counts == {"workers_created": 1, "workers_changed": 0}
    zhang = Worker.objects.get(card_code="141129000100001")
    assert (zhang.name, zhang.team, zhang.roster_at) == ("张三（新）", "综采二队", clock.from_local(DAY2))
    assert names(world.a1)["141129000100002"] == "李四"  # the old roster's new card still counts
    assert AuditEvent.objects.count() == before + 1  # one event: one worker created, none changed


def test_within_a_batch_the_newest_row_of_a_card_wins_whatever_its_place(world, ingest):
    ingest(roster(person(A1, 1, "新名字", DAY2, file_id=1), person(A1, 1, "旧名字", DAY1, file_id=2)))
    assert names(world.a1) == {"141129000100001": "新名字"}


def test_a_newer_roster_updates_what_changed_and_only_that(world, ingest):
    ingest(roster(person(A1, 1, "张三", DAY1), person(A1, 2, "李四", DAY1)))
    later = datetime(2024, 7, 2, 6, 0)
    counts = ingest(roster(person(A1, 1, "张三", later, team="掘进一队"), person(A1, 2, "李四", later)))
    assert counts == {"workers_created": 0, "workers_changed": 1}
    zhang, li = Worker.objects.filter(mine=world.a1).order_by("card_code")
    assert zhang.team == "掘进一队"
    assert zhang.roster_at == li.roster_at == clock.from_local(later)  # both confirmed by the newer roster
    event = AuditEvent.objects.filter(verb="workforce.worker.roster_applied").latest("seq")
    assert (event.after["workers_created"], event.after["workers_changed"]) == (0, 1)


def test_a_roster_sent_twice_changes_nothing_the_second_time(world, ingest):
    frame = roster(person(A1, 1, "张三", DAY1), person(B1, 1, "王五", DAY1))
    ingest(frame)
    stored = list(Worker.objects.order_by("pk").values())
    before = AuditEvent.objects.count()
    assert ingest(frame) == {"workers_created": 0, "workers_changed": 0}
    assert list(Worker.objects.order_by("pk").values()) == stored
    assert AuditEvent.objects.count() == before


def test_a_mine_speaks_only_for_its_own_cards(world, ingest):
    """A1's file naming B1's card, a card of the wrong length or an unregistered mine's rows: left out."""
    counts = ingest(roster(
        person(A1, 1, "张三", DAY1),
        {**person(A1, 2, "冒名", DAY1), "card_code": "141181000100009"},  # B1's prefix in A1's roster
        {**person(A1, 3, "短卡", DAY1), "card_code": "14112900010003"},
        person("1499990001", 1, "未登记矿", DAY1),
        {**person(A1, 4, "", DAY1)},  # no name
    ))
    assert counts["workers_created"] == 1
    assert list(Worker.objects.values_list("card_code", flat=True)) == ["141129000100001"]


def test_a_worker_left_out_of_a_newer_roster_is_kept_as_it_was(world, ingest):
    ingest(roster(person(A1, 1, "张三", DAY1), person(A1, 2, "李四", DAY1)))
    ingest(roster(person(A1, 1, "张三", DAY2)))
    li = Worker.objects.get(card_code="141129000100002")
    assert (li.active, li.roster_at) == (True, clock.from_local(DAY1))  # not deleted, not marked


def test_the_feed_keeps_what_only_the_mine_records(world, ingest):
    """ID number, the roster mark set by hand, and an unreadable flag (null) keep their values."""
    worker = make_worker(world, special_flag=True)  # 张三, card 141129000100001, ID number on file
    from kuangan.workforce import actions

    actions.deactivate_worker(worker.pk, by=world.actor(world.mine_head), reason="调离")
    counts = ingest(roster(person(A1, 1, "张三丰", DAY1, special_flag=None)))
    assert counts == {"workers_created": 0, "workers_changed": 1}
    worker.refresh_from_db()
    assert (worker.name, worker.id_number, worker.special_flag, worker.active) == (
        "张三丰", "141129198505051234", True, False)


def test_reads_once_and_writes_in_bulk(world, ingest, django_assert_max_num_queries):
    ingest(roster(*(person(A1, n, f"工人{n}", DAY1) for n in range(1, 301))))
    frame = roster(*(person(A1, n, f"工人{n}", DAY2, team="改") for n in range(1, 301)),
                   *(person(B1, n, f"乙矿{n}", DAY2) for n in range(1, 301)))
    # 1 read, bulk insert (1 batch of 300 on B1 … at most 2), bulk update (1 batch of 300 … at most 2 with
    # the empty confirmation), 2 audit events (each: head lock + insert + head update, and its savepoint)
    with django_assert_max_num_queries(20):
        counts = ingest(frame)
    assert counts == {"workers_created": 300, "workers_changed": 300}
    assert Worker.objects.filter(mine=world.a1, team="改").count() == 300


def test_an_empty_roster_does_nothing(world, ingest, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert ingest(roster()) == {"workers_created": 0, "workers_changed": 0}
