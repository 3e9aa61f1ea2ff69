"""Monthly production returns (月度产量, issue 20): signed by the mine head, corrected with the old figure kept
in the audit event, a future month refused; the dossier page shows each month against the capacity's line."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core.errors import DomainError
from kuangan.registry import actions, rules
from kuangan.registry.models import ProductionReturn
from kuangan.testing import assert_audited, unchanged

NOW = datetime(2024, 7, 1, 0, 30)  # Beijing: July has just begun


@pytest.fixture(autouse=True)
def now():  # type: ignore[no-untyped-def]
    with clock.frozen(clock.from_local(NOW)) as at:
        yield at


def submit(world, month=date(2024, 6, 1), tonnes="85000", user=None, note=""):  # type: ignore[no-untyped-def]
    return actions.submit_production_return(world.a1.pk, by=world.actor(user or world.mine_head), month=month,
                                            tonnes=Decimal(tonnes), note=note)


def test_the_mine_head_submits_a_month(world):
    ret = submit(world)
    stored = ProductionReturn.objects.get(pk=ret.pk)
    assert (stored.mine, stored.month, stored.tonnes, stored.signed_by, stored.signed_at) == (
        world.a1, date(2024, 6, 1), Decimal("85000"), world.mine_head, clock.from_local(NOW))
    event = assert_audited("registry.productionreturn.submitted", ret, by=world.mine_head)
    assert event.after["tonnes"] == "85000" and event.parent_id == str(world.a1.pk)


def test_a_correction_keeps_the_old_figure_in_the_event(world):
    ret = submit(world, tonnes="85000")
    submit(world, tonnes="99500.5", note="补录洗选前原煤")
    stored = ProductionReturn.objects.get(pk=ret.pk)
    assert stored.tonnes == Decimal("99500.5") and ProductionReturn.objects.count() == 1
    event = assert_audited("registry.productionreturn.corrected", ret, by=world.mine_head)
    assert (event.before["tonnes"], event.after["tonnes"], event.reason) == ("85000.00", "99500.5", "补录洗选前原煤")
    with unchanged(ret), pytest.raises(DomainError, match="无需更正"):
        submit(world, tonnes="99500.5", note="补录洗选前原煤")


def test_the_current_month_may_be_returned_and_the_next_may_not(world):
    submit(world, month=date(2024, 7, 1))  # July has begun in Beijing (00:30), though not in UTC
    with unchanged(ProductionReturn), pytest.raises(DomainError) as refused:
        submit(world, month=date(2024, 8, 1))
    assert refused.value.message == "2024-08 尚未到来，不能填报未来月份的产量。" and refused.value.field == "month"
    assert list(ProductionReturn.objects.values_list("month", flat=True)) == [date(2024, 7, 1)]


def test_refusals_leave_the_returns_as_they_were(world):
    submit(world)
    with unchanged(ProductionReturn), pytest.raises(DomainError, match="第一天"):
        submit(world, month=date(2024, 6, 15))
    with unchanged(ProductionReturn), pytest.raises(DomainError, match="不能为负数"):
        submit(world, tonnes="-1")
    for persona in ("mine_safety_officer", "inspector", "group_manager", "foreign_mine_head"):
        with unchanged(ProductionReturn), pytest.raises(PermissionDenied):
            submit(world, tonnes="1", user=getattr(world, persona))
    with unchanged(ProductionReturn), pytest.raises(PermissionDenied):  # B1's head for his own mine is fine, ours not
        actions.submit_production_return(world.a1.pk, by=world.actor(world.foreign_mine_head), month=date(2024, 5, 1),
                                         tonnes=Decimal(1))


def test_the_capacity_lines():
    assert rules.monthly_capacity_line(Decimal("90")) == Decimal("90000")  # 10 % of 900,000 t
    assert rules.annual_capacity_line(Decimal("90")) == Decimal("990000")
    assert rules.production_month_problem(date(2024, 7, 1), date(2024, 7, 1)) is None
    assert rules.first_of_month(date(2024, 2, 29)) == date(2024, 2, 1)


def test_the_page_shows_months_against_the_line_and_the_form(world, login):
    submit(world, month=date(2024, 5, 1), tonnes="90000")  # at the line: not over
    submit(world, month=date(2024, 6, 1), tonnes="90000.01")  # over
    html = login(world.inspector).get(f"/registry/mines/{world.a1.pk}/production/").content.decode()
    assert "月产量超过 90000 吨（年核定能力的 10％）" in html and "990000 吨" in html
    june = html[html.index('id="return-2024-06"'):][:600]
    may = html[html.index('id="return-2024-05"'):][:600]
    assert "超过月度 10％ 线" in june and "90000.01" in june and "甲一矿长" in june
    assert "未超过" in may
    assert html.index('id="return-2024-06"') < html.index('id="return-2024-05"')  # newest first
    assert "签字填报" not in html  # the inspector reads only
    head = login(world.mine_head).get(f"/registry/mines/{world.a1.pk}/production/").content.decode()
    assert "签字填报" in head and 'type="month"' in head
    assert ">月度产量</a>" in login(world.mine_head).get(f"/registry/mines/{world.a1.pk}/").content.decode()


def test_submitting_through_the_page(world, login):
    client = login(world.mine_head)
    url = f"/registry/mines/{world.a1.pk}/production/"
    response = client.post(url, {"month": "2024-06", "tonnes": "81234.5", "note": ""})
    assert response.status_code == 302
    assert ProductionReturn.objects.get().tonnes == Decimal("81234.5")
    with unchanged(ProductionReturn):
        refused = client.post(url, {"month": "2024-09", "tonnes": "1"}).content.decode()
        assert "2024-09 尚未到来，不能填报未来月份的产量。" in refused
        assert "产量不能为负数" in client.post(url, {"month": "2024-05", "tonnes": "-3"}).content.decode()
        assert login(world.inspector).post(url, {"month": "2024-05", "tonnes": "3"}).status_code == 403
        assert login(world.foreign_mine_head).post(url, {"month": "2024-05", "tonnes": "3"}).status_code == 404
    assert login(world.foreign_inspector).get(url).status_code == 404
    assert ProductionReturn.objects.count() == 1
