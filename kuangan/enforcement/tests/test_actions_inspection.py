"""An inspection from opening to close, on a real database: each step audited, what the mine may see at each
step (四不两直), who may sign, and the refusals that leave everything as it was."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from kuangan.core import clock
from kuangan.core.access import visible
from kuangan.core.audit import history, verify_chain
from kuangan.core.choices import Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.enforcement import actions, queries
from kuangan.enforcement.actions import Finding, InspectionOrder
from kuangan.enforcement.choices import (
    DocumentKind,
    FindingKind,
    InspectionMethod,
    InspectionStatus,
    MeasureKind,
)
from kuangan.enforcement.models import (
    DocumentVersion,
    EnforcementDocument,
    Inspection,
    InspectionTeamMember,
    InspectionTransition,
)
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards import rules as hazard_rules
from kuangan.hazards.choices import HazardSource
from kuangan.hazards.models import Hazard, HazardStandardItem, Investigation
from kuangan.registry.choices import LeadershipPost, MineStatus
from kuangan.registry.models import LeadershipMember, MineStatusChange
from kuangan.testing import assert_audited, make_user, tamper_audit, unchanged

NOW = datetime(2024, 6, 12, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def team(world):
    with clock.frozen(NOW):
        yield {"leader": world.inspector,
               "second": make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")}


def _open(world, people, **overrides):
    order = InspectionOrder(**{"mine_id": world.a1.pk, "method": InspectionMethod.UNANNOUNCED,
                               "planned_on": date(2024, 6, 12), "leader_id": people["leader"].pk,
                               "team": [(people["leader"].pk, "14110001"), (people["second"].pk, "14110002")],
                               "source": "tip_off", "source_note": "群众举报夜间组织生产", **overrides})
    return actions.open_inspection(by=world.actor(people["leader"]), order=order)


def _item(code="C05-01"):
    return HazardStandardItem.objects.get(standard__code="coal-2020", code=code)


def test_a_planned_inspection_is_the_regulators_alone(world, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inspection = _open(world, team)
    assert inspection.status == InspectionStatus.PLANNED
    assert_audited("enforcement.inspection.opened", inspection, team["leader"])
    assert set(inspection.team.values_list("user__username", flat=True)) == {"inspector", "inspector2"}
    # 四不两直: the team is told, the mine is not; nothing of it shows to the mine or on its history
    assert Notification.objects.filter(recipient=team["second"], url=inspection.get_absolute_url()).exists()
    assert not Notification.objects.filter(recipient__organization=world.a1.organization).exists()
    for user in (world.mine_head, world.mine_safety_officer, world.group_manager, world.expert):
        assert not visible(user, Inspection).exists()
        assert not visible(user, InspectionTeamMember).exists()
        assert not visible(user, InspectionTransition).exists()
    assert not history(world.a1).filter(verb__startswith="enforcement.").exists()
    for user in (world.foreign_inspector, world.foreign_mine_head):
        assert not visible(user, Inspection).exists()
    assert visible(world.city_inspector, Inspection).get() == inspection


def test_the_team_needs_two_inspectors_of_the_mines_jurisdiction(world, team):
    with unchanged(Inspection), pytest.raises(DomainError, match="执法人员不得少于 2 人"):
        _open(world, team, team=[(team["leader"].pk, "")])
    with unchanged(Inspection), pytest.raises(DomainError, match="须为本单位或下级单位的执法人员"):
        _open(world, team, team=[(team["leader"].pk, ""), (world.foreign_inspector.pk, "")])
    city = {"leader": world.city_inspector, "second": world.foreign_inspector}
    with unchanged(Inspection), pytest.raises(DomainError, match="不属于该矿山的属地监管部门"):
        _open(world, city)  # the city may include another county's inspector only in a cross-region inspection
    with unchanged(Inspection), pytest.raises(DomainError, match="须为本单位或下级单位的执法人员"):
        _open(world, team, team=[(team["leader"].pk, ""), (world.mine_head.pk, "")])
    with unchanged(Inspection), pytest.raises(PermissionDenied):
        actions.open_inspection(by=world.actor(world.foreign_inspector), order=InspectionOrder(
            mine_id=world.a1.pk, method=InspectionMethod.UNANNOUNCED, planned_on=date(2024, 6, 12),
            leader_id=world.foreign_inspector.pk, team=[], source="tip_off", source_note="x"))
    assert not Inspection.objects.exists()


def test_cross_region_inspection_is_owned_by_the_city_and_opens_the_mine_to_its_team_while_open(world, team):
    by = world.actor(world.city_inspector)
    order = InspectionOrder(mine_id=world.a1.pk, method=InspectionMethod.CROSS_REGION, planned_on=date(2024, 6, 12),
                            leader_id=world.city_inspector.pk, source="tip_off", source_note="交叉执法专项",
                            team=[(world.city_inspector.pk, ""), (world.foreign_inspector.pk, "")])
    inspection = actions.open_inspection(by=by, order=order)
    assert inspection.organization == world.city
    # the other county's inspector sees this inspection, not the mine's other data
    assert visible(world.foreign_inspector, Inspection).get() == inspection
    assert not visible(world.foreign_inspector, Hazard).exists()
    actions.arrive(inspection.pk, by=world.actor(world.foreign_inspector))
    finding = actions.record_finding(inspection.pk, by=world.actor(world.foreign_inspector), finding=Finding(
        kind=FindingKind.ORDINARY_HAZARD, description="皮带机头无防护栏"))
    assert finding.hazard.mine == world.a1
    assert visible(world.foreign_inspector, Hazard).count() == 0  # through the inspection only
    actions.leave_site(inspection.pk, by=world.actor(world.city_inspector), summary="检查完毕")
    actions.issue_order(inspection.pk, by=world.actor(world.city_inspector), finding_ids=[finding.pk],
                        deadline=date(2024, 6, 30))
    actions.close_inspection(inspection.pk, by=world.actor(world.city_inspector))
    assert not visible(world.foreign_inspector, Inspection).exists()  # closed: the grant ends
    # a county inspector cannot organise a cross-region inspection in his own county
    with unchanged(Inspection), pytest.raises(DomainError, match="交叉执法由矿山所在县的上级单位组织"):
        _open(world, team, method=InspectionMethod.CROSS_REGION)


def test_inspection_end_to_end_with_a_major_hazard_and_an_order(world, team):
    leader, second = world.actor(team["leader"]), world.actor(team["second"])
    inspection = _open(world, team)
    arrived = actions.arrive(inspection.pk, by=second, place="1303综采工作面", mine_representative="张安全")
    assert arrived.status == InspectionStatus.ON_SITE and arrived.on_site_start == NOW
    assert arrived.briefing["class"]["klass"] == world.a1.supervision_class
    assert_audited("enforcement.inspection.arrived", inspection, team["second"])
    # from now on the mine sees it
    assert visible(world.mine_head, Inspection).get() == inspection

    finding = actions.record_finding(inspection.pk, by=second, finding=Finding(
        kind=FindingKind.MAJOR_HAZARD, description="1303工作面风量不足，未按规定调整", place="1303工作面",
        standard_item_id=_item().pk, deadline=date(2024, 6, 25)))
    assert_audited("enforcement.inspectionfinding.recorded", finding, team["second"])
    hazard = finding.hazard
    assert (hazard.source, hazard.level, hazard.standard_item.code) == (HazardSource.REGULATOR_INSPECTION, "major",
                                                                        "C05-01")
    assert Investigation.objects.filter(hazard=hazard).exists()  # R2.10 for a regulator-found major hazard
    assert hazard.found_by.startswith("中阳县应急管理局：")

    with unchanged(inspection, EnforcementDocument), pytest.raises(DomainError, match="只有带队人 王检查 可以签发"):
        actions.issue_order(inspection.pk, by=second, finding_ids=[finding.pk], deadline=date(2024, 6, 20))
    order = actions.issue_order(inspection.pk, by=leader, finding_ids=[finding.pk], deadline=date(2024, 6, 20),
                                reinspect_on=date(2024, 6, 21))
    assert order.kind == DocumentKind.RECTIFICATION_ORDER and order.number == "中阳应急责改〔2024〕1号"
    assert order.served_at == NOW and order.current_version == 1
    hazard.refresh_from_db()
    assert hazard.order_deadline == date(2024, 6, 20)  # the earlier of the finding's and the order's
    version = order.versions.get()
    event = assert_audited("enforcement.documentversion.signed", version, team["leader"])
    assert event.after["sha256"] == version.sha256 and len(version.sha256) == 64
    text = "".join(PdfReader(io.BytesIO(bytes(version.pdf))).pages[0].extract_text().split())
    assert order.number in text and "风量不足" in text
    # the mine's plan may not go beyond the order's deadline
    hazard_actions.start_rectification  # noqa: B018  (the action the mine uses; refused below)
    with unchanged(hazard), pytest.raises(DomainError, match="不能晚于监管部门整改指令书规定的期限（2024-06-20）"):
        hazard_actions.start_rectification(hazard.pk, by=world.actor(world.mine_safety_officer),
                                           plan=hazard_rules.FiveImplementations(
                                               responsible_person="张安全", measures="调整风量", funds=5,
                                               deadline=date(2024, 6, 28), contingency_plan="撤人"))

    exam_member = LeadershipMember.objects.create(mine=world.a1, post=LeadershipPost.MINE_HEAD, name="赵矿长",
                                                  education="bachelor", frontline_years=12)
    exam = actions.record_exam(inspection.pk, by=second, member_id=exam_member.pk, score=58)
    assert not exam.passed and exam.pass_mark == 60
    assert_audited("enforcement.inspectionexam.recorded", exam, team["second"])
    referral = actions.refer(inspection.pk, by=second, department="县自然资源局", matter="疑似越界开采")
    assert_audited("enforcement.referral.made", referral, team["second"])

    with unchanged(inspection, EnforcementDocument), pytest.raises(DomainError, match="只有带队人"):
        actions.leave_site(inspection.pk, by=second, summary="x")
    left = actions.leave_site(inspection.pk, by=leader, summary="检查通风、瓦斯，发现重大隐患一项")
    assert left.status == InspectionStatus.FINDINGS_RECORDED
    assert_audited("enforcement.inspection.left", inspection, team["leader"])
    record = EnforcementDocument.objects.get(inspection=inspection, kind=DocumentKind.INSPECTION_RECORD)
    assert record.versions.get().content["findings"] == ["重大事故隐患：1303工作面风量不足，未按规定调整"]
    closed = actions.close_inspection(inspection.pk, by=leader, note="已下达整改指令")
    assert closed.status == InspectionStatus.CLOSED
    assert_audited("enforcement.inspection.closed", inspection, team["leader"])
    # served documents are the mine's to see; the chain of statuses is on the inspection
    assert set(visible(world.mine_head, EnforcementDocument)) == {order, record}
    assert list(inspection.transitions.values_list("action", flat=True)) == ["opened", "arrived", "left", "closed"]


def test_stop_production_on_site_changes_the_mines_status_with_the_decisions_number(world, team):
    inspection = _open(world, team)
    actions.arrive(inspection.pk, by=world.actor(team["leader"]))
    measure = actions.order_measure(inspection.pk, by=world.actor(team["leader"]), kind=MeasureKind.STOP_PRODUCTION,
                                    reason="瓦斯超限作业", place="1303工作面")
    assert_audited("enforcement.onsitemeasure.ordered", measure, team["leader"])
    world.a1.refresh_from_db()
    assert world.a1.status == MineStatus.SUSPENDED_FOR_RECTIFICATION
    change = MineStatusChange.objects.filter(mine=world.a1).latest("id")
    assert change == measure.status_change and change.document_number == measure.document.number == \
        "中阳应急现决〔2024〕1号"
    with unchanged(world.a1, MineStatusChange, EnforcementDocument), pytest.raises(DomainError, match="当前不是正常生产状态"):
        actions.order_measure(inspection.pk, by=world.actor(team["leader"]), kind=MeasureKind.STOP_PRODUCTION,
                              reason="再次")


def test_a_revision_is_a_new_signed_version_with_its_changes_and_reason(world, team):
    inspection = _open(world, team)
    actions.arrive(inspection.pk, by=world.actor(team["leader"]))
    actions.leave_site(inspection.pk, by=world.actor(team["leader"]), summary="初稿")
    record = EnforcementDocument.objects.get(inspection=inspection)
    with unchanged(record, DocumentVersion), pytest.raises(DomainError, match="请写明修改理由"):
        actions.revise_document(record.pk, by=world.actor(team["leader"]), changes={"summary": "改"}, reason=" ")
    for fixed in ("team", "started_at"):  # a list, and a date of record
        with unchanged(record, DocumentVersion), pytest.raises(DomainError, match="文书中的期限、审批和现场时间不能改写"):
            actions.revise_document(record.pk, by=world.actor(team["leader"]), changes={fixed: "x"}, reason="r")
    with unchanged(record, DocumentVersion), pytest.raises(DomainError, match="只有带队人可以签发该文书"):
        actions.revise_document(record.pk, by=world.actor(team["second"]), changes={"summary": "改"}, reason="r")
    v2 = actions.revise_document(record.pk, by=world.actor(team["leader"]), changes={"summary": "检查情况（更正）"},
                                 reason="笔误")
    assert v2.n == 2 and v2.changes == [["summary", "初稿", "检查情况（更正）"]] and v2.reason == "笔误"
    assert_audited("enforcement.documentversion.signed", v2, team["leader"])
    v1 = DocumentVersion.objects.get(document=record, n=1)
    assert v1.content["summary"] == "初稿" and v1.sha256 != v2.sha256  # the first version is kept as signed
    with unchanged(record, DocumentVersion), pytest.raises(DomainError, match="内容没有变化"):
        actions.revise_document(record.pk, by=world.actor(team["leader"]), changes={"summary": "检查情况（更正）"},
                                reason="r")


def test_refusals_change_nothing(world, team):
    inspection = _open(world, team)
    as_it_was = (inspection, Hazard, EnforcementDocument)
    with unchanged(*as_it_was), pytest.raises(DomainError, match="只能在现场检查期间记录"):
        actions.record_finding(inspection.pk, by=world.actor(team["leader"]),
                               finding=Finding(kind=FindingKind.ORDINARY_HAZARD, description="x"))
    actions.arrive(inspection.pk, by=world.actor(team["leader"]))
    with unchanged(*as_it_was), pytest.raises(DomainError, match="整改期限不能早于今天"):
        actions.record_finding(inspection.pk, by=world.actor(team["leader"]), finding=Finding(
            kind=FindingKind.ORDINARY_HAZARD, description="x", deadline=date(2024, 6, 11)))
    with unchanged(*as_it_was), pytest.raises(DomainError, match="违法行为须选择裁量基准"):
        actions.record_finding(inspection.pk, by=world.actor(team["leader"]),
                               finding=Finding(kind=FindingKind.VIOLATION, description="x"))
    with unchanged(*as_it_was), pytest.raises(DomainError, match="重大事故隐患须选择判定依据"):
        actions.record_finding(inspection.pk, by=world.actor(team["leader"]),
                               finding=Finding(kind=FindingKind.MAJOR_HAZARD, description="x"))
    with unchanged(*as_it_was), pytest.raises(DomainError, match="时间不能晚于现在"):
        actions.leave_site(inspection.pk, by=world.actor(team["leader"]), summary="x",
                           at=NOW + timedelta(minutes=5))
    with unchanged(*as_it_was), pytest.raises(PermissionDenied):
        actions.arrive(inspection.pk, by=world.actor(world.foreign_inspector))
    with unchanged(*as_it_was), pytest.raises(DomainError, match="已到达现场的检查不能取消"):
        actions.cancel_inspection(inspection.pk, by=world.actor(team["leader"]), reason="x")
    assert not Hazard.objects.exists() and not EnforcementDocument.objects.exists()
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.ON_SITE and inspection.on_site_end is None


def test_a_cancelled_inspection_stays_hidden_from_the_mine(world, team):
    inspection = _open(world, team)
    cancelled = actions.cancel_inspection(inspection.pk, by=world.actor(team["leader"]), reason="天气原因")
    assert cancelled.status == InspectionStatus.CANCELLED
    assert_audited("enforcement.inspection.cancelled", inspection, team["leader"])
    assert not visible(world.mine_head, Inspection).exists()
    assert queries.visible_inspections(world.inspector).get() == inspection


def test_a_citys_planned_visit_is_not_announced_to_the_county(world, team):
    """四不两直 one level up: until the team arrives, the county whose mine the city will visit sees neither the
    inspection nor its events in the county's audit log; from arrival on, it does."""
    second = make_user("city_inspector2", world.city, Role.INSPECTOR)
    inspection = actions.open_inspection(by=world.actor(world.city_inspector), order=InspectionOrder(
        mine_id=world.a1.pk, method=InspectionMethod.UNANNOUNCED, planned_on=date(2024, 6, 14),
        leader_id=world.city_inspector.pk, team=[(world.city_inspector.pk, ""), (second.pk, "")],
        source="tip_off", source_note="市局暗查"))
    for county_user in (world.inspector, world.auditor, world.county_admin):
        assert not visible(county_user, Inspection).exists()
        assert not visible(county_user, InspectionTeamMember).exists()
        assert not visible(county_user, InspectionTransition).exists()
    county_log = AuditEvent.objects.filter(division_path__startswith=world.county.division.path)
    assert not county_log.filter(verb__startswith="enforcement.").exists()
    assert visible(world.city_inspector, Inspection).get() == inspection
    actions.arrive(inspection.pk, by=world.actor(second))
    assert visible(world.inspector, Inspection).get() == inspection
    assert visible(world.mine_head, Inspection).get() == inspection
    assert county_log.filter(verb="enforcement.inspection.arrived").exists()


def test_reinspection_closes_the_orders_reminder_and_every_signed_pdf_is_in_the_audit_chain(world, team):
    """R3.5: each signed version's SHA-256 is in the chain (`kuangan audit verify` checks the chain); the PDF kept
    is the one hashed; the leader re-inspects once."""
    leader = world.actor(team["leader"])
    inspection = _open(world, team)
    actions.arrive(inspection.pk, by=leader)
    finding = actions.record_finding(inspection.pk, by=leader, finding=Finding(
        kind=FindingKind.ORDINARY_HAZARD, description="皮带机头无防护栏"))
    order = actions.issue_order(inspection.pk, by=leader, finding_ids=[finding.pk], deadline=date(2024, 6, 20))
    assert order.next_due_at is not None
    actions.leave_site(inspection.pk, by=leader, summary="检查完毕")
    record = EnforcementDocument.objects.get(kind=DocumentKind.INSPECTION_RECORD)
    with unchanged(record, order, EnforcementDocument), pytest.raises(DomainError, match="只有整改指令书可以复查"):
        actions.reinspect(record.pk, by=leader, rectified=True, opinion="x")
    with unchanged(record, order, EnforcementDocument), pytest.raises(DomainError, match="只有带队人可以签发该文书"):
        actions.reinspect(order.pk, by=world.actor(team["second"]), rectified=True, opinion="已整改")
    opinion = actions.reinspect(order.pk, by=leader, rectified=True, opinion="防护栏已安装，整改到位")
    assert_audited("enforcement.enforcementdocument.reinspected", order, team["leader"])
    assert opinion.kind == DocumentKind.REINSPECTION_OPINION and opinion.served_at is not None
    assert opinion.versions.get().content == {"order_number": order.number, "opinion": "防护栏已安装，整改到位",
                                              "rectified": "是"}
    order.refresh_from_db()
    assert order.next_due_at is None  # nothing left to remind
    with unchanged(record, order, EnforcementDocument), pytest.raises(DomainError, match="该整改指令书已经复查"):
        actions.reinspect(order.pk, by=leader, rectified=False, opinion="再查")

    versions = list(DocumentVersion.objects.all())
    assert len(versions) == 3  # the order, the on-site record, the opinion
    for v in versions:
        assert hashlib.sha256(bytes(v.pdf)).hexdigest() == v.sha256
        event = assert_audited("enforcement.documentversion.signed", v)
        assert event.after["sha256"] == v.sha256 and event.after["number"] == v.document.number
    assert verify_chain().ok
    # a hash changed afterwards in the chain is found
    tamper_audit("UPDATE core_auditevent SET after = %s WHERE seq = %s",
                 [json.dumps({**event.after, "sha256": "0" * 64}), event.seq])
    assert not verify_chain().ok
