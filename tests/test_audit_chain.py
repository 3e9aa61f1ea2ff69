"""The audit chain: every action writes a link; `kuangan audit verify` finds a silent rewrite, even one
made by someone holding the whole database (triggers dropped, hashes recomputed) but not the key, and
events cut from the end once the head was anchored outside the database."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from kuangan.core import audit
from kuangan.core.models import AuditEvent, AuditHead
from kuangan.registry import actions
from kuangan.testing import tamper_audit

Signer = Callable[[str], str]


@pytest.fixture(autouse=True)
def anchor_log(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    """Each test its own anchor log (in production: a separate, append-only medium)."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchors" / "audit-anchor.log"
    return Path(settings.AUDIT_ANCHOR_PATH)


def _some_events(world):  # type: ignore[no-untyped-def]
    by = world.actor(world.inspector)
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县宁乡镇"})
    actions.update_mine(world.a1.pk, by=by, data={"address": "中阳县枝柯镇"})
    actions.update_mine(world.a2.pk, by=by, data={"address": "中阳县暖泉镇"})
    return list(AuditEvent.objects.order_by("seq"))


# --- what an attacker holding only the database can do --------------------------------------------

def _drop_append_only() -> None:
    """A database owner switches the append-only triggers off."""
    tamper_audit()


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def _plain_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _wrong_key_hmac(text: str) -> str:
    return hmac.new(b"guessed-key-0123456789abcdef", text.encode(), hashlib.sha256).hexdigest()


def _rechain(sign: Signer) -> None:
    """Recompute every link in order (the attacker knows the code, not the key) and fix the head."""
    prev = audit.GENESIS
    last = None
    for e in AuditEvent.objects.order_by("seq"):
        text = json.dumps(audit.payload(e), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        e.prev_hash, e.hash = prev, sign(prev + text)
        _sql("UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [e.prev_hash, e.hash, e.pk])
        prev, last = e.hash, e
    assert last is not None
    _sql("UPDATE core_audithead SET seq = %s, hash = %s WHERE id = 1", [last.seq, last.hash])


def _broken() -> str:
    """The CLI refuses (non-zero exit) and says why."""
    with pytest.raises(CommandError) as refused:
        call_command("audit", "verify")
    return str(refused.value)


# --- honest operation -----------------------------------------------------------------------------

def test_verify_passes_on_an_honest_database(world, capsys):
    events = _some_events(world)
    assert len(events) == 3
    call_command("audit", "verify")
    assert "3 events verified" in capsys.readouterr().out


def test_each_link_is_an_hmac_with_the_key_kept_outside_the_database(world):
    e = _some_events(world)[0]
    text = json.dumps(audit.payload(e), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert e.hash == hmac.new(audit.audit_key(), (e.prev_hash + text).encode(), hashlib.sha256).hexdigest()
    assert e.hash != _plain_sha256(e.prev_hash + text)


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
            _sql(sql, [event.pk])


# --- the attacks ----------------------------------------------------------------------------------

def test_verify_names_the_row_edited_behind_the_applications_back(world):
    events = _some_events(world)
    _drop_append_only()
    _sql("UPDATE core_auditevent SET after = %s WHERE seq = %s", ['{"address": "nowhere"}', events[1].seq])
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == events[1].seq
    assert f"#{events[1].seq}" in _broken()


@pytest.mark.parametrize("sign", [_plain_sha256, _wrong_key_hmac], ids=["plain-sha256", "hmac-wrong-key"])
def test_an_edit_rechained_without_the_key_is_detected(world, sign):
    events = _some_events(world)
    _drop_append_only()
    _sql("UPDATE core_auditevent SET after = %s WHERE seq = %s", ['{"address": "nowhere"}', events[1].seq])
    _rechain(sign)
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 1  # no link made without the key holds
    assert "audit chain broken at event #1" in _broken()


@pytest.mark.parametrize("sign", [_plain_sha256, _wrong_key_hmac], ids=["plain-sha256", "hmac-wrong-key"])
def test_a_deletion_in_the_middle_rechained_without_the_key_is_detected(world, sign):
    events = _some_events(world)
    _drop_append_only()
    _sql("DELETE FROM core_auditevent WHERE seq = %s", [events[1].seq])
    _sql("UPDATE core_auditevent SET seq = seq - 1 WHERE seq > %s", [events[1].seq])  # close the gap too
    _rechain(sign)
    assert not audit.verify_chain().ok
    _broken()


def test_a_changed_actor_breaks_its_link(world):
    """Who did it is part of what is signed: putting the deed on someone else behind the application's back
    (the account, the name shown, the organization) is found, though nothing else changed."""
    events = _some_events(world)
    _drop_append_only()
    for column, value in (("actor_id", world.mine_head.pk), ("actor_name", "甲一矿长"), ("actor_org", "甲一煤矿")):
        original = getattr(events[1], column)
        _sql(f"UPDATE core_auditevent SET {column} = %s WHERE seq = %s", [value, events[1].seq])
        report = audit.verify_chain()
        assert not report.ok and report.broken_seq == events[1].seq, column
        _sql(f"UPDATE core_auditevent SET {column} = %s WHERE seq = %s", [original, events[1].seq])
    assert audit.verify_chain().ok


def test_a_link_signed_after_another_event_does_not_fit_elsewhere(world):
    """Each link signs the one before it: an event validly signed in another chain (a restored copy of the
    database, a fork) spliced in with only the link columns set to fit is found, and so is the event after it."""
    events = _some_events(world)
    _drop_append_only()
    forged = events[1]
    forged.after = {"address": "nowhere"}
    signed_elsewhere = audit.digest(audit.audit_key(), "0" * 64, audit.payload(forged))
    _sql("UPDATE core_auditevent SET after = %s, hash = %s WHERE seq = %s",
         ['{"address": "nowhere"}', signed_elsewhere, forged.seq])
    _sql("UPDATE core_auditevent SET prev_hash = %s WHERE seq = %s", [signed_elsewhere, events[2].seq])
    _sql("UPDATE core_audithead SET hash = %s WHERE id = 1", [events[2].hash])
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == forged.seq


def test_verify_detects_a_deleted_event(world):
    events = _some_events(world)
    _drop_append_only()
    _sql("DELETE FROM core_auditevent WHERE seq = %s", [events[1].seq])
    report = audit.verify_chain()
    assert report.broken_seq == events[1].seq
    assert "缺失" in report.problem


def test_events_cut_from_the_end_are_detected_by_the_head(world):
    events = _some_events(world)
    _drop_append_only()
    _sql("DELETE FROM core_auditevent WHERE seq = %s", [events[-1].seq])
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == events[-1].seq


def test_a_cut_tail_with_the_head_rewritten_is_caught_by_the_anchor_log(world, anchor_log):
    events = _some_events(world)
    call_command("tick", "--at", "2024-07-01T08:00")  # anchors the head (#3) outside the database
    _drop_append_only()
    _sql("DELETE FROM core_auditevent WHERE seq >= %s", [events[1].seq])
    # What is left is a valid chain, and the head now points at its end: only the anchor knows better.
    _sql("UPDATE core_audithead SET seq = %s, hash = %s WHERE id = 1", [events[0].seq, events[0].hash])
    report = audit.verify_chain()
    assert not report.ok and "锚定" in report.problem
    assert "#2" in _broken()
    anchor_log.unlink()  # the same database without its anchor log looks intact: the anchor is what caught it
    assert audit.verify_chain().ok


def test_an_anchor_that_does_not_match_the_chain_is_reported(world, anchor_log):
    events = _some_events(world)
    call_command("audit", "anchor")
    line = anchor_log.read_text()
    anchor_log.write_text(line.replace(events[-1].hash, "f" * 64))
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == events[-1].seq


# --- the anchor log -------------------------------------------------------------------------------

def test_each_tick_anchors_the_head_once_when_it_moved(world, anchor_log, capsys):
    _some_events(world)
    call_command("tick", "--at", "2024-07-01T08:00")  # the tick's own events (the mines' classes) come first
    head = AuditEvent.objects.order_by("-seq").first()
    assert head is not None and head.seq >= 3
    call_command("tick", "--at", "2024-07-01T08:01")  # nothing new: no second line
    assert anchor_log.read_text().splitlines() == [f"2024-07-01T08:00:00+08:00 {head.seq} {head.hash}"]
    actions.update_mine(world.a1.pk, by=world.actor(world.inspector), data={"address": "中阳县下枣林乡"})
    call_command("tick", "--at", "2024-07-01T08:02")
    lines = anchor_log.read_text().splitlines()
    assert len(lines) == 2 and lines[1].split()[1] == str(head.seq + 1)
    call_command("audit", "verify")
    assert "2 anchors matched" in capsys.readouterr().out


# --- the key --------------------------------------------------------------------------------------

def test_the_key_may_be_a_file_and_a_different_key_breaks_every_link(world, settings, tmp_path):
    key_file = tmp_path / "audit.key"
    key_file.write_text("a-key-held-by-the-security-administrator\n")
    settings.AUDIT_KEY = str(key_file)
    assert audit.audit_key() == b"a-key-held-by-the-security-administrator"
    _some_events(world)
    assert audit.verify_chain().ok
    settings.AUDIT_KEY = "another-key-of-at-least-16-bytes"
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 1


def test_without_a_key_and_without_debug_nothing_starts(settings):
    settings.AUDIT_KEY = ""
    settings.DEV_KEYS_ALLOWED = False  # debug off, outside tests
    with pytest.raises(ImproperlyConfigured, match="KUANGAN_AUDIT_KEY"):
        audit.audit_key()
    settings.AUDIT_KEY = "/nonexistent/audit.key"
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        audit.audit_key()
    settings.AUDIT_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="shorter"):
        audit.audit_key()


def test_the_command_refuses_to_start_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUANGAN_") and k != "PYTEST_VERSION"}
    env.update(KUANGAN_DEBUG="0", KUANGAN_VAR_DIR=str(tmp_path),
               KUANGAN_SECRET_KEY="a-secret-key-for-this-test-only-0123456789-abcdefghijklmnop")
    done = subprocess.run([sys.executable, "-m", "kuangan.cli", "audit", "verify"], env=env,
                          capture_output=True, text=True, cwd=django_settings.BASE_DIR, timeout=120)
    assert done.returncode != 0
    assert "KUANGAN_AUDIT_KEY is not set" in done.stderr
    assert not (tmp_path / "audit.key").exists()


def test_the_development_key_is_created_private(settings, tmp_path):
    settings.AUDIT_KEY = ""
    settings.VAR_DIR = tmp_path
    key = audit.audit_key()
    assert len(key) == 64 and (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o600
    assert audit.audit_key() == key


# --- the migration that gave older events their scope and the keyed links --------------------------

class _Editor:
    """What the migration needs of a schema editor: the connection and `execute`."""

    connection = connection

    def execute(self, sql: str, params: object = ()) -> None:
        with connection.cursor() as cur:
            cur.execute(sql, params)  # type: ignore[arg-type]


def test_the_migration_rechains_an_old_plain_sha256_chain_with_the_key_and_scopes_it(world):
    import importlib

    migration = importlib.import_module("kuangan.core.migrations.0004_audit_scope_and_key")
    _some_events(world)
    _drop_append_only()
    _sql("UPDATE core_auditevent SET division_path = ''", [])
    _rechain(_plain_sha256)  # what a database from before the key holds
    assert not audit.verify_chain().ok
    migration.scope_and_rechain(apps, _Editor())
    assert audit.verify_chain().ok
    assert set(AuditEvent.objects.values_list("division_path", flat=True)) == {"14/1411/141129/"}
    assert AuditHead.objects.get(pk=1).seq == 3
    with pytest.raises(Exception, match="append-only"), transaction.atomic():  # the triggers are back
        _sql("DELETE FROM core_auditevent WHERE seq = 1", [])
