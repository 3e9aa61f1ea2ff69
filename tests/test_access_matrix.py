"""Every page and every API operation, walked as a foreign county's inspector, auditor and system and
security administrators and a foreign mine's head: nothing of ours is shown or changed. The URL patterns and the OpenAPI schema are enumerated,
so new pages and endpoints join the walk without editing this file."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from kuangan.api import api
from kuangan.core import actions as core_actions
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.models import ApiToken, AuditEvent, User
from kuangan.enforcement import actions as enforcement_actions
from kuangan.enforcement.forms import ACTION_FORMS as INSPECTION_FORMS
from kuangan.enforcement.forms import CASE_FORMS
from kuangan.enforcement.models import (
    DocumentVersion,
    EnforcementDocument,
    Inspection,
    InspectionFinding,
    PenaltyBenchmark,
    PenaltyCase,
    PenaltyParty,
    PlanItem,
    SupervisionClassChange,
)
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.forms import ACTION_FORMS
from kuangan.hazards.models import Hazard, HazardStandardItem
from kuangan.monitoring import actions as monitoring_actions
from kuangan.monitoring.models import Fence, Lead, PlannedWindow, PositioningArea
from kuangan.registry import actions
from kuangan.registry.actions import MINE_RECORDS
from kuangan.registry.models import Mine, MineChangeProposal
from kuangan.testing import make_user

# Names that only a user who may see our mines can know.
OURS = ["甲一煤矿", "甲二煤矿", "1411290001", "1411290002", "中阳县甲煤业有限公司", "吕梁宏泰能源集团有限公司",
        "甲一矿长的秘密记录"]
SKIP_PREFIXES = ("admin/", "i18n/", "api/v1/")
# 四不两直: what only the regulators may know before a visit (a planned inspection's lead, the plan)
PLANNED_SECRET = "四不两直的秘密线索"
LEAD_SECRET = "违法生产线索的秘密证据"  # a lead's evidence: the regulator's alone (issue 20)
LEAD_KIND = "疑似隐蔽工作面"  # the lead's kind, as its page names it  # Django admin (operators only) is checked separately


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    out = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            out += _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            out.append((route, p))
    return out


# The foreign county's three administrators (三员分立) join its inspector and mine head in the walk; our
# own security administrator holds no mine data at all, so it walks the API as a foreigner would.
FOREIGN_ADMINS = {"foreign_auditor": Role.AUDITOR, "foreign_admin": Role.REGULATOR_ADMIN,
                  "foreign_sec_admin": Role.SECURITY_ADMIN}
PAGE_PERSONAS = ["foreign_inspector", "foreign_mine_head", *FOREIGN_ADMINS]
API_PERSONAS = [*PAGE_PERSONAS, "sec_admin"]


def _persona(world, name):  # type: ignore[no-untyped-def]
    if name in FOREIGN_ADMINS:
        return make_user(name, world.foreign_county, FOREIGN_ADMINS[name])
    return getattr(world, name)


def _our_records(world) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    by = world.actor(world.inspector)
    records = {
        "licence": actions.save_mine_record("licence", world.a1.pk, by=by, data={
            "kind": "mining", "number": "C1400002009", "issued_on": None, "expires_on": None}),
        "leadership": actions.save_mine_record("leadership", world.a1.pk, by=by, data={
            "post": "mine_head", "name": "甲一矿长的秘密记录", "id_number": "141129197001011234",
            "phone": "13912345678", "education": "bachelor", "major": "采矿工程", "major_is_mining": True,
            "frontline_years": 20, "appointed_on": None, "holds_mine_head_post": False, "active": True}),
        "level": actions.save_mine_record("level", world.a1.pk, by=by, data={
            "name": "+950水平", "elevation": 950, "status": "producing"}),
        "supervisor": actions.save_mine_record("supervisor", world.a1.pk, by=by, data={
            "kind": "resident_supervisor", "name": "驻矿专员", "position": "中阳县应急管理局", "phone": "",
            "start_on": "2024-01-01", "end_on": None}),
    }
    records["face"] = actions.save_mine_record("face", world.a1.pk, by=by, data={
        "name": "1201综采工作面", "kind": "longwall", "level": records["level"], "mining_method": "fully_mechanized",
        "status": "producing"})
    item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C04-02")
    photo = SimpleUploadedFile("甲一矿长的秘密记录.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    records["hazard"] = hazard_actions.report_hazard(world.a1.pk, by=by, photos=[photo], report=hazard_actions.HazardReport(
        level="major", source="regulator_inspection", description="甲一矿长的秘密记录：瓦斯传感器未标校",
        found_at=by.at, found_by="中阳县应急管理局", standard_item_id=item.pk))
    records["attachment"] = records["hazard"].attachments.get()
    # a planned window of ours waiting for the county's approval (5 hours: over the single limit)
    start = by.at + timedelta(hours=1)
    records["window"] = monitoring_actions.declare_planned_window(
        world.a1.pk, by=world.actor(world.mine_head), window=monitoring_actions.Window(
            "maintenance", start, start + timedelta(hours=5), "", "甲一矿长的秘密记录：主扇检修"))
    assert records["window"].status == "pending"
    # our mine's pending proposal of a regulated change, with its evidence
    records["proposal"] = actions.propose_mine_change(
        world.a1.pk, by=world.actor(world.mine_safety_officer), target="mine", changes={"approved_capacity": 300},
        reason="甲一矿长的秘密记录：技改后核定能力", files=[SimpleUploadedFile("甲一矿长的秘密记录.pdf", b"%PDF-1.4 report")])
    records["attachment"] = [records["attachment"], records["proposal"].attachments.get()]
    # our accounts and our mine's machine token: the account pages take their ids
    machine = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM, is_machine=True)
    records["token"], _secret = core_actions.create_token(machine.pk, by=Actor.system(Via.SHELL), name="KJ95N")
    records["account"] = world.inspector
    records.update(_our_workforce(world))
    records.update(_our_personnel(world, records["face"]))
    records.update(_our_enforcement(world, by, records["leadership"]))
    return {k: [x.pk for x in v] if isinstance(v, list) else [v.pk] for k, v in records.items()}


def _our_workforce(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Our mine head on our roster (his ID number; his certificate's number is T + that number, as on the
    national card) and a month's output of ours (issue 20)."""
    from datetime import date

    from kuangan.workforce import actions as workforce_actions

    by = world.actor(world.mine_head)
    worker = workforce_actions.create_worker(world.a1.pk, by=by, data={
        "card_code": "141129000100001", "name": "甲一矿长的秘密记录", "id_number": "141129197001011234",
        "post": "矿长", "team": "", "trade": "", "leader_flag": True, "special_flag": True})
    certificate = workforce_actions.add_certificate(worker.pk, by=by, data={
        "operation_type": "underground_electrical", "number": "T141129197001011234", "issued": date(2020, 1, 1),
        "expires": date(2030, 1, 1)})
    output = actions.submit_production_return(world.a1.pk, by=by, month=by.at.date().replace(day=1),
                                              tonnes=Decimal("81234"), note="甲一矿长的秘密记录")
    return {"worker": worker, "certificate": certificate, "production_return": output}


def _our_personnel(world, face) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Our positioning area mapped to our face, a fence, our shifts, people underground now, and a lead of
    illegal production with its evidence (issue 20)."""
    import json

    import polars as pl

    from kuangan.engine.schema import EPISODES
    from kuangan.monitoring.leads import apply_leads
    from kuangan.monitoring.models import PersonnelNow, PositioningArea

    by = world.actor(world.inspector)
    area = PositioningArea.objects.create(mine=world.a1, code="14112900010001", name="甲一矿长的秘密记录",
                                          area_type="重点区域", updated_at=by.at)
    monitoring_actions.map_positioning_area(area.pk, by=by, mapping=monitoring_actions.AreaMapping(
        "face", face.pk, "甲一矿长的秘密记录"))
    fence = monitoring_actions.draw_fence(world.a1.pk, by=by, fence=monitoring_actions.FenceSpec(
        "甲一矿长的秘密记录", ["14112900010009"], [], by.at, None, "甲一矿长的秘密记录"))
    monitoring_actions.set_shifts(world.a1.pk, by=by, starts=["00:00", "08:00", "16:00"])
    PersonnelNow.objects.create(mine=world.a1, at=by.at, count=12, by_area={area.code: 12}, updated_at=by.at)
    episode = pl.DataFrame([{"mine_code": world.a1.code, "point_code": "14112900010002", "kind": "hidden_working_face",
                             "start": clock_local(by.at - timedelta(days=3)), "end": None, "peak": 4.0,
                             "evidence": json.dumps({"note": LEAD_SECRET}, ensure_ascii=False), "void": False}],
                           schema=EPISODES)
    [lead] = apply_leads(episode, {world.a1.code: world.a1}, by=by)
    return {"area": area, "fence": fence, "lead": Lead.objects.get(pk=lead)}


def clock_local(t: Any) -> Any:
    from kuangan.core.clock import local

    return local(t)


def _our_enforcement(world, by, head) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A planned inspection (四不两直), a visited one with a hazard, a violation, its order and record, a filed
    penalty case, this month's plan with our mine, and an override of our mine's class."""
    second = make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")
    order = enforcement_actions.InspectionOrder(
        mine_id=world.a1.pk, method="unannounced", planned_on=by.at.date(), leader_id=world.inspector.pk,
        team=[(world.inspector.pk, ""), (second.pk, "")], source="tip_off", source_note="甲一矿长的秘密记录：举报")
    planned = enforcement_actions.open_inspection(by=by, order=replace(order, source_note=PLANNED_SECRET))
    visited = enforcement_actions.open_inspection(by=by, order=order)
    enforcement_actions.arrive(visited.pk, by=by)
    finding = enforcement_actions.record_finding(visited.pk, by=by, finding=enforcement_actions.Finding(
        kind="ordinary_hazard", description="甲一矿长的秘密记录：皮带机无护栏"))
    benchmark = PenaltyBenchmark.objects.get(code="SAFE-44")
    violation = enforcement_actions.record_finding(visited.pk, by=by, finding=enforcement_actions.Finding(
        kind="violation", description="甲一矿长的秘密记录：违章作业", benchmark_id=benchmark.pk))
    order_document = enforcement_actions.issue_order(visited.pk, by=by, finding_ids=[finding.pk],
                                                     deadline=by.at.date() + timedelta(days=10))
    enforcement_actions.leave_site(visited.pk, by=by, summary="甲一矿长的秘密记录")
    case = enforcement_actions.file_case(
        by=by, finding_id=violation.pk, benchmark_id=benchmark.pk, circumstance="ordinary_worker",
        facts="甲一矿长的秘密记录", unit_fine=Decimal(15000), person_fine=Decimal(2000),
        principal=enforcement_actions.Principal(member_id=head.pk))
    plan = enforcement_actions.generate_plan(by=by, year=by.at.year, month=by.at.month, note=PLANNED_SECRET)
    item = plan.items.filter(mine=world.a1).first() or enforcement_actions.add_plan_item(
        plan.pk, by=by, mine_id=world.a1.pk, method="unannounced", reason=PLANNED_SECRET)
    override = enforcement_actions.override_class(world.a1.pk, by=by, to_class="C", reason="甲一矿长的秘密记录")
    return {"inspection": [planned, visited], "planned_inspection": planned, "finding": [finding, violation],
            "document": list(visited.documents.all()), "order": order_document, "case": case, "plan": plan,
            "plan_item": item, "class_change": override}


def _personnel_rows() -> dict[str, list[dict[str, Any]]]:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in (PositioningArea, Fence, Lead)}


# Enforcement rows a foreigner must not change, compared before and after each walk.
ENFORCEMENT_TABLES = [Inspection, InspectionFinding, EnforcementDocument, DocumentVersion, PenaltyCase, PenaltyParty,
                      PlanItem, SupervisionClassChange]


def _enforcement_rows() -> dict[str, list[dict[str, Any]]]:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in ENFORCEMENT_TABLES}


ENFORCEMENT_RECORDS = {"inspection", "planned_inspection", "finding", "document", "order", "case", "plan", "plan_item",
                       "class_change"}
# The action names of a route with <name>, by the route's fixed start (all other routes: the hazard's).
ROUTE_ACTIONS = {"enforcement/inspections/": list(INSPECTION_FORMS), "enforcement/cases/": list(CASE_FORMS)}


def _candidate_urls(world, records) -> list[str]:  # type: ignore[no-untyped-def]
    """Each page with its parameters filled by our objects' ids (every combination that fits)."""
    ids = {
        "pk": [world.a1.pk, world.a2.pk, world.ent_a.pk, world.group.pk, *records["hazard"], *records["window"],
               *records["token"], *records["account"], *records["proposal"], *records["lead"]],
        "record_id": sorted({i for k, v in records.items() if k not in ENFORCEMENT_RECORDS for i in v}),
        "member_id": records["leadership"],
        "kind": list(MINE_RECORDS),
        "name": list(ACTION_FORMS),  # the hazard's actions; the enforcement routes' own below
        "attachment_pk": records["attachment"],
    }
    urls = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        unknown = [n for n in names if n not in ids]
        assert not unknown, f"{route}: add candidate values for {unknown} to the access matrix"
        start = route.split("<")[0]
        route_ids = {**ids, "name": ROUTE_ACTIONS.get(start, ids["name"])}
        if start.startswith("enforcement/"):  # its own rows' ids, and the mines' (the dossier and class tabs)
            route_ids["pk"] = [world.a1.pk, world.a2.pk, *(i for k in ENFORCEMENT_RECORDS for i in records[k])]
        for combo in itertools.product(*(route_ids[n] for n in names)):
            url = "/" + route
            for name, value in zip(names, combo, strict=True):
                url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url, count=1)
            urls.append(url)
    return urls


def _assert_nothing_of_ours(response: Any, where: str) -> None:
    """Any answer but a 5xx is fine, as long as it names nothing of ours."""
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = response.content.decode("utf-8", "replace") if response.get("Content-Type", "").startswith(
        ("text/", "application/json")) else ""
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import io

        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(response.content))
        body = " ".join(str(c) for row in wb.active.iter_rows(values_only=True) for c in row if c is not None)
    for name in OURS:
        assert name not in body, f"{where} shows {name!r}"


@pytest.mark.parametrize("persona", PAGE_PERSONAS)
def test_pages_show_nothing_of_ours_to_foreigners(world, client, persona):
    records = _our_records(world)
    client.force_login(_persona(world, persona))
    before = AuditEvent.objects.count()
    mine_before = list(Mine.objects.order_by("pk").values())
    enforcement_before = _enforcement_rows()
    hazards_before = list(Hazard.objects.order_by("pk").values())
    windows_before = list(PlannedWindow.objects.order_by("pk").values())
    personnel_before = _personnel_rows()
    ours = User.objects.filter(organization__division__path__startswith=world.county.division.path)
    accounts_before = list(ours.order_by("pk").values("pk", "role", "is_active", "password", "locked_until"))
    tokens_before = list(ApiToken.objects.order_by("pk").values())
    urls = _candidate_urls(world, records)
    assert f"/monitoring/windows/{records['window'][0]}/approve/" in urls
    assert f"/monitoring/windows/{records['window'][0]}/reject/" in urls
    assert f"/registry/proposals/{records['proposal'][0]}/approve/" in urls
    assert len(urls) > 20
    for url in urls:
        _assert_nothing_of_ours(client.get(url), f"GET {url} as {persona}")
        _assert_nothing_of_ours(client.post(url, {"name": "改名", "to_status": "closed", "reason": "x",
                                                  "effective_on": "2024-07-01", "active": "0", "note": "x"}),
                                f"POST {url} as {persona}")
    assert list(Mine.objects.order_by("pk").values()) == mine_before, "a foreigner changed our mines"
    assert _enforcement_rows() == enforcement_before, "a foreigner changed our enforcement records"
    assert list(Hazard.objects.order_by("pk").values()) == hazards_before, "a foreigner changed our hazards"
    assert list(PlannedWindow.objects.order_by("pk").values()) == windows_before, "a foreigner decided our window"
    assert _personnel_rows() == personnel_before, "a foreigner changed our areas, fences or leads"
    assert MineChangeProposal.objects.get(pk=records["proposal"][0]).status == "pending", \
        "a foreigner decided our proposal"
    assert list(ours.order_by("pk").values("pk", "role", "is_active", "password", "locked_until")) == accounts_before, \
        "a foreigner changed our accounts"
    assert list(ApiToken.objects.order_by("pk").values()) == tokens_before, "a foreigner changed our tokens"
    changed = AuditEvent.objects.filter(seq__gt=before).exclude(verb="core.notification.read")
    assert not changed.filter(target_repr__in=OURS).exists()
    assert not changed.filter(parent_id__in=[str(world.a1.pk), str(world.a2.pk)],
                              parent_type="registry.mine").exists()


def api_ids(world, records) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """Each API path parameter with our objects' ids."""
    return {"mine_id": [world.a1.pk, world.a2.pk], "enterprise_id": [world.ent_a.pk, world.group.pk],
            "record_id": records["licence"], "hazard_id": records["hazard"], "inspection_id": records["inspection"],
            "document_id": records["document"], "n": [1], "plan_id": records["plan"], "item_id": records["plan_item"],
            "case_id": records["case"]}


def _api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]


@pytest.mark.parametrize("persona", API_PERSONAS)
def test_api_shows_nothing_of_ours_to_foreigners(world, client, persona):
    records = _our_records(world)
    client.force_login(_persona(world, persona))
    ids = api_ids(world, records)
    mine_before = list(Mine.objects.order_by("pk").values())
    enforcement_before = _enforcement_rows()
    operations = _api_operations()
    assert len(operations) >= 5
    for method, path in operations:
        names = re.findall(r"{(\w+)}", path)
        unknown = [n for n in names if n not in ids]
        assert not unknown, f"{path}: add candidate values for {unknown} to the access matrix"
        for combo in itertools.product(*(ids[n] for n in names)):
            url = path
            for name, value in zip(names, combo, strict=True):
                url = url.replace("{" + name + "}", str(value))
            if method == "GET":
                response = client.get(url)
            else:
                response = client.generic(method, url, '{"name": "改名", "to_status": "closed", "reason": "x", '
                                          '"effective_on": "2024-07-01"}', content_type="application/json")
            _assert_nothing_of_ours(response, f"{method} {url} as {persona}")
    assert list(Mine.objects.order_by("pk").values()) == mine_before
    assert _enforcement_rows() == enforcement_before


def test_our_own_inspector_does_see_our_mines(world, client):
    """The walk above must be able to fail: the same pages do show our data to us."""
    client.force_login(world.inspector)
    body = client.get("/registry/mines/").content.decode()
    assert "甲一煤矿" in body and "乙一煤矿" not in body
    assert client.get(f"/registry/mines/{world.a1.pk}/").status_code == 200
    assert client.get(f"/api/v1/registry/mines/{world.a1.pk}").json()["name"] == "甲一煤矿"


@pytest.mark.parametrize("persona,sees", [
    ("city_inspector", {"甲一煤矿", "甲二煤矿", "乙一煤矿"}),
    ("group_manager", {"甲一煤矿", "甲二煤矿"}),
    ("mine_head", {"甲一煤矿"}),
    ("expert", {"甲一煤矿"}),
    ("auditor", {"甲一煤矿", "甲二煤矿"}),
])
def test_each_organization_sees_exactly_its_mines(world, client, persona, sees):
    client.force_login(getattr(world, persona))
    names = {m["name"] for m in client.get("/api/v1/registry/mines").json()["items"]}
    assert names == sees


# 四不两直 (issue 19): our own mine's and enterprise's people see our mine, but never a visit before it happens.
MINE_SIDE = ["mine_head", "mine_safety_officer", "mine_dispatcher", "group_manager", "expert"]


@pytest.mark.parametrize("persona", MINE_SIDE)
def test_no_planned_visit_or_plan_reaches_the_mine(world, client, persona):
    records = _our_records(world)
    client.force_login(getattr(world, persona))
    enforcement_before = _enforcement_rows()
    planned = records["planned_inspection"][0]
    urls = [u for u in _candidate_urls(world, records) if u.startswith("/enforcement/")]
    assert f"/enforcement/inspections/{planned}/" in urls and f"/enforcement/plans/{records['plan'][0]}/" in urls
    for url in urls:
        for response in (client.get(url), client.post(url, {"reason": "x", "note": "x", "summary": "x"})):
            assert response.status_code < 500, url
            body = response.content.decode("utf-8", "replace") if response.get("Content-Type", "").startswith(
                ("text/", "application/json")) else ""
            assert PLANNED_SECRET not in body, f"{url} shows the planned visit to {persona}"
            assert f'href="/enforcement/inspections/{planned}/' not in body, f"{url} links the planned visit"
    assert client.get(f"/enforcement/inspections/{planned}/").status_code == 404
    assert client.get("/enforcement/plans/").status_code in (403, 404)
    assert client.get(f"/api/v1/enforcement/inspections/{planned}").status_code == 404
    assert client.get(f"/api/v1/enforcement/plans/{records['plan'][0]}").status_code == 404
    listed = client.get("/api/v1/enforcement/inspections").json()["items"]
    assert planned not in [i["id"] for i in listed]
    assert _enforcement_rows() == enforcement_before
    # and the walk can fail: the visited inspection is theirs to see
    if persona != "expert":
        assert client.get(f"/enforcement/inspections/{records['inspection'][1]}/").status_code == 200


@pytest.mark.parametrize("persona", MINE_SIDE)
def test_no_lead_reaches_the_mine(world, client, persona):
    """Leads of illegal production are the regulator's (issue 20): our own mine's and enterprise's people see
    our mine, never a lead, its evidence or its history, on any page or in the API."""
    records = _our_records(world)
    client.force_login(getattr(world, persona))
    lead = records["lead"][0]
    before = _personnel_rows()
    urls = [u for u in _candidate_urls(world, records) if u.startswith(("/monitoring/", "/registry/mines/", "/"))]
    assert f"/monitoring/leads/{lead}/" in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.content.decode("utf-8", "replace") if response.get("Content-Type", "").startswith(
            ("text/", "application/json")) else ""
        assert LEAD_SECRET not in body and LEAD_KIND not in body, f"{url} shows a lead to {persona}"
        assert f'href="/monitoring/leads/{lead}/' not in body, f"{url} links a lead"
    for url in (f"/monitoring/leads/{lead}/review/", f"/monitoring/leads/{lead}/dismiss/"):
        assert client.post(url, {"reason": "x", "note": "x"}).status_code in (403, 404)
    assert client.get(f"/monitoring/leads/{lead}/").status_code == 404
    assert client.get("/monitoring/leads/").status_code in (403, 404)
    assert _personnel_rows() == before
    # and the walk can fail: our mine's own positioning tab is theirs to see
    if persona not in ("expert", "group_manager"):
        assert client.get(f"/monitoring/mine/{world.a1.pk}/personnel/").status_code == 200


def test_our_inspector_and_auditor_see_the_lead(world, client):
    """The mine-side walk must be able to fail: the lead's page and list show it to the county."""
    records = _our_records(world)
    for user in (world.inspector, world.auditor):
        client.force_login(user)
        page = client.get(f"/monitoring/leads/{records['lead'][0]}/")
        assert page.status_code == 200 and LEAD_KIND in page.content.decode()
        assert f'href="/monitoring/leads/{records["lead"][0]}/' in client.get("/monitoring/leads/").content.decode()
