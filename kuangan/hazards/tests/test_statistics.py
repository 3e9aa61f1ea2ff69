"""The analysis charts and the ledger's pages at scale (R2.11): the same answers as counting the hazards
one by one, months by Beijing date, only what the user may see; pages read keys first but show the
same rows in the same order as a plain slice."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.paginator import Paginator

from kuangan.core import clock
from kuangan.core.paging import LateRowPaginator, late_slice
from kuangan.hazards import queries
from kuangan.hazards.choices import HazardSource, HazardStatus
from kuangan.hazards.filters import HazardFilter
from kuangan.hazards.models import Hazard, HazardStandardItem

SH = clock.SHANGHAI
TODAY = date(2024, 7, 10)
# Instants either side of Beijing midnight at a month's end: 23:30 on June 30th and 00:30 on July 1st
# in Beijing are both June 30th in UTC.
LAST_OF_JUNE = datetime(2024, 6, 30, 15, 30, tzinfo=UTC)
FIRST_OF_JULY = datetime(2024, 6, 30, 16, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    with clock.frozen(datetime.combine(TODAY, datetime.min.time(), tzinfo=SH) + timedelta(hours=9)):
        yield


def ledger(world, n: int = 240, seed: int = 7) -> list[Hazard]:  # type: ignore[no-untyped-def]
    """`n` hazards over the county's two mines and a foreign one, of every level, source and status,
    found over two years, with two at the Beijing month boundary."""
    rng = random.Random(seed)
    items = list(HazardStandardItem.objects.filter(standard__code="coal-2020"))
    rows = []
    for k in range(n):
        major = rng.random() < 0.4
        found = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 550 * 24 * 60))
        if k < 2:
            found = (LAST_OF_JUNE, FIRST_OF_JULY)[k]
        rows.append(Hazard(
            mine=rng.choice((world.a1, world.a1, world.a2, world.b1)), level="major" if major else "ordinary",
            standard_item=rng.choice(items) if major else None, source=rng.choice(HazardSource.values),
            status=rng.choice(HazardStatus.values), description=f"隐患 {k}", found_at=found, found_by="安全科",
            reported_by=world.mine_safety_officer, reported_at=found + timedelta(hours=1)))
    return Hazard.objects.bulk_create(rows)


def counted(user, filters: HazardFilter) -> dict[str, Counter[str]]:  # type: ignore[no-untyped-def]
    """The charts the slow way: each visible hazard counted once per chart, in Python."""
    sources, statuses = dict(HazardSource.choices), dict(HazardStatus.choices)
    out: dict[str, Counter[str]] = {c: Counter() for c in queries.CHARTS}
    for h in queries.visible_hazards(user, filters, TODAY):
        out["category"][h.standard_item.category_name if h.standard_item else "一般隐患（不分类别）"] += 1
        out["county"][h.mine.division.name] += 1
        out["mine"][h.mine.name] += 1
        out["source"][str(sources[h.source])] += 1
        out["status"][str(statuses[h.status])] += 1
        out["month"][h.found_at.astimezone(SH).strftime("%Y-%m")] += 1
    return out


@pytest.mark.parametrize("filters", [
    HazardFilter(),
    HazardFilter(level="major"),
    HazardFilter(source="self_inspection", found_from=date(2023, 6, 1), found_to=date(2024, 6, 30)),
    HazardFilter(level="ordinary", status="rectifying"),
], ids=["all", "major", "source and dates", "ordinary rectifying"])
def test_the_charts_count_what_counting_one_by_one_counts(world, filters):
    ledger(world)
    for user in (world.inspector, world.city_inspector, world.mine_head, world.group_manager):
        charts = queries.hazard_statistics(user, filters, TODAY)
        expected = counted(user, filters)
        for chart in queries.CHARTS:
            shown = {label: n for label, n in charts[chart] if n}  # months without hazards show as 0
            assert shown == dict(expected[chart]), (user.username, chart)
        months = [m for m, _n in charts["month"]]
        if months:  # every month from the first to the last, in order, none missing
            assert months[0] == min(expected["month"]) and months[-1] == max(expected["month"])
            assert len(months) == len(set(months)) == 12 * (int(months[-1][:4]) - int(months[0][:4])) \
                + int(months[-1][5:]) - int(months[0][5:]) + 1
            assert months == sorted(months)
        for chart in ("category", "county", "mine", "source", "status"):
            numbers = [n for _label, n in charts[chart]]
            assert numbers == sorted(numbers, reverse=True), chart  # largest first


def test_a_month_is_the_beijing_month(world):
    Hazard.objects.bulk_create([Hazard(
        mine=world.a1, level="ordinary", source="self_inspection", status="reported", description="隐患",
        found_at=at, found_by="安全科", reported_by=world.mine_safety_officer, reported_at=at)
        for at in (LAST_OF_JUNE, FIRST_OF_JULY)])
    charts = queries.hazard_statistics(world.inspector, HazardFilter(), TODAY)
    assert charts["month"] == [("2024-06", 1), ("2024-07", 1)]  # UTC says June for both


def test_the_charts_hold_nothing_of_another_county(world):
    ledger(world)
    charts = queries.hazard_statistics(world.foreign_inspector, HazardFilter(), TODAY)
    assert {name for name, _n in charts["mine"]} <= {world.b1.name}
    assert {name for name, _n in charts["county"]} <= {world.b1.division.name}
    assert sum(n for _m, n in charts["month"]) == Hazard.objects.filter(mine=world.b1).count()


def test_analysis_page_shows_every_chart(world, login):
    ledger(world)
    page = login(world.inspector).get("/hazards/analysis/")
    body = page.content.decode()
    for chart in ("category", "county", "mine", "source", "status", "month"):
        assert f'id="chart-{chart}"' in body
    assert world.b1.name not in body  # the foreign county's mine is in no chart


@pytest.mark.parametrize("sort", [None, "-deadline", "mine", "status", "-found_at"])
def test_keys_first_pages_are_the_plain_pages(world, sort):
    ledger(world, n=130)
    Hazard.objects.filter(pk__in=list(Hazard.objects.values_list("pk", flat=True)[:40])).update(
        found_at=FIRST_OF_JULY)  # many ties on the default order: the id decides
    qs = queries.visible_hazards(world.city_inspector, HazardFilter(sort=sort), TODAY)
    plain, late = Paginator(qs, 20, orphans=3), LateRowPaginator(qs, 20, orphans=3)
    assert late.num_pages == plain.num_pages >= 5
    for number in plain.page_range:
        assert [h.pk for h in late.page(number)] == [h.pk for h in plain.page(number)], number
    assert [h.pk for h in late_slice(qs, 5, 12)] == [h.pk for h in qs[5:12]]


@pytest.mark.parametrize("today", [date(2024, 6, 30), date(2024, 7, 1), TODAY])
def test_overdue_is_one_rule_in_python_and_in_sql(world, today):
    """Pages mark 超期 with `is_overdue_on`; filters, counts and the export use `overdue_q`."""
    rng = random.Random(3)
    hazards = ledger(world, n=120)
    for h in hazards:
        h.due_on = rng.choice([None, date(2024, 6, 29), date(2024, 6, 30), date(2024, 7, 1), date(2024, 8, 1)])
        h.paused = rng.random() < 0.3
    Hazard.objects.bulk_update(hazards, ["due_on", "paused"])
    in_sql = set(Hazard.objects.filter(Hazard.overdue_q(today)).values_list("pk", flat=True))
    in_python = {h.pk for h in Hazard.objects.all() if h.is_overdue_on(today)}
    assert in_sql == in_python and in_sql  # and some are overdue
