"""Issue 18, the escalation ladder: only major hazards climb it; a major hazard left without a plan climbs
it from KUANGAN_PLAN_DAYS after the day it was reported; a close-out request made in time stops the
mine's clock while the regulator owes the answer; a deadline is never set before the day it is set.

Reading of "7 days after the day it was reported": reported on day R, the plan is in time through R+7
(as a deadline day is in time) and the hazard is overdue, with the letter, from Beijing midnight of R+8."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from kuangan.core import clock
from kuangan.core.actions import create_token
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent, Notification
from kuangan.hazards import actions, rules
from kuangan.hazards.choices import HazardLevel, HazardStatus
from kuangan.hazards.models import Hazard, HazardEscalation, HazardStandardItem
from kuangan.testing import assert_audited, unchanged

SH = clock.SHANGHAI
T0 = datetime(2024, 6, 30, 8, 0, tzinfo=SH)  # reported on 6-30: the plan is due by 7-07
DAYS = (1, 15, 30, 60)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def plan(deadline: date) -> rules.FiveImplementations:
    return rules.FiveImplementations("李安全", "更换并标校甲烷传感器", Decimal("8.5"), deadline, "超限撤人预案")


def report(world, level: str = "major"):  # type: ignore[no-untyped-def]
    with clock.frozen(T0):
        return actions.report_hazard(world.a1.pk, by=world.actor(world.mine_safety_officer), report=actions.HazardReport(
            level=level, source="self_inspection", description="甲烷传感器未按规定标校", found_at=T0,
            found_by="安全科", standard_item_id=HazardStandardItem.objects.get(
                standard__code="coal-2020", code="C04-02").pk if level == HazardLevel.MAJOR else None))


def rectify(world, h, deadline: date, when: datetime = T0):  # type: ignore[no-untyped-def]
    with clock.frozen(when):
        return actions.start_rectification(h.pk, by=world.actor(world.mine_safety_officer), plan=plan(deadline))


def request_close_out(world, h, when: datetime):  # type: ignore[no-untyped-def]
    with clock.frozen(when):
        return actions.request_close_out(h.pk, by=world.actor(world.mine_head), evaluation_by="总工程师",
                                         evaluation="传感器已更换并标校")


def tick(when: str) -> None:
    call_command("tick", "--at", when)


def steps(h) -> list[tuple[str, datetime]]:  # type: ignore[no-untyped-def]
    return list(HazardEscalation.objects.filter(hazard=h).values_list("step", "due_at"))


def get_page(client, user, url: str, when: datetime) -> str:  # type: ignore[no-untyped-def]
    with clock.frozen(when):  # logged in at that moment: the idle timeout counts by the clock
        client.logout()
        client.force_login(user)
        response = client.get(url)
    assert response.status_code == 200
    return str(response.content.decode())


def home(world, client, when: datetime) -> str:  # type: ignore[no-untyped-def]
    return get_page(client, world.inspector, "/", when)


def overdue_card(body: str) -> str:
    return body.split("超期重大隐患", 1)[1].split('id="verify-overdue"', 1)[0]


def verify_card(body: str) -> str:
    return body.split('id="verify-overdue"', 1)[1].split("</div>\n", 1)[0]


def test_an_overdue_ordinary_hazard_is_told_once_and_never_climbs_the_ladder(
        world, client, django_capture_on_commit_callbacks):
    h = rectify(world, report(world, HazardLevel.ORDINARY), date(2024, 7, 10))
    with django_capture_on_commit_callbacks(execute=True):
        tick("2024-07-10T23:59")  # the deadline day is still in time
        assert not Notification.objects.filter(title__contains="超过整改时限").exists()
        tick("2024-07-11T00:00")
        tick("2024-09-30T00:00")  # months later: still no ladder, no second notice
    told = Notification.objects.filter(title__contains="超过整改时限")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["inspector", "mine_head", "mine_safety_officer"]
    assert not steps(h)
    h.refresh_from_db()
    assert (h.escalation_step, h.overdue_told_at, h.next_due_at) == ("", at("2024-07-11T00:00"), None)
    assert assert_audited("hazards.hazard.overdue_told", h).at == at("2024-07-11T00:00")
    for n in Notification.objects.all():
        assert "重大事故隐患" not in n.title + n.body
    body = get_page(client, world.mine_head, h.get_absolute_url(), at("2024-07-11T09:00"))
    assert '<span class="tag bad">超期</span>' in body and "已告知矿山和县级监管部门超期" in body
    assert 'id="escalation-step"' not in body


def test_a_major_hazard_without_a_plan_is_overdue_after_its_plan_days_and_climbs_the_ladder(world, client):
    h = report(world)
    assert (h.due_on, h.next_due_at) == (date(2024, 7, 7), at("2024-07-08T00:00"))
    tick("2024-07-07T23:59")
    assert not steps(h)
    assert "甲一煤矿" not in overdue_card(home(world, client, at("2024-07-07T23:59")))
    tick("2024-07-08T00:00")
    assert steps(h) == [("letter", at("2024-07-08T00:00"))]
    event = assert_audited("hazards.hazard.escalated", h)
    assert event.at == at("2024-07-08T00:00") and "落实“五落实”" in event.reason
    assert "甲一煤矿" in overdue_card(home(world, client, at("2024-07-08T00:00")))
    tick("2024-07-22T00:00")  # 15 days after the plan's due day: circular
    assert [s for s, _d in steps(h)] == ["letter", "circular"]
    body = get_page(client, world.mine_head, h.get_absolute_url(), at("2024-07-22T09:00"))
    assert "登记后 7 天内须落实" in body and "KUANGAN_PLAN_DAYS" in body and "未查到官方规定" in body


def test_a_plan_filed_after_the_letter_keeps_it_and_the_next_step_counts_from_its_deadline(world, client):
    h = report(world)
    tick("2024-07-08T00:00")
    h = rectify(world, h, date(2024, 7, 31), when=at("2024-07-10T10:00"))
    assert (h.escalation_step, h.due_on, h.next_due_at) == ("letter", date(2024, 7, 31), at("2024-08-15T00:00"))
    assert "甲一煤矿" not in overdue_card(home(world, client, at("2024-07-31T12:00")))  # in time under its plan
    tick("2024-08-14T23:59")
    assert [s for s, _d in steps(h)] == ["letter"]
    tick("2024-08-15T00:00")
    assert steps(h) == [("letter", at("2024-07-08T00:00")), ("circular", at("2024-08-15T00:00"))]


def test_a_close_out_requested_on_the_deadline_day_waits_for_the_regulator_without_escalating(world, client):
    h = rectify(world, report(world), date(2024, 7, 31))
    h = request_close_out(world, h, at("2024-07-31T20:00"))
    assert (h.paused, h.verify_due_on, h.next_due_at) == (True, date(2024, 8, 10), None)
    tick("2024-08-10T12:00")
    assert not steps(h)
    page = home(world, client, at("2024-08-10T12:00"))
    assert "甲一煤矿" not in overdue_card(page) and "甲一煤矿" not in verify_card(page)
    page = home(world, client, at("2024-08-11T00:00"))  # the regulator's 10 days are over
    assert f"甲一煤矿 #{h.pk}" in verify_card(page) and "2024-08-10" in verify_card(page)
    assert "甲一煤矿" not in overdue_card(page)  # the delay is the regulator's, not the mine's

    with clock.frozen(at("2024-08-20T10:00")):
        h = actions.verify_close_out(h.pk, by=world.actor(world.inspector), approve=False, opinion="断电试验记录不全")
    assert (h.status, h.paused, h.due_on) == (HazardStatus.RECTIFYING, False, date(2024, 8, 20))  # + 20 days waited
    assert "甲一煤矿" not in verify_card(home(world, client, at("2024-08-20T12:00")))
    tick("2024-08-20T23:59")
    assert not steps(h)
    tick("2024-08-21T00:00")
    assert steps(h) == [("letter", at("2024-08-21T00:00"))]
    body = get_page(client, world.mine_head, h.get_absolute_url(), at("2024-08-21T09:00"))
    assert "含等待监管部门验收的 20 天" in body


def test_a_close_out_requested_after_the_deadline_does_not_stop_the_ladder(world, client):
    h = rectify(world, report(world), date(2024, 7, 31))
    h = request_close_out(world, h, at("2024-08-01T09:00"))
    assert not h.paused and h.next_due_at == at("2024-08-01T00:00")
    tick("2024-08-15T00:00")
    assert [s for s, _d in steps(h)] == ["letter", "circular"]
    page = home(world, client, at("2024-08-12T00:00"))  # both are late: the mine and the regulator
    assert "甲一煤矿" in overdue_card(page) and "甲一煤矿" in verify_card(page)
    with clock.frozen(at("2024-08-16T10:00")):
        h = actions.verify_close_out(h.pk, by=world.actor(world.inspector), approve=False, opinion="不合格")
    assert h.due_on == date(2024, 7, 31)  # nothing waited in time: the deadline stays


def test_a_deadline_before_the_beijing_day_it_is_set_is_refused_on_every_channel(world, client):
    h = report(world)
    just_after_midnight = at("2024-07-01T00:30")  # still 30 June in UTC
    with unchanged(h), pytest.raises(DomainError, match="不能早于今天（2024-07-01）"):
        rectify(world, h, date(2024, 6, 30), when=just_after_midnight)
    client.force_login(world.mine_safety_officer)
    with clock.frozen(just_after_midnight), unchanged(h):
        page = client.post(f"/hazards/{h.pk}/do/start_rectification/", {
            "responsible_person": "李安全", "measures": "更换", "funds": "1", "deadline": "2024-06-30",
            "contingency_plan": "预案"})
        assert page.status_code == 400 and "整改时限（2024-06-30）不能早于今天（2024-07-01）" in page.content.decode()
        api = client.post(f"/api/v1/hazards/hazards/{h.pk}/rectification", json.dumps({
            "responsible_person": "李安全", "measures": "更换", "funds": "1", "deadline": "2024-06-30",
            "contingency_plan": "预案"}), content_type="application/json")
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"][-1] == "deadline" and "不能早于今天" in api.json()["detail"][0]["msg"]
    assert Hazard.objects.get(pk=h.pk).status == HazardStatus.REPORTED
    h = rectify(world, h, date(2024, 7, 1), when=just_after_midnight)  # today itself is allowed
    assert h.status == HazardStatus.RECTIFYING


def test_running_the_tick_twice_at_the_same_time_changes_nothing(world, capsys, django_capture_on_commit_callbacks):
    rectify(world, report(world, HazardLevel.ORDINARY), date(2024, 7, 10))
    report(world)  # without a plan
    request_close_out(world, rectify(world, report(world), date(2024, 7, 5)), at("2024-07-05T10:00"))  # paused
    with django_capture_on_commit_callbacks(execute=True):
        tick("2024-07-25T00:00")
    counts = (AuditEvent.objects.count(), Notification.objects.count(), HazardEscalation.objects.count())
    assert counts[2] == 2  # the planless one: letter (7-08) and circular (7-22); the paused one: none
    capsys.readouterr()
    with django_capture_on_commit_callbacks(execute=True):
        tick("2024-07-25T00:00")
    assert "hazard escalation steps: 0" in capsys.readouterr().out
    assert (AuditEvent.objects.count(), Notification.objects.count(), HazardEscalation.objects.count()) == counts


# --- the pure rules at their boundaries --------------------------------------------------------------------

@pytest.mark.nodb
def test_rules_next_due_by_level_pause_and_status():
    due = date(2024, 7, 31)
    major = {"level": HazardLevel.MAJOR, "status": HazardStatus.RECTIFYING, "due_on": due, "paused": False,
             "reached": (), "told": False, "days": DAYS}
    assert rules.next_due(**major) == at("2024-08-01T00:00")
    assert rules.next_due(**{**major, "reached": ("letter",)}) == at("2024-08-15T00:00")
    assert rules.next_due(**{**major, "paused": True}) is None
    assert rules.next_due(**{**major, "status": HazardStatus.CLOSED}) is None
    assert rules.next_due(**{**major, "due_on": None}) is None
    ordinary = {**major, "level": HazardLevel.ORDINARY, "reached": ("letter", "circular")}
    assert rules.next_due(**ordinary) == at("2024-08-01T00:00")
    assert rules.next_due(**{**ordinary, "told": True}) is None


@pytest.mark.nodb
def test_rules_plan_pause_resume_and_deadline_boundaries():
    assert rules.plan_due_on(date(2024, 6, 30), 7) == date(2024, 7, 7)
    assert rules.pauses_clock(level=HazardLevel.MAJOR, requested_on=date(2024, 7, 31), due_on=date(2024, 7, 31))
    assert not rules.pauses_clock(level=HazardLevel.MAJOR, requested_on=date(2024, 8, 1), due_on=date(2024, 7, 31))
    assert not rules.pauses_clock(level=HazardLevel.ORDINARY, requested_on=date(2024, 7, 1), due_on=date(2024, 7, 31))
    assert rules.resumed_due_on(date(2024, 7, 31), date(2024, 7, 25), date(2024, 8, 4)) == date(2024, 8, 10)
    assert rules.verify_due_on(date(2024, 7, 31), 10) == date(2024, 8, 10)
    assert rules.deadline_refusal(date(2024, 7, 1), date(2024, 7, 1)) is None
    assert rules.deadline_refusal(None, date(2024, 7, 1)) is None
    assert "不能早于今天" in (rules.deadline_refusal(date(2024, 6, 30), date(2024, 7, 1)) or "")
    assert rules.is_overdue(date(2024, 7, 31), HazardStatus.RECTIFYING, date(2024, 8, 1))
    assert not rules.is_overdue(date(2024, 7, 31), HazardStatus.RECTIFYING, date(2024, 7, 31))
    assert not rules.is_overdue(date(2024, 7, 31), HazardStatus.CLOSE_OUT_REQUESTED, date(2024, 8, 9), paused=True)


def test_the_ledger_the_filter_and_the_api_show_the_overdue_rule(world, client):
    """Every place that says 超期 follows the same rule: a major hazard without a plan is overdue after its
    plan days, and a hazard whose close-out waits for the regulator is not."""
    waiting = rectify(world, report(world), date(2024, 7, 1))
    request_close_out(world, waiting, at("2024-07-01T10:00"))  # on its deadline day: the regulator's turn
    no_plan = report(world)
    ledger = get_page(client, world.inspector, "/hazards/?overdue=true", at("2024-07-08T09:00"))
    assert f"/hazards/{no_plan.pk}/" in ledger and f"/hazards/{waiting.pk}/" not in ledger
    assert "超期" in get_page(client, world.inspector, no_plan.get_absolute_url(), at("2024-07-08T09:00"))
    before = get_page(client, world.inspector, "/hazards/?overdue=true", at("2024-07-07T09:00"))
    assert f"/hazards/{no_plan.pk}/" not in before
    with clock.frozen(at("2024-07-08T09:00")):
        _t, secret = create_token(world.inspector.pk, by=Actor.system(Via.SHELL), name="t")
        api = client.get("/api/v1/hazards/hazards", headers={"Authorization": f"Bearer {secret}"}).json()["items"]
    overdue = {item["id"]: item["overdue"] for item in api}
    assert overdue[no_plan.pk] is True and overdue[waiting.pk] is False
