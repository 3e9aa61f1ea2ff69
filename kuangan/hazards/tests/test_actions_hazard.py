"""The hazard loop on a real database: each transition, each refusal, audit and notifications."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from kuangan.core import clock
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.hazards import actions, rules
from kuangan.hazards.choices import HazardStatus
from kuangan.hazards.models import (
    ClosureProposal,
    Hazard,
    HazardAttachment,
    HazardEscalation,
    HazardStandardItem,
    MissingMonthlyReport,
    MonthlyReport,
)
from kuangan.registry import actions as registry_actions
from kuangan.registry.choices import MineStatus
from kuangan.testing import assert_audited, unchanged

SH = clock.SHANGHAI
T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SH)
PLAN = rules.FiveImplementations("李安全", "更换并标校甲烷传感器", Decimal("8.5"), date(2024, 7, 31), "超限撤人预案")


@pytest.fixture(autouse=True)
def at_t0():
    with clock.frozen(T0):
        yield


def item(code: str = "C04-02") -> HazardStandardItem:
    return HazardStandardItem.objects.get(standard__code="coal-2020", code=code)


def report(world, user=None, mine=None, code="C04-02", source="self_inspection", found_at=None, level="major"):  # type: ignore[no-untyped-def]
    by = world.actor(user or world.mine_safety_officer)
    return actions.report_hazard((mine or world.a1).pk, by=by, report=actions.HazardReport(
        level=level, source=source, description="甲烷传感器未按规定标校，断电功能失效", found_at=found_at or T0,
        found_by="甲一煤矿安全科", standard_item_id=item(code).pk if level == "major" else None))


def through_close_out_request(world):  # type: ignore[no-untyped-def]
    h = report(world)
    actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
    return actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="总工程师 赵工、专家 钱工",
                                     evaluation="传感器已更换并标校，断电试验合格")


def test_report_cites_an_item_notifies_and_is_audited(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        h = report(world)
    assert (h.status, h.standard_item.code, h.mine) == (HazardStatus.REPORTED, "C04-02", world.a1)
    assert_audited("hazards.hazard.reported", h, by=world.mine_safety_officer)
    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"inspector", "mine_head"} <= notified


def test_a_major_hazard_must_cite_an_item_of_its_industry(world):
    with unchanged(Hazard), pytest.raises(DomainError, match="判定依据"):
        actions.report_hazard(world.a1.pk, by=world.actor(world.mine_head), report=actions.HazardReport(
            level="major", source="self_inspection", description="x", found_at=T0, found_by="x"))
    metal = HazardStandardItem.objects.filter(standard__industry="metal_nonmetal").first()
    with unchanged(Hazard), pytest.raises(DomainError, match="行业"):
        actions.report_hazard(world.a1.pk, by=world.actor(world.mine_head), report=actions.HazardReport(
            level="major", source="self_inspection", description="x", found_at=T0, found_by="x",
            standard_item_id=metal.pk))


def test_a_mine_cannot_claim_a_regulator_source_nor_report_the_future(world):
    with unchanged(Hazard), pytest.raises(DomainError, match="监管部门"):
        report(world, source="regulator_inspection")
    with unchanged(Hazard), pytest.raises(DomainError, match="不能晚于"):
        report(world, found_at=T0 + timedelta(hours=1))


def test_foreigners_cannot_report_on_our_mine(world):
    with unchanged(Hazard), pytest.raises(PermissionDenied):
        report(world, user=world.foreign_mine_head)


def test_rectification_needs_all_five_implementations(world):
    h = report(world)
    with unchanged(h), pytest.raises(DomainError, match="整改资金、应急预案"):
        actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=rules.FiveImplementations(
            "李安全", "更换传感器", None, date(2024, 7, 31), ""))
    assert Hazard.objects.get(pk=h.pk).status == HazardStatus.REPORTED
    h = actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
    assert h.status == HazardStatus.RECTIFYING and h.next_due_at == datetime(2024, 8, 1, tzinfo=SH)
    assert_audited("hazards.hazard.rectification_started", h, by=world.mine_safety_officer)


@pytest.mark.parametrize(("change", "named"), [
    ({"responsible_person": " "}, "整改责任人"), ({"measures": ""}, "整改措施"), ({"funds": None}, "整改资金"),
    ({"deadline": None}, "整改时限"), ({"contingency_plan": ""}, "应急预案"),
])
def test_one_missing_implementation_alone_keeps_the_hazard_reported(world, change, named):
    h = report(world)
    events = AuditEvent.objects.count()
    with unchanged(h), pytest.raises(DomainError, match=f"“五落实”不全，缺少：{named}。"):
        actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=replace(PLAN, **change))
    h.refresh_from_db()
    assert (h.status, h.responsible_person, h.deadline) == (HazardStatus.REPORTED, "", None)
    assert AuditEvent.objects.count() == events


def test_a_deadline_on_the_day_found_and_set_is_in_time_the_day_before_is_not(world):
    """Found and planned at 00:30 Beijing (16:30 UTC the day before): the Beijing day counts, so a deadline of
    that same day is accepted and the day before refused."""
    night = datetime(2024, 7, 1, 0, 30, tzinfo=SH)
    with clock.frozen(night):
        h = report(world, found_at=night)
        with unchanged(h), pytest.raises(DomainError, match="整改时限（不能早于排查日期）"):
            actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer),
                                        plan=replace(PLAN, deadline=date(2024, 6, 30)))
        assert Hazard.objects.get(pk=h.pk).status == HazardStatus.REPORTED
        h = actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer),
                                        plan=replace(PLAN, deadline=date(2024, 7, 1)))
    assert (h.status, h.deadline) == (HazardStatus.RECTIFYING, date(2024, 7, 1))


def test_close_out_needs_an_evaluation(world):
    h = report(world)
    actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
    with unchanged(h), pytest.raises(DomainError, match="评估"):
        actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="", evaluation="")
    h = actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="总工",
                                  evaluation="合格", documents=[SimpleUploadedFile("评估.pdf", b"%PDF-1.4 report")])
    assert h.status == HazardStatus.CLOSE_OUT_REQUESTED and h.attachments.count() == 1
    assert_audited("hazards.hazard.close_out_requested", h, by=world.mine_head)


def test_a_mine_can_never_close_its_own_major_hazard(world):
    h = through_close_out_request(world)
    with unchanged(h), pytest.raises(PermissionDenied):
        actions.verify_close_out(h.pk, by=world.actor(world.mine_head), approve=True, opinion="自己验收")
    with unchanged(h), pytest.raises(PermissionDenied):
        actions.verify_close_out(h.pk, by=world.actor(world.mine_safety_officer), approve=True, opinion="x")
    assert Hazard.objects.get(pk=h.pk).status == HazardStatus.CLOSE_OUT_REQUESTED


def test_a_foreign_regulator_cannot_verify(world):
    h = through_close_out_request(world)
    with unchanged(h), pytest.raises(PermissionDenied):
        actions.verify_close_out(h.pk, by=world.actor(world.foreign_inspector), approve=True, opinion="x")


def test_the_regulator_rejects_then_closes_out(world):
    h = through_close_out_request(world)
    h = actions.verify_close_out(h.pk, by=world.actor(world.inspector), approve=False, opinion="断电试验记录不全")
    assert h.status == HazardStatus.RECTIFYING
    assert_audited("hazards.hazard.close_out_rejected", h, by=world.inspector)
    actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="总工", evaluation="已补齐记录")
    h = actions.verify_close_out(h.pk, by=world.actor(world.inspector), approve=True, opinion="现场核实合格")
    assert (h.status, h.verified_by, h.next_due_at) == (HazardStatus.CLOSED, world.inspector, None)
    assert_audited("hazards.hazard.closed_out", h, by=world.inspector)
    assert [t.action for t in h.transitions.all()] == [
        "report_hazard", "start_rectification", "request_close_out", "reject_close_out", "request_close_out",
        "verify_close_out"]


def test_an_ordinary_hazard_may_be_closed_by_the_mine_head(world):
    h = report(world, level="ordinary")
    actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
    actions.request_close_out(h.pk, by=world.actor(world.mine_safety_officer), evaluation_by="安全科", evaluation="合格")
    h = actions.verify_close_out(h.pk, by=world.actor(world.mine_head), approve=True, opinion="合格")
    assert h.status == HazardStatus.CLOSED


def test_stale_state_refuses_a_second_transition(world):
    h = report(world)
    actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
    with unchanged(h), pytest.raises(DomainError, match="不能开始整改"):
        actions.start_rectification(h.pk, by=world.actor(world.mine_head), plan=PLAN)


def test_supervision_stop_production_and_resumption(world):
    h = report(world, user=world.inspector, source="regulator_inspection")
    assert h.investigation.status == "open"  # R2.10
    h = actions.list_for_supervision(h.pk, by=world.actor(world.inspector), reason="县级挂牌督办")
    assert h.supervised and h.supervised_by == world.inspector
    assert_audited("hazards.hazard.listed_for_supervision", h, by=world.inspector)
    with unchanged(h, world.a1), pytest.raises(PermissionDenied):
        actions.order_stop_production(h.pk, by=world.actor(world.mine_head), reason="x")
    h = actions.order_stop_production(h.pk, by=world.actor(world.inspector), reason="危及作业人员安全")
    world.a1.refresh_from_db()
    assert world.a1.status == MineStatus.SUSPENDED_FOR_RECTIFICATION and h.stopped_production
    assert_audited("hazards.hazard.production_stopped", h, by=world.inspector)
    assert_audited("registry.mine.status_changed", world.a1, by=world.inspector)
    actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)
    with unchanged(h), pytest.raises(DomainError, match="复产评估"):
        actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="专家组", evaluation="合格")
    h = actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="专家组", evaluation="合格",
                                  resume_evaluation="具备复产条件")
    assert h.resume_evaluation == "具备复产条件"


def test_investigation_concludes_with_all_three_parts(world):
    h = report(world, user=world.inspector, source="regulator_inspection")
    inv = h.investigation
    with unchanged(inv), pytest.raises(DomainError, match="结案须填写原因、责任认定和追责建议。"):
        actions.update_investigation(inv.pk, by=world.actor(world.inspector), cause="x", responsibility="",
                                     accountability_proposal="", conclude=True)
    inv = actions.update_investigation(inv.pk, by=world.actor(world.inspector), cause="未执行标校制度",
                                       responsibility="通风科长", accountability_proposal="约谈矿长", conclude=True)
    assert inv.status == "concluded"
    assert_audited("hazards.investigation.concluded", inv, by=world.inspector)


def test_root_cause_and_attachments(world):
    h = report(world)
    h = actions.record_root_cause(h.pk, by=world.actor(world.mine_head), cause_analysis="标校制度未落实",
                                  prevention_measures="建立标校台账", finder_reward="奖励 500 元", cause_penalty="罚款 1000 元")
    assert_audited("hazards.hazard.root_cause_recorded", h, by=world.mine_head)
    with unchanged(HazardAttachment), pytest.raises(DomainError, match="内容与扩展名不符"):
        actions.add_attachments(h.pk, by=world.actor(world.mine_head), kind="photo",
                                files=[SimpleUploadedFile("现场.jpg", b"not a jpeg at all")])
    with unchanged(HazardAttachment), pytest.raises(DomainError, match="类型不受支持"):
        actions.add_attachments(h.pk, by=world.actor(world.mine_head), kind="photo",
                                files=[SimpleUploadedFile("a.exe", b"MZ")])
    actions.add_attachments(h.pk, by=world.actor(world.mine_head), kind="photo",
                            files=[SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100)])
    att = h.attachments.get()
    assert_audited("hazards.hazardattachment.added", att, by=world.mine_head)


def test_repeat_within_twelve_months(world):
    first = report(world, found_at=T0 - timedelta(days=200))
    second = report(world)
    assert second.repeat_of == first
    third = report(world, code="C05-01")
    assert third.repeat_of is None


def test_closure_proposal_for_an_unlicensed_producing_mine(world):
    report(world, found_at=T0 - timedelta(days=30))
    assert not ClosureProposal.objects.exists()  # one major hazard is not enough
    report(world, code="C05-01")  # A1 has no licences at all in the test world
    proposal = ClosureProposal.objects.get(mine=world.a1)
    assert proposal.hazards.count() == 2
    assert_audited("hazards.closureproposal.raised", proposal)
    proposal = actions.decide_closure_proposal(proposal.pk, by=world.actor(world.inspector), accept=True,
                                               note="提请县政府关闭")
    assert_audited("hazards.closureproposal.decided", proposal, by=world.inspector)
    with unchanged(proposal), pytest.raises(PermissionDenied):
        actions.decide_closure_proposal(proposal.pk, by=world.actor(world.foreign_inspector), accept=False, note="x")


def test_monthly_report_signed_by_the_mine_head(world):
    with unchanged(MonthlyReport), pytest.raises(PermissionDenied):
        actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_safety_officer), month=date(2024, 5, 1),
                                      is_zero=True)
    r = actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=date(2024, 5, 1),
                                      is_zero=True)
    assert_audited("hazards.monthlyreport.submitted", r, by=world.mine_head)
    with unchanged(MonthlyReport), pytest.raises(DomainError, match="已报送"):
        actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=date(2024, 5, 1),
                                      is_zero=True)
    report(world)  # a major hazard found in June
    with clock.frozen(datetime(2024, 7, 1, tzinfo=SH)):  # June is signed from July 1st
        with unchanged(MonthlyReport), pytest.raises(DomainError, match="不能报送零报告"):
            actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=date(2024, 6, 1),
                                          is_zero=True)
        r = actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=date(2024, 6, 1),
                                          is_zero=False)
        assert r.hazards.count() == 1
        with unchanged(MonthlyReport), pytest.raises(DomainError, match="2024-08-01 起方可签字报送"):
            actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=date(2024, 7, 1),
                                          is_zero=True)


def test_tick_escalates_on_its_days_and_is_idempotent(world, capsys):
    h = report(world)
    actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=PLAN)  # deadline 7-31
    call_command("tick", "--at", "2024-07-31T23:59")
    assert not HazardEscalation.objects.exists()
    call_command("tick", "--at", "2024-08-16T09:00")  # 16 days after: letter and circular
    steps = list(HazardEscalation.objects.values_list("step", "due_at"))
    assert steps == [("letter", datetime(2024, 8, 1, tzinfo=SH)), ("circular", datetime(2024, 8, 15, tzinfo=SH))]
    h.refresh_from_db()
    assert h.escalation_step == "circular" and h.next_due_at == datetime(2024, 8, 30, tzinfo=SH)
    event = assert_audited("hazards.hazard.escalated", h)
    assert event.at == datetime(2024, 8, 15, tzinfo=SH)  # stamped with the due time, not the tick's
    audit_count = type(event).objects.count()
    capsys.readouterr()
    call_command("tick", "--at", "2024-08-16T09:00")
    assert "hazard escalation steps: 0" in capsys.readouterr().out
    assert type(event).objects.count() == audit_count, "a second tick at the same time changes nothing"


def test_tick_stops_escalating_closed_hazards(world):
    h = through_close_out_request(world)
    actions.verify_close_out(h.pk, by=world.actor(world.inspector), approve=True, opinion="合格")
    call_command("tick", "--at", "2024-12-01T00:00")
    assert not HazardEscalation.objects.exists()


def test_tick_records_missing_monthly_reports_once(world):
    registry_actions.change_mine_status(world.b1.pk, by=world.actor(world.foreign_inspector),
                                        to_status=MineStatus.LONG_TERM_STOPPED, reason="长期停产",
                                        effective_on=date(2024, 1, 1))
    with clock.frozen(datetime(2024, 7, 1, 9, tzinfo=SH)):
        actions.submit_monthly_report(world.a1.pk, by=world.actor(world.mine_head), month=date(2024, 6, 1),
                                      is_zero=True)
    call_command("tick", "--at", "2024-07-05T23:59")
    assert not MissingMonthlyReport.objects.filter(month=date(2024, 6, 1)).exists()  # due day not over yet
    call_command("tick", "--at", "2024-07-06T00:00")
    missing = set(MissingMonthlyReport.objects.filter(month=date(2024, 6, 1)).values_list("mine__name", flat=True))
    assert missing == {"甲二煤矿"}  # A1 reported; B1 is stopped and owes nothing
    call_command("tick", "--at", "2024-07-06T00:00")
    assert MissingMonthlyReport.objects.filter(month=date(2024, 6, 1)).count() == 1
    assert MonthlyReport.objects.count() == 1


def test_the_group_manager_rectifies_a_hazard_of_its_subsidiarys_mine(world):
    """An enterprise's scope joins its mines through an outer join (its own or its subsidiaries'); the
    row lock must not cover that join, or PostgreSQL refuses the group's every action."""
    h = actions.start_rectification(report(world).pk, by=world.actor(world.group_manager), plan=PLAN)
    assert h.status == "rectifying"
    assert_audited("hazards.hazard.rectification_started", h, by=world.group_manager)
