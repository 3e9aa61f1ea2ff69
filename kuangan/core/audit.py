"""The audit chain (R10.2): `record` is the only writer, `verify_chain` recomputes every link.

hash = sha256(prev_hash + canonical JSON of the event). The newest link is kept in AuditHead, whose
row is locked for the append, so concurrent writers on PostgreSQL cannot fork the chain and
removing events from the end is detected as well.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from .actor import Actor
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
SKIP_FIELDS = {"updated_at", "password", "last_login"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row's concrete fields as JSON-ready values (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in SKIP_FIELDS:
            continue
        data[f.attname] = _plain(getattr(obj, f.attname))
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def _digest(prev_hash: str, payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def _payload(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": e.seq, "at": _plain(e.at), "actor": e.actor_id, "actor_name": e.actor_name,
        "actor_org": e.actor_org, "via": e.via, "request_id": e.request_id, "verb": e.verb,
        "target_type": e.target_type, "target_id": e.target_id, "target_repr": e.target_repr,
        "parent_type": e.parent_type, "parent_id": e.parent_id, "before": e.before, "after": e.after,
        "reason": e.reason,
    }


def _type_name(obj: models.Model) -> str:
    return obj._meta.label_lower


def record(verb: str, target: models.Model, *, by: Actor, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, reason: str = "", parent: models.Model | None = None) -> AuditEvent:
    """Append one event. Call it inside the action's transaction, once per changed row."""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        user = by.user
        event = AuditEvent(
            seq=head.seq + 1, at=by.at, actor=user, actor_name=by.name[:100],
            actor_org=str(by.org or "")[:100], via=by.via, request_id=by.request_id, verb=verb,
            target_type=_type_name(target), target_id=str(target.pk), target_repr=str(target)[:200],
            parent_type=_type_name(parent) if parent is not None else "",
            parent_id=str(parent.pk) if parent is not None else "",
            before=_plain(before), after=_plain(after), reason=reason, prev_hash=head.hash or GENESIS,
        )
        event.hash = _digest(event.prev_hash, _payload(event))
        event.save()
        AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain() -> ChainReport:
    """Recompute every link in order; report the first event whose link does not hold."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if e.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"event #{expected_seq} is missing")
        if e.prev_hash != prev:
            return ChainReport(checked, e.seq, "its link to the previous event does not match")
        if _digest(e.prev_hash, _payload(e)) != e.hash:
            return ChainReport(checked, e.seq, "its content does not match its hash (edited after it was written)")
        prev = e.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != (prev if checked else head.hash)):
        return ChainReport(checked, checked + 1, f"the chain head says #{head.seq} but the events end at #{checked}")
    return ChainReport(checked)


def history(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """Events on the object itself and on its children (e.g. a mine's licences)."""
    t, i = _type_name(obj), str(obj.pk)
    return AuditEvent.objects.filter(
        models.Q(target_type=t, target_id=i) | models.Q(parent_type=t, parent_id=i)
    ).select_related("actor").order_by("-seq")


def with_changes(events: Any) -> list[tuple[AuditEvent, list[tuple[str, Any, Any]]]]:
    """Events with their field-by-field changes, for history pages."""
    return [(e, diff(e.before, e.after)) for e in events]
