"""The audit chain's edges (core.audit): the development key created by two processes at once, rows named in
a snapshot, the scope of divisions, organizations and rows without a mine, the anchor log of an empty
trail or with a line it cannot read, and a link that does not follow the one before."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuangan.core import audit
from kuangan.core.models import AuditEvent
from kuangan.registry import actions
from kuangan.registry.models import Licence
from kuangan.testing import tamper_audit


@pytest.fixture(autouse=True)
def anchor_log(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchors" / "audit-anchor.log"
    return Path(settings.AUDIT_ANCHOR_PATH)


def _some_events(world) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    by = world.actor(world.inspector)
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县宁乡镇"})
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县枝柯镇"})
    actions.update_mine(world.a2.pk, by=by, data={"address": "中阳县暖泉镇"})
    return list(AuditEvent.objects.order_by("seq"))


@pytest.mark.nodb
def test_a_key_file_another_process_created_first_is_kept(tmp_path):
    key = tmp_path / "var" / "audit.key"
    key.parent.mkdir()
    key.write_text("the-key-the-other-process-wrote\n")
    audit._create_key_file(key)  # lost the race: its own key is not linked into place
    assert key.read_text() == "the-key-the-other-process-wrote\n"
    assert [p.name for p in key.parent.iterdir()] == ["audit.key"]  # its temporary file is gone


@pytest.mark.nodb
def test_the_development_key_is_made_on_the_first_start_and_read_on_every_later_one(tmp_path):
    """Without KUANGAN_AUDIT_KEY (development) the key file under var/ is created once; a restart reads the
    same key, so the chain written before it still verifies. Both starts run here, whatever var/ holds."""
    fallback = tmp_path / "audit.key"
    first = audit._load_key.__wrapped__("", str(fallback))  # uncached: each call is a process's start
    assert fallback.is_file() and first == fallback.read_bytes().strip()
    assert audit._load_key.__wrapped__("", str(fallback)) == first


def test_rows_in_a_snapshot_are_recorded_by_their_id(world):
    event = audit.record("update", world.a1, by=world.actor(world.inspector),
                         after={"enterprise": world.ent_a, "mines": [world.a1, world.a2]})
    event.refresh_from_db()
    assert event.after == {"enterprise": world.ent_a.pk, "mines": [world.a1.pk, world.a2.pk]}
    assert audit.verify_chain().ok


def test_divisions_and_organizations_belong_to_their_division_and_a_row_without_a_mine_to_none(world):
    county = world.county.division
    assert audit.scope_of(county) == county.path
    assert audit.scope_of(world.county) == county.path
    assert audit.scope_of(world.foreign_county) == world.foreign_county.division.path != county.path
    orphan = Licence(kind="mining", number="C1400002009")  # no mine (yet)
    assert audit.scope_of(orphan) is None
    event = audit.record("create", world.county, by=world.actor(world.county_admin))
    assert event.division_path == county.path


def test_an_empty_trail_writes_no_anchor(world, anchor_log):
    assert audit.write_anchor() == {"audit_anchors": 0}
    assert not anchor_log.exists()
    assert audit.verify_chain().ok


def test_an_anchor_log_line_that_cannot_be_read_is_reported_after_the_chain_checks_out(world, anchor_log):
    events = _some_events(world)
    assert audit.write_anchor() == {"audit_anchors": 1}
    with anchor_log.open("a") as log:
        log.write("2024-07-01T08:00:00+08:00 not-a-sequence-number\n")
    report = audit.verify_chain()
    assert (report.ok, report.broken_seq, report.checked) == (False, None, len(events))
    assert report.problem == "锚定日志第 2 行无法识别"
    assert report.anchors == 1  # the readable line before it was still compared


def test_a_link_that_does_not_follow_the_one_before_is_reported(world):
    events = _some_events(world)
    tamper_audit("UPDATE core_auditevent SET prev_hash = %s WHERE seq = %s", [events[0].prev_hash, events[1].seq])
    report = audit.verify_chain()
    assert (report.ok, report.broken_seq, report.checked) == (False, events[1].seq, 1)
    assert report.problem == "与上一条记录的链接不符"
