"""Issue 18 rule 9: API reads of monthly reports (and zero reports), missing-report findings, escalations
and closure proposals, filtered like the pages and scoped like everything else; a mine's findings
include its missing reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from kuangan.core import clock
from kuangan.hazards import actions, rules
from kuangan.hazards.models import HazardStandardItem

T0 = datetime(2024, 6, 30, 8, 0, tzinfo=clock.SHANGHAI)
BASE = "/api/v1/hazards/hazards"
PLAN = rules.FiveImplementations("李安全", "更换并标校甲烷传感器", Decimal("8.5"), date(2024, 7, 31), "超限撤人预案")


@pytest.fixture(autouse=True)
def at_t0():  # type: ignore[no-untyped-def]
    """The world is built at T0: its mines were registered a year before and owe reports since."""
    with clock.frozen(T0):
        yield


@pytest.fixture
def loop(world):  # type: ignore[no-untyped-def]
    """A1: a zero report for May, two major hazards in June (no licences: a closure proposal), one of
    them overdue since 1 August; a tick on 16 August writes the escalations and missing reports."""
    with clock.frozen(T0):
        actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=date(2024, 5, 1),
                                      is_zero=True)
        hazards = [actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer),
                                         report=actions.HazardReport(
            level="major", source="self_inspection", description="甲烷传感器未按规定标校", found_at=T0,
            found_by="甲一煤矿安全科",
            standard_item_id=HazardStandardItem.objects.get(standard__code="coal-2020", code=code).pk))
            for code in ("C04-02", "C05-01")]
        actions.start_rectification(hazards[0].pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
    with clock.frozen(datetime(2024, 8, 16, 9, 0, tzinfo=clock.SHANGHAI)):
        call_command("tick", "--at", "2024-08-16T09:00")
        yield hazards


def _items(client, path: str) -> list[dict]:  # type: ignore[no-untyped-def]
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_monthly_reports_and_zero_reports(world, login, loop):
    client = login(world.inspector)
    reports = _items(client, "monthly-reports?is_zero=true")
    assert [(r["mine_name"], r["month"], r["is_zero"]) for r in reports] == [("甲一煤矿", "2024-05-01", True)]
    assert reports[0]["signed_by_name"]
    assert _items(client, "monthly-reports?is_zero=false") == []
    assert _items(client, "monthly-reports?month=2024-06-15") == []
    assert len(_items(client, "monthly-reports?month=2024-05-20")) == 1  # any day of the month


def test_missing_reports_are_findings_on_the_api_and_in_the_mine_s_findings(world, login, loop):
    client = login(world.inspector)
    missing = _items(client, f"missing-reports?mine={world.a2.pk}&month=2024-07-01")
    assert [(m["mine_name"], m["month"], m["filed"]) for m in missing] == [("甲二煤矿", "2024-07-01", False)]
    assert not [m for m in _items(client, "missing-reports?month=2024-05-01") if m["mine_name"] == "甲一煤矿"]
    findings = client.get(f"/api/v1/registry/mines/{world.a2.pk}").json()["findings"]
    assert any(f["code"] == "monthly_report_missing" and "2024-07" in f["message"] for f in findings)


def test_escalations_and_closure_proposals(world, login, loop):
    client = login(world.inspector)
    steps = _items(client, f"escalations?hazard={loop[0].pk}")
    assert [s["step"] for s in steps] == ["circular", "letter"]  # newest first
    assert datetime.fromisoformat(steps[-1]["due_at"]) == datetime(2024, 8, 1, tzinfo=clock.SHANGHAI)
    letters = _items(client, "escalations?step=letter")
    assert {s["step"] for s in letters} == {"letter"} and loop[0].pk in {s["hazard_id"] for s in letters}
    proposals = _items(client, "closure-proposals?status=open")
    assert [p["mine_name"] for p in proposals] == ["甲一煤矿"]
    assert set(proposals[0]["hazard_ids"]) >= {h.pk for h in loop}
    assert _items(client, "closure-proposals?status=rejected") == []


@pytest.mark.parametrize("persona", ["foreign_inspector", "foreign_mine_head"])
def test_foreigners_see_nothing_of_ours(world, login, loop, persona):
    client = login(getattr(world, persona))
    for path in ("monthly-reports", "missing-reports", "escalations", "closure-proposals"):
        body = client.get(f"{BASE}/{path}").content.decode()
        assert "甲一煤矿" not in body and "甲二煤矿" not in body, path
    assert client.get(f"{BASE}/escalations?mine={world.a1.pk}").json()["count"] == 0


def test_a_mine_sees_only_its_own(world, login, loop):
    client = login(world.mine_head)
    names = {m["mine_name"] for m in _items(client, "missing-reports")}
    assert names <= {"甲一煤矿"}
    assert [p["mine_name"] for p in _items(client, "closure-proposals")] == ["甲一煤矿"]


def test_bad_filters_are_a_422_in_chinese(world, login):
    client = login(world.inspector)
    response = client.get(f"{BASE}/missing-reports?month=2024-13-01")
    assert response.status_code == 422
    assert client.get(f"{BASE}/closure-proposals?status=nonsense").status_code == 422
