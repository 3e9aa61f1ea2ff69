"""Penalty cases (R3.4) on a real database: the tier chosen from the seeded benchmarks at each boundary, 一案双罚,
filed → notified → approved → decided → paid → closed with each refusal, what the mine may see at each step, the
documents' PDFs, the tick's reminders, and the pages (裁量档次未找到, the masked ID and its audited reveal)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from kuangan.core import clock
from kuangan.core import periodic as tick
from kuangan.core.access import visible
from kuangan.core.actor import Actor
from kuangan.core.audit import history
from kuangan.core.choices import Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.masking import mask_id_number
from kuangan.core.models import AuditEvent, Notification
from kuangan.enforcement import actions, periodic
from kuangan.enforcement.actions import Finding, InspectionOrder, Principal
from kuangan.enforcement.choices import CaseStatus, DocumentKind, FindingKind, InspectionMethod, PartyKind
from kuangan.enforcement.models import (
    EnforcementDocument,
    PenaltyBenchmark,
    PenaltyCase,
    PenaltyCaseTransition,
    PenaltyParty,
)
from kuangan.registry.choices import LeadershipPost
from kuangan.registry.models import LeadershipMember
from kuangan.testing import assert_audited, make_user, unchanged

NOW = datetime(2024, 6, 12, 9, 30, tzinfo=SHANGHAI)
ID_NUMBER = "141129197502021234"
TYPED_ID = "14112919800303567X"
ENTERPRISE = "中阳县甲煤业有限公司"


def at(days: float = 0, hours: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours)


def by(user, when: datetime = NOW) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.of(user, at=when)


@pytest.fixture
def people(world):  # type: ignore[no-untyped-def]
    with clock.frozen(NOW):
        head = LeadershipMember.objects.create(mine=world.a1, post=LeadershipPost.MINE_HEAD, name="赵矿长",
                                               id_number=ID_NUMBER, education="bachelor", frontline_years=12)
        yield {"leader": world.inspector,
               "second": make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法"),
               "chief": make_user("chief", world.county, Role.REGULATOR_LEADER, full_name="刘局长"),
               "member": head}


def _violation(world, people, code: str = "SAFE-44"):  # type: ignore[no-untyped-def]
    """A violation found on site at A1 by an inspection led by world.inspector."""
    inspection = actions.open_inspection(by=by(people["leader"]), order=InspectionOrder(
        mine_id=world.a1.pk, method=InspectionMethod.UNANNOUNCED, planned_on=NOW.date(),
        leader_id=people["leader"].pk, team=[(people["leader"].pk, "14110001"), (people["second"].pk, "14110002")],
        source="tip_off", source_note="举报违章指挥"))
    actions.arrive(inspection.pk, by=by(people["second"]))
    return actions.record_finding(inspection.pk, by=by(people["second"]), finding=Finding(
        kind=FindingKind.VIOLATION, description="综采队班长违反操作规程进入支架内作业",
        benchmark_id=PenaltyBenchmark.objects.get(code=code).pk))


def _file(world, user, *, code: str = "SAFE-44", circumstance: str = "ordinary_worker", unit=Decimal("15000"),  # type: ignore[no-untyped-def]
          person=Decimal("3000"), gains=None, finding=None, principal=None, when: datetime = NOW):
    return actions.file_case(
        by=by(user, when), finding_id=finding.pk if finding else None, mine_id=None if finding else world.a1.pk,
        benchmark_id=PenaltyBenchmark.objects.get(code=code).pk, circumstance=circumstance, illegal_gains=gains,
        facts="2024年6月12日检查发现综采队班长违反操作规程作业", unit_fine=unit, person_fine=person,
        principal=principal)


def _pdf_text(document: EnforcementDocument) -> str:
    data = bytes(document.versions.get(n=document.current_version).pdf)
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


# --- the tier, through the action, on the seeded rows ------------------------------------------------------


@pytest.mark.parametrize("circumstance,unit,person,refusal", [
    # 一般从业人员: unit 10,000–20,000, persons 1,000–5,000 (both bounds included)
    ("ordinary_worker", "10000", "1000", None),
    ("ordinary_worker", "20000", "5000", None),
    ("ordinary_worker", "9999.99", "1000", "单位罚款 9,999.99 元不在第 1 档的幅度内：10,000–20,000 元"),
    ("ordinary_worker", "20000.01", "1000", "单位罚款 20,000.01 元不在第 1 档的幅度内：10,000–20,000 元"),
    ("ordinary_worker", "15000", "5000.01", "个人罚款 5,000.01 元不在第 1 档的幅度内：1,000–5,000 元"),
    ("ordinary_worker", "15000", "999.99", "个人罚款 999.99 元不在第 1 档的幅度内：1,000–5,000 元"),
    # 主要负责人、安全管理人员或者特种作业人员: unit 20,000–30,000, persons 5,000–10,000
    ("principal_or_manager", "20000", "5000", None),
    ("principal_or_manager", "30000", "10000", None),
    ("principal_or_manager", "19999.99", "5000", "单位罚款 19,999.99 元不在第 2 档的幅度内：20,000–30,000 元"),
    ("principal_or_manager", "25000", "4999.99", "个人罚款 4,999.99 元不在第 2 档的幅度内：5,000–10,000 元"),
    ("principal_or_manager", "25000", "10000.01", "个人罚款 10,000.01 元不在第 2 档的幅度内：5,000–10,000 元"),
])
def test_safe44_worker_and_principal_tiers_at_their_bounds(world, people, circumstance, unit, person, refusal):
    if refusal:
        with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match=refusal):
            _file(world, people["leader"], circumstance=circumstance, unit=Decimal(unit), person=Decimal(person))
        assert not PenaltyCase.objects.exists()
        return
    case = _file(world, people["leader"], circumstance=circumstance, unit=Decimal(unit), person=Decimal(person))
    assert_audited("enforcement.penaltycase.filed", case, people["leader"])
    order = 1 if circumstance == "ordinary_worker" else 2
    assert case.tier.order == order and case.circumstance == circumstance
    criteria = {c["text"]: c["met"] for c in case.explanation["criteria"]}
    assert criteria == {"第 1 档 情形：一般从业人员违反操作规程": order == 1,
                        "第 2 档 情形：主要负责人、安全管理人员或者特种作业人员违反操作规程": order == 2}
    assert [Decimal(x) for x in case.explanation["unit_range"]] == ([10000, 20000] if order == 1 else [20000, 30000])
    assert {p.kind: p.fine for p in case.parties.all()} == {PartyKind.UNIT: Decimal(unit),
                                                             PartyKind.PRINCIPAL: Decimal(person)}


@pytest.mark.parametrize("gains,order,low,high", [
    ("100000", 1, "200000", "500000"),  # 违法所得10万元以上（包括本数）: 2–5 times the gains
    ("99999.99", 2, "100000", "200000"),  # 不足10万元: 10万–20万
    ("0", 2, "100000", "200000"),  # no gains at all
])
def test_cmsr61_illegal_gains_of_exactly_100000_take_the_multiple_tier(world, people, gains, order, low, high):
    def file(unit: str):  # type: ignore[no-untyped-def]
        return _file(world, people["leader"], code="CMSR-61", circumstance="default", gains=Decimal(gains),
                     unit=Decimal(unit), person=None)

    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match=f"不在第 {order} 档的幅度内"):
        file(str(Decimal(low) - Decimal("0.01")))
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match=f"不在第 {order} 档的幅度内"):
        file(str(Decimal(high) + Decimal("0.01")))
    lowest, highest = file(low), file(high)
    for case in (lowest, highest):
        assert case.tier.order == order
        # CMSR-61 fines no person: one party only, the enterprise
        assert [p.kind for p in case.parties.all()] == [PartyKind.UNIT]
    met = [c["text"] for c in lowest.explanation["criteria"] if c["met"]]
    assert any(f"第 {order} 档 违法所得" in text for text in met)
    assert Decimal(lowest.explanation["unit_range"][0]) == Decimal(low)
    assert Decimal(lowest.explanation["unit_range"][1]) == Decimal(high)


def test_no_tier_is_refused_and_a_person_fine_where_the_tier_sets_none(world, people):
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="没有适用的裁量档次，不能按本基准立案：第 1 档 违法所得：未填写"):
        _file(world, people["leader"], code="CMSR-61", circumstance="default", gains=None, unit=Decimal("150000"),
              person=None)
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="请选择该违法行为的情形"):
        _file(world, people["leader"], circumstance="forced_risky_work")
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="第 2 档对个人不设罚款"):
        _file(world, people["leader"], code="CMSR-61", circumstance="default", gains=Decimal("0"),
              unit=Decimal("150000"), person=Decimal("1000"))
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="请填写单位罚款：第 1 档为 10,000–20,000 元"):
        _file(world, people["leader"], unit=None)
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(PermissionDenied):
        _file(world, world.foreign_inspector)
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(PermissionDenied):
        _file(world, world.mine_head)
    assert not PenaltyCase.objects.exists() and not AuditEvent.objects.filter(verb__startswith="enforcement.penalty")\
        .exists()


# --- 一案双罚 ------------------------------------------------------------------------------------------------


def test_dual_penalty_names_the_enterprise_and_its_principal_keyed_on_the_id_number(world, people):
    finding = _violation(world, people)
    case = _file(world, people["second"], finding=finding)
    assert (case.inspection, case.finding, case.organization) == (finding.inspection, finding, world.county)
    parties = {p.kind: p for p in case.parties.all()}
    unit, principal = parties[PartyKind.UNIT], parties[PartyKind.PRINCIPAL]
    assert (unit.kind, unit.name, unit.fine) == (PartyKind.UNIT, ENTERPRISE, Decimal("15000.00"))
    assert unit.penalty_types == ["warning", "fine"]
    # the mine's serving head from the roster, with his ID number
    assert (principal.kind, principal.name, principal.id_number, principal.member) == (
        PartyKind.PRINCIPAL, "赵矿长", ID_NUMBER, people["member"])
    event = assert_audited("enforcement.penaltycase.filed", case, people["second"])
    stored = json.dumps([event.before, event.after, event.reason, event.target_repr], ensure_ascii=False)
    assert ID_NUMBER not in stored and mask_id_number(ID_NUMBER) in stored
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="该违法行为已经立案"):
        _file(world, people["leader"], finding=finding)


def test_the_principal_is_typed_in_when_the_roster_has_none_and_needs_an_id_number(world, people):
    people["member"].active = False
    people["member"].save(update_fields=["active"])
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="没有在任的矿长、董事长或总经理：请填写姓名和身份证号"):
        _file(world, people["leader"])
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="请填写身份证号"):
        _file(world, people["leader"], principal=Principal(name="钱董事长"))
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="身份证号应为 18 位"):
        _file(world, people["leader"], principal=Principal(name="钱董事长", id_number="1411291980"))
    with unchanged(PenaltyCase, PenaltyParty), pytest.raises(DomainError, match="须为该矿在任的矿长、董事长或总经理"):
        _file(world, people["leader"], principal=Principal(member_id=people["member"].pk))
    case = _file(world, people["leader"], principal=Principal(name="钱董事长", id_number=TYPED_ID.lower()))
    principal = case.parties.get(kind=PartyKind.PRINCIPAL)
    assert (principal.name, principal.id_number, principal.member) == ("钱董事长", TYPED_ID, None)


# --- the workflow ------------------------------------------------------------------------------------------


def test_a_case_from_filing_to_closing(world, people, django_capture_on_commit_callbacks):
    leader, second, chief = people["leader"], people["second"], people["chief"]
    finding = _violation(world, people)
    case = _file(world, second, finding=finding, circumstance="principal_or_manager", unit=Decimal("25000"),
                 person=Decimal("8000"))
    assert case.status == CaseStatus.FILED and case.next_due_at is None
    # filed: the mine knows nothing of it, on any list, its history or its inbox
    for user in (world.mine_head, world.mine_safety_officer, world.group_manager, world.expert):
        assert not visible(user, PenaltyCase).exists()
        assert not visible(user, PenaltyParty).exists()
        assert not visible(user, PenaltyCaseTransition).exists()
    assert not history(world.a1).filter(verb__startswith="enforcement.penalty").exists()
    assert not Notification.objects.filter(recipient__organization=world.a1.organization, url=case.get_absolute_url())\
        .exists()

    # the notice: signed by the inspection's leader, served, and from then on the mine's to see
    with unchanged(case, EnforcementDocument), pytest.raises(DomainError, match="只有 王检查（检查带队人或立案人）可以签发本案文书"):
        actions.notify_case(case.pk, by=by(second))
    with django_capture_on_commit_callbacks(execute=True):
        notified = actions.notify_case(case.pk, by=by(leader, at(hours=1)))
    assert_audited("enforcement.penaltycase.notified", case, leader)
    assert notified.status == CaseStatus.NOTIFIED and notified.notified_at == at(hours=1)
    assert notified.next_due_at == at(days=5, hours=1)  # settings.ENFORCEMENT_NOTICE_DAYS
    notice = EnforcementDocument.objects.get(case=case, kind=DocumentKind.PENALTY_NOTICE)
    assert notice.number == "中阳应急罚告〔2024〕1号" and notice.served_at == at(hours=1)
    assert notice.inspection == finding.inspection
    text = _pdf_text(notice)
    assert "行政处罚告知书" in text and ENTERPRISE in text and "赵矿长" in text and "罚款人民币25,000元" in text
    assert ID_NUMBER not in text
    assert Notification.objects.filter(recipient=world.mine_head, url=notice.get_absolute_url()).exists()
    assert visible(world.mine_head, PenaltyCase).get() == case
    assert set(visible(world.mine_head, PenaltyParty)) == set(case.parties.all())
    for user in (world.foreign_mine_head, world.foreign_inspector):
        assert not visible(user, PenaltyCase).exists()

    # approval: only the agency's head, only after the party's 5 days to state its case
    with unchanged(case, EnforcementDocument), pytest.raises(PermissionDenied):
        actions.approve_case(case.pk, by=by(leader, at(days=6)))
    with unchanged(case, EnforcementDocument), pytest.raises(DomainError, match="届满后才能审批"):
        actions.approve_case(case.pk, by=by(chief, at(days=5)))
    # no decision before the notice period ends, nor before the approval
    with unchanged(case, EnforcementDocument), pytest.raises(DomainError, match="陈述、申辩"):
        actions.decide_case(case.pk, by=by(leader, at(days=1)))
    with unchanged(case, EnforcementDocument), pytest.raises(DomainError, match="须经执法机关负责人审批"):
        actions.decide_case(case.pk, by=by(leader, at(days=6)))
    with django_capture_on_commit_callbacks(execute=True):
        approved = actions.approve_case(case.pk, by=by(chief, at(days=6)), note="同意")
    assert_audited("enforcement.penaltycase.approved", case, chief)
    assert (approved.approved_by, approved.approved_at, approved.status) == (chief, at(days=6), CaseStatus.NOTIFIED)
    with unchanged(case, EnforcementDocument), pytest.raises(DomainError, match="已经审批"):
        actions.approve_case(case.pk, by=by(chief, at(days=6)))
    assert Notification.objects.filter(recipient=leader, url=case.get_absolute_url()).exists()

    decided = actions.decide_case(case.pk, by=by(leader, at(days=7)), payment_account="中阳县财政局非税收入专户")
    assert_audited("enforcement.penaltycase.decided", case, leader)
    assert decided.status == CaseStatus.DECIDED and decided.payment_due_on == date(2024, 7, 4)  # 6-19 + 15 days
    assert decided.next_due_at == datetime(2024, 7, 5, tzinfo=SHANGHAI)
    decision = EnforcementDocument.objects.get(case=case, kind=DocumentKind.PENALTY_DECISION)
    assert decision.deadline == date(2024, 7, 4) and decision.served_at == at(days=7)
    content = decision.versions.get().content
    assert (content["approved_by"], content["approved_at"], content["payment_due"]) == ("刘局长", "2024-06-18",
                                                                                        "2024-07-04")
    text = _pdf_text(decision)
    assert "行政处罚决定书" in text and ENTERPRISE in text and "赵矿长" in text and "刘局长" in text
    assert "2024年7月4日" in text and ID_NUMBER not in text

    with unchanged(case, EnforcementDocument), pytest.raises(DomainError, match="缴纳金额应为决定的罚款合计 33,000 元"):
        actions.record_payment(case.pk, by=by(leader, at(days=8)), amount=Decimal("25000"))
    with unchanged(case, EnforcementDocument), pytest.raises(DomainError, match="罚款缴纳后才能结案"):
        actions.close_case(case.pk, by=by(leader, at(days=8)))
    paid = actions.record_payment(case.pk, by=by(second, at(days=8)), amount=Decimal("33000"))
    assert_audited("enforcement.penaltycase.paid", case, second)
    assert paid.status == CaseStatus.PAID and paid.paid_at == at(days=8) and paid.next_due_at is None
    closed = actions.close_case(case.pk, by=by(leader, at(days=9)), note="罚款已缴清")
    assert_audited("enforcement.penaltycase.closed", case, leader)
    assert closed.status == CaseStatus.CLOSED
    assert list(case.transitions.values_list("action", "to_status")) == [
        ("filed", "filed"), ("notified", "notified"), ("approved", "notified"), ("decided", "decided"),
        ("paid", "paid"), ("closed", "closed")]
    # the mine's history shows the case from the notice on, never an ID number
    shown = history(world.a1).filter(verb__startswith="enforcement.penaltycase")
    assert set(shown.values_list("verb", flat=True)) == {
        "enforcement.penaltycase.notified", "enforcement.penaltycase.approved", "enforcement.penaltycase.decided",
        "enforcement.penaltycase.paid", "enforcement.penaltycase.closed"}
    every = json.dumps(list(AuditEvent.objects.values("before", "after", "reason", "target_repr")), ensure_ascii=False)
    assert ID_NUMBER not in every


def test_the_tick_asks_for_approval_and_reminds_an_unpaid_fine_once(world, people, django_capture_on_commit_callbacks):
    leader, chief = people["leader"], people["chief"]
    case = _file(world, leader)  # by mine: the filer signs
    actions.notify_case(case.pk, by=by(leader))
    due = at(days=5)
    with django_capture_on_commit_callbacks(execute=True):  # `kuangan tick --at`
        assert tick.run(due - timedelta(seconds=1))["penalty case reminders"] == 0
        assert tick.run(at(days=6))["penalty case reminders"] == 1
        assert tick.run(at(days=6))["penalty case reminders"] == 0
    asked = Notification.objects.filter(recipient=chief, url=case.get_absolute_url())
    assert asked.count() == 1 and asked.get().created_at == due  # stamped with the due time
    event = assert_audited("enforcement.penaltycase.approval_requested", case)
    assert event.actor_id is None and event.at == due

    actions.approve_case(case.pk, by=by(chief, at(days=6)))
    decided = actions.decide_case(case.pk, by=by(leader, at(days=6)))
    overdue = datetime.combine(decided.payment_due_on + timedelta(days=1), time(0), SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        assert periodic.remind_cases(overdue - timedelta(minutes=1)) == {"penalty case reminders": 0}
        for _ in range(2):
            periodic.remind_cases(overdue + timedelta(days=3))
    reminders = Notification.objects.filter(recipient=leader, title__startswith="罚款逾期未缴纳")
    assert reminders.count() == 1 and reminders.get().created_at == overdue
    case.refresh_from_db()
    assert case.reminded_at == overdue and case.next_due_at is None
    event = assert_audited("enforcement.penaltycase.payment_reminded", case)
    assert event.at == overdue and event.actor_id is None
    # paid in time: no reminder
    other = _file(world, leader)
    actions.notify_case(other.pk, by=by(leader))
    actions.approve_case(other.pk, by=by(chief, at(days=6)))
    actions.decide_case(other.pk, by=by(leader, at(days=6)))
    actions.record_payment(other.pk, by=by(leader, at(days=7)), amount=Decimal("18000"))
    with django_capture_on_commit_callbacks(execute=True):
        periodic.remind_cases(at(days=60))
    assert Notification.objects.filter(recipient=leader, title__startswith="罚款逾期未缴纳").count() == 1


def test_a_decision_without_fines_closes_without_payment(world, people):
    leader, chief = people["leader"], people["chief"]
    case = actions.file_case(by=by(leader), mine_id=world.a1.pk,
                             benchmark_id=PenaltyBenchmark.objects.get(code="TOWN-26-2").pk,
                             circumstance="overdue_uncorrected", facts="逾期仍不报送图纸", unit_fine=None)
    assert [p.kind for p in case.parties.all()] == [PartyKind.UNIT] and case.tier.order == 4
    actions.notify_case(case.pk, by=by(leader))
    actions.approve_case(case.pk, by=by(chief, at(days=5)))
    decided = actions.decide_case(case.pk, by=by(leader, at(days=5)))
    assert decided.payment_due_on is None and decided.next_due_at is None
    with unchanged(case), pytest.raises(DomainError, match="本案没有罚款"):
        actions.record_payment(case.pk, by=by(leader, at(days=5)), amount=Decimal("0"))
    assert actions.close_case(case.pk, by=by(leader, at(days=5))).status == CaseStatus.CLOSED


def test_a_leader_of_another_agency_may_not_approve(world, people):
    city_chief = make_user("city_chief", world.city, Role.REGULATOR_LEADER)
    case = _file(world, people["leader"])
    actions.notify_case(case.pk, by=by(people["leader"]))
    with unchanged(case), pytest.raises(DomainError, match="须由 中阳县应急管理局 的负责人审批"):
        actions.approve_case(case.pk, by=by(city_chief, at(days=6)))
    with unchanged(case), pytest.raises(PermissionDenied):
        actions.approve_case(case.pk, by=by(make_user("far_chief", world.foreign_county, Role.REGULATOR_LEADER),
                                            at(days=6)))


# --- pages -------------------------------------------------------------------------------------------------


def test_a_benchmark_without_tiers_says_so_on_its_pages(world, people, login):
    untiered = _file(world, people["leader"], code="CMSR-63", circumstance="first_time", unit=Decimal("100000"),
                     person=Decimal("30000"))
    tiered = _file(world, people["leader"])
    client = login(people["leader"])
    with clock.frozen(NOW):
        page = client.get(untiered.get_absolute_url()).content.decode()
        assert "裁量档次未找到" in page
        assert "《煤矿安全生产条例》（国务院令第774号，2024-05-01施行）第六十三条" in page  # both bases
        assert "首次查处：责令限期改正（法定幅度）" in page and "100,000–200,000 元" in page
        assert "符合" in page and "不符合" in page  # the criteria of both tiers, met and not met
        assert "RULES" not in page and "first_time" not in page
        assert "裁量档次未找到" not in client.get(tiered.get_absolute_url()).content.decode()
        listing = client.get("/enforcement/cases/").content.decode()
        assert listing.count("裁量档次未找到") == 1 and "100,000" in listing and "30,000" in listing
        form = client.get("/enforcement/cases/file/", {"mine": world.a1.pk, "benchmark": untiered.benchmark_id,
                                                       "circumstance": "overdue_uncorrected"}).content.decode()
        assert "裁量档次未找到" in form and "逾期未改正（法定幅度）" in form and "200,000–500,000 元" in form


def test_filing_from_a_violation_on_its_page(world, people, login):
    finding = _violation(world, people)
    client = login(people["second"])
    with clock.frozen(NOW):
        form = client.get("/enforcement/cases/file/", {"finding": finding.pk}).content.decode()
        assert "一般从业人员违反操作规程" in form and "主要负责人、安全管理人员或者特种作业人员违反操作规程" in form
        assert "赵矿长（矿长，141129********1234）" in form and ID_NUMBER not in form
        preview = client.get("/enforcement/cases/file/", {"finding": finding.pk,
                                                          "circumstance": "principal_or_manager"}).content.decode()
        assert "适用第 2 档" in preview
        with unchanged(PenaltyCase):
            refused = client.post("/enforcement/cases/file/", {
                "finding": finding.pk, "benchmark": finding.benchmark_id, "circumstance": "principal_or_manager",
                "unit_fine": "35000", "person_fine": "6000", "member": people["member"].pk, "facts": "违章作业"})
        assert refused.status_code == 400 and "20,000–30,000 元" in refused.content.decode()
        response = client.post("/enforcement/cases/file/", {
            "finding": finding.pk, "benchmark": finding.benchmark_id, "circumstance": "principal_or_manager",
            "unit_fine": "25000", "person_fine": "6000", "member": people["member"].pk, "facts": "违章作业"})
    case = PenaltyCase.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.finding == finding and case.tier.order == 2


def test_pages_mask_the_id_number_until_an_audited_reveal(world, people, login):
    case = _file(world, people["leader"])
    client = login(people["leader"])
    with clock.frozen(NOW):
        page = client.get(case.get_absolute_url()).content.decode()
        assert ID_NUMBER not in page and mask_id_number(ID_NUMBER) in page
        assert f"/enforcement/cases/{case.pk}/reveal/" in page
        before = AuditEvent.objects.count()
        revealed = client.post(f"/enforcement/cases/{case.pk}/reveal/")
    assert revealed.status_code == 200 and ID_NUMBER in revealed.content.decode()
    event = AuditEvent.objects.get(seq__gt=before)
    assert event.verb == "enforcement.penaltycase.personal_data_viewed" and event.actor_id == people["leader"].pk
    assert ID_NUMBER not in json.dumps([event.before, event.after, event.reason, event.target_repr],
                                       ensure_ascii=False)
    assert_audited("enforcement.penaltycase.personal_data_viewed", case, people["leader"])
    with unchanged(case), pytest.raises(PermissionDenied):
        actions.reveal_party_id(case.pk, by=by(world.mine_safety_officer), kind=PartyKind.PRINCIPAL)  # no permission
    with unchanged(case), pytest.raises(PermissionDenied):
        actions.reveal_party_id(case.pk, by=by(world.mine_head), kind=PartyKind.PRINCIPAL)  # not yet notified
    with clock.frozen(NOW), unchanged(case):
        assert login(world.foreign_inspector).post(f"/enforcement/cases/{case.pk}/reveal/").status_code == 404
    assert not AuditEvent.objects.filter(seq__gt=event.seq).exists()


def test_the_mine_sees_its_case_from_the_notice_on_and_a_foreign_county_never(world, people, login):
    case = _file(world, people["leader"])
    url = case.get_absolute_url()
    with clock.frozen(NOW):
        assert login(world.mine_head).get(url).status_code == 404
        assert "没有符合条件的案件" in login(world.mine_head).get("/enforcement/cases/").content.decode()
    actions.notify_case(case.pk, by=by(people["leader"]))
    with clock.frozen(NOW):
        mine_page = login(world.mine_head).get(url)
        assert mine_page.status_code == 200 and ID_NUMBER not in mine_page.content.decode()
        assert "行政处罚告知书" in mine_page.content.decode()
        assert "action-approve" not in mine_page.content.decode() and "action-decide" not in mine_page.content.decode()
        assert "没有符合条件的案件" not in login(world.mine_head).get("/enforcement/cases/").content.decode()
        for user in (world.foreign_mine_head, world.foreign_inspector):
            assert login(user).get(url).status_code == 404
            assert "没有符合条件的案件" in login(user).get("/enforcement/cases/").content.decode()


def test_approval_through_the_page_is_the_agency_heads(world, people, login):
    case = _file(world, people["leader"])
    actions.notify_case(case.pk, by=by(people["leader"]))
    url = f"/enforcement/cases/{case.pk}/do/approve/"
    with clock.frozen(at(days=6)):
        assert "action-approve" not in login(people["leader"]).get(case.get_absolute_url()).content.decode()
        with unchanged(case):
            assert login(people["leader"]).post(url, {"note": "同意"}).status_code == 403
        assert "action-approve" in login(people["chief"]).get(case.get_absolute_url()).content.decode()
        response = login(people["chief"]).post(url, {"note": "同意"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.approved_by == people["chief"]
    assert_audited("enforcement.penaltycase.approved", case, people["chief"])


def test_the_ledgers_query_count_does_not_grow_with_their_rows(world, people, login, django_assert_max_num_queries):
    for _ in range(3):
        actions.notify_case(_file(world, people["leader"]).pk, by=by(people["leader"]))
    client = login(people["leader"])
    with clock.frozen(NOW):
        client.get("/enforcement/cases/")  # warm the session and the navigation
        with django_assert_max_num_queries(8):  # 6 today: the session, the user, the count, the keys, the rows, …
            page = client.get("/enforcement/cases/").content.decode()
    assert page.count("15,000") == 3
