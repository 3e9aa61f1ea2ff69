"""The audit trail gets the division it belongs to (an auditor reads their subtree), and its links
become HMAC-SHA256 with the key held outside the database. Existing events are given their scope and
re-chained with the key, in sequence order; the append-only triggers are lifted for that and put back."""

import importlib

from django.apps import apps as global_apps
from django.db import DatabaseError, migrations, models, transaction

append_only = importlib.import_module("kuangan.core.migrations.0002_divisions_and_append_only")


def _division_path_lookup(model):
    """The ORM path from a row of `model` to its division's path, as `audit.scope_of` decides it."""
    if hasattr(model, "scope_path"):
        return f"{model.scope_path}__division__path" if model.scope_path else "division__path"
    if getattr(model, "enterprise_scoped", False):
        return "division__path"
    label = model._meta.label_lower
    return {"core.division": "path", "core.organization": "division__path",
            "core.user": "organization__division__path"}.get(label)


def _scope(type_name, pk, cache):
    """The division path of a stored row (the current model classes carry `scope_path`)."""
    if not type_name or not pk:
        return None
    if (type_name, pk) not in cache:
        found = None
        try:
            model = global_apps.get_model(type_name)
            lookup = _division_path_lookup(model)
            if lookup:
                with transaction.atomic():  # a failed lookup must not abort the migration's transaction
                    found = model._base_manager.filter(pk=pk).values_list(lookup, flat=True).first()
        except (LookupError, ValueError, DatabaseError):
            found = None
        cache[(type_name, pk)] = found
    return cache[(type_name, pk)]


def scope_and_rechain(apps, schema_editor):
    from kuangan.core.audit import GENESIS, audit_key, digest, payload

    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditHead = apps.get_model("core", "AuditHead")
    # Always put the triggers back: on SQLite, adding the column rebuilt the table without them.
    append_only.drop_triggers(apps, schema_editor)
    if AuditEvent.objects.exists():
        key = audit_key()
        cache = {}
        prev = GENESIS
        last = None
        for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
            e.division_path = (_scope(e.target_type, e.target_id, cache)
                            or _scope(e.parent_type, e.parent_id, cache) or "")
            e.prev_hash = prev
            e.hash = digest(key, prev, payload(e))
            AuditEvent.objects.filter(pk=e.pk).update(division_path=e.division_path, prev_hash=e.prev_hash, hash=e.hash)
            prev, last = e.hash, e
        AuditHead.objects.update_or_create(pk=1, defaults={"seq": last.seq, "hash": last.hash})
    append_only.add_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_alter_user_role")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="division_path",
            field=models.CharField(blank=True, db_index=True, max_length=40, verbose_name="所属区划"),
        ),
        # Not reversible into the old plain-SHA-256 chain: going back leaves events to re-chain by hand.
        migrations.RunPython(scope_and_rechain, migrations.RunPython.noop),
    ]
