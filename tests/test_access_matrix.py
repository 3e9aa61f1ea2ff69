"""The access matrix: every page and every API operation, walked with our objects' ids by those who must
not see them, answers 403 or 404 (or, without a parameter, a list that holds nothing of ours), and no
table of mine data changes.

- The world holds a row of every model that declares a scope (`scope_path`, `division_scope_path`,
  `enterprise_scoped`); a new scoped model without a row fails `test_the_world_holds_every_scoped_model`.
- Every URL parameter and API path parameter is mapped to its model (ROUTES, OPERATIONS); a new route or
  operation without a mapping fails the walk. Parameters are filled with the ids of our rows of that model.
- "Nothing of ours" is read from the database, not a list of names: every distinctive text of our rows
  (names, codes, ID and certificate numbers, descriptions) and every link to one of our objects.
- The walkers: a foreign county's inspector, auditor, system and security administrators and a foreign
  mine's head; and our own mine's and enterprise's people on every page only regulators may use.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from kuangan.api import api
from kuangan.core import actions as core_actions
from kuangan.core.access import ROLE_PERMS, visible
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.models import ApiToken, AuditEvent, User
from kuangan.enforcement import actions as enforcement_actions
from kuangan.enforcement.forms import ACTION_FORMS as INSPECTION_FORMS
from kuangan.enforcement.forms import CASE_FORMS
from kuangan.enforcement.models import (
    EnforcementDocument,
    EnforcementPlan,
    ExamRetake,
    Inspection,
    InspectionExam,
    InspectionFinding,
    MineHeadScore,
    MissedPlanItem,
    OnSiteMeasure,
    PenaltyBenchmark,
    PenaltyCase,
    PlanItem,
    Referral,
    ScoreDeduction,
)
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.forms import ACTION_FORMS
from kuangan.hazards.models import (
    ClosureProposal,
    Hazard,
    HazardAttachment,
    HazardEscalation,
    HazardStandardItem,
    Investigation,
    MissingMonthlyReport,
    MonthlyReport,
)
from kuangan.monitoring import actions as monitoring_actions
from kuangan.monitoring.models import (
    Alarm,
    AlarmDisposal,
    AlarmTransition,
    Fence,
    Lead,
    MonitoringPoint,
    PlannedWindow,
    RejectedRecord,
    Upload,
)
from kuangan.registry import actions
from kuangan.registry.actions import MINE_RECORDS
from kuangan.registry.models import (
    Enterprise,
    LeadershipMember,
    Mine,
    MineChangeProposal,
    MineChangeProposalAttachment,
)
from kuangan.testing import make_user, scoped_models
from kuangan.workforce.models import OperatorCertificate, Worker

SCOPED = scoped_models()
# 四不两直: what only the regulators may know before a visit (a planned inspection's lead, the plan)
PLANNED_SECRET = "四不两直的秘密线索"
LEAD_SECRET = "违法生产线索的秘密证据"  # a lead's evidence: the regulator's alone (issue 20)
LEAD_KIND = "疑似隐蔽工作面"  # the lead's kind, as its page names it
SKIP_PREFIXES = ("admin/", "i18n/", "api/v1/")  # Django admin (operators only) is checked separately
# Not posted in the walk: they would end the walker's own session or change the walker's own password.
OWN_SESSION = {"/accounts/login/", "/accounts/logout/", "/accounts/password/"}


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


def _the_rest(world, records) -> None:  # type: ignore[no-untyped-def]
    """Rows of the scoped models the steps above leave empty, written as the ingest, the periodic jobs and
    the on-site steps write them."""
    by = world.actor(world.inspector)
    at = by.at
    hazard = Hazard.objects.get(pk=records["hazard"][0])
    visited = Inspection.objects.get(pk=records["inspection"][1])
    head = LeadershipMember.objects.get(pk=records["leadership"][0])
    secret = "甲一矿长的秘密记录"
    upload = Upload.objects.create(mine=world.a1, mine_code=world.a1.code, name="1411290001_CDSS_20240701120000.txt",
                                   sha256="a" * 64, received_at=at, source="api", status="quarantined",
                                   reason=f"{secret}：文件头时间错误")
    RejectedRecord.objects.create(upload=upload, record_no=3, reason=f"{secret}：字段数不符", raw=f"{secret};0.8;")
    point = MonitoringPoint.objects.create(mine=world.a1, code="141129000101MN0001", sensor_type="甲烷",
                                          value_type="MN", location=f"{secret}：1201回风巷", updated_at=at)
    alarm = Alarm.objects.create(mine=world.a1, point=point, point_code=point.code, kind="over_limit", severity=2,
                                 start=at - timedelta(hours=1), raised_at=at, peak=1.6, location=point.location)
    AlarmTransition.objects.create(alarm=alarm, action="raised", at=at, note=f"{secret}：超限")
    AlarmDisposal.objects.create(alarm=alarm, cause=f"{secret}：局扇停风", measures=f"{secret}：恢复通风",
                                 disposed_by=world.mine_head, disposed_at=at)
    HazardEscalation.objects.create(hazard=hazard, step="letter", due_at=at + timedelta(days=3))
    Investigation.objects.get_or_create(hazard=hazard, defaults={"opened_at": at})
    ClosureProposal.objects.create(mine=world.a1, raised_at=at, reason=f"{secret}：一年内三次重大隐患", trigger=hazard)
    month = at.date().replace(day=1)
    MonthlyReport.objects.create(mine=world.a1, month=month, is_zero=False, signed_by=world.mine_head, signed_at=at,
                                 note=f"{secret}：月报")
    MissingMonthlyReport.objects.create(mine=world.a2, month=month, due_at=at)
    MissedPlanItem.objects.create(item=PlanItem.objects.get(pk=records["plan_item"][0]), mine=world.a1, due_at=at)
    OnSiteMeasure.objects.create(inspection=visited, kind="stop_work", place=f"{secret}：1201工作面",
                                 reason=f"{secret}：瓦斯超限作业", ordered_by=world.inspector, ordered_at=at)
    InspectionExam.objects.create(inspection=visited, member=head, score=60, pass_mark=80, passed=False,
                                  examined_by=world.inspector, examined_at=at)
    Referral.objects.create(inspection=visited, department="吕梁市公安局", matter=f"{secret}：涉嫌重大责任事故",
                            referred_by=world.inspector, referred_at=at)
    MineHeadScore.objects.create(mine=world.a1, member=head, name=head.name, id_number=head.id_number, year=at.year,
                                 deduction=ScoreDeduction.objects.order_by("pk").first(), points=12,
                                 scored_by=world.inspector, scored_at=at)
    ExamRetake.objects.create(mine=world.a1, name=head.name, id_number=head.id_number, year=at.year, points=12,
                              listed_at=at)


def _world(world) -> dict[type[models.Model], list[int]]:  # type: ignore[no-untyped-def]
    """Our rows of every scoped model, and our accounts and tokens, by model."""
    records = _our_records(world)
    _the_rest(world, records)
    return _ours(world)


def _our_accounts(world):  # type: ignore[no-untyped-def]
    return User.objects.filter(organization__division__path__startswith=world.county.division.path)


def _ours(world) -> dict[type[models.Model], list[int]]:  # type: ignore[no-untyped-def]
    ours = {model: list(visible(world.inspector, model).order_by("pk").values_list("pk", flat=True))
            for model in SCOPED}
    ours[User] = list(_our_accounts(world).order_by("pk").values_list("pk", flat=True))
    ours[ApiToken] = list(ApiToken.objects.filter(user__in=ours[User]).order_by("pk").values_list("pk", flat=True))
    return ours


def _tables(world, walker=None) -> dict[str, list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Every row of ours in every scoped table, our accounts (but the walker's own) and our tokens."""
    tables = {m.__name__: list(visible(world.inspector, m).order_by("pk").values()) for m in SCOPED}
    accounts = _our_accounts(world).exclude(pk=getattr(walker, "pk", None))
    tables["User"] = list(accounts.order_by("pk").values("pk", "role", "is_active", "password", "locked_until",
                                                         "full_name", "organization"))
    tables["ApiToken"] = list(ApiToken.objects.filter(user__in=_our_accounts(world)).order_by("pk").values())
    return tables


def _fingerprints(world, ours) -> set[str]:  # type: ignore[no-untyped-def]
    """Every distinctive text of our rows (four characters or more, with a Chinese character or six digits)
    that no other row holds: what a page of someone else must never print."""
    mine, others = set(), set()
    for model in SCOPED:
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField) and not f.choices]
        for row in model.objects.values("pk", *fields):
            texts = {v.strip() for k, v in row.items() if k != "pk" and isinstance(v, str)}
            (mine if row["pk"] in ours[model] else others).update(t for t in texts if _distinctive(t))
    return mine - others


def _distinctive(text: str) -> bool:
    return len(text) >= 4 and (re.search(r"[\u4e00-\u9fff]", text) is not None or re.search(r"\d{6}", text) is not None)


KINDS = list(MINE_RECORDS)


def _record_of_kind(got: dict[str, Any]) -> type[models.Model]:
    return MINE_RECORDS[got["kind"]][0]


def _each(model: type[models.Model], *routes: str) -> dict[str, dict[str, Any]]:
    return {route: {"pk": model} for route in routes}


# Every URL parameter, by route, and what fills it: a model (our rows' ids), a list of names, or a function of
# the parameters before it that names the model.
ROUTES: dict[str, dict[str, Any]] = {
    **_each(User, "system/users/<int:pk>/active/", "system/users/<int:pk>/password/",
            "system/security/<int:pk>/role/", "system/security/<int:pk>/unlock/", "system/security/<int:pk>/tokens/"),
    **_each(ApiToken, "system/tokens/<int:pk>/revoke/"),
    **_each(Mine, "registry/mines/<int:pk>/", "registry/mines/<int:pk>/edit/", "registry/mines/<int:pk>/status/",
            "registry/mines/<int:pk>/history/", "registry/mines/<int:pk>/production/",
            "registry/mines/<int:pk>/proposals/new/", "hazards/mine/<int:pk>/", "monitoring/mine/<int:pk>/",
            "monitoring/mine/<int:pk>/personnel/", "monitoring/mine/<int:pk>/personnel/map/",
            "monitoring/mine/<int:pk>/personnel/fences/", "monitoring/mine/<int:pk>/personnel/shifts/",
            "enforcement/mine/<int:pk>/", "enforcement/classes/mine/<int:pk>/",
            "enforcement/classes/mine/<int:pk>/override/", "workforce/mines/<int:pk>/workers/",
            "workforce/mines/<int:pk>/workers/export/", "workforce/mines/<int:pk>/workers/new/",
            "workforce/mines/<int:pk>/workers/import/", "workforce/mines/<int:pk>/workers/import/template/"),
    **_each(MineChangeProposal, "registry/proposals/<int:pk>/", "registry/proposals/<int:pk>/approve/",
            "registry/proposals/<int:pk>/reject/", "registry/proposals/<int:pk>/withdraw/"),
    **_each(Enterprise, "registry/enterprises/<int:pk>/", "registry/enterprises/<int:pk>/edit/"),
    **_each(Hazard, "hazards/<int:pk>/"),
    **_each(ClosureProposal, "hazards/closure-proposals/<int:pk>/decide/"),
    **_each(Alarm, "monitoring/alarms/<int:pk>/", "monitoring/alarms/<int:pk>/acknowledge/",
            "monitoring/alarms/<int:pk>/assign/", "monitoring/alarms/<int:pk>/dispose/",
            "monitoring/alarms/<int:pk>/hazard/", "monitoring/alarms/<int:pk>/lead/"),
    **_each(PlannedWindow, "monitoring/windows/<int:pk>/approve/", "monitoring/windows/<int:pk>/reject/"),
    **_each(Upload, "monitoring/uploads/<int:pk>/"),
    **_each(Lead, "monitoring/leads/<int:pk>/", "monitoring/leads/<int:pk>/review/", "monitoring/leads/<int:pk>/dismiss/",
            "monitoring/leads/<int:pk>/hazard/"),
    **_each(Inspection, "enforcement/inspections/<int:pk>/"),
    **_each(EnforcementDocument, "enforcement/documents/<int:pk>/", "enforcement/documents/<int:pk>/revise/",
            "enforcement/documents/<int:pk>/pdf/", "enforcement/documents/<int:pk>/reinspect/"),
    **_each(PenaltyCase, "enforcement/cases/<int:pk>/", "enforcement/cases/<int:pk>/reveal/"),
    **_each(EnforcementPlan, "enforcement/plans/<int:pk>/", "enforcement/plans/<int:pk>/add/"),
    **_each(PlanItem, "enforcement/plans/items/<int:pk>/remove/"),
    "registry/mines/<int:pk>/proposals/<str:kind>/new/": {"pk": Mine, "kind": KINDS},
    "registry/mines/<int:pk>/proposals/<str:kind>/<int:record_id>/": {"pk": Mine, "kind": KINDS,
                                                                       "record_id": _record_of_kind},
    "registry/proposals/<int:pk>/attachments/<int:attachment_pk>/": {"pk": MineChangeProposal,
                                                                      "attachment_pk": MineChangeProposalAttachment},
    "registry/mines/<int:pk>/<str:kind>/new/": {"pk": Mine, "kind": KINDS},
    "registry/mines/<int:pk>/<str:kind>/<int:record_id>/": {"pk": Mine, "kind": KINDS, "record_id": _record_of_kind},
    "registry/mines/<int:pk>/<str:kind>/<int:record_id>/delete/": {"pk": Mine, "kind": KINDS,
                                                                     "record_id": _record_of_kind},
    "registry/mines/<int:pk>/leadership/<int:member_id>/reveal/": {"pk": Mine, "member_id": LeadershipMember},
    "hazards/<int:pk>/do/<str:name>/": {"pk": Hazard, "name": list(ACTION_FORMS)},
    "hazards/<int:pk>/attachments/<int:attachment_pk>/": {"pk": Hazard, "attachment_pk": HazardAttachment},
    "monitoring/mine/<int:pk>/personnel/fences/<int:record_id>/end/": {"pk": Mine, "record_id": Fence},
    "enforcement/inspections/<int:pk>/do/<str:name>/": {"pk": Inspection, "name": list(INSPECTION_FORMS)},
    "enforcement/cases/<int:pk>/do/<str:name>/": {"pk": PenaltyCase, "name": list(CASE_FORMS)},
    **{f"workforce/mines/<int:pk>/workers/<int:record_id>/{rest}": {"pk": Mine, "record_id": Worker}
       for rest in ("", "edit/", "deactivate/", "reactivate/", "reveal/", "certificates/new/")},
    **{f"workforce/mines/<int:pk>/certificates/<int:record_id>/{rest}": {"pk": Mine, "record_id": OperatorCertificate}
       for rest in ("", "delete/")},
}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _url_patterns(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    out = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            out += _url_patterns(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            out.append((route, p))
    return out


def _fill(template: str, params: dict[str, Any], ours: dict[type[models.Model], list[int]],
          pattern: re.Pattern[str] = PARAM) -> list[str]:
    """The template with its parameters filled by every combination of our ids that fits."""
    combos: list[dict[str, Any]] = [{}]
    for name in pattern.findall(template):
        spec = params[name]
        combos = [{**got, name: value} for got in combos for value in _values(spec, got, ours)]
    return [pattern.sub(lambda m, got=got: str(got[m.group(1)]), template) for got in combos]


def _values(spec: Any, got: dict[str, Any], ours: dict[type[models.Model], list[int]]) -> list[Any]:
    if isinstance(spec, list):
        return spec
    if isinstance(spec, type):
        return ours[spec]
    return ours[spec(got)]


def _pages(ours) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:  # type: ignore[no-untyped-def]
    """(url, view) of every page filled with our ids, and of every page without a parameter. A route with a
    parameter that ROUTES does not map fails here."""
    with_ids, plain, seen = [], [], set()
    for route, pattern in _url_patterns(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        names = PARAM.findall(route)
        if not names:
            plain.append(("/" + route, pattern.callback))
            continue
        seen.add(route)
        params = ROUTES.get(route)
        assert params is not None and set(params) == set(names), \
            f"{route}: map each of its parameters {names} to its model in ROUTES"
        with_ids += [("/" + url, pattern.callback) for url in _fill(route, params, ours)]
    assert not set(ROUTES) - seen, f"ROUTES maps routes that no longer exist: {set(ROUTES) - seen}"
    return with_ids, plain


def _our_links(ours) -> set[str]:  # type: ignore[no-untyped-def]
    """Every page of one of our objects: a link to any of them on someone else's page is a leak."""
    return {url for url, _view in _pages(ours)[0]}


def _body_text(response: Any) -> str:
    kind = response.get("Content-Type", "")
    if kind.startswith(("text/", "application/json")):
        return response.content.decode("utf-8", "replace")
    if kind.startswith("application/vnd.openxmlformats"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content))
        return " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    return ""


def _leaks(response: Any, fingerprints: set[str], links: set[str]) -> list[str]:
    """Our texts and links in the answer; the address asked for is no news to the one who asked."""
    body = _body_text(response)
    asked = response.request["PATH_INFO"]
    linked = {u for u in links if u != asked and re.search(f'"{re.escape(u)}["?#]', body)}
    return sorted({t for t in fingerprints if t in body} | linked)


GET_OK = {403, 404, 405}  # 405: a page that only takes POST answers a GET before it reads any id
POST_OK = {403, 404}
FORM = {"name": "改名", "to_status": "closed", "reason": "x", "effective_on": "2024-07-01", "active": "0", "note": "x",
        "summary": "x", "mine": "", "description": "x"}


def _shown_to(walker) -> set[str]:  # type: ignore[no-untyped-def]
    """What each page's header tells the walker about himself (our security administrator's county)."""
    return {walker.full_name, str(walker.organization)}


def _walk_pages(client, world, ours, views: list[tuple[str, Any]], plain: list[tuple[str, Any]], walker) -> None:  # type: ignore[no-untyped-def]
    who = walker.username
    fingerprints, links = _fingerprints(world, ours) - _shown_to(walker), _our_links(ours)
    problems = []
    for url, _view in views:
        get, post = client.get(url), client.post(url, {**FORM, "mine": str(world.a1.pk)})
        if get.status_code not in GET_OK:
            problems.append(f"GET {url}: {get.status_code}")
        if post.status_code not in POST_OK:
            problems.append(f"POST {url}: {post.status_code}")
        problems += [f"{url} shows {t!r}" for r in (get, post) for t in _leaks(r, fingerprints, links)]
    for url, _view in plain:
        responses = [client.get(url)]
        if url not in OWN_SESSION:
            responses.append(client.post(url, {**FORM, "mine": str(world.a1.pk)}))
        for r in responses:
            if r.status_code >= 500:
                problems.append(f"{r.request['REQUEST_METHOD']} {url}: {r.status_code}")
            problems += [f"{r.request['REQUEST_METHOD']} {url} shows {t!r}" for t in _leaks(r, fingerprints, links)]
    assert not problems, f"as {who}:\n" + "\n".join(problems)


# Every API operation: its path parameters with the model that fills each, and the model of the items it
# lists (None: no list of scoped rows). A new operation without an entry fails the walk.
OPERATIONS: dict[str, tuple[dict[str, Any], type[models.Model] | None]] = {
    "registry_mine_list": ({}, Mine),
    "registry_mine_create": ({}, None),
    "registry_mine_detail": ({"mine_id": Mine}, None),
    "registry_mine_update": ({"mine_id": Mine}, None),
    "registry_mine_status": ({"mine_id": Mine}, None),
    "registry_enterprise_list": ({}, Enterprise),
    "registry_enterprise_detail": ({"enterprise_id": Enterprise}, None),
    "hazards_hazard_list": ({}, Hazard),
    "hazards_hazard_report": ({}, None),
    "hazards_standard_list": ({}, None),
    "hazards_monthly_report_list": ({}, MonthlyReport),
    "hazards_monthly_report_submit": ({}, None),
    "hazards_missing_report_list": ({}, MissingMonthlyReport),
    "hazards_escalation_list": ({}, HazardEscalation),
    "hazards_closure_proposal_list": ({}, ClosureProposal),
    **{f"hazards_hazard_{name}": ({"hazard_id": Hazard}, None)
       for name in ("detail", "rectification", "close_out_request", "close_out", "supervision", "stop_production")},
    "enforcement_inspection_list": ({}, Inspection),
    "enforcement_inspection_open": ({}, None),
    **{op: ({"inspection_id": Inspection}, None) for op in (
        "enforcement_inspection_detail", "enforcement_inspection_arrive", "enforcement_finding_record",
        "enforcement_measure_order", "enforcement_order_issue", "enforcement_exam_record", "enforcement_referral_make",
        "enforcement_inspection_leave", "enforcement_inspection_close", "enforcement_inspection_cancel")},
    "enforcement_document_list": ({}, EnforcementDocument),
    "enforcement_document_detail": ({"document_id": EnforcementDocument}, None),
    "enforcement_document_revise": ({"document_id": EnforcementDocument}, None),
    "enforcement_document_pdf": ({"document_id": EnforcementDocument, "n": [1]}, None),
    "enforcement_document_reinspect": ({"document_id": EnforcementDocument}, None),
    "enforcement_plan_list": ({}, EnforcementPlan),
    "enforcement_plan_generate": ({}, None),
    "enforcement_plan_detail": ({"plan_id": EnforcementPlan}, None),
    "enforcement_plan_item_add": ({"plan_id": EnforcementPlan}, None),
    "enforcement_plan_item_remove": ({"plan_id": EnforcementPlan, "item_id": PlanItem}, None),
    "enforcement_class_detail": ({"mine_id": Mine}, None),
    "enforcement_class_override": ({"mine_id": Mine}, None),
    "enforcement_statistics": ({}, None),
    "enforcement_case_list": ({}, PenaltyCase),
    "enforcement_case_file": ({}, None),
    **{f"enforcement_case_{name}": ({"case_id": PenaltyCase}, None)
       for name in ("detail", "notify", "approve", "decide", "pay", "close")},
    "enforcement_score_list": ({}, MineHeadScore),
    "enforcement_score_give": ({}, None),
    "monitoring_upload_create": ({}, None),
}
# What only regulators may call: our own mine's and enterprise's people get 403, 404 or nothing listed.
REGULATOR_ONLY = {op for op in OPERATIONS if op.startswith("enforcement_") and op not in {
    "enforcement_inspection_list", "enforcement_inspection_detail", "enforcement_document_list",
    "enforcement_document_detail", "enforcement_document_pdf", "enforcement_class_detail", "enforcement_case_list",
    "enforcement_case_detail", "enforcement_score_list"}} | {
    "registry_mine_create", "registry_mine_status", "hazards_hazard_supervision", "hazards_hazard_stop_production"}
API_PARAM = re.compile(r"{(\w+)}")


def _operations(ours) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    """(operation id, method, url, body) of every API operation, filled with our ids."""
    schema = api.get_openapi_schema()
    out, seen = [], set()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            name = op["operationId"]
            seen.add(name)
            assert name in OPERATIONS, f"{name}: add its parameters and listed model to OPERATIONS"
            params, _items = OPERATIONS[name]
            assert set(params) == set(API_PARAM.findall(path)), f"{name}: OPERATIONS maps {set(params)}"
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            payload = json.dumps(_example(body, schema, ours), ensure_ascii=False) if body else ""
            query = "&".join(f"{p['name']}={_example(p['schema'], schema, ours, p['name'])}"
                             for p in op.get("parameters", []) if p["in"] == "query" and p.get("required"))
            out += [(name, method.upper(), url + (f"?{query}" if query else ""), payload)
                    for url in _fill(path, params, ours, API_PARAM)]
    assert not set(OPERATIONS) - seen, f"OPERATIONS maps operations that no longer exist: {set(OPERATIONS) - seen}"
    return out


def _example(schema: dict[str, Any], spec: dict[str, Any], ours: dict[type[models.Model], list[int]],
             name: str = "") -> Any:
    """A valid request body that names our objects, so that the walk reaches each operation's access check
    instead of stopping at validation."""
    if "$ref" in schema:
        return _example(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], spec, ours, name)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(options[0], spec, ours, name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        found = {k: _example(v, spec, ours, k) for k, v in schema.get("properties", {}).items()
                 if k in schema.get("required", [])}
        return found or ({"note": "改名"} if schema.get("minProperties") else {})
    if kind == "array":
        return [_example(schema["items"], spec, ours, name) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        if name == "benchmark_id":  # reference data, the same for every county
            return PenaltyBenchmark.objects.order_by("pk").values_list("pk", flat=True).first()
        model = {"mine_id": Mine, "finding_id": InspectionFinding, "member_id": LeadershipMember,
                 "leader_id": User, "item_id": PlanItem}.get(name)
        return ours[model][0] if model else max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return date.today().isoformat()
    if schema.get("format") == "date-time":
        return "2024-07-01T08:00:00+08:00"
    if re.fullmatch(r"\^\[\w+\]\$", schema.get("pattern", "")):  # one character of a class, e.g. ^[ABCD]$
        return schema["pattern"][2]
    return {"division_code": "141129"}.get(name, "改名")  # our county, where our mines are


def _walk_api(client, world, ours, operations, walker) -> None:  # type: ignore[no-untyped-def]
    who = walker.username
    fingerprints = _fingerprints(world, ours) - _shown_to(walker)
    problems = []
    for name, method, url, payload in operations:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, payload, content_type="application/json")
        params, items = OPERATIONS[name]
        if params and response.status_code not in (403, 404):
            problems.append(f"{method} {url}: {response.status_code} {response.content[:200]!r}")
        if not params and response.status_code >= 500:
            problems.append(f"{method} {url}: {response.status_code}")
        if response.status_code == 200 and items is not None:
            data = response.json()
            rows = data["items"] if isinstance(data, dict) else data  # paginated or a plain list
            listed = {row["id"] for row in rows} if method == "GET" else set()
            problems += [f"{url} lists our {items.__name__} {pk}" for pk in sorted(listed & set(ours[items]))]
        problems += [f"{method} {url} shows {t!r}" for t in _leaks(response, fingerprints, set())]
    assert not problems, f"as {who}:\n" + "\n".join(problems)


# The foreign county's inspector, auditor and three administrators (三员分立) and a foreign mine's head; our
# own security administrator holds no mine data at all, so it walks the API as a foreigner would.
FOREIGN_ROLES = {"foreign_auditor": Role.AUDITOR, "foreign_admin": Role.REGULATOR_ADMIN,
                 "foreign_sec_admin": Role.SECURITY_ADMIN}
FOREIGNERS = ["foreign_inspector", "foreign_mine_head", *FOREIGN_ROLES]
API_WALKERS = [*FOREIGNERS, "sec_admin"]  # our security administrator manages our accounts on pages only
# Our own mine's and enterprise's people, and the expert our mine engaged.
MINE_SIDE = ["mine_head", "mine_safety_officer", "mine_dispatcher", "group_manager", "expert"]
MINE_SIDE_PERMS = frozenset().union(*(ROLE_PERMS[r] for r in (
    Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER, Role.MINE_DISPATCHER, Role.ENTERPRISE_SAFETY_MANAGER, Role.EXPERT)))


def _regulators_only(url: str, view: Any) -> bool:
    """A page whose permission no mine-side role holds; and the leads' pages, which answer 404 instead of
    403 (a lead's existence is the regulator's too), so they name no permission."""
    return getattr(view, "required_perm", None) not in (None, *MINE_SIDE_PERMS) or url.startswith("/monitoring/leads/")


def _persona(world, name):  # type: ignore[no-untyped-def]
    if name in FOREIGN_ROLES:
        return make_user(name, world.foreign_county, FOREIGN_ROLES[name])
    return getattr(world, name)


def _no_trace(world, ours, before: int, tables: dict[str, Any], walker) -> None:  # type: ignore[no-untyped-def]
    after = _tables(world, walker)
    changed = [name for name in tables if after[name] != tables[name]]
    assert not changed, f"the walk changed our {changed}"
    events = AuditEvent.objects.filter(seq__gt=before).exclude(verb="core.notification.read")
    assert not events.filter(parent_type="registry.mine", parent_id__in=[str(pk) for pk in ours[Mine]]).exists()


def _any_rows(data: Any) -> bool:
    """Whether an answer lists anything: statistics for a mine's account are all empty lists."""
    if isinstance(data, list):
        return bool(data)
    return isinstance(data, dict) and any(_any_rows(v) for v in data.values())


def test_the_world_holds_every_scoped_model(world):
    """A new scoped model joins the matrix only with a row of ours (and none of it may be the foreigner's)."""
    ours = _world(world)
    empty = [model.__name__ for model in SCOPED if not ours[model]]
    assert not empty, f"add rows of {empty} to the access matrix's world"
    foreign = make_user("foreign_check", world.foreign_county, Role.INSPECTOR)
    seen = [m.__name__ for m in SCOPED if visible(foreign, m).filter(pk__in=ours[m]).exists()]
    assert not seen, f"a foreign inspector sees our {seen}"


@pytest.mark.parametrize("persona", FOREIGNERS)
def test_no_page_shows_or_changes_anything_of_ours_to_foreigners(world, client, persona):
    ours = _world(world)
    walker = _persona(world, persona)
    client.force_login(walker)
    views, plain = _pages(ours)
    assert len(views) > 200 and len(plain) > 30
    before, tables = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first(), _tables(world, walker)
    _walk_pages(client, world, ours, views, plain, walker)
    _no_trace(world, ours, before, tables, walker)
    assert client.get("/").status_code == 200, "the walker's session ended during the walk"


@pytest.mark.parametrize("persona", MINE_SIDE)
def test_no_regulator_page_answers_our_own_mine(world, client, persona):
    """Pages whose permission no mine-side role holds (plans, leads, decisions, class overrides, accounts...)."""
    ours = _world(world)
    walker = getattr(world, persona)
    client.force_login(walker)
    views, plain = _pages(ours)
    regulators = [(u, v) for u, v in views if _regulators_only(u, v)]
    regulators_plain = [(u, v) for u, v in plain if _regulators_only(u, v)]
    assert any(u.startswith("/monitoring/leads/") for u, _v in regulators)
    assert any(u.startswith("/enforcement/plans/") for u, _v in regulators_plain)
    before, tables = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first(), _tables(world, walker)
    problems = []
    for url, _view in regulators + regulators_plain:
        for response in (client.get(url), client.post(url, FORM)):
            if response.status_code not in GET_OK | POST_OK:
                problems.append(f"{response.request['REQUEST_METHOD']} {url}: {response.status_code}")
    assert not problems, f"as {persona}:\n" + "\n".join(problems)
    _no_trace(world, ours, before, tables, walker)


@pytest.mark.parametrize("persona", API_WALKERS)
def test_no_api_operation_shows_or_changes_anything_of_ours_to_foreigners(world, client, persona):
    ours = _world(world)
    walker = _persona(world, persona)
    client.force_login(walker)
    operations = _operations(ours)
    assert len(operations) > 60
    before, tables = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first(), _tables(world, walker)
    _walk_api(client, world, ours, operations, walker)
    _no_trace(world, ours, before, tables, walker)


@pytest.mark.parametrize("persona", MINE_SIDE)
def test_no_regulator_operation_answers_our_own_mine(world, client, persona):
    ours = _world(world)
    walker = getattr(world, persona)
    client.force_login(walker)
    before, tables = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first(), _tables(world, walker)
    problems = []
    for name, method, url, payload in _operations(ours):
        if name not in REGULATOR_ONLY:
            continue
        response = client.get(url) if method == "GET" else client.generic(method, url, payload,
                                                                           content_type="application/json")
        nothing = response.status_code == 200 and method == "GET" and not _any_rows(response.json())
        if response.status_code not in (403, 404) and not nothing:
            problems.append(f"{method} {url}: {response.status_code} {response.content[:200]!r}")
    assert not problems, f"as {persona}:\n" + "\n".join(problems)
    _no_trace(world, ours, before, tables, walker)


def test_the_walks_can_fail(world, client):
    """Our own inspector, walking the same pages and operations, is answered and shown our rows: the
    fingerprints and links the walks look for are really on our pages."""
    ours = _world(world)
    client.force_login(world.inspector)
    fingerprints, links = _fingerprints(world, ours), _our_links(ours)
    assert {"甲一煤矿", "1411290001", "141129197001011234", "T141129197001011234"} <= fingerprints
    page = client.get("/registry/mines/")
    assert page.status_code == 200 and _leaks(page, fingerprints, links)
    detail = client.get(f"/hazards/{ours[Hazard][0]}/")
    assert detail.status_code == 200 and _leaks(detail, fingerprints, links)
    listed = client.get("/api/v1/hazards/hazards").json()["items"]
    assert {row["id"] for row in listed} & set(ours[Hazard])
    assert client.get(f"/api/v1/registry/mines/{ours[Mine][0]}").status_code == 200


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
@pytest.mark.parametrize("persona", MINE_SIDE)
def test_no_planned_visit_or_plan_reaches_the_mine(world, client, persona):
    records = _our_records(world)
    client.force_login(getattr(world, persona))
    tables = _tables(world, getattr(world, persona))
    planned = records["planned_inspection"][0]
    urls = [u for u, _v in _pages(_ours(world))[0] if u.startswith("/enforcement/")]
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
    assert _tables(world, getattr(world, persona)) == tables
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
    tables = _tables(world, getattr(world, persona))
    urls = [u for u, _v in _pages(_ours(world))[0]]
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
    assert _tables(world, getattr(world, persona)) == tables
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
