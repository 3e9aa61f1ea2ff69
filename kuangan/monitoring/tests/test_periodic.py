"""The over-capacity check on the signed monthly returns (C01-01), by `kuangan tick`: a month above 10 % of
the annual approved capacity, or a year at 110 % and more, is a lead for the county (not the mine); a second
tick changes nothing; exactly 10 % is not over, exactly 110 % is."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from kuangan.core import clock
from kuangan.core.models import Notification
from kuangan.monitoring import rules
from kuangan.monitoring.choices import LeadKind
from kuangan.monitoring.models import Lead
from kuangan.monitoring.periodic import over_capacity_from_returns
from kuangan.registry.models import ProductionReturn

AT = datetime(2024, 7, 3, 2, 0, tzinfo=clock.SHANGHAI)


def returns(world, *months: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    for month, tonnes in months:
        ProductionReturn.objects.create(mine=world.a1, month=date(2024, month, 1), tonnes=Decimal(tonnes),
                                        signed_by=world.mine_head, signed_at=AT)


@pytest.mark.parametrize("tonnes,flagged", [(90_000, False), (90_001, True)])
def test_a_month_is_over_only_above_ten_percent(tonnes, flagged):
    flags = rules.capacity_flags([(date(2024, 6, 1), Decimal(tonnes))], Decimal("90"), month_share=0.1,
                                 year_share=1.1)
    assert bool(flags) is flagged


def test_a_year_at_exactly_110_percent_is_over():
    months = [(date(2024, m, 1), Decimal(82_500)) for m in range(1, 13)]  # 990,000 t = 110 % of 90 万t
    flags = rules.capacity_flags(months, Decimal("90"), month_share=0.1, year_share=1.1)
    assert [(f.month, f.year_over, f.month_over) for f in flags] == [(date(2024, 12, 1), True, False)]
    assert rules.capacity_flags(months[:-1] + [(date(2024, 12, 1), Decimal(82_499))], Decimal("90"),
                                month_share=0.1, year_share=1.1) == []


def test_the_tick_raises_one_lead_for_the_county_and_a_second_tick_changes_nothing(
        world, django_capture_on_commit_callbacks):
    returns(world, (5, 80_000), (6, 95_000))  # a1 is 90 万t/a: June is above 90,000 t
    with django_capture_on_commit_callbacks(execute=True):
        assert over_capacity_from_returns(AT) == {"over-capacity leads from returns": 1}
    lead = Lead.objects.get()
    assert (lead.kind, lead.subject, lead.peak, clock.local(lead.start), clock.local(lead.end)) == (
        LeadKind.OVER_CAPACITY, "", 95_000.0, datetime(2024, 6, 1), datetime(2024, 7, 1))  # noqa: DTZ001
    assert (lead.evidence["month"], lead.evidence["source"], round(lead.evidence["month_share"], 4)) == (
        "2024-06", "production_return", 0.1056)
    told = set(Notification.objects.filter(url=lead.get_absolute_url()).values_list("recipient__username", flat=True))
    assert "inspector" in told and "mine_head" not in told
    assert over_capacity_from_returns(AT) == {"over-capacity leads from returns": 0}
    assert Lead.objects.count() == 1 and lead.transitions.count() == 1


def test_a_december_over_capacity_lead_ends_on_the_first_of_january(world, django_capture_on_commit_callbacks):
    ProductionReturn.objects.create(mine=world.a1, month=date(2024, 12, 1), tonnes=Decimal(95_000),
                                    signed_by=world.mine_head, signed_at=AT)
    with django_capture_on_commit_callbacks(execute=True):
        assert over_capacity_from_returns(datetime(2025, 1, 3, 2, 0, tzinfo=clock.SHANGHAI)) == {
            "over-capacity leads from returns": 1}
    lead = Lead.objects.get()
    assert (clock.local(lead.start), clock.local(lead.end)) == (
        datetime(2024, 12, 1), datetime(2025, 1, 1))  # noqa: DTZ001
