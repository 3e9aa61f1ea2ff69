"""Mine-head safety scores (R3.8) on a real database: points keyed on the ID number per calendar year (Beijing),
the retake listed once by the tick at 12 points (以上包括本数) and not at 11, who may score, and the score page
(masked ID numbers; a mine sees its own heads only)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core import periodic as tick
from kuangan.core.actor import Actor
from kuangan.core.choices import Role
from kuangan.core.clock import SHANGHAI
from kuangan.core.errors import DomainError
from kuangan.core.masking import mask_id_number
from kuangan.core.models import AuditEvent, Notification
from kuangan.enforcement import actions, periodic
from kuangan.enforcement.actions import Finding, InspectionOrder
from kuangan.enforcement.choices import FindingKind, InspectionMethod
from kuangan.enforcement.models import ExamRetake, MineHeadScore, PenaltyBenchmark, ScoreDeduction
from kuangan.hazards.models import HazardStandardItem
from kuangan.registry.choices import LeadershipPost
from kuangan.registry.models import LeadershipMember
from kuangan.testing import assert_audited, make_user, unchanged

NOW = datetime(2024, 6, 12, 9, 30, tzinfo=SHANGHAI)
HEAD_ID = "141129197001011234"
CHAIR_ID = "14112919650505432X"
FOREIGN_ID = "141181197203035678"


def by(user, when: datetime = NOW) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.of(user, at=when)


def points(code: str) -> int:
    return ScoreDeduction.objects.get(code=code).points


@pytest.fixture
def scene(world):  # type: ignore[no-untyped-def]
    """An inspection on site at A1 with four findings, A1's mine head and chairman on the roster, and B1's head."""
    with clock.frozen(NOW):
        second = make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")
        head = LeadershipMember.objects.create(mine=world.a1, post=LeadershipPost.MINE_HEAD, name="赵矿长",
                                               id_number=HEAD_ID, education="bachelor", frontline_years=12)
        chair = LeadershipMember.objects.create(mine=world.a1, post=LeadershipPost.CHAIRMAN, name="钱董事长",
                                                id_number=CHAIR_ID, education="bachelor", frontline_years=20)
        LeadershipMember.objects.create(mine=world.b1, post=LeadershipPost.MINE_HEAD, name="孙矿长",
                                        id_number=FOREIGN_ID, education="bachelor", frontline_years=9)
        inspection = actions.open_inspection(by=by(world.inspector), order=InspectionOrder(
            mine_id=world.a1.pk, method=InspectionMethod.UNANNOUNCED, planned_on=NOW.date(),
            leader_id=world.inspector.pk, team=[(world.inspector.pk, ""), (second.pk, "")], source="tip_off",
            source_note="举报超能力生产"))
        actions.arrive(inspection.pk, by=by(world.inspector))
        item = HazardStandardItem.objects.get(standard__code="coal-2020", code="C05-01")
        findings = [actions.record_finding(inspection.pk, by=by(world.inspector), finding=f) for f in (
            Finding(kind=FindingKind.MAJOR_HAZARD, description="工作面风量不足", standard_item_id=item.pk),
            Finding(kind=FindingKind.ORDINARY_HAZARD, description="皮带机头无防护栏"),
            Finding(kind=FindingKind.VIOLATION, description="违章指挥",
                    benchmark_id=PenaltyBenchmark.objects.get(code="SAFE-44-2").pk),
            Finding(kind=FindingKind.ORDINARY_HAZARD, description="消防器材缺失"))]
        yield {"second": second, "head": head, "chair": chair, "inspection": inspection, "findings": findings}


def _score(world, scene, finding: int, code: str, *, member=None, when: datetime = NOW, **person):  # type: ignore[no-untyped-def]
    return actions.score_mine_head(
        by=by(world.inspector, when), finding_id=scene["findings"][finding].pk,
        deduction_id=ScoreDeduction.objects.get(code=code).pk,
        member_id=(member or scene["head"]).pk if not person else None, **person)


def test_a_score_keys_on_the_id_number_in_the_beijing_year_and_is_audited_masked(world, scene):
    score = _score(world, scene, 0, "major_hazard")
    event = assert_audited("enforcement.mineheadscore.scored", score, world.inspector)
    assert (score.name, score.id_number, score.year, score.points, score.mine) == (
        "赵矿长", HEAD_ID, 2024, points("major_hazard"), world.a1)
    stored = json.dumps([event.before, event.after, event.reason, event.target_repr], ensure_ascii=False)
    assert HEAD_ID not in stored and mask_id_number(HEAD_ID) in stored
    with unchanged(MineHeadScore), pytest.raises(DomainError, match="已因此项按“存在重大事故隐患”记分"):
        _score(world, scene, 0, "major_hazard")
    # the calendar year is Beijing's: 23:30 on 31 December is still that year, 00:10 on 1 January the next
    late = _score(world, scene, 1, "order_not_done", when=datetime(2024, 12, 31, 23, 30, tzinfo=SHANGHAI))
    early = _score(world, scene, 2, "violation", when=datetime(2025, 1, 1, 0, 10, tzinfo=SHANGHAI))
    assert (late.year, early.year) == (2024, 2025)


def test_who_may_be_scored_and_by_whom(world, scene):
    with unchanged(MineHeadScore), pytest.raises(PermissionDenied):
        actions.score_mine_head(by=by(world.mine_head), finding_id=scene["findings"][0].pk,
                                deduction_id=ScoreDeduction.objects.get(code="violation").pk)
    with unchanged(MineHeadScore), pytest.raises(PermissionDenied):
        actions.score_mine_head(by=by(world.foreign_inspector), finding_id=scene["findings"][0].pk,
                                deduction_id=ScoreDeduction.objects.get(code="violation").pk)
    with unchanged(MineHeadScore), pytest.raises(DomainError, match="须为该矿在任的矿长、董事长或总经理"):
        _score(world, scene, 0, "violation", member=LeadershipMember.objects.get(name="孙矿长"))
    with unchanged(MineHeadScore), pytest.raises(DomainError, match="请填写身份证号"):
        _score(world, scene, 0, "violation", name="周总经理")
    # without a choice: the mine's serving head
    default = actions.score_mine_head(by=by(world.inspector), finding_id=scene["findings"][0].pk,
                                      deduction_id=ScoreDeduction.objects.get(code="violation").pk)
    assert (default.name, default.member) == ("赵矿长", scene["head"])
    typed = _score(world, scene, 1, "violation", name="周总经理", id_number="141129198808088888")
    assert (typed.name, typed.id_number, typed.member) == ("周总经理", "141129198808088888", None)
    assert_audited("enforcement.mineheadscore.scored", typed, world.inspector)
    assert not AuditEvent.objects.filter(verb="enforcement.mineheadscore.scored", actor=world.mine_head).exists()


def test_a_case_is_scored_only_once_its_notice_is_served(world, scene):
    case = actions.file_case(
        by=by(world.inspector), finding_id=scene["findings"][2].pk, benchmark_id=scene["findings"][2].benchmark_id,
        circumstance="illegal_command", facts="违章指挥", unit_fine=Decimal("15000"), person_fine=Decimal("2000"))
    deduction = ScoreDeduction.objects.get(code="violation").pk
    with unchanged(MineHeadScore), pytest.raises(DomainError, match="案件送达告知书后才能据此记分"):
        actions.score_mine_head(by=by(world.inspector), case_id=case.pk, deduction_id=deduction)
    actions.notify_case(case.pk, by=by(world.inspector))
    score = actions.score_mine_head(by=by(world.inspector), case_id=case.pk, deduction_id=deduction)
    assert score.case == case and score.finding is None


def test_eleven_points_are_no_retake_twelve_list_him_once(world, scene, django_capture_on_commit_callbacks):
    # the chairman: 6 + 3 + 2 = 11
    for i, code in enumerate(("major_hazard", "order_not_done", "violation")):
        _score(world, scene, i, code, member=scene["chair"], when=NOW + timedelta(hours=i))
    # the mine head: 6 + 6 = 12, reached by the second score
    _score(world, scene, 0, "major_hazard")
    reaching = _score(world, scene, 1, "stop_rectify", when=NOW + timedelta(days=2))
    assert points("major_hazard") + points("order_not_done") + points("violation") == 11
    assert points("major_hazard") + points("stop_rectify") == 12
    tick_at = NOW + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):  # `kuangan tick --at`, twice at the same instant
        assert tick.run(tick_at)["mine-head exam retakes"] == 1
        assert tick.run(tick_at)["mine-head exam retakes"] == 0
    retake = ExamRetake.objects.get()
    assert (retake.id_number, retake.name, retake.year, retake.points) == (HEAD_ID, "赵矿长", 2024, 12)
    assert retake.listed_at == reaching.scored_at  # stamped with the scoring that reached the threshold
    assert not ExamRetake.objects.filter(id_number=CHAIR_ID).exists()
    event = assert_audited("enforcement.examretake.listed", retake)
    assert event.actor_id is None and event.at == reaching.scored_at
    assert HEAD_ID not in json.dumps([event.after, event.target_repr], ensure_ascii=False)
    told = Notification.objects.filter(title__contains="须重新参加安全生产知识和管理能力考核")
    assert set(told.values_list("recipient__username", flat=True)) == {"inspector", "inspector2"}
    assert told.count() == 2  # once each
    # more points the same year: still listed once
    _score(world, scene, 3, "violation", when=NOW + timedelta(days=4))
    with django_capture_on_commit_callbacks(execute=True):
        periodic.list_retakes(NOW + timedelta(days=5))
    assert ExamRetake.objects.count() == 1 and told.count() == 2
    # a tick before the threshold was reached lists nobody (a replay of an earlier instant)
    ExamRetake.objects.all().delete()
    assert periodic.list_retakes(reaching.scored_at - timedelta(seconds=1)) == {"mine-head exam retakes": 0}


def test_the_score_page_masks_id_numbers_and_keeps_each_to_its_own(world, scene, login):
    _score(world, scene, 0, "major_hazard")
    _score(world, scene, 1, "stop_rectify")
    with clock.frozen(NOW):
        page = login(world.inspector).get("/enforcement/scores/").content.decode()
        assert "赵矿长" in page and mask_id_number(HEAD_ID) in page and HEAD_ID not in page
        assert "存在重大事故隐患" in page and "被责令停产整顿" in page and "未找到依据" in page
        assert "<strong>12</strong>" in page and "已达分值，待列入" in page
        periodic.list_retakes(NOW)
        assert "已列入重新考核" in login(world.inspector).get("/enforcement/scores/").content.decode()
        mine = login(world.mine_head).get("/enforcement/scores/").content.decode()
        assert "赵矿长" in mine and HEAD_ID not in mine
        for user in (world.foreign_mine_head, world.foreign_inspector):
            other = login(user).get("/enforcement/scores/").content.decode()
            assert "赵矿长" not in other and "本年度没有记分记录" in other
        assert "赵矿长" not in login(world.mine_head).get("/enforcement/scores/?year=2023").content.decode()


def test_scoring_through_its_page(world, scene, login):
    url = f"/enforcement/scores/new/?finding={scene['findings'][0].pk}"
    with clock.frozen(NOW):
        form = login(world.inspector).get(url).content.decode()
        assert "赵矿长（矿长，141129********1234）" in form and HEAD_ID not in form and "分值未找到依据" in form
        assert login(world.mine_head).get(url).status_code == 403
        assert login(world.foreign_inspector).get(url).status_code == 404
        response = login(world.inspector).post(url, {
            "finding": scene["findings"][0].pk, "deduction": ScoreDeduction.objects.get(code="major_hazard").pk,
            "member": scene["head"].pk})
    assert response.status_code == 302
    assert MineHeadScore.objects.get().points == points("major_hazard")


def test_the_score_page_query_count_does_not_grow_with_its_rows(world, scene, login, django_assert_max_num_queries):
    for i, code in enumerate(("major_hazard", "order_not_done", "violation", "missing_report")):
        _score(world, scene, i, code)
        _score(world, scene, i, code, member=scene["chair"])
    client = login(world.inspector)
    with clock.frozen(NOW):
        client.get("/enforcement/scores/")
        with django_assert_max_num_queries(9):  # 7 today: the session, the user, the items, the totals, the retakes, …
            page = client.get("/enforcement/scores/").content.decode()
    assert "钱董事长" in page and "赵矿长" in page
