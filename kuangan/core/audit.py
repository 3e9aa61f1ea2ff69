"""The audit chain (R10.2): `record` is the only writer, `verify_chain` recomputes every link.

hash = HMAC-SHA256(key, prev_hash + canonical JSON of the event), with the key kept outside the
database (settings.AUDIT_KEY), so whoever holds only the database cannot recompute a link. The newest
link is kept in AuditHead, whose row is locked for the append (concurrent writers on PostgreSQL cannot
fork the chain), and written at every tick to an append-only anchor log outside the database, which
`verify_chain` compares: events cut from the end are detected even when AuditHead is rewritten.
The threat model is in docs/architecture.md ("Audit chain threat model").
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import clock
from .actor import Actor
from .masking import mask_personal, mask_text
from .models import AuditEvent, AuditHead, Division, Organization, User

GENESIS = "0" * 64
SKIP_FIELDS = {"updated_at", "password", "last_login"}
MIN_KEY_BYTES = 16


# --- the key -------------------------------------------------------------------------------------

def _create_key_file(path: Path) -> None:
    """A new random key, mode 0600; linked into place so that two processes starting at once agree."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


@functools.cache
def _load_key(value: str, fallback: str) -> bytes:
    if not value:
        if not fallback:
            raise ImproperlyConfigured(
                "KUANGAN_AUDIT_KEY is not set: the audit chain's HMAC key must live outside the database. "
                "Set it to the key, or to the path of a file holding it (e.g. `python -c \"import secrets; "
                "print(secrets.token_hex(32))\" > /etc/kuangan/audit.key`), or set KUANGAN_DEBUG=1 for "
                "development. 未配置审计密钥（KUANGAN_AUDIT_KEY），系统拒绝启动。")
        path = Path(fallback)
        if not path.exists():
            _create_key_file(path)
        value = fallback
    path = Path(value)
    if path.is_file():
        key = path.read_bytes().strip()
    elif value.startswith(("/", "./", "~")) or value.endswith(".key"):
        raise ImproperlyConfigured(f"KUANGAN_AUDIT_KEY names the file {value}, which does not exist. "
                                   "审计密钥文件不存在。")
    else:
        key = value.encode()
    if len(key) < MIN_KEY_BYTES:
        raise ImproperlyConfigured(f"KUANGAN_AUDIT_KEY is shorter than {MIN_KEY_BYTES} bytes. 审计密钥过短。")
    return key


def audit_key() -> bytes:
    """The HMAC key: settings.AUDIT_KEY (the key or a file holding it); under DEBUG, pytest or mypy, when
    none is set, var/audit.key (created on first use). With DEBUG off and no key: ImproperlyConfigured."""
    fallback = str(Path(settings.VAR_DIR) / "audit.key") if settings.DEV_KEYS_ALLOWED else ""
    return _load_key(str(settings.AUDIT_KEY or ""), fallback)


# --- snapshots -----------------------------------------------------------------------------------

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


def _masked(data: Any) -> Any:
    """Snapshots never hold a full ID or phone number (R10.8), at any depth."""
    if isinstance(data, dict):
        return {k: _masked(v) for k, v in (mask_personal(data) or {}).items()}
    if isinstance(data, list):
        return [_masked(v) for v in data]
    return data


# --- scope ---------------------------------------------------------------------------------------

def scope_of(obj: models.Model | None) -> str | None:
    """The division path `obj` belongs to: its mine's or enterprise's division, an account's
    organization's division, an organization's division, a division itself; None when unknown."""
    if obj is None:
        return None
    model = type(obj)
    try:
        if hasattr(model, "division_scope_path"):
            division: Any = obj
            for part in str(model.division_scope_path).split("__"):
                division = getattr(division, part)
            return str(division.path)
        if hasattr(model, "scope_path"):
            mine: Any = obj
            for part in filter(None, str(model.scope_path).split("__")):
                mine = getattr(mine, part)
            return str(mine.division.path)
        if getattr(model, "enterprise_scoped", False):
            return str(obj.division.path)  # type: ignore[attr-defined]
        if isinstance(obj, Division):
            return obj.path
        if isinstance(obj, Organization):
            return obj.division.path
        if isinstance(obj, User) and obj.organization is not None:
            return obj.organization.division.path
    except (ObjectDoesNotExist, AttributeError):
        return None
    return None


# --- the chain -----------------------------------------------------------------------------------

def digest(key: bytes, prev_hash: str, payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, (prev_hash + text).encode(), hashlib.sha256).hexdigest()


def payload(e: Any) -> dict[str, Any]:
    """What the link covers (also used by the migration that re-chained older events)."""
    return {
        "seq": e.seq, "at": _plain(e.at), "actor": e.actor_id, "actor_name": e.actor_name,
        "actor_org": e.actor_org, "via": e.via, "request_id": e.request_id, "verb": e.verb,
        "target_type": e.target_type, "target_id": e.target_id, "target_repr": e.target_repr,
        "parent_type": e.parent_type, "parent_id": e.parent_id, "before": e.before, "after": e.after,
        "reason": e.reason, "division_path": e.division_path,
    }


def _type_name(obj: models.Model) -> str:
    return obj._meta.label_lower


def record(verb: str, target: models.Model, *, by: Actor, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, reason: str = "", parent: models.Model | None = None,
           scope: str | None = None) -> AuditEvent:
    """Append one event. Call it inside the action's transaction, once per changed row. `scope` narrows whose
    audit log shows it: a city's planned visit to a county's mine is the city's until the team arrives."""
    key = audit_key()
    if scope is None:
        scope = scope_of(target)
    if scope is None:
        scope = scope_of(parent) or ""
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        user = by.user
        event = AuditEvent(
            seq=head.seq + 1, at=by.at, actor=user, actor_name=by.name[:100],
            actor_org=str(by.org or "")[:100], via=by.via, request_id=by.request_id, verb=verb,
            target_type=_type_name(target), target_id=str(target.pk), target_repr=mask_text(str(target))[:200],
            parent_type=_type_name(parent) if parent is not None else "",
            parent_id=str(parent.pk) if parent is not None else "",
            before=_masked(_plain(before)), after=_masked(_plain(after)), reason=reason, division_path=scope,
            prev_hash=head.hash or GENESIS,
        )
        event.hash = digest(key, event.prev_hash, payload(event))
        event.save()
        AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


# --- the anchor ----------------------------------------------------------------------------------

def _anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_PATH)


def _last_line(path: Path) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 512))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except FileNotFoundError:
        return ""
    return lines[-1] if lines else ""


def write_anchor(at: dt.datetime | None = None) -> dict[str, int]:
    """Append `<Beijing time> <seq> <hash>` to the anchor log when the head moved since its last line.
    The log lives outside the database (ideally on append-only storage); `verify_chain` reads it."""
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return {"audit_anchors": 0}
    path = _anchor_path()
    last = _last_line(path).split()
    if last[1:] == [str(head.seq), head.hash]:
        return {"audit_anchors": 0}
    when = (at or clock.now()).astimezone(clock.SHANGHAI).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, f"{when} {head.seq} {head.hash}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return {"audit_anchors": 1}


def _anchors() -> tuple[dict[int, str], str]:
    """seq -> hash of every anchor line, or a problem with the log."""
    try:
        # a damaged byte is reported as its line, not raised: the log is outside the database, on any disk
        text = _anchor_path().read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return {}, ""
    found: dict[int, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[2]) != 64:
            return found, _("锚定日志第 %(n)d 行无法识别") % {"n": n}
        found[int(parts[1])] = parts[2]
    return found, ""


# --- verification --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    problem: str = ""
    anchors: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and not self.problem


def verify_chain() -> ChainReport:
    """Recompute every link in order, then compare the anchor log; report the first failure."""
    key = audit_key()
    anchors, anchor_problem = _anchors()
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if e.seq != expected_seq:
            return ChainReport(checked, expected_seq, _("第 %(seq)d 条记录缺失（被删除）") % {"seq": expected_seq})
        if e.prev_hash != prev:
            return ChainReport(checked, e.seq, _("与上一条记录的链接不符"))
        if not hmac.compare_digest(digest(key, e.prev_hash, payload(e)), e.hash):
            return ChainReport(checked, e.seq, _("内容与校验码不符（写入后被改动，或校验码不是用审计密钥计算的）"))
        if e.seq in anchors and anchors[e.seq] != e.hash:
            return ChainReport(checked, e.seq, _("与外部锚定日志记下的校验码不符（审计链被重写）"))
        prev = e.hash
        expected_seq += 1
        checked += 1
    beyond = [s for s in anchors if s > checked]
    if beyond:
        return ChainReport(checked, checked + 1, _("外部锚定日志记有第 %(seq)d 条，但审计链止于第 %(n)d 条（末尾记录被删除）")
                           % {"seq": max(beyond), "n": checked}, len(anchors))
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or (checked and head.hash != prev)):
        return ChainReport(checked, checked + 1, _("链头记为第 %(head)d 条，但记录止于第 %(n)d 条（末尾记录被删除）")
                           % {"head": head.seq, "n": checked}, len(anchors))
    if anchor_problem:
        return ChainReport(checked, None, anchor_problem, len(anchors))
    return ChainReport(checked, anchors=len(anchors))


# --- history -------------------------------------------------------------------------------------

def history(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """Events on the object itself and on its children (e.g. a mine's licences)."""
    t, i = _type_name(obj), str(obj.pk)
    return AuditEvent.objects.filter(
        models.Q(target_type=t, target_id=i) | models.Q(parent_type=t, parent_id=i)
    ).select_related("actor").order_by("-seq")


def with_changes(events: Any) -> list[Any]:
    """Events as readable rows (action, target, field labels, old → new values, Beijing time)."""
    from .audit_labels import readable_rows

    return readable_rows(events)
