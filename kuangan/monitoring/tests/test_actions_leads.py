"""Leads of illegal production (R4.7) from the engine's episodes, and what regulators do with them: review,
dismiss, open a hazard, open an inspection, keep an alarm as a lead. Each audited; none of it seen by, or
sent to, the mine or its enterprise; refused to a foreign county and to the auditor, who only reads."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import audit, clock
from kuangan.core.access import visible
from kuangan.core.actor import Actor
from kuangan.core.choices import Role, Via
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.enforcement import actions as enforcement_actions
from kuangan.enforcement.choices import InspectionMethod, InspectionSource
from kuangan.enforcement.models import Inspection
from kuangan.engine.pipeline import REJUDGED_MINES
from kuangan.engine.schema import EPISODES
from kuangan.hazards.actions import HazardReport
from kuangan.hazards.choices import HazardSource
from kuangan.hazards.models import Hazard
from kuangan.monitoring import actions
from kuangan.monitoring.choices import AlarmKind, LeadAction, LeadKind, LeadStatus, Severity
from kuangan.monitoring.leads import apply_leads
from kuangan.monitoring.models import Alarm, Lead, LeadTransition
from kuangan.testing import assert_audited, make_user, unchanged

NOW = datetime(2024, 6, 10, 9, 0, tzinfo=clock.SHANGHAI)
AREA = "1411290001A001"  # an area code of mine a1


def episode(kind: str = LeadKind.HIDDEN_WORKING_FACE, start: datetime = datetime(2024, 6, 3, 8),  # noqa: DTZ001
            end: datetime | None = None, peak: float = 4.0, subject: str | None = AREA,
            mine: str = "1411290001", **evidence: object) -> pl.DataFrame:
    return pl.DataFrame([{"mine_code": mine, "point_code": subject, "kind": kind, "start": start, "end": end,
                          "peak": peak, "evidence": json.dumps(evidence or {"days": 3}), "void": False}],
                        schema=EPISODES)


def ingest_actor() -> Actor:
    return Actor.system(Via.INGEST, at=NOW)


@pytest.fixture
def lead(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True), clock.frozen(NOW):
        [pk] = apply_leads(episode(), {world.a1.code: world.a1}, by=ingest_actor())
    with clock.frozen(NOW):
        yield Lead.objects.get(pk=pk)


def test_an_episode_raises_a_lead_that_only_the_county_hears_of(world, lead):
    assert (lead.mine, lead.kind, lead.subject, lead.status, lead.peak) == (
        world.a1, LeadKind.HIDDEN_WORKING_FACE, AREA, LeadStatus.NEW, 4.0)
    assert lead.evidence["days"] == 3 and lead.evidence["episodes"][0]["start"] == "2024-06-03 08:00:00"
    assert lead.transitions.get().action == LeadAction.RAISED
    assert_audited("monitoring.lead.raised", lead)
    told = set(Notification.objects.filter(url=lead.get_absolute_url()).values_list("recipient__username", flat=True))
    assert "inspector" in told
    assert not told & {"mine_head", "mine_safety_officer", "mine_dispatcher", "group_manager", "foreign_inspector"}
    # the mine's history page never shows it: no event names the mine as its parent
    assert not audit.history(world.a1).filter(target_type="monitoring.lead").exists()


def test_only_regulators_with_lead_view_in_scope_see_leads(world, lead):
    for user in (world.inspector, world.city_inspector, world.auditor):
        assert list(visible(user, Lead)) == [lead], user
    for user in (world.mine_head, world.mine_safety_officer, world.mine_dispatcher, world.group_manager,
                 world.foreign_inspector, world.foreign_mine_head, world.expert, world.county_admin):
        assert not visible(user, Lead).exists(), user
        assert not visible(user, LeadTransition).exists(), user


def test_a_later_batch_updates_the_episode_and_a_new_one_extends_the_open_lead(world, lead):
    mines, by = {world.a1.code: world.a1}, ingest_actor()
    apply_leads(episode(end=datetime(2024, 6, 9, 20), peak=5.0), mines, by=by)  # noqa: DTZ001
    lead.refresh_from_db()
    assert (clock.local(lead.end), lead.peak) == (datetime(2024, 6, 9, 20), 5.0)  # noqa: DTZ001
    assert_audited("monitoring.lead.updated", lead)
    apply_leads(episode(start=datetime(2024, 6, 12, 8), peak=3.0), mines, by=by)  # noqa: DTZ001
    lead.refresh_from_db()
    assert Lead.objects.count() == 1 and lead.end is None and lead.peak == 5.0
    assert [e["start"] for e in lead.evidence["episodes"]] == ["2024-06-03 08:00:00", "2024-06-12 08:00:00"]
    # the same episode again (a re-sent batch) changes nothing
    transitions = lead.transitions.count()
    apply_leads(episode(start=datetime(2024, 6, 12, 8), peak=3.0), mines, by=by)  # noqa: DTZ001
    assert lead.transitions.count() == transitions


def test_a_dismissed_lead_is_not_raised_again_by_the_same_signal_but_by_a_new_one(world, lead):
    by = world.actor(world.inspector)
    actions.dismiss_lead(lead.pk, by=by, reason="该区域为新掘联络巷，已核实有施工许可")
    mines = {world.a1.code: world.a1}
    apply_leads(episode(end=datetime(2024, 6, 9, 20)), mines, by=ingest_actor())  # noqa: DTZ001
    assert Lead.objects.count() == 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISMISSED and lead.end is not None
    apply_leads(episode(start=datetime(2024, 6, 20, 8)), mines, by=ingest_actor())  # noqa: DTZ001
    assert Lead.objects.filter(status=LeadStatus.NEW).count() == 1


def rejudged(since: datetime, kind: str = LeadKind.HIDDEN_WORKING_FACE) -> pl.DataFrame:
    """Late data judged the lead kind's stream of mine a1 again from `since` (engine BatchResult.rejudged_mines)."""
    return pl.DataFrame([("1411290001", kind, since)], schema=REJUDGED_MINES, orient="row")


def test_an_earlier_episode_brought_by_late_data_starts_the_lead_and_strikes_the_one_it_disproved(world, lead):
    """Late snapshots show the dwell began two days earlier and ran on: the episode first raised from the later
    days alone is no more, the lead begins with the earlier one."""
    earlier = datetime(2024, 6, 1, 8)  # noqa: DTZ001
    apply_leads(episode(start=earlier, peak=6.0), {world.a1.code: world.a1}, by=ingest_actor(),
                rejudged=rejudged(datetime(2024, 5, 31, 23)))  # noqa: DTZ001
    lead.refresh_from_db()
    assert Lead.objects.count() == 1 and lead.status == LeadStatus.NEW
    assert (clock.local(lead.start), lead.end, lead.peak) == (earlier, None, 6.0)
    assert [e["start"] for e in lead.evidence["episodes"]] == ["2024-06-01 08:00:00"]
    assert lead.transitions.last().note == "迟到数据表明该信号不成立"
    assert_audited("monitoring.lead.updated", lead)


def test_an_open_lead_whose_every_episode_late_data_disproved_is_withdrawn(world, lead):
    apply_leads(episode().clear(), {world.a1.code: world.a1}, by=ingest_actor(),
                rejudged=rejudged(datetime(2024, 6, 2)))  # noqa: DTZ001
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WITHDRAWN and lead.evidence["episodes"] == []
    assert lead.transitions.last().action == LeadAction.WITHDRAWN
    assert_audited("monitoring.lead.withdrawn", lead)
    # another kind's stream judged again, or a time after the episode ended, leaves a lead alone
    [other] = apply_leads(episode(start=datetime(2024, 6, 5, 8), end=datetime(2024, 6, 5, 20),  # noqa: DTZ001
                                  subject="1411290001A002"), {world.a1.code: world.a1}, by=ingest_actor())
    apply_leads(episode().clear(), {world.a1.code: world.a1}, by=ingest_actor(),
                rejudged=pl.concat([rejudged(datetime(2024, 6, 2), LeadKind.OVER_CAPACITY),  # noqa: DTZ001
                                    rejudged(datetime(2024, 6, 6))]))  # noqa: DTZ001
    assert Lead.objects.get(pk=other).status == LeadStatus.NEW
    # the same signal proven again later raises a lead again
    [again] = apply_leads(episode(), {world.a1.code: world.a1}, by=ingest_actor())
    assert again not in (lead.pk, other) and Lead.objects.get(pk=again).status == LeadStatus.NEW


def test_a_decided_lead_keeps_its_decision_when_late_data_disproves_it(world, lead):
    actions.dismiss_lead(lead.pk, by=world.actor(world.inspector), reason="该区域为新掘联络巷，已核实有施工许可")
    apply_leads(episode().clear(), {world.a1.code: world.a1}, by=ingest_actor(),
                rejudged=rejudged(datetime(2024, 6, 2)))  # noqa: DTZ001
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISMISSED and lead.evidence["episodes"] == []
    assert lead.transitions.last().note == "迟到数据表明该信号不成立"


def test_review_then_dismiss_with_a_reason(world, lead):
    by = world.actor(world.inspector)
    reviewed = actions.review_lead(lead.pk, by=by, note="调阅定位轨迹")
    assert (reviewed.status, reviewed.reviewer) == (LeadStatus.UNDER_REVIEW, world.inspector)
    assert_audited("monitoring.lead.reviewed", lead, world.inspector)
    with unchanged(lead), pytest.raises(DomainError, match="只有新线索可以开始研判"):
        actions.review_lead(lead.pk, by=by)
    with unchanged(lead), pytest.raises(DomainError, match="排除线索须填写理由"):
        actions.dismiss_lead(lead.pk, by=by, reason="  ")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.UNDER_REVIEW
    dismissed = actions.dismiss_lead(lead.pk, by=by, reason="系回撤工作面设备，已核实")
    assert (dismissed.status, dismissed.dismissed_reason) == (LeadStatus.DISMISSED, "系回撤工作面设备，已核实")
    assert_audited("monitoring.lead.dismissed", lead, world.inspector)
    with unchanged(lead), pytest.raises(DomainError, match="该线索已处理"):
        actions.dismiss_lead(lead.pk, by=by, reason="再次排除")
    assert not audit.history(world.a1).filter(target_type="monitoring.lead").exists()


def test_a_hazard_opened_from_a_lead_is_a_monitoring_lead_found_when_the_signal_began(world, lead):
    by = world.actor(world.inspector)
    report = HazardReport(level="ordinary", source=HazardSource.SELF_INSPECTION, found_by="王检查",
                          description="定位显示 3 人连续多日在未申报区域作业，疑似隐蔽工作面", found_at=by.at)
    hazard = actions.link_lead_hazard(lead.pk, by=by, report=report)
    lead.refresh_from_db()
    assert (lead.status, lead.hazard) == (LeadStatus.HAZARD_OPENED, hazard)
    assert (hazard.source, hazard.found_at, hazard.mine) == (HazardSource.MONITORING_LEAD, lead.start, world.a1)
    assert_audited("monitoring.lead.hazard_linked", lead, world.inspector)
    with unchanged(lead, Hazard), pytest.raises(DomainError, match="该线索已处理"):
        actions.link_lead_hazard(lead.pk, by=by, report=report)
    assert Hazard.objects.count() == 1


def test_an_inspection_opened_from_a_lead_closes_it(world, lead):
    by = world.actor(world.inspector)
    second = make_user("inspector2", world.county, Role.INSPECTOR, full_name="李执法")
    order = enforcement_actions.InspectionOrder(
        mine_id=world.a1.pk, method=InspectionMethod.UNANNOUNCED, planned_on=date(2024, 6, 11),
        leader_id=world.inspector.pk, team=[(world.inspector.pk, "14110001"), (second.pk, "14110002")],
        source=InspectionSource.LEAD, lead_id=lead.pk)
    inspection = enforcement_actions.open_inspection(by=by, order=order)
    lead.refresh_from_db()
    assert (inspection.lead, lead.status) == (lead, LeadStatus.INSPECTION_OPENED)
    assert_audited("monitoring.lead.inspection_opened", lead, world.inspector)
    with unchanged(lead, Inspection), pytest.raises(DomainError, match="该线索已处理"):
        enforcement_actions.open_inspection(by=by, order=order)


@pytest.mark.parametrize("persona", ["foreign_inspector", "auditor", "mine_head", "group_manager"])
def test_no_one_but_the_county_may_act_on_a_lead(world, lead, persona):
    by = world.actor(getattr(world, persona))
    events = AuditEvent.objects.count()
    report = HazardReport(level="ordinary", source=HazardSource.SELF_INSPECTION, found_by="x", description="x",
                          found_at=by.at)
    for attempt in (lambda: actions.review_lead(lead.pk, by=by), lambda: actions.dismiss_lead(lead.pk, by=by, reason="x"),
                    lambda: actions.link_lead_hazard(lead.pk, by=by, report=report)):
        with unchanged(lead, Hazard), pytest.raises(PermissionDenied):
            attempt()
    lead.refresh_from_db()
    assert (lead.status, lead.hazard, lead.reviewer) == (LeadStatus.NEW, None, None)
    assert AuditEvent.objects.count() == events


def test_an_alarm_kept_as_a_lead(world):
    with clock.frozen(NOW):
        alarm = Alarm.objects.create(
            mine=world.a1, point_code=AREA, kind=AlarmKind.SUSPENDED_MINE_ACTIVITY, severity=Severity.HIGH,
            start=NOW - timedelta(hours=2), end=NOW - timedelta(hours=1), peak=14, raised_at=NOW,
            evidence={"people": 14, "limit": 10})
        by = world.actor(world.inspector)
        lead = actions.open_lead_from_alarm(alarm.pk, by=by, note="停产矿井井下 14 人，核查是否组织生产")
        assert (lead.kind, lead.subject, lead.status, lead.alarm, lead.peak) == (
            AlarmKind.SUSPENDED_MINE_ACTIVITY, AREA, LeadStatus.UNDER_REVIEW, alarm, 14)
        assert lead.evidence["people"] == 14
        assert_audited("monitoring.lead.opened_from_alarm", lead, world.inspector)
        with unchanged(alarm, Lead), pytest.raises(DomainError, match="该对象已有同类未办结线索"):
            actions.open_lead_from_alarm(alarm.pk, by=by)
        for persona in ("mine_head", "foreign_inspector"):
            with unchanged(alarm, Lead), pytest.raises(PermissionDenied):
                actions.open_lead_from_alarm(alarm.pk, by=world.actor(getattr(world, persona)))
        assert Lead.objects.count() == 1
