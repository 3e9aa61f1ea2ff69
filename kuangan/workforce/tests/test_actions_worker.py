"""Actions of the workforce on a real database: the state each leaves, its audit event, and each refusal
(another mine, a card of another mine, bad dates, someone without the permission), re-reading the rows
to show nothing changed."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core import clock
from kuangan.core.errors import DomainError
from kuangan.core.models import AuditEvent
from kuangan.testing import assert_audited, unchanged
from kuangan.workforce import actions
from kuangan.workforce.models import OperatorCertificate, Worker

from .helpers import ID_NUMBER, card, make_certificate, make_worker, worker_data


def _row(model, pk):  # type: ignore[no-untyped-def]
    return model.objects.filter(pk=pk).values().first()


# --- workers ------------------------------------------------------------------------------------------------

def test_a_safety_officer_registers_a_worker_of_the_mine(world):
    worker = make_worker(world)
    stored = Worker.objects.get(pk=worker.pk)
    assert (stored.mine, stored.card_code, stored.name, stored.id_number, stored.active) == (
        world.a1, "141129000100001", "张三", ID_NUMBER, True)
    event = assert_audited("workforce.worker.created", worker, by=world.mine_safety_officer)
    assert (event.parent_type, event.parent_id) == ("registry.mine", str(world.a1.pk))  # on the mine's history
    assert ID_NUMBER not in json.dumps(event.after) and event.after["id_number"] == "141129********1234"


@pytest.mark.parametrize("bad_card, message", [
    ("141181000100001", "不是以本矿编码 1411290001 开头"),  # another mine's code
    ("14112900010001", "共 15 位"),  # one character short
    ("1411290001000012", "共 15 位"),  # one too many
    ("14112900010000-", "共 15 位"),
])
def test_a_card_that_is_not_the_mines_is_refused(world, bad_card, message):
    with pytest.raises(DomainError) as refused:
        make_worker(world, card_code=bad_card)
    assert message in refused.value.message and refused.value.field == "card_code"
    assert not Worker.objects.exists()


def test_a_card_already_on_the_mines_roster_is_refused(world):
    first = make_worker(world)
    with pytest.raises(DomainError) as refused:
        make_worker(world, name="李四")
    assert "本矿已登记人员卡编码为 141129000100001 的人员：张三" in refused.value.message
    assert list(Worker.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.parametrize("persona", ["foreign_mine_head", "inspector", "mine_dispatcher", "group_manager"])
def test_only_the_mines_editors_register_workers(world, persona):
    """A foreign mine's head (not in scope), a regulator and the dispatcher (no WORKFORCE_EDIT) are refused."""
    with pytest.raises(PermissionDenied):
        actions.create_worker(world.a1.pk, by=world.actor(getattr(world, persona)), data=worker_data(world))
    assert not Worker.objects.exists()


def test_a_foreign_mine_head_cannot_write_into_our_mine_even_with_his_own_card(world):
    with pytest.raises(PermissionDenied):
        actions.create_worker(world.a1.pk, by=world.actor(world.foreign_mine_head),
                              data=worker_data(world, mine=world.b1))
    assert not Worker.objects.exists()


def test_update_worker_records_before_and_after(world):
    worker = make_worker(world)
    actions.update_worker(worker.pk, by=world.actor(world.mine_head), data={"team": "机电二队", "post": "班长"})
    worker.refresh_from_db()
    assert (worker.team, worker.post) == ("机电二队", "班长")
    event = assert_audited("workforce.worker.updated", worker, by=world.mine_head)
    assert (event.before["team"], event.after["team"]) == ("机电一队", "机电二队")


def test_an_update_that_changes_nothing_writes_no_event(world):
    worker = make_worker(world)
    before = AuditEvent.objects.count()
    actions.update_worker(worker.pk, by=world.actor(world.mine_head), data={"team": "机电一队"})
    assert AuditEvent.objects.count() == before


def test_update_refusals_leave_the_worker_as_it_was(world):
    worker = make_worker(world)
    make_worker(world, 2, name="李四")
    stored = _row(Worker, worker.pk)
    attempts = [
        (world.mine_head, {"card_code": "141181000100001"}, DomainError, "不是以本矿编码"),
        (world.mine_head, {"card_code": card(world, 2)}, DomainError, "李四"),
        (world.mine_head, {"id_number": "14112919850505123"}, DomainError, "18 位"),
        (world.mine_head, {"name": " "}, DomainError, "请填写姓名"),
        (world.mine_head, {"active": False}, DomainError, "不能在此修改"),
        (world.foreign_mine_head, {"name": "改名"}, PermissionDenied, ""),
        (world.inspector, {"name": "改名"}, PermissionDenied, ""),
    ]
    for user, data, error, message in attempts:
        with pytest.raises(error) as refused:
            actions.update_worker(worker.pk, by=world.actor(user), data=data)
        assert message in str(getattr(refused.value, "message", "")), data
    assert _row(Worker, worker.pk) == stored


def test_deactivate_keeps_the_worker_and_reactivate_brings_it_back(world):
    worker = make_worker(world)
    with unchanged(worker), pytest.raises(DomainError, match="请写明原因"):
        actions.deactivate_worker(worker.pk, by=world.actor(world.mine_head), reason=" ")
    actions.deactivate_worker(worker.pk, by=world.actor(world.mine_head), reason="调离")
    worker.refresh_from_db()
    assert not worker.active
    event = assert_audited("workforce.worker.deactivated", worker, by=world.mine_head)
    assert (event.before, event.after, event.reason) == ({"active": True}, {"active": False}, "调离")
    with unchanged(worker), pytest.raises(DomainError, match="已不在册"):
        actions.deactivate_worker(worker.pk, by=world.actor(world.mine_head), reason="再次")
    actions.reactivate_worker(worker.pk, by=world.actor(world.mine_safety_officer), reason="返岗")
    worker.refresh_from_db()
    assert worker.active
    assert_audited("workforce.worker.reactivated", worker, by=world.mine_safety_officer)
    with unchanged(worker), pytest.raises(DomainError, match="已在册"):
        actions.reactivate_worker(worker.pk, by=world.actor(world.mine_head))


def test_a_foreign_user_cannot_deactivate_our_worker(world):
    worker = make_worker(world)
    with pytest.raises(PermissionDenied):
        actions.deactivate_worker(worker.pk, by=world.actor(world.foreign_mine_head), reason="x")
    worker.refresh_from_db()
    assert worker.active


# --- certificates -------------------------------------------------------------------------------------------

def test_add_a_certificate_with_its_dates(world):
    worker = make_worker(world)
    with clock.frozen(clock.from_local(datetime(2024, 6, 30, 9))):
        cert = make_certificate(world, worker)
    stored = OperatorCertificate.objects.get(pk=cert.pk)
    assert (stored.operation_type, stored.issued, stored.expires, stored.recorded_on) == (
        "underground_electrical", date(2022, 1, 10), date(2028, 1, 9), date(2024, 6, 30))
    event = assert_audited("workforce.operatorcertificate.added", cert, by=world.mine_safety_officer)
    assert (event.parent_type, event.parent_id) == ("workforce.worker", str(worker.pk))  # on the worker's history
    # the certificate number is the holder's ID number with a T in front: never whole in the audit trail
    assert stored.number == "T141129198505051234"
    assert ID_NUMBER not in json.dumps([event.after, event.target_repr], ensure_ascii=False)


def test_certificate_refusals_add_nothing(world):
    worker = make_worker(world)
    make_certificate(world, worker)
    by = world.actor(world.mine_head)
    good = {"operation_type": "blasting", "number": "B-1", "issued": date(2024, 1, 1), "expires": date(2027, 1, 1)}
    attempts = [
        ({**good, "expires": date(2023, 12, 31)}, "有效期不能早于发证日期"),
        ({**good, "operation_type": "driving"}, "请选择作业类别"),
        ({**good, "number": " "}, "请填写操作证号"),
        ({**good, "operation_type": "underground_electrical", "number": "T141129198505051234"}, "同一作业类别、同一证号"),
        ({**good, "worker": 1}, "不能在此修改"),
    ]
    for data, message in attempts:
        with unchanged(OperatorCertificate), pytest.raises(DomainError) as refused:
            actions.add_certificate(worker.pk, by=by, data=data)
        assert message in refused.value.message, data
    for persona in ("foreign_mine_head", "inspector", "mine_dispatcher"):
        with unchanged(OperatorCertificate), pytest.raises(PermissionDenied):
            actions.add_certificate(worker.pk, by=world.actor(getattr(world, persona)), data=good)
    assert OperatorCertificate.objects.count() == 1


def test_a_new_expiry_date_is_recorded_anew_and_will_be_told_again(world):
    worker = make_worker(world)
    cert = make_certificate(world, worker, expires=date(2024, 7, 15))
    OperatorCertificate.objects.filter(pk=cert.pk).update(expiry_notified_at=clock.now())  # as if told already
    with clock.frozen(clock.from_local(datetime(2024, 7, 2, 10))):
        actions.update_certificate(cert.pk, by=world.actor(world.mine_head), data={"expires": date(2030, 7, 15)})
    cert.refresh_from_db()
    assert (cert.expires, cert.recorded_on, cert.expiry_notified_at) == (date(2030, 7, 15), date(2024, 7, 2), None)
    event = assert_audited("workforce.operatorcertificate.updated", cert, by=world.mine_head)
    assert (event.before["expires"], event.after["expires"]) == ("2024-07-15", "2030-07-15")


def test_certificate_update_refusals_leave_it_as_it_was(world):
    worker = make_worker(world)
    cert = make_certificate(world, worker)
    with unchanged(cert), pytest.raises(DomainError, match="有效期不能早于发证日期"):
        actions.update_certificate(cert.pk, by=world.actor(world.mine_head), data={"expires": date(2021, 1, 1)})
    with unchanged(cert), pytest.raises(PermissionDenied):
        actions.update_certificate(cert.pk, by=world.actor(world.foreign_mine_head), data={"number": "X"})
    with unchanged(cert), pytest.raises(PermissionDenied):
        actions.delete_certificate(cert.pk, by=world.actor(world.inspector))


def test_delete_a_certificate_entered_by_mistake(world):
    worker = make_worker(world)
    cert = make_certificate(world, worker)
    actions.delete_certificate(cert.pk, by=world.actor(world.mine_head), reason="登记有误")
    assert not OperatorCertificate.objects.filter(pk=cert.pk).exists()
    event = assert_audited("workforce.operatorcertificate.deleted", cert, by=world.mine_head)
    assert event.before["number"] == "T141129********1234" and event.reason == "登记有误"  # the ID in it masked


# --- the reveal ---------------------------------------------------------------------------------------------

def test_reveal_worker_id_gives_the_full_number_and_records_who_looked(world):
    worker = make_worker(world)
    shown = actions.reveal_worker_id(worker.pk, by=world.actor(world.inspector))
    assert shown.id_number == ID_NUMBER
    event = assert_audited("workforce.worker.personal_data_viewed", worker, by=world.inspector)
    assert ID_NUMBER not in json.dumps([event.before, event.after, event.reason, event.target_repr], ensure_ascii=False)


@pytest.mark.parametrize("persona", ["mine_safety_officer", "foreign_inspector", "foreign_mine_head", "mine_dispatcher"])
def test_reveal_needs_the_permission_over_the_mine(world, persona):
    worker = make_worker(world)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        actions.reveal_worker_id(worker.pk, by=world.actor(getattr(world, persona)))
    assert AuditEvent.objects.count() == before
