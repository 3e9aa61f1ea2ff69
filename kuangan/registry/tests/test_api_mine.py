"""/api/v1/registry/: token and session authentication, list, detail, create, update, status."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from kuangan.core import actions as core_actions
from kuangan.core.actor import Actor
from kuangan.core.models import ApiToken
from kuangan.registry.models import Mine
from kuangan.testing import assert_audited, unchanged


@pytest.fixture
def bearer(world):  # type: ignore[no-untyped-def]
    _token, secret = core_actions.create_token(world.inspector.pk, by=Actor.system("shell"), name="county system")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


NEW = {"code": "1411290301", "name": "接口煤矿", "division_code": "141129", "kind": "coal_underground",
       "status": "building", "approved_capacity": "120", "gas_class": "high", "hydro_type": "medium",
       "spontaneous_combustion": "possible", "disaster_grade": "medium", "standardization_grade": "second",
       "supervision_class": "B"}


def test_without_credentials_the_api_answers_401_in_chinese(world, client):
    response = client.get("/api/v1/registry/mines")
    assert response.status_code == 401 and "需要登录" in response.json()["detail"]
    response = client.get("/api/v1/registry/mines", HTTP_AUTHORIZATION="Bearer kat_wrong")
    assert response.status_code == 401


def test_list_filters_and_detail_with_findings(world, client, bearer):
    body = client.get("/api/v1/registry/mines?status=building", **bearer).json()
    assert [m["name"] for m in body["items"]] == ["甲二煤矿"] and body["count"] == 1
    detail = client.get(f"/api/v1/registry/mines/{world.a1.pk}", **bearer).json()
    assert detail["division_code"] == "141129"
    assert "post_vacant" in {f["code"] for f in detail["findings"]}


def test_create_update_and_status_through_the_api(world, client, bearer):
    payload = {**NEW, "enterprise_id": world.ent_a.pk}
    created = client.post("/api/v1/registry/mines", json.dumps(payload), content_type="application/json", **bearer)
    assert created.status_code == 201, created.content
    mine = Mine.objects.get(code="1411290301")
    event = assert_audited("registry.mine.created", mine, by=world.inspector)
    assert event.via == "api"
    patched = client.patch(f"/api/v1/registry/mines/{mine.pk}", json.dumps({"approved_capacity": "150"}),
                           content_type="application/json", **bearer)
    assert patched.status_code == 200 and patched.json()["approved_capacity"] == "150.00"
    status = client.post(f"/api/v1/registry/mines/{mine.pk}/status", json.dumps(
        {"to_status": "construction_stopped", "reason": "手续不全", "effective_on": "2024-07-01"}),
        content_type="application/json", **bearer)
    assert status.status_code == 200 and status.json()["status"] == "construction_stopped"


@pytest.mark.parametrize("change,field", [
    ({"division_code": "141181"}, "division_code"),  # foreign county
    ({"code": "12ab"}, "code"),
    ({"code": "1411290001"}, "code"),  # taken
])
def test_create_refusals_are_422_with_a_message(world, client, bearer, change, field):
    payload = {**NEW, "enterprise_id": world.ent_a.pk, **change}
    with unchanged(Mine):
        response = client.post("/api/v1/registry/mines", json.dumps(payload), content_type="application/json",
                               **bearer)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field
    assert not Mine.objects.filter(name="接口煤矿").exists()


def test_a_mine_user_cannot_patch_regulator_fields(world, client):
    client.force_login(world.mine_head)
    with unchanged(world.a1):
        response = client.patch(f"/api/v1/registry/mines/{world.a1.pk}",
                                json.dumps({"enterprise_id": world.ent_a.pk}), content_type="application/json")
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["inspector", "mine_head"])
def test_patching_the_supervision_class_is_refused_in_chinese(world, client, persona):
    """R3.1: the class is computed by enforcement; PATCH refuses it (422) rather than dropping it silently."""
    client.force_login(getattr(world, persona))
    with unchanged(world.a1):
        response = client.patch(f"/api/v1/registry/mines/{world.a1.pk}",
                                json.dumps({"supervision_class": "A", "address": "接口新地址"}),
                                content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["supervision_class"]
    assert "分级分类由系统按评分和否决项计算" in response.json()["detail"][0]["msg"]
    mine = Mine.objects.get(pk=world.a1.pk)
    assert (mine.supervision_class, mine.address) == ("B", "")


def test_a_revoked_token_stops_working(world, client, bearer, capsys):
    listed = client.get("/api/v1/registry/mines", **bearer)
    assert listed.status_code == 200 and "甲一煤矿" in [m["name"] for m in listed.json()["items"]]
    call_command("token", "list")
    token_id = capsys.readouterr().out.split("\t")[0]
    call_command("token", "revoke", token_id)
    assert client.get("/api/v1/registry/mines", **bearer).status_code == 401
    assert_audited("core.api_token.revoked", ApiToken.objects.get(pk=token_id))  # revoke_token


def test_token_create_command_prints_a_working_secret(world, client, capsys):
    call_command("token", "create", "inspector", "--name", "县级平台")
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("kat_")
    listed = client.get("/api/v1/registry/mines", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert listed.status_code == 200 and "甲一煤矿" in [m["name"] for m in listed.json()["items"]]
    assert_audited("core.api_token.created", ApiToken.objects.get(prefix=secret[:12]))  # create_token


def test_openapi_docs_are_served(world, client):
    client.force_login(world.inspector)
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/registry/mines" in schema["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn" not in docs  # works on an intranet
