"""The audit chain: every action writes a link; `kuangan audit verify` finds a silent rewrite."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from kuangan.core import audit
from kuangan.core.models import AuditEvent
from kuangan.registry import actions


def _some_events(world):  # type: ignore[no-untyped-def]
    by = world.actor(world.inspector)
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县宁乡镇"})
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县枝柯镇"})
    actions.update_mine(world.a2.pk, by=by, data={"address": "中阳县暖泉镇"})
    return list(AuditEvent.objects.order_by("seq"))


def test_verify_passes_on_an_honest_database(world, capsys):
    events = _some_events(world)
    assert len(events) == 3
    call_command("audit", "verify")
    assert "3 events verified" in capsys.readouterr().out


def test_events_cannot_be_changed_or_deleted_through_the_orm(world):
    event = _some_events(world)[0]
    event.reason = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_the_database_itself_refuses_updates_and_deletes(world):
    event = _some_events(world)[0]
    for sql in ("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", "DELETE FROM core_auditevent WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(sql, [event.pk])


def _disable_append_only() -> None:
    """What a database superuser could do: switch the append-only trigger off."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        else:
            cur.execute("DROP TRIGGER core_auditevent_no_update")
            cur.execute("DROP TRIGGER core_auditevent_no_delete")


def test_verify_names_the_row_edited_behind_the_applications_back(world):
    events = _some_events(world)
    _disable_append_only()
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditevent SET after = %s WHERE seq = %s",
                    ['{"address": "nowhere"}', events[1].seq])
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == events[1].seq
    with pytest.raises(CommandError, match=f"#{events[1].seq}"):
        call_command("audit", "verify")


def test_verify_detects_a_deleted_event(world):
    events = _some_events(world)
    _disable_append_only()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditevent WHERE seq = %s", [events[1].seq])
    report = audit.verify_chain()
    assert report.broken_seq == events[1].seq
    assert "missing" in report.problem


def test_verify_detects_events_cut_from_the_end(world):
    events = _some_events(world)
    _disable_append_only()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditevent WHERE seq = %s", [events[-1].seq])
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == events[-1].seq


def test_history_shows_before_and_after(world):
    _some_events(world)
    latest = audit.history(world.a1).first()
    assert latest is not None
    assert ("address", "中阳县宁乡镇", "中阳县枝柯镇") in audit.diff(latest.before, latest.after)
