"""Cases of the audit chain the mutation run (scripts/mutation) found no test for: every failure `verify_chain`
reports, in full (what was checked, where it broke, the message, the anchors compared); the anchor log's
line as written, its mode, and a log that is empty, damaged or in directories not made yet; the lines of
the log it cannot read; the development key in a directory not made yet; a diff and an object's history."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from kuangan.core import audit, clock
from kuangan.core.actor import Actor
from kuangan.core.audit import ChainReport
from kuangan.core.choices import Role, Via
from kuangan.core.models import AuditEvent, AuditHead, Division, Organization, User
from kuangan.enforcement.models import EnforcementPlan
from kuangan.registry import actions
from kuangan.registry.models import Enterprise
from kuangan.testing import make_user, scoped_models, tamper_audit

from .test_access_matrix import _world

HASH_CHANGED = "内容与校验码不符（写入后被改动，或校验码不是用审计密钥计算的）"


@pytest.fixture(autouse=True)
def anchor_log(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    """An anchor log two directories below any that exists: writing it makes them."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchors" / "audit" / "audit-anchor.log"
    return Path(settings.AUDIT_ANCHOR_PATH)


@pytest.fixture
def events(world) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    by = world.actor(world.inspector)
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县宁乡镇"})
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县枝柯镇"})
    actions.update_mine(world.a2.pk, by=by, data={"address": "中阳县暖泉镇"})
    found = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in found] == [1, 2, 3]
    return found


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _anchor(anchor_log: Path, *lines: str) -> None:
    anchor_log.parent.mkdir(parents=True, exist_ok=True)
    anchor_log.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


# --- verify_chain's reports ------------------------------------------------------------------------

def test_an_honest_chain_reports_what_it_checked_and_the_anchors_it_compared(events, anchor_log):
    _anchor(anchor_log, f"2024-07-01T08:00:00+08:00 2 {events[1].hash}", f"2024-07-01T09:00:00+08:00 3 {events[2].hash}")
    report = audit.verify_chain()
    assert report == ChainReport(checked=3, anchors=2) and report.ok


def test_a_deleted_event_is_reported_with_what_was_checked_before_it(events):
    tamper_audit("DELETE FROM core_auditevent WHERE seq = %s", [2])
    assert audit.verify_chain() == ChainReport(1, 2, "第 2 条记录缺失（被删除）")


def test_a_changed_event_is_reported_with_what_was_checked_before_it(events):
    tamper_audit("UPDATE core_auditevent SET reason = %s WHERE seq = %s", ["改过", 3])
    assert audit.verify_chain() == ChainReport(2, 3, HASH_CHANGED)


def test_an_anchor_that_does_not_match_is_reported_with_what_was_checked_before_it(events, anchor_log):
    _anchor(anchor_log, f"2024-07-01T08:00:00+08:00 2 {'f' * 64}")
    assert audit.verify_chain() == ChainReport(1, 2, "与外部锚定日志记下的校验码不符（审计链被重写）")


def test_anchors_beyond_the_chain_are_reported_with_the_last_anchor_and_the_anchors_read(events, anchor_log):
    _anchor(anchor_log, f"2024-07-01T08:00:00+08:00 1 {events[0].hash}", f"2024-07-01T09:00:00+08:00 3 {events[2].hash}")
    tamper_audit("DELETE FROM core_auditevent WHERE seq >= %s", [2])
    _sql("UPDATE core_audithead SET seq = %s, hash = %s WHERE id = 1", [1, events[0].hash])
    assert audit.verify_chain() == ChainReport(
        1, 2, "外部锚定日志记有第 3 条，但审计链止于第 1 条（末尾记录被删除）", anchors=2)


def test_a_head_beyond_the_chain_is_reported_with_the_anchors_read(events, anchor_log):
    _anchor(anchor_log, f"2024-07-01T08:00:00+08:00 1 {events[0].hash}")
    tamper_audit("DELETE FROM core_auditevent WHERE seq = %s", [3])
    assert audit.verify_chain() == ChainReport(2, 3, "链头记为第 3 条，但记录止于第 2 条（末尾记录被删除）", anchors=1)


def test_a_head_whose_number_alone_was_rewritten_is_reported(events):
    _sql("UPDATE core_audithead SET seq = %s WHERE id = 1", [5])  # its hash is still the last event's
    assert AuditHead.objects.get(pk=1).hash == events[2].hash
    assert audit.verify_chain() == ChainReport(3, 4, "链头记为第 5 条，但记录止于第 3 条（末尾记录被删除）")


# --- the anchor log: lines it cannot read ------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "2024-07-01T09:00:00+08:00 2",  # no hash
    "2024-07-01T09:00:00+08:00 two {hash}",  # the number is not one
    "2024-07-01T09:00:00+08:00 2 {short}",  # the hash is not 64 characters
    "2024-07-01T09:00:00+08:00 2 {hash} more",
], ids=["two-fields", "not-a-number", "short-hash", "four-fields"])
def test_each_kind_of_unreadable_line_is_reported_by_its_line_number(events, anchor_log, bad):
    _anchor(anchor_log, f"2024-07-01T08:00:00+08:00 1 {events[0].hash}",
            bad.format(hash=events[1].hash, short=events[1].hash[:63]))
    assert audit.verify_chain() == ChainReport(3, None, "锚定日志第 2 行无法识别", anchors=1)


def test_an_unreadable_first_line_is_line_1(events, anchor_log):
    _anchor(anchor_log, "garbage")
    assert audit.verify_chain() == ChainReport(3, None, "锚定日志第 1 行无法识别")


# --- the anchor log: writing ------------------------------------------------------------------------

def test_the_first_event_is_anchored_in_beijing_time_in_directories_made_for_it(events, anchor_log, umask_022):
    tamper_audit("DELETE FROM core_auditevent WHERE seq > %s", [1])
    _sql("UPDATE core_audithead SET seq = %s, hash = %s WHERE id = 1", [1, events[0].hash])
    assert not anchor_log.parent.exists()
    assert audit.write_anchor(datetime(2024, 7, 1, 0, 30, tzinfo=UTC)) == {"audit_anchors": 1}
    assert anchor_log.read_text() == f"2024-07-01T08:30:00+08:00 1 {events[0].hash}\n"
    # readable by the group that keeps the logs, writable by the platform only
    assert anchor_log.stat().st_mode & 0o777 == 0o640
    assert audit.write_anchor(datetime(2024, 7, 1, 1, 30, tzinfo=UTC)) == {"audit_anchors": 0}
    assert audit.verify_chain() == ChainReport(1, anchors=1)


def test_an_empty_anchor_log_gets_its_first_line(events, anchor_log):
    _anchor(anchor_log)
    assert audit.write_anchor(datetime(2024, 7, 1, tzinfo=UTC)) == {"audit_anchors": 1}
    assert anchor_log.read_text().split() == ["2024-07-01T08:00:00+08:00", "3", events[2].hash]


def test_a_damaged_byte_in_the_anchor_log_does_not_stop_the_tick(world, events, anchor_log):
    anchor_log.parent.mkdir(parents=True)
    anchor_log.write_bytes(b"\xff\xfe damaged\n" + f"2024-07-01T08:00:00+08:00 3 {events[2].hash}\n".encode())
    assert audit.write_anchor(datetime(2024, 7, 1, 1, tzinfo=UTC)) == {"audit_anchors": 0}  # the head is anchored
    actions.update_mine(world.a1.pk, by=world.actor(world.inspector), data={"address": "中阳县下枣林乡"})
    assert audit.write_anchor(datetime(2024, 7, 1, 2, tzinfo=UTC)) == {"audit_anchors": 1}
    assert anchor_log.read_bytes().splitlines()[-1].split()[1] == b"4"


def test_a_head_without_events_writes_no_anchor(world, anchor_log):
    AuditHead.objects.create(pk=1)
    assert audit.write_anchor() == {"audit_anchors": 0}
    assert not anchor_log.exists()


# --- the development key ------------------------------------------------------------------------------

def test_the_development_key_is_created_in_directories_not_made_yet(settings, tmp_path):
    settings.AUDIT_KEY = ""
    settings.VAR_DIR = tmp_path / "var" / "keys"
    key = audit.audit_key()
    assert len(key) == 64 and (tmp_path / "var" / "keys" / "audit.key").read_bytes().strip() == key
    assert [p.name for p in (tmp_path / "var" / "keys").iterdir()] == ["audit.key"]  # no temporary file left


# --- changes and history -----------------------------------------------------------------------------------

def test_a_diff_lists_each_changed_key_with_its_old_and_new_value():
    before = {"name": "甲一煤矿", "status": "producing", "capacity": 90, "gone": 1}
    after = {"name": "甲一煤矿", "status": "suspended", "capacity": 90, "new": 2}
    assert audit.diff(before, after) == [("gone", 1, None), ("new", None, 2), ("status", "producing", "suspended")]
    assert audit.diff(None, {"a": 1}) == [("a", None, 1)] and audit.diff({"a": 1}, None) == [("a", 1, None)]


def test_a_history_is_the_objects_events_and_its_childrens_newest_first(world, django_assert_num_queries):
    by = world.actor(world.inspector)
    # another type with the same id (held in memory: on PostgreSQL no division need have that id)
    same_pk = Division(pk=world.a1.pk, code="999999", name="同号区划", path=world.county.division.path)
    own = audit.record("update", world.a1, by=by)
    child = audit.record("create", world.a2, by=by, parent=world.a1)  # any row whose parent is the mine
    audit.record("update", world.a2, by=by)
    audit.record("update", same_pk, by=by)
    audit.record("create", world.b1, by=by, parent=same_pk)
    audit.record("create", world.b1, by=by, parent=world.a2)
    history = audit.history(world.a1)
    with django_assert_num_queries(1):
        assert [(e.pk, e.actor.username) for e in history] == [(child.pk, "inspector"), (own.pk, "inspector")]


# --- the scope an event is filed under -----------------------------------------------------------------------

def test_every_scoped_row_is_filed_under_the_division_of_the_jurisdiction_that_sees_it(world):
    """For a row of every scoped model (the access matrix's world) that our county's inspector sees, the event
    is filed under our county, where our auditor reads it: the audit trail and the access policy agree on
    whose a row is. An enterprise is its own division's (a group may span counties)."""
    ours = _world(world)
    county = world.county.division.path  # paths end in "/": a county's rows are those under it
    for model in scoped_models():
        assert ours[model], f"the world holds no {model.__name__}"
        for row in model._base_manager.filter(pk__in=ours[model]):
            path = str(audit.scope_of(row))  # "None" for a row filed nowhere
            assert path == row.division.path if model is Enterprise else path.startswith(county), model.__name__
    plan = EnforcementPlan.objects.filter(pk__in=ours[EnforcementPlan]).select_related("organization").first()
    assert plan is not None and audit.scope_of(plan) == plan.organization.division.path == county
    foreign_mine = world.b1
    assert audit.scope_of(foreign_mine) == foreign_mine.division.path != county
    assert audit.scope_of(world.ent_a) == world.ent_a.division.path


def test_an_account_is_filed_under_its_organizations_division_and_one_without_an_organization_under_none(world):
    assert audit.scope_of(world.inspector) == world.county.division.path
    assert audit.scope_of(world.foreign_inspector) == world.foreign_county.division.path
    loose = User(username="无单位账号")  # e.g. the platform's own superuser
    assert audit.scope_of(loose) is None


# --- what a link covers ------------------------------------------------------------------------------------

def test_a_link_is_the_hmac_of_the_previous_hash_and_the_events_canonical_json():
    """docs/architecture.md: HMAC-SHA256(key, prev_hash + canonical JSON). Written out here so that an outside
    verifier can recompute a link: every field it covers, by that name, sorted, compact, UTF-8 unescaped, the
    time in UTC."""
    event = AuditEvent(
        seq=7, at=datetime(2024, 6, 1, 8, 30, tzinfo=clock.SHANGHAI), actor_id=5, actor_name="王检查",
        actor_org="中阳县应急管理局", via="web", request_id="r-1", verb="update", target_type="registry.mine",
        target_id="12", target_repr="甲一煤矿", parent_type="registry.enterprise", parent_id="3",
        before={"address": "旧址"}, after={"address": "新址"}, reason="整改", division_path="14/1411/141129/")
    canonical = ('{"actor":5,"actor_name":"王检查","actor_org":"中阳县应急管理局","after":{"address":"新址"},'
                 '"at":"2024-06-01T00:30:00+00:00","before":{"address":"旧址"},"division_path":"14/1411/141129/",'
                 '"parent_id":"3","parent_type":"registry.enterprise","reason":"整改","request_id":"r-1","seq":7,'
                 '"target_id":"12","target_repr":"甲一煤矿","target_type":"registry.mine","verb":"update","via":"web"}')
    key, prev = b"k" * 32, "a" * 64
    expected = hmac.new(key, (prev + canonical).encode(), hashlib.sha256).hexdigest()
    assert audit.digest(key, prev, audit.payload(event)) == expected


def test_a_snapshot_leaves_out_only_the_secret_and_volatile_fields(world):
    """An account's password hash and last log-in are never copied into the trail; every other field is,
    including those after them."""
    data = audit.snapshot(world.inspector)
    assert "password" not in data and "last_login" not in data
    assert data["username"] == "inspector" and data["organization_id"] == world.county.pk and data["id"] == world.inspector.pk


def test_an_event_without_a_reason_has_none_and_one_on_an_unscoped_row_takes_its_parents_division(world):
    loose = User.objects.create_user(username="无单位账号", password="x")  # no organization: no division of its own
    event = audit.record("create", loose, by=world.actor(world.inspector), parent=world.a1)
    assert event.reason == "" and event.division_path == world.a1.division.path
    alone = audit.record("update", loose, by=world.actor(world.inspector))
    assert alone.division_path == ""


def test_an_event_holds_what_it_was_given_each_text_cut_to_its_column(world):
    user = make_user("王" * 150, world.county, Role.INSPECTOR, full_name="")
    user.organization = Organization(name="吕" * 150)  # longer than any saved name can be: held in memory only
    target = world.a1
    target.name = "甲" * 250
    by = Actor.of(user, via=Via.API)
    event = audit.record("update", target, by=by, before={"capacity": Decimal("90.5")}, after={"capacity": 120},
                         reason="扩能改造")
    event.refresh_from_db()
    assert (event.actor_name, event.actor_org) == ("王" * 100, "吕" * 100)
    assert event.target_repr == "甲" * 200
    assert (event.via, event.request_id, event.reason) == (Via.API, by.request_id, "扩能改造")
    assert (event.before, event.after) == ({"capacity": "90.5"}, {"capacity": 120})
    assert (event.parent_type, event.parent_id) == ("", "")  # no parent
    system = audit.record("update", world.a2, by=Actor.system(Via.TICK))
    system.refresh_from_db()
    assert (system.actor_id, system.actor_org, system.actor_name) == (None, "", "system:tick")


def test_a_damaged_byte_in_the_anchor_log_is_reported_as_its_line(events, anchor_log):
    _anchor(anchor_log, f"2024-07-01T08:00:00+08:00 1 {events[0].hash}")
    with anchor_log.open("ab") as f:
        f.write(b"\xff\xfe damaged\n")
    assert audit.verify_chain() == ChainReport(3, None, "锚定日志第 2 行无法识别", 1)
