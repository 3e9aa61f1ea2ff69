"""Fuzz every operation of /api/v1/ with schemathesis, as three callers: a county inspector's token, a mine
safety officer's token and a mine's machine token. Whatever a client sends: never a 500, a status code the
OpenAPI documents for the operation, and a body that matches the schema documented for that status.

Each operation gets `max_examples` generated requests (valid and schema-violating ones), sent in process
through the WSGI application. The runs are derandomized, so a failure reproduces. Small generated ids are
aimed at the world's real mines, enterprises and hazards, so the update and status operations get past the
404 and reach validation and the database. The machine account may only upload: its upload is fuzzed as
deeply as the people's operations, the rest only as far as showing every one is refused as documented.

A few fixed regression cases follow: inputs that SQLite stores happily but PostgreSQL rejects (NUL
characters) and numbers too big for the database; they must be answered with a 4xx on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis import DataGenerationMethod, GenerationConfig
from schemathesis.checks import not_a_server_error
from schemathesis.experimental import OPEN_API_3_1
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from kuangan.core import clock
from kuangan.core.actions import create_token
from kuangan.core.actor import Actor
from kuangan.core.choices import Role
from kuangan.core.models import User
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards import rules as hazard_rules
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry.choices import MineStatus
from kuangan.testing import World, make_user
from kuangan.wsgi import application

pytestmark = pytest.mark.fuzz


OPEN_API_3_1.enable()  # django-ninja serves OpenAPI 3.1
schema = schemathesis.from_wsgi(
    "/api/v1/openapi.json", application,
    data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    # No generated `Authorization` header or `sessionid` cookie: every call carries its caller's token.
    # (A NUL in the session cookie is covered by test_nul_in_session_cookie_is_not_a_500.)
    generation_config=GenerationConfig(with_security_parameters=False),
)

CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)
UPLOAD = "monitoring_upload_create"  # the one operation a machine account may call


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints the exact request anyway
        suppress_health_check=list(HealthCheck),  # one world per operation, shared by its examples; slow draws
    )


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Calls straight into the WSGI app run inside the test's transaction, as Django's test client does:
    the end of a request must not close the connection (which would discard the transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _token(user: User) -> dict[str, str]:
    _row, secret = create_token(user.pk, by=Actor.system("shell"), name="fuzz")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def bearer(world: World, wsgi_in_test_transaction: None) -> dict[str, str]:
    return _token(world.inspector)


@pytest.fixture
def officer(world: World, wsgi_in_test_transaction: None) -> dict[str, str]:
    return _token(world.mine_safety_officer)


@pytest.fixture
def machine(world: World, wsgi_in_test_transaction: None) -> dict[str, str]:
    return _token(make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True))


def _hazards(world: World) -> list[int]:
    """Two hazards of ours (one in rectification) and a foreign one, for the hazard-id operations."""
    def major(mine: Any, by: Any, code: str) -> Any:
        item = HazardStandardItem.objects.get(standard__code="coal-2020", code=code)
        return hazard_actions.report_hazard(mine.pk, by=world.actor(by), report=hazard_actions.HazardReport(
            level="major", source="self_inspection", description="传感器未标校", found_at=clock.now() - timedelta(hours=1),
            found_by="安全科", standard_item_id=item.pk))

    ours = major(world.a1, world.mine_safety_officer, "C04-02")
    rectifying = major(world.a1, world.mine_safety_officer, "C05-01")
    hazard_actions.start_rectification(rectifying.pk, by=world.actor(world.mine_safety_officer),
                                       plan=hazard_rules.FiveImplementations("李安全", "更换", Decimal(1),
                                                                             clock.today(), "预案"))
    foreign = major(world.b1, world.foreign_mine_head, "C04-02")
    return [ours.pk, rectifying.pk, foreign.pk]


def _aim(case: Any, world: World, hazards: list[int]) -> None:
    """Point small generated ids at real rows (ours and the foreign one); leave the others random."""
    known = {
        "mine_id": [world.a1.pk, world.a2.pk, world.b1.pk],
        "enterprise_id": [world.ent_a.pk, world.group.pk, world.ent_b.pk],
        "hazard_id": hazards,
    }
    params = case.path_parameters or {}
    for name, ids in known.items():
        value = params.get(name)
        if isinstance(value, int) and 0 <= value < 2 * len(ids):
            params[name] = ids[value % len(ids)]


@pytest.fixture
def hazards(world: World, wsgi_in_test_transaction: None) -> list[int]:
    """Made once per operation and shared by its examples, like the world: a hazard per example made the
    setup, not the requests, most of the run's time."""
    return _hazards(world)


def _call(case: Any, world: World, hazards: list[int], headers: dict[str, str]) -> Any:
    _aim(case, world, hazards)
    if case.media_type == "multipart/form-data" and not isinstance(case.body, dict):
        # the client cannot encode a non-object as a form; the garbage goes in as the field's content
        case.body = {"file": json.dumps(case.body, default=str)}
    response = case.call_wsgi(headers=headers)
    case.validate_response(response, checks=CHECKS)
    return response


@schema.parametrize()
@fuzz_settings(25)
def test_an_inspectors_token_gets_what_the_openapi_documents(case: Any, world: World, hazards: list[int],
                                                             bearer: dict[str, str]) -> None:
    _call(case, world, hazards, bearer)


@schema.parametrize()
@fuzz_settings(15)
def test_a_mine_officers_token_gets_what_the_openapi_documents(case: Any, world: World, hazards: list[int],
                                                               officer: dict[str, str]) -> None:
    _call(case, world, hazards, officer)


@schema.include(operation_id=UPLOAD).parametrize()
@fuzz_settings(20)
def test_a_machine_token_uploads_as_the_openapi_documents(case: Any, world: World, machine: dict[str, str]) -> None:
    _call(case, world, [], machine)


@schema.exclude(operation_id=UPLOAD).parametrize()
@fuzz_settings(3)
def test_a_machine_token_is_refused_everything_else_as_documented(case: Any, world: World, hazards: list[int],
                                                                  machine: dict[str, str]) -> None:
    response = _call(case, world, hazards, machine)
    assert not 200 <= response.status_code < 300, (response.status_code, response.data[:300])


# Fixed cases: what PostgreSQL refuses (NUL in text) or cannot hold (huge integers) must be a 4xx.

NUL = "甲\x00煤矿"
HUGE = 10**30


@pytest.fixture
def api(client: Any, bearer: dict[str, str]) -> Any:
    def call(method: str, path: str, **kwargs: Any) -> Any:
        return getattr(client, method)(f"/api/v1/registry/{path}", headers=bearer,
                                       content_type="application/json", **kwargs)
    return call


def _mine_body(world: World, **overrides: Any) -> dict[str, Any]:
    body = {
        "code": "1411290099", "name": "甲九煤矿", "enterprise_id": world.ent_a.pk, "division_code": "141129",
        "kind": world.a1.kind, "status": world.a1.status, "approved_capacity": "60", "gas_class": world.a1.gas_class,
        "hydro_type": world.a1.hydro_type, "spontaneous_combustion": world.a1.spontaneous_combustion,
        "disaster_grade": world.a1.disaster_grade, "standardization_grade": world.a1.standardization_grade,
        "supervision_class": world.a1.supervision_class,
    }
    body.update(overrides)
    return body


def _assert_refused(response: Any, says: str = "") -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    detail = response.json()["detail"]
    assert detail and says in json.dumps(detail, ensure_ascii=False), detail


def test_valid_create_still_works(world: World, api: Any) -> None:
    response = api("post", "mines", data=_mine_body(world))
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "甲九煤矿"


@pytest.mark.parametrize("query, says", [
    ({"q": NUL}, "空字符"), ({"division": "1411\x0029"}, "空字符"), ({"sort": "name\x00"}, "空字符"),
    ({"enterprise": HUGE}, "不能大于"), ({"page": HUGE}, "超出范围"),
])
def test_mine_list_refuses_odd_filters(world: World, api: Any, query: dict[str, Any], says: str) -> None:
    _assert_refused(api("get", "mines", data=query), says)


@pytest.mark.parametrize("path", ["mines", "enterprises"])
def test_lists_cap_a_huge_page_size(world: World, api: Any, path: str) -> None:
    response = api("get", path, data={"page_size": HUGE})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2  # 甲一/甲二煤矿; 甲煤业 and its parent group


def test_enterprise_list_refuses_a_huge_page(world: World, api: Any) -> None:
    _assert_refused(api("get", "enterprises", data={"page": HUGE}), "超出范围")


@pytest.mark.parametrize("path", [f"mines/{HUGE}", f"mines/-{HUGE}", f"enterprises/{HUGE}"])
def test_detail_with_huge_id_is_404(world: World, api: Any, path: str) -> None:
    response = api("get", path)
    assert response.status_code == 404, response.content


@pytest.mark.parametrize("field, value, says", [
    ("code", "14112900\x0099", "空字符"), ("name", NUL, "空字符"), ("division_code", "14112\x00", "空字符"),
    ("address", NUL, "空字符"), ("enterprise_id", HUGE, ""), ("approved_capacity", "1e30", ""),
])
def test_mine_create_refuses_odd_input(world: World, api: Any, field: str, value: Any, says: str) -> None:
    _assert_refused(api("post", "mines", data=_mine_body(world, **{field: value})), says)


@pytest.mark.parametrize("field, value, says", [
    ("name", NUL, "空字符"), ("division_code", "\x00", "空字符"), ("address", NUL, "空字符"), ("enterprise_id", HUGE, ""),
])
def test_mine_update_refuses_odd_input(world: World, api: Any, field: str, value: Any, says: str) -> None:
    _assert_refused(api("patch", f"mines/{world.a1.pk}", data={field: value}), says)


@pytest.mark.parametrize("field, value", [("reason", NUL), ("document_number", "吕\x00应急〔2024〕1号")])
def test_mine_status_refuses_nul(world: World, api: Any, field: str, value: str) -> None:
    body = {"to_status": MineStatus.SUSPENDED_FOR_RECTIFICATION, "reason": "停产整顿", "effective_on": "2024-06-30",
            field: value}
    _assert_refused(api("post", f"mines/{world.a1.pk}/status", data=body), "空字符")
    world.a1.refresh_from_db()
    assert world.a1.status == MineStatus.PRODUCING


def test_nul_in_session_cookie_is_not_a_500(world: World, client: Any) -> None:
    client.raise_request_exception = False  # answer as a server would: with a status
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = client.get("/api/v1/registry/mines")
    assert response.status_code == 401, response.status_code


@pytest.mark.parametrize("url", ["/registry/mines/?q=%00", "/registry/mines/export/?division=1411%0029",
                                 "/registry/enterprises/?q=a%00", "/system/audit/?verb=%00",
                                 "/api/v1/registry/mines?q=%00"])
def test_a_nul_in_a_query_string_is_a_clear_400(world: World, client: Any, url: str) -> None:
    client.force_login(world.auditor if "audit" in url else world.inspector)
    response = client.get(url)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


def test_a_nul_in_the_session_cookie_of_a_page_is_no_session(world: World, client: Any) -> None:
    client.raise_request_exception = False
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = client.get("/registry/mines/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_huge_enterprise_filter_on_the_ledger_page_is_ignored_and_named(world: World, client: Any) -> None:
    client.force_login(world.inspector)
    response = client.get(f"/registry/mines/?enterprise={HUGE}")
    assert response.status_code == 200
    assert "已忽略无效的筛选条件" in response.content.decode()


@pytest.mark.parametrize("url", ["/hazards/?found_to=9999-12-31", "/hazards/?found_from=0001-01-01",
                                 "/hazards/export/?found_to=9999-12-31", "/hazards/analysis/?found_from=0001-01-01"])
def test_dates_outside_the_range_are_named_not_a_500(world: World, client: Any, url: str) -> None:
    client.force_login(world.inspector)
    response = client.get(url)
    assert response.status_code == 200
    if "export" not in url:
        assert "已忽略无效的筛选条件" in response.content.decode()
