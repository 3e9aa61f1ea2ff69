"""/api/v1/hazards/: the closed loop through the API, its refusals, scoping and the ledger filters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from kuangan.core import actions as core_actions
from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.hazards.models import Hazard, MonthlyReport
from kuangan.registry.choices import MineStatus
from kuangan.testing import assert_audited, unchanged

BASE = "/api/v1/hazards/hazards"
C04_02 = {"level": "major", "source": "self_inspection", "standard_item_code": "C04-02",
          "description": "1201工作面回风隅角甲烷传感器未按规定调校", "found_at": "2024-06-29T10:00:00+08:00",
          "found_by": "甲一煤矿安全科"}
FIVE = {"responsible_person": "张工", "measures": "重新调校甲烷传感器并校验断电范围", "funds": "3.50",
        "deadline": "2024-07-15", "contingency_plan": "瓦斯超限撤人预案"}


@pytest.fixture
def bearer(world):  # type: ignore[no-untyped-def]
    _token, secret = core_actions.create_token(world.inspector.pk, by=Actor.system("shell"), name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def post(client):  # type: ignore[no-untyped-def]
    def call(path: str, body: dict[str, Any], **headers: Any) -> Any:
        return client.post(f"{BASE}{path}", json.dumps(body), content_type="application/json", **headers)
    return call


def _report(world, client, post, **change: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    client.force_login(world.mine_safety_officer)
    response = post("", {**C04_02, "mine_id": world.a1.pk, **change})
    assert response.status_code == 201, response.content
    client.logout()
    return response.json()


def test_the_full_loop_through_the_api(world, client, post, bearer, frozen_clock):
    # The mine's safety officer reports a major hazard citing C04-02.
    client.force_login(world.mine_safety_officer)
    reported = post("", {**C04_02, "mine_id": world.a1.pk})
    assert reported.status_code == 201, reported.content
    body = reported.json()
    hazard = Hazard.objects.get(pk=body["id"])
    assert body["status"] == "reported" and body["standard_item_code"] == "C04-02"
    assert body["mine_name"] == "甲一煤矿" and "甲烷传感器" in body["standard_item_text"]
    event = assert_audited("hazards.hazard.reported", hazard, by=world.mine_safety_officer)
    assert event.via == "api"

    rectifying = post(f"/{hazard.pk}/rectification", FIVE)
    assert rectifying.status_code == 200, rectifying.content
    assert rectifying.json()["status"] == "rectifying" and rectifying.json()["funds"] == "3.50"
    assert_audited("hazards.hazard.rectification_started", hazard, by=world.mine_safety_officer)

    requested = post(f"/{hazard.pk}/close-out-request", {"evaluation_by": "李工（通风副总）", "evaluation": "已调校，断电试验合格"})
    assert requested.status_code == 200 and requested.json()["status"] == "close_out_requested"
    assert_audited("hazards.hazard.close_out_requested", hazard, by=world.mine_safety_officer)

    # The mine cannot close out its own major hazard.
    client.force_login(world.mine_head)
    with unchanged(hazard):
        refused = post(f"/{hazard.pk}/close-out", {"approve": True, "opinion": "自行验收"})
    assert refused.status_code == 403
    hazard.refresh_from_db()
    assert hazard.status == "close_out_requested"
    client.logout()

    # The county inspector does.
    closed = post(f"/{hazard.pk}/close-out", {"approve": True, "opinion": "现场验收合格，予以销号"}, **bearer)
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert_audited("hazards.hazard.closed_out", hazard, by=world.inspector)

    detail = client.get(f"{BASE}/{hazard.pk}", **bearer).json()
    assert [(t["from_status"], t["to_status"], t["action"]) for t in detail["transitions"]] == [
        (None, "reported", "report_hazard"), ("reported", "rectifying", "start_rectification"),
        ("rectifying", "close_out_requested", "request_close_out"),
        ("close_out_requested", "closed", "verify_close_out")]
    assert detail["transitions"][-1]["by_name"] == "王检查"
    assert detail["escalations"] == [] and detail["attachments"] == []


def test_rectification_without_the_five_implementations_is_422_naming_what_is_missing(world, client, post,
                                                                                       frozen_clock):
    hazard = _report(world, client, post)
    client.force_login(world.mine_safety_officer)
    stored = Hazard.objects.filter(pk=hazard["id"])
    with unchanged(stored):
        response = post(f"/{hazard['id']}/rectification", {"responsible_person": "张工"})
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    for missing in ("整改措施", "整改资金", "整改时限", "应急预案"):
        assert missing in message
    assert "整改责任人" not in message
    assert Hazard.objects.get(pk=hazard["id"]).status == "reported"
    with unchanged(stored):
        far = post(f"/{hazard['id']}/rectification", {**FIVE, "deadline": "9999-12-31"})  # escalation days cannot be added
    assert far.status_code == 422 and far.json()["detail"][0]["loc"][-1] == "deadline"


def test_a_foreign_inspector_gets_404_and_an_empty_list(world, client, post, frozen_clock):
    hazard = _report(world, client, post)
    client.force_login(world.foreign_inspector)
    assert client.get(f"{BASE}/{hazard['id']}").status_code == 404
    body = client.get(BASE).json()
    assert body == {"items": [], "count": 0}
    with unchanged(Hazard, world.a1):
        for path, payload in [("rectification", FIVE), ("close-out", {"approve": True, "opinion": "x"}),
                              ("supervision", {"reason": "x"}), ("stop-production", {"reason": "x"})]:
            assert post(f"/{hazard['id']}/{path}", payload).status_code == 404, path
        refused = post("", {**C04_02, "mine_id": world.a1.pk})  # reporting on our mine
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["mine_id"]
    assert Hazard.objects.count() == 1


@pytest.mark.parametrize("change, field", [
    ({"standard_item_code": "MU-01"}, "standard_item_code"),  # metal/non-metal standard, a coal mine
    ({"standard_item_code": "C99-99"}, "standard_item_code"),  # no such item
    ({"standard_item_code": None}, "standard_item_id"),  # a major hazard cites an item
    ({"found_at": "2024-07-01T09:00:00+08:00"}, "found_at"),  # in the future
    ({"found_at": "1949-09-30T23:00:00+08:00"}, "found_at"),
    ({"found_at": "0001-01-01T00:00:00+12:00"}, "found_at"),  # before the year 1 in UTC: not a 500
    ({"face_id": 999}, "face_id"),
    ({"description": "甲\x00煤矿"}, "description"),
])
def test_report_refusals_are_422_on_the_field(world, client, post, frozen_clock, change, field):
    client.force_login(world.mine_safety_officer)
    with unchanged(Hazard):
        response = post("", {**C04_02, "mine_id": world.a1.pk, **change})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == field
    assert not Hazard.objects.exists()


def test_report_by_item_id_and_a_time_without_zone_is_beijing_time(world, client, post, frozen_clock):
    standards = client.get(f"{BASE}/standards", **{}).status_code
    assert standards == 401
    client.force_login(world.inspector)
    coal = next(s for s in client.get(f"{BASE}/standards").json() if s["code"] == "coal-2020")
    item = next(i for i in coal["items"] if i["code"] == "C04-02")
    response = post("", {**C04_02, "standard_item_code": None, "standard_item_id": item["id"],
                         "source": "regulator_inspection", "found_at": "2024-06-29T10:00:00", "mine_id": world.a1.pk})
    assert response.status_code == 201, response.content
    assert response.json()["found_at"].startswith("2024-06-29T02:00:00")  # UTC
    assert response.json()["found_by"] == "甲一煤矿安全科"


def test_list_filters_overdue(world, client, post, bearer, frozen_clock):
    with clock.frozen(datetime(2024, 6, 2, 10, tzinfo=clock.SHANGHAI)):  # a deadline is never set in the past
        late = _report(world, client, post, found_at="2024-06-01T09:00:00+08:00")
        client.force_login(world.mine_safety_officer)
        rectifying = post(f"/{late['id']}/rectification", {**FIVE, "deadline": "2024-06-15"})
        assert rectifying.status_code == 200 and rectifying.json()["deadline"] == "2024-06-15"
        client.logout()
    on_time = _report(world, client, post, found_at="2024-06-02T09:00:00+08:00", standard_item_code="C01-01")
    client.force_login(world.mine_safety_officer)
    rectifying = post(f"/{on_time['id']}/rectification", FIVE)
    assert rectifying.status_code == 200 and rectifying.json()["status"] == "rectifying"
    client.logout()
    overdue = client.get(f"{BASE}?overdue=true", **bearer).json()
    assert [h["id"] for h in overdue["items"]] == [late["id"]] and overdue["items"][0]["overdue"] is True
    rest = client.get(f"{BASE}?overdue=false", **bearer).json()
    assert [h["id"] for h in rest["items"]] == [on_time["id"]] and rest["items"][0]["overdue"] is False
    assert client.get(f"{BASE}?found_to=9999-12-31", **bearer).status_code == 422
    assert client.get(f"{BASE}?mine={world.a1.pk}&level=major&sort=-deadline", **bearer).json()["count"] == 2


def test_supervision_and_stop_production(world, client, post, bearer, frozen_clock):
    hazard = _report(world, client, post)
    listed = post(f"/{hazard['id']}/supervision", {"reason": "高瓦斯矿井监控失效"}, **bearer)
    assert listed.status_code == 200 and listed.json()["supervised"] is True
    assert_audited("hazards.hazard.listed_for_supervision", Hazard.objects.get(pk=hazard["id"]), by=world.inspector)
    with unchanged(Hazard.objects.filter(pk=hazard["id"])):
        again = post(f"/{hazard['id']}/supervision", {"reason": "再次"}, **bearer)
    assert again.status_code == 422
    stopped = post(f"/{hazard['id']}/stop-production", {"reason": "瓦斯超限不能断电", "document_number": "中应急〔2024〕9号"},
                   **bearer)
    assert stopped.status_code == 200, stopped.content
    assert_audited("hazards.hazard.production_stopped", Hazard.objects.get(pk=hazard["id"]), by=world.inspector)
    world.a1.refresh_from_db()
    assert world.a1.status == MineStatus.SUSPENDED_FOR_RECTIFICATION


def test_monthly_report_is_signed_by_the_mine_head(world, client, post, bearer, frozen_clock):
    hazard = _report(world, client, post)
    clock.freeze(datetime(2024, 7, 1, 9, tzinfo=clock.SHANGHAI))  # June is signed from July 1st
    body = {"mine_id": world.a1.pk, "month": "2024-06-01", "is_zero": True, "note": ""}
    with unchanged(MonthlyReport):
        assert post("/monthly-reports", body, **bearer).status_code == 403  # the inspector signs nothing
    client.force_login(world.mine_head)
    with unchanged(MonthlyReport):
        zero = post("/monthly-reports", body)
    assert zero.status_code == 422 and zero.json()["detail"][0]["loc"] == ["is_zero"]
    response = post("/monthly-reports", {**body, "is_zero": False, "note": "本月一项"})
    assert response.status_code == 201, response.content
    assert response.json()["hazard_ids"] == [hazard["id"]] and response.json()["signed_by_name"] == "甲一矿长"
    assert_audited("hazards.monthlyreport.submitted", MonthlyReport.objects.get(), by=world.mine_head)
    with unchanged(MonthlyReport):
        assert post("/monthly-reports", {**body, "mine_id": world.b1.pk}).status_code == 422  # not ours


def test_huge_and_unknown_ids_are_404(world, client, post, bearer):
    for hazard_id in (10**30, 999999, -1):
        assert client.get(f"{BASE}/{hazard_id}", **bearer).status_code == 404
        with unchanged(Hazard):
            assert post(f"/{hazard_id}/rectification", FIVE, **bearer).status_code == 404
