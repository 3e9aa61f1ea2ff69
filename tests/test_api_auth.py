"""Who may call /api/v1/ (issue 17): 401 with a Bearer challenge for no or a bad token, 403 for a person
who must change their password first, machine accounts on the upload operation only, CSRF still
enforced for the session, and every operation's 4xx documented in the OpenAPI."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kuangan.api import api
from kuangan.core.actions import create_token
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.models import User
from kuangan.monitoring.models import Upload
from kuangan.registry.models import Enterprise, Mine
from kuangan.testing import World, make_user, unchanged

UPLOAD = "monitoring_upload_create"


def _token(user: User) -> dict[str, str]:
    _row, secret = create_token(user.pk, by=Actor.system(Via.SHELL), name="test")
    return {"Authorization": f"Bearer {secret}"}


def _operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, operation id, operation) for every operation of the OpenAPI."""
    schema = api.get_openapi_schema()
    return [(method, path, op["operationId"], op)
            for path, item in schema["paths"].items() for method, op in item.items()]


def _url(path: str, world: World) -> str:
    return re.sub(r"\{[a-z_]+\}", str(world.a1.pk), path)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer kat_not-a-token"}, {"Authorization": "Basic eDp5"}])
def test_missing_or_bad_credentials_are_401_with_a_bearer_challenge(world: World, headers: dict[str, str]) -> None:
    client = Client(enforce_csrf_checks=True)
    for method, path, _id, _op in _operations():
        with unchanged(Mine, Enterprise, Upload):
            response = getattr(client, method)(_url(path, world), headers=headers, content_type="application/json")
        assert response.status_code == 401, (method, path, response.content)  # was 403 "CSRF check Failed"
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "令牌" in response.json()["detail"]


def test_a_session_without_the_csrf_token_still_cannot_change_anything(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.inspector)
    with unchanged(world.a1):
        response = client.patch(f"/api/v1/registry/mines/{world.a1.pk}", {"name": "改名煤矿"},
                                content_type="application/json")
    assert response.status_code == 403
    read = client.get(f"/api/v1/registry/mines/{world.a1.pk}")  # reading needs no token
    assert read.status_code == 200 and read.json()["name"] == "甲一煤矿"


@pytest.mark.parametrize("channel", ["token", "session"])
def test_a_user_who_must_change_the_password_is_refused_on_every_operation(world: World, client: Client,
                                                                            channel: str) -> None:
    User.objects.filter(pk=world.inspector.pk).update(password_changed_at=None)  # set by an administrator
    headers = _token(world.inspector) if channel == "token" else {}
    if channel == "session":
        client.force_login(world.inspector)
    for method, path, _id, _op in _operations():
        body = {"name": "改名煤矿"} if method != "get" else {}
        with unchanged(Mine, Enterprise, Upload):
            response = getattr(client, method)(_url(path, world), body, headers=headers,
                                               content_type="application/json")
        assert response.status_code == 403, (method, path, response.content)
        assert "修改密码" in response.json()["detail"]


def test_a_machine_token_only_uploads(world: World, client: Client) -> None:
    machine = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True)
    headers = _token(machine)
    for method, path, op_id, _op in _operations():
        if op_id == UPLOAD:
            continue
        with unchanged(Mine, Enterprise):
            response = getattr(client, method)(_url(path, world), {}, headers=headers, content_type="application/json")
        assert response.status_code == 403, (method, path, response.content)  # it read the mine before
        assert "机器账户" in response.json()["detail"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = client.post("/api/v1/monitoring/uploads",
                         {"file": SimpleUploadedFile(f"{world.a1.code}_CDSS_20240601080010.txt", b"x;")},
                         headers=headers)
    assert upload.status_code == 202, upload.content  # taken in (not complete yet), not refused


def test_a_person_with_a_token_cannot_upload_as_the_mine(world: World, client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    headers = _token(world.mine_head)
    with unchanged(Upload):
        response = client.post("/api/v1/monitoring/uploads",
                               {"file": SimpleUploadedFile(f"{world.a1.code}_CDSS_20240601080010.txt", b"x;")},
                               headers=headers)
    assert response.status_code == 403


def test_every_operation_documents_its_errors(world: World) -> None:
    schema = api.get_openapi_schema()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    for _method, path, op_id, op in _operations():
        codes = set(op["responses"])
        assert {401, 403} <= codes, op_id
        if "{" in path:
            assert 404 in codes, op_id
        if op.get("parameters") or op.get("requestBody"):
            assert 422 in codes, op_id
        for code in codes & {401, 403, 404, 422}:
            assert op["responses"][code]["content"]["application/json"]["schema"]["$ref"].startswith(
                "#/components/schemas/"), (op_id, code)


def test_an_unknown_query_parameter_is_named_not_ignored(world: World, client: Client) -> None:
    response = client.get("/api/v1/hazards/hazards", {"stauts": "closed"}, headers=_token(world.inspector))
    assert response.status_code == 422  # a misspelt filter would otherwise list every hazard
    assert response.json()["detail"][0]["loc"] == ["query", "stauts"]
    assert "查询参数" in response.json()["detail"][0]["msg"]
    known = client.get("/api/v1/hazards/hazards", {"page": 1}, headers=_token(world.inspector))
    assert known.status_code == 200 and known.json() == {"items": [], "count": 0}


def test_a_single_valued_parameter_given_twice_is_refused(world: World, client: Client) -> None:
    # which of two divisions would win is nowhere written: the client is told instead
    response = client.get("/api/v1/registry/mines?division=141129&division=141181", headers=_token(world.inspector))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "division"]
    assert "只能给出一次" in response.json()["detail"][0]["msg"]
    assert client.get("/api/v1/registry/mines?division=141129",
                      headers=_token(world.inspector)).json()["count"] == 2
