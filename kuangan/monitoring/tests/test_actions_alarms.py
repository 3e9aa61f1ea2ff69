"""What people do with alarms, on a real database, with alarms made by ingesting simulated files:
acknowledge, assign, dispose (两停一撤六查 for gas), link a hazard, declare a planned window; each
audited, each refused to a foreign county's inspector and a foreign mine's head."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.hazards import actions as hazard_actions
from kuangan.hazards.choices import HazardSource
from kuangan.hazards.models import Hazard
from kuangan.monitoring import actions, rules
from kuangan.monitoring.choices import GAS_RESPONSE, AlarmAction, AlarmKind, Severity, WindowKind
from kuangan.monitoring.models import Alarm, AlarmDisposal, PlannedWindow
from kuangan.testing import assert_audited, unchanged

from .alarm_data import UPPER_CORNER_CH4, UPPER_CORNER_CO, at, aware, ingest_between, over_limit

NOW = aware(at(9, 5))
FULL_CHECKLIST = {key: True for key, _label in GAS_RESPONSE}
INCIDENTS = [over_limit(at(8, 20), 10, peak=1.8), over_limit(at(8, 50), 5, point=UPPER_CORNER_CO, peak=50)]


@pytest.fixture(autouse=True)
def monitoring_dir(settings, tmp_path):
    settings.MONITORING_DIR = tmp_path / "monitoring"


@pytest.fixture
def alarms(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """The one shared setup: an hour of mine A1 with a methane over-limit at 08:20 (10 min, 1.8 %)
    and a CO over-limit at 08:50 (5 min, 50 ppm); the clock then stands at 09:05."""
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_between(at(8), at(9), INCIDENTS)
    assert result.accepted > 100 and result.quarantined == 0
    with clock.frozen(NOW):
        yield {"gas": Alarm.objects.get(kind=AlarmKind.OVER_LIMIT, point_code=UPPER_CORNER_CH4),
               "co": Alarm.objects.get(kind=AlarmKind.OVER_LIMIT, point_code=UPPER_CORNER_CO)}


def test_ingestion_made_the_alarms_the_actions_work_on(world, alarms):
    gas, co = alarms["gas"], alarms["co"]
    assert (gas.mine, gas.start, gas.peak, gas.location) == (world.a1, aware(at(8, 20)), 1.8, "1303综采工作面上隅角")
    assert gas.end is not None and gas.severity == Severity.HIGH and gas.evidence["threshold"] == 1.0
    assert rules.is_gas_over_limit(gas.kind, gas.point_code, gas.point.sensor_type)
    assert not rules.is_gas_over_limit(co.kind, co.point_code, co.point.sensor_type)
    assert Notification.objects.filter(recipient=world.inspector, url=gas.get_absolute_url()).exists()


def test_acknowledge_records_who_and_a_second_acknowledgement_is_refused(world, alarms):
    gas = alarms["gas"]
    acked = actions.acknowledge_alarm(gas.pk, by=world.actor(world.inspector), note="已电话通知矿调度")
    assert (acked.acknowledged_by, acked.acknowledged_at) == (world.inspector, NOW)
    assert acked.transitions.filter(action=AlarmAction.ACKNOWLEDGED, by=world.inspector).exists()
    assert_audited("monitoring.alarm.acknowledged", gas, world.inspector)
    with unchanged(gas), pytest.raises(DomainError, match="该报警已由 王检查 确认"):
        actions.acknowledge_alarm(gas.pk, by=world.actor(world.mine_dispatcher))


def test_assign_to_someone_who_sees_the_mine_notifies_them(world, alarms, django_capture_on_commit_callbacks):
    gas = alarms["gas"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.assign_alarm(gas.pk, by=world.actor(world.inspector), assignee_id=world.mine_safety_officer.pk)
    gas.refresh_from_db()
    assert gas.assignee == world.mine_safety_officer
    assert_audited("monitoring.alarm.assigned", gas, world.inspector)
    assert Notification.objects.filter(recipient=world.mine_safety_officer, url=gas.get_absolute_url(),
                                       title__startswith="请处置报警").exists()
    for foreigner in (world.foreign_inspector, world.foreign_mine_head):
        with unchanged(gas), pytest.raises(DomainError, match="能看到该矿山"):
            actions.assign_alarm(gas.pk, by=world.actor(world.inspector), assignee_id=foreigner.pk)
    gas.refresh_from_db()
    assert gas.assignee == world.mine_safety_officer


def test_a_gas_over_limit_is_disposed_only_with_the_whole_checklist(world, alarms):
    gas, by = alarms["gas"], world.actor(world.mine_safety_officer)
    with unchanged(gas, AlarmDisposal), pytest.raises(DomainError, match="两停一撤六查.*停止作业、停电（切断非本安电源）、撤出人员"):
        actions.dispose_alarm(gas.pk, by=by, disposal=actions.Disposal("上隅角瓦斯积聚", "加强通风", {}))
    partial = {**FULL_CHECKLIST, "check_responsibility": False}
    with unchanged(gas, AlarmDisposal), pytest.raises(DomainError, match="尚未落实：查责任落实"):
        actions.dispose_alarm(gas.pk, by=by, disposal=actions.Disposal("上隅角瓦斯积聚", "加强通风", partial))
    assert not AlarmDisposal.objects.exists()

    record = actions.dispose_alarm(gas.pk, by=by, disposal=actions.Disposal(
        "回采推进后上隅角瓦斯积聚", "停止作业、切断电源、撤出人员，调整风量后复查", FULL_CHECKLIST))
    assert record.checklist == FULL_CHECKLIST and record.disposed_by == world.mine_safety_officer
    gas.refresh_from_db()
    assert gas.acknowledged_by == world.mine_safety_officer  # disposing acknowledges
    assert_audited("monitoring.alarm.disposed", gas, world.mine_safety_officer)
    with unchanged(gas, AlarmDisposal), pytest.raises(DomainError, match="已有处置记录"):
        actions.dispose_alarm(gas.pk, by=by, disposal=actions.Disposal("x", "y", FULL_CHECKLIST))


def test_other_alarms_are_disposed_without_the_checklist(world, alarms):
    co = alarms["co"]
    record = actions.dispose_alarm(co.pk, by=world.actor(world.inspector),
                                   disposal=actions.Disposal("割煤时一氧化碳短时升高", "加强通风观察", {}))
    assert record.checklist == {key: False for key, _label in GAS_RESPONSE}
    assert_audited("monitoring.alarm.disposed", co, world.inspector)
    with unchanged(alarms["gas"], AlarmDisposal), pytest.raises(DomainError, match="请填写原因"):
        actions.dispose_alarm(alarms["gas"].pk, by=world.actor(world.inspector),
                              disposal=actions.Disposal(" ", "y", FULL_CHECKLIST))


def test_a_planned_window_makes_alarms_inside_it_planned_and_the_mine_is_not_paged(
        world, django_capture_on_commit_callbacks):
    window = actions.Window(WindowKind.CALIBRATION, aware(at(8, 15)), aware(at(8, 45)), UPPER_CORNER_CH4,
                            "甲烷传感器每旬调校")
    with clock.frozen(aware(at(7))):
        w = actions.declare_planned_window(world.a1.pk, by=world.actor(world.mine_dispatcher), window=window)
    assert_audited("monitoring.plannedwindow.declared", w, world.mine_dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_between(at(8), at(9), INCIDENTS)
    gas = Alarm.objects.get(point_code=UPPER_CORNER_CH4)
    co = Alarm.objects.get(point_code=UPPER_CORNER_CO)
    assert gas.planned_window == w and gas.planned and co.planned_window is None
    # planned: the mine's dispatchers are not paged; the county is told, the alarm marked as planned
    # (kuangan.monitoring.alarms)
    assert not Notification.objects.filter(url=gas.get_absolute_url(), recipient=world.mine_dispatcher).exists()
    assert "计划作业期间" in Notification.objects.get(url=gas.get_absolute_url(), recipient=world.inspector).title
    assert Notification.objects.filter(url=co.get_absolute_url(), recipient=world.inspector).exists()
    assert Notification.objects.filter(url=co.get_absolute_url(), recipient=world.mine_dispatcher).exists()


def test_a_window_declared_afterwards_is_refused_and_marks_nothing(world, alarms):
    """No retroactive window: it would turn alarms already raised (and their notifications) into planned ones."""
    with clock.frozen(NOW), unchanged(PlannedWindow, Alarm), pytest.raises(DomainError, match="开始时间不得早于申报时间（2024-06-01 09:05:00）") as e:
        actions.declare_planned_window(world.a1.pk, by=world.actor(world.mine_head), window=actions.Window(
            WindowKind.MAINTENANCE, aware(at(8)), aware(at(9, 30)), "", "综采工作面检修"))
    assert e.value.field == "start"
    assert not PlannedWindow.objects.exists()
    assert not Alarm.objects.filter(planned_window__isnull=False).exists()


def test_planned_window_rules_and_who_may_declare(world):
    good = actions.Window(WindowKind.CALIBRATION, aware(at(10)), aware(at(11)), "", "调校")
    with clock.frozen(NOW):
        with unchanged(PlannedWindow), pytest.raises(DomainError, match="结束时间须晚于开始时间"):
            actions.declare_planned_window(world.a1.pk, by=world.actor(world.mine_head), window=actions.Window(
                WindowKind.CALIBRATION, aware(at(11)), aware(at(10)), "", "调校"))
        with unchanged(PlannedWindow), pytest.raises(DomainError, match="请填写事由"):
            actions.declare_planned_window(world.a1.pk, by=world.actor(world.mine_head), window=actions.Window(
                WindowKind.CALIBRATION, aware(at(10)), aware(at(11)), "", " "))
        with unchanged(PlannedWindow), pytest.raises(PermissionDenied):  # an inspector does not declare a mine's work
            actions.declare_planned_window(world.a1.pk, by=world.actor(world.inspector), window=good)
        with unchanged(PlannedWindow), pytest.raises(PermissionDenied):  # nor does another mine's head
            actions.declare_planned_window(world.a1.pk, by=world.actor(world.foreign_mine_head), window=good)
    assert not PlannedWindow.objects.exists()


def _lead(description: str, found_at):  # type: ignore[no-untyped-def]
    return hazard_actions.HazardReport(level="ordinary", source=HazardSource.SELF_INSPECTION,
                                       description=description, found_at=found_at, found_by="王检查")


def test_a_hazard_reported_from_an_alarm_is_linked_in_the_same_transaction(world, alarms):
    gas, by = alarms["gas"], world.actor(world.inspector)
    hazard = actions.report_hazard_from_alarm(gas.pk, by=by, report=_lead("上隅角瓦斯超限 1.8%", by.at))
    gas.refresh_from_db()
    assert gas.hazard == hazard and hazard.alarms.get() == gas and hazard.mine == gas.mine
    assert hazard.source == HazardSource.MONITORING_LEAD  # whatever the caller said
    assert hazard.found_at == gas.start  # found when the alarm began
    assert gas.transitions.filter(action=AlarmAction.HAZARD_OPENED).exists()
    assert_audited("monitoring.alarm.hazard_linked", gas, world.inspector)
    assert_audited("hazards.hazard.reported", hazard, world.inspector)
    with unchanged(gas, Hazard), pytest.raises(DomainError, match="该报警已登记为隐患"):  # a second click, or a second person
        actions.report_hazard_from_alarm(gas.pk, by=by, report=_lead("再登记一次", by.at))
    assert Hazard.objects.filter(alarms=gas).count() == Hazard.objects.count() == 1
    with unchanged(alarms["co"], Hazard), pytest.raises(PermissionDenied):  # a dispatcher handles alarms but does not report hazards
        actions.report_hazard_from_alarm(alarms["co"].pk, by=world.actor(world.mine_dispatcher),
                                         report=_lead("x", by.at))
    assert Hazard.objects.count() == 1


def test_a_failed_link_leaves_no_hazard_behind(world, alarms, monkeypatch):
    """A crash after the hazard is written and before the alarm is linked rolls both back."""
    gas, by = alarms["gas"], world.actor(world.inspector)

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker killed")

    monkeypatch.setattr(actions, "_log", crash)
    events = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        actions.report_hazard_from_alarm(gas.pk, by=by, report=_lead("上隅角瓦斯超限", by.at))
    gas.refresh_from_db()
    assert gas.hazard is None and not Hazard.objects.exists() and AuditEvent.objects.count() == events


@pytest.mark.parametrize("persona", ["foreign_inspector", "foreign_mine_head"])
def test_foreigners_are_refused_every_alarm_action(world, alarms, persona):
    gas, by = alarms["gas"], world.actor(getattr(world, persona))
    hazards = Hazard.objects.count()
    events = AuditEvent.objects.count()
    attempts = [
        lambda: actions.acknowledge_alarm(gas.pk, by=by),
        lambda: actions.assign_alarm(gas.pk, by=by, assignee_id=by.user.pk),
        lambda: actions.dispose_alarm(gas.pk, by=by, disposal=actions.Disposal("x", "y", FULL_CHECKLIST)),
        lambda: actions.report_hazard_from_alarm(gas.pk, by=by, report=_lead("x", gas.start)),
        lambda: actions.declare_planned_window(world.a1.pk, by=by, window=actions.Window(
            WindowKind.CALIBRATION, aware(at(8)), aware(at(9)), "", "x")),
    ]
    for attempt in attempts:
        with unchanged(gas, Hazard, PlannedWindow), pytest.raises(PermissionDenied):
            attempt()
    gas.refresh_from_db()
    assert (gas.acknowledged_at, gas.assignee, gas.hazard) == (None, None, None)
    assert AuditEvent.objects.count() == events and Hazard.objects.count() == hazards
