"""Planned windows under the county's control: declared ahead only (nothing retroactive), pending when
long or when a point's day fills up, approved or rejected by the county's regulators (audited, scoped,
decided once), every window told to the county's inspectors; the page that lists them all."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.monitoring import actions
from kuangan.monitoring.choices import WindowKind, WindowStatus
from kuangan.monitoring.models import Alarm, PlannedWindow
from kuangan.testing import assert_audited, unchanged

from .alarm_data import UPPER_CORNER_CH4, UPPER_CORNER_CO, at, aware, ingest_between, over_limit

DECLARED = aware(at(7))  # the mine declares at 07:00 on the simulated day


@pytest.fixture(autouse=True)
def monitoring_dir(settings, tmp_path):
    settings.MONITORING_DIR = tmp_path / "monitoring"


def declare(world, start, hours, points="", *, by=None, at_=DECLARED, kind=WindowKind.MAINTENANCE,
            reason="综采工作面检修"):  # type: ignore[no-untyped-def]
    window = actions.Window(kind, start, start + timedelta(hours=hours), points, reason)
    with clock.frozen(at_):
        return actions.declare_planned_window(world.a1.pk, by=world.actor(by or world.mine_head), window=window)


def decide(world, w, approve, note="", *, by=None, at_=None):  # type: ignore[no-untyped-def]
    with clock.frozen(at_ or aware(at(7, 30))):
        return actions.decide_planned_window(w.pk, by=world.actor(by or world.inspector), approve=approve, note=note)


# --- declaring ------------------------------------------------------------------------------------


def test_a_window_cannot_start_before_it_is_declared(world):
    with unchanged(PlannedWindow), pytest.raises(DomainError, match="开始时间不得早于申报时间（2024-06-01 07:00:00）") as e:
        declare(world, aware(at(6, 59)), 1)
    assert e.value.field == "start"
    assert not PlannedWindow.objects.exists()
    w = declare(world, DECLARED, 1)  # starting at the moment it is declared is fine
    assert w.status == WindowStatus.APPROVED


def test_a_short_window_takes_effect_at_once_and_the_county_is_told(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        w = declare(world, aware(at(8)), 4, UPPER_CORNER_CH4, kind=WindowKind.CALIBRATION, reason="甲烷传感器调校")
    assert (w.status, w.decided_by, w.declared_at) == (WindowStatus.APPROVED, None, DECLARED)
    event = assert_audited("monitoring.plannedwindow.declared", w, world.mine_head)
    assert event.reason == "" and event.after["status"] == "approved"
    told = Notification.objects.get(recipient=world.inspector)
    assert told.title == "甲一煤矿 申报标校计划作业：2024-06-01 08:00～2024-06-01 12:00"
    assert "已生效" in told.body and told.url == f"/monitoring/windows/?mine={world.a1.pk}#window-{w.pk}"
    # the county's inspectors only: not the city, not the foreign county, not the county's administrator
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"inspector"}


def test_a_long_window_is_pending_and_the_county_is_asked_to_approve(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        w = declare(world, aware(at(8)), 5)
    assert w.status == WindowStatus.PENDING
    event = assert_audited("monitoring.plannedwindow.declared", w, world.mine_head)
    assert event.reason == "单次时长 5 小时，超过 4 小时" and event.after["status"] == "pending"
    asked = Notification.objects.get(recipient=world.inspector)
    assert asked.title.startswith("请审批：甲一煤矿 申报检修计划作业")
    assert asked.body.startswith("单次时长 5 小时，超过 4 小时，须县局审批后生效")
    assert asked.url == f"/monitoring/windows/?mine={world.a1.pk}#window-{w.pk}"


def test_the_limits_are_settings(world, settings):
    settings.MONITORING_WINDOW_MAX_HOURS = 6
    assert declare(world, aware(at(8)), 5).status == WindowStatus.APPROVED
    settings.MONITORING_WINDOW_DAILY_HOURS = 5
    assert declare(world, aware(at(14)), 1).status == WindowStatus.PENDING


def test_a_points_day_filling_up_sends_the_next_window_for_approval(world, django_capture_on_commit_callbacks):
    """Two 4-hour windows on a point make its 8 hours of the day; one more hour on it waits for the county.
    Rejected windows do not count; pending ones do."""
    with django_capture_on_commit_callbacks(execute=True):
        first = declare(world, aware(at(8)), 4, UPPER_CORNER_CH4)
        second = declare(world, aware(at(13)), 4, UPPER_CORNER_CH4)
        third = declare(world, aware(at(18)), 1, UPPER_CORNER_CH4)
        elsewhere = declare(world, aware(at(18)), 1, UPPER_CORNER_CO)
        everything = declare(world, aware(at(20)), 1)  # no points listed: every point, the methane one too
    assert [w.status for w in (first, second, third, elsewhere, everything)] == [
        WindowStatus.APPROVED, WindowStatus.APPROVED, WindowStatus.PENDING, WindowStatus.APPROVED,
        WindowStatus.PENDING]
    assert assert_audited("monitoring.plannedwindow.declared", third).reason == (
        "2024-06-01 同一测点累计 9 小时，超过每日 8 小时")
    # every window was told to the county, the pending ones as requests for approval
    titles = list(Notification.objects.filter(recipient=world.inspector).values_list("title", flat=True))
    assert len(titles) == 5 and sum(t.startswith("请审批：") for t in titles) == 2
    decide(world, third, approve=False, note="当日已安排 8 小时，请改期")
    decide(world, everything, approve=False, note="请改期")
    assert declare(world, aware(at(20)), 1, UPPER_CORNER_CO).status == WindowStatus.APPROVED
    # the next Beijing day starts afresh
    assert declare(world, aware(at(8)) + timedelta(days=1), 4, UPPER_CORNER_CH4).status == WindowStatus.APPROVED


# --- deciding -------------------------------------------------------------------------------------


def test_a_pending_window_has_no_effect_until_approved_and_none_backwards(world, django_capture_on_commit_callbacks):
    w = declare(world, aware(at(8)), 5)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_between(at(8), at(9), [over_limit(at(8, 20), 10, peak=1.8)])
    before = Alarm.objects.get()
    assert before.planned_window is None  # pending: the alarm is an ordinary one, the mine's dispatchers paged
    assert Notification.objects.filter(recipient=world.mine_dispatcher, url=before.get_absolute_url()).exists()

    with django_capture_on_commit_callbacks(execute=True):
        approved = decide(world, w, approve=True, at_=aware(at(9, 5)))
    assert (approved.status, approved.decided_by, approved.decided_at) == (
        WindowStatus.APPROVED, world.inspector, aware(at(9, 5)))
    assert_audited("monitoring.plannedwindow.approved", w, world.inspector)
    assert Notification.objects.filter(recipient=world.mine_head, title__startswith="计划作业已批准：").exists()
    before.refresh_from_db()
    assert before.planned_window is None  # approving does not reach back

    with django_capture_on_commit_callbacks(execute=True):
        ingest_between(at(9), at(10), [over_limit(at(9, 20), 10, peak=1.8)])
    after = Alarm.objects.exclude(pk=before.pk).get()
    assert after.planned_window_id == w.pk  # planned: the mine's dispatchers are not paged for it
    assert not Notification.objects.filter(recipient=world.mine_dispatcher, url=after.get_absolute_url()).exists()


def test_a_rejection_needs_a_note_and_a_window_is_decided_once(world, django_capture_on_commit_callbacks):
    w = declare(world, aware(at(8)), 6)
    with unchanged(w), pytest.raises(DomainError, match="驳回须填写审批意见") as e:
        decide(world, w, approve=False, note="  ")
    assert e.value.field == "note"
    with django_capture_on_commit_callbacks(execute=True):
        rejected = decide(world, w, approve=False, note="检修时间过长，请分段申报")
    assert (rejected.status, rejected.decision_note) == (WindowStatus.REJECTED, "检修时间过长，请分段申报")
    event = assert_audited("monitoring.plannedwindow.rejected", w, world.inspector)
    assert event.reason == "检修时间过长，请分段申报" and event.after["status"] == "rejected"
    told = Notification.objects.get(recipient=world.mine_head)
    assert told.title.startswith("计划作业被驳回：") and told.body == "检修时间过长，请分段申报"
    for approve in (True, False):
        with unchanged(w), pytest.raises(DomainError, match="该计划作业已审批（已驳回），不能再次审批"):
            decide(world, w, approve=approve, note="x", by=world.county_admin)
    w.refresh_from_db()
    assert (w.status, w.decided_by) == (WindowStatus.REJECTED, world.inspector)
    short = declare(world, aware(at(16)), 1)
    with unchanged(short), pytest.raises(DomainError, match="已审批（已生效）"):  # one that took effect at once has nothing to decide
        decide(world, short, approve=True)


def test_who_may_decide(world):
    w = declare(world, aware(at(8)), 5)
    events = AuditEvent.objects.count()
    for persona in ("foreign_inspector", "foreign_mine_head", "mine_head", "mine_dispatcher", "auditor",
                    "group_manager", "expert"):
        with unchanged(w), pytest.raises(PermissionDenied):
            decide(world, w, approve=True, by=getattr(world, persona))
    assert AuditEvent.objects.count() == events
    w.refresh_from_db()
    assert w.status == WindowStatus.PENDING
    decide(world, w, approve=True, by=world.city_inspector)  # the city above the county sees the mine too
    assert_audited("monitoring.plannedwindow.approved", w, world.city_inspector)


# --- the page -------------------------------------------------------------------------------------


def test_the_county_sees_every_window_with_its_status_and_the_limits_as_settings(
        world, login, django_assert_max_num_queries):
    approved = declare(world, aware(at(8)), 2, f"{UPPER_CORNER_CH4}\n{UPPER_CORNER_CO}",
                       kind=WindowKind.CALIBRATION, reason="甲烷、一氧化碳传感器调校")
    pending = declare(world, aware(at(12)), 5, reason="主排水泵检修")
    client = login(world.inspector)
    with clock.frozen(aware(at(7, 30))), django_assert_max_num_queries(14):
        page = client.get("/monitoring/windows/")
    assert page.status_code == 200
    body = page.content.decode()
    for text in ("甲烷、一氧化碳传感器调校", "主排水泵检修", "2024-06-01 08:00", "2024-06-01 10:00", "2 小时",
                 "5 小时", UPPER_CORNER_CH4, UPPER_CORNER_CO, "全部测点", "甲一矿长", "2024-06-01 07:00",
                 "已生效", "待县局审批", "单次超过 4 小时", "未超出限值，申报即生效",
                 "1 项待县局审批"):
        assert text in body, text
    limits = body[body.index('id="window-rules"'):]
    limits = limits[:limits.index("</div>")]
    assert "单次超过 4 小时" in limits and "累计超过 8 小时" in limits
    assert "未找到规章依据，可由系统管理员配置" in limits
    row = body[body.index(f'id="window-{pending.pk}"'):]
    row = row[:row.index("</tr>")]
    assert f'action="/monitoring/windows/{pending.pk}/approve/"' in row
    assert f'formaction="/monitoring/windows/{pending.pk}/reject/"' in row
    row = body[body.index(f'id="window-{approved.pk}"'):]
    assert "approve/" not in row[:row.index("</tr>")]
    assert client.get("/monitoring/windows/?status=pending").context["page"].paginator.count == 1
    assert client.get(f"/monitoring/windows/?mine={world.a2.pk}").context["page"].paginator.count == 0
    # what the page says is Chinese: no status or kind codes in its text
    text = re.sub(r"<[^>]*>", " ", re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S))
    for code in ("pending", "approved", "rejected", "maintenance", "calibration", "None"):
        assert code not in text, code
    # a mine's people see their windows and wait; they cannot decide
    head = login(world.mine_head).get("/monitoring/windows/").content.decode()
    assert "等待县局审批" in head and "/approve/" not in head
    assert login(world.foreign_inspector).get("/monitoring/windows/").context["page"].paginator.count == 0


def test_approve_and_reject_through_the_page(world, login):
    first, second = declare(world, aware(at(8)), 5), declare(world, aware(at(14)), 5)
    client = login(world.inspector)
    assert client.get(f"/monitoring/windows/{first.pk}/approve/").status_code == 405
    with clock.frozen(aware(at(7, 30))):
        ok = client.post(f"/monitoring/windows/{first.pk}/approve/", {"note": ""})
        assert ok.status_code == 302 and ok["Location"] == f"/monitoring/windows/?mine={world.a1.pk}#window-{first.pk}"
        no_note = client.post(f"/monitoring/windows/{second.pk}/reject/", {"note": ""}, follow=True)
        assert "驳回须填写审批意见" in no_note.content.decode()
        client.post(f"/monitoring/windows/{second.pk}/reject/", {"note": "与掘进作业冲突"})
        again = client.post(f"/monitoring/windows/{second.pk}/approve/", {"note": ""}, follow=True)
        assert "不能再次审批" in again.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.decision_note) == (
        WindowStatus.APPROVED, WindowStatus.REJECTED, "与掘进作业冲突")
    assert_audited("monitoring.plannedwindow.rejected", second, world.inspector)
    body = client.get("/monitoring/windows/").content.decode()
    assert "与掘进作业冲突" in body and "已驳回" in body and "王检查" in body


@pytest.mark.parametrize("persona,status", [("foreign_inspector", 404), ("foreign_mine_head", 403),
                                            ("mine_head", 403)])
def test_foreigners_and_the_mine_cannot_decide_through_the_page(world, login, persona, status):
    w = declare(world, aware(at(8)), 5)
    client = login(getattr(world, persona))
    for action in ("approve", "reject"):
        assert client.post(f"/monitoring/windows/{w.pk}/{action}/", {"note": "x"}).status_code == status
    w.refresh_from_db()
    assert w.status == WindowStatus.PENDING


def test_the_home_page_points_the_county_to_pending_windows(world, login):
    declare(world, aware(at(8)), 5)
    with clock.frozen(aware(at(7, 30))):
        body = login(world.inspector).get("/").content.decode()
        assert 'id="home-pending-windows"' in body and "1 项计划作业待县局审批" in body
        assert 'id="home-pending-windows"' not in login(world.foreign_inspector).get("/").content.decode()
