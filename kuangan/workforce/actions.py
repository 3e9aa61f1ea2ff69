"""Every state change of the workforce: permission, validation, write, audit, notification.

Workers and certificates are the mine's own records: its head and safety officers (WORKFORCE_EDIT) keep them,
by hand or from Excel; the personnel-positioning roster (RYXX) keeps the workers too, through `feed.py` inside
the ingestion transaction. A worker's full ID number is shown only through `reveal_worker_id` (audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from kuangan.core import audit, clock
from kuangan.core.access import locked_for_action, require, visible
from kuangan.core.actor import Actor
from kuangan.core.choices import Perm, Role, Via
from kuangan.core.errors import DomainError
from kuangan.core.masking import mask_id_number
from kuangan.core.notify import notify
from kuangan.core.text import join_list
from kuangan.registry.actions import ImportRejected, RowError
from kuangan.registry.models import Mine, id_number_validator
from kuangan.registry.people import mine_users
from kuangan.registry.rules import card_code_problem

from . import rules
from .choices import OperationType
from .models import OperatorCertificate, Worker

WORKER_FIELDS = ("card_code", "name", "id_number", "post", "team", "trade", "leader_flag", "special_flag")
CERTIFICATE_FIELDS = ("operation_type", "number", "issued", "expires")
TEXT_LIMITS = {"card_code": 25, "name": 50, "id_number": 18, "post": 50, "team": 50, "trade": 50, "number": 50}


def _beijing_date(by: Actor) -> date:
    return by.at.astimezone(clock.SHANGHAI).date()


def _mine_for_update(by: Actor, mine_id: int) -> Mine:
    return locked_for_action(by.user, Mine, mine_id, Perm.WORKFORCE_EDIT)


def _worker_for_update(by: Actor, worker_id: int) -> Worker:
    return locked_for_action(by.user, Worker, worker_id, Perm.WORKFORCE_EDIT, "mine")


def _certificate_for_update(by: Actor, certificate_id: int) -> OperatorCertificate:
    return locked_for_action(by.user, OperatorCertificate, certificate_id, Perm.WORKFORCE_EDIT, "worker__mine")


def _label(model: type[Worker] | type[OperatorCertificate], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _known(data: dict[str, Any], fields: tuple[str, ...], model: type[Worker] | type[OperatorCertificate]
           ) -> dict[str, Any]:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise DomainError(_("这些信息不能在此修改：%(fields)s") % {"fields": join_list(unknown)})
    clean = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    for name, value in clean.items():
        if isinstance(value, str) and len(value) > TEXT_LIMITS.get(name, 10**6):
            raise DomainError(_("%(field)s不能超过 %(n)d 个字符。") % {"field": _label(model, name),
                                                                 "n": TEXT_LIMITS[name]}, field=name)
    return clean


def _clean_worker(mine: Mine, data: dict[str, Any], worker: Worker | None = None) -> dict[str, Any]:
    """The worker's fields, checked: the card is the mine's and not yet another worker's; a name; a well-formed
    ID number (or none)."""
    clean = _known(data, WORKER_FIELDS, Worker)
    if worker is None or "card_code" in clean:
        card = str(clean.get("card_code") or "")
        if not card:
            raise DomainError(_("请填写人员卡编码。"), field="card_code")
        problem = card_code_problem(card, mine.code)
        if problem:
            raise DomainError(problem, field="card_code")
        others = Worker.objects.filter(mine=mine, card_code=card)
        other = (others.exclude(pk=worker.pk) if worker is not None else others).first()
        if other is not None:
            raise DomainError(_("本矿已登记人员卡编码为 %(card)s 的人员：%(name)s。") % {"card": card, "name": other.name},
                              field="card_code")
    if (worker is None or "name" in clean) and not clean.get("name"):
        raise DomainError(_("请填写姓名。"), field="name")
    if clean.get("id_number"):
        clean["id_number"] = str(clean["id_number"]).upper()
        try:
            id_number_validator(clean["id_number"])
        except ValidationError as e:
            raise DomainError(str(e.messages[0]), field="id_number") from e
    for flag in ("leader_flag", "special_flag"):
        if flag in clean:
            clean[flag] = bool(clean[flag])
    return clean


def _create_worker(mine: Mine, *, by: Actor, data: dict[str, Any], reason: str = "") -> Worker:
    worker = Worker.objects.create(mine=mine, **_clean_worker(mine, data))
    audit.record("workforce.worker.created", worker, by=by, after=audit.snapshot(worker), parent=mine, reason=reason)
    return worker


def _update_worker(worker: Worker, *, by: Actor, data: dict[str, Any], reason: str = "") -> bool:
    """Write the fields that change; False when none does (no event)."""
    clean = _clean_worker(worker.mine, data, worker)
    changed = [k for k, v in clean.items() if getattr(worker, k) != v]
    if not changed:
        return False
    before = audit.snapshot(worker)
    for k in changed:
        setattr(worker, k, clean[k])
    worker.save(update_fields=[*changed, "updated_at"])
    audit.record("workforce.worker.updated", worker, by=by, before=before, after=audit.snapshot(worker),
                 parent=worker.mine, reason=reason)
    return True


@transaction.atomic(durable=True)
def create_worker(mine_id: int, *, by: Actor, data: dict[str, Any]) -> Worker:
    """A worker of the mine, by its head or safety officer (WORKFORCE_EDIT)."""
    mine = _mine_for_update(by, mine_id)
    return _create_worker(mine, by=by, data=data)


@transaction.atomic(durable=True)
def update_worker(worker_id: int, *, by: Actor, data: dict[str, Any]) -> Worker:
    worker = _worker_for_update(by, worker_id)
    _update_worker(worker, by=by, data=data)
    return worker


@transaction.atomic(durable=True)
def deactivate_worker(worker_id: int, *, by: Actor, reason: str) -> Worker:
    """A worker who left (离职、调离) is kept with their certificates and history, marked not on the roster."""
    worker = _worker_for_update(by, worker_id)
    if not worker.active:
        raise DomainError(_("该人员已不在册。"))
    if not reason.strip():
        raise DomainError(_("请写明原因（如离职、调离）。"), field="reason")
    return _set_active(worker, False, by=by, verb="workforce.worker.deactivated", reason=reason.strip())


@transaction.atomic(durable=True)
def reactivate_worker(worker_id: int, *, by: Actor, reason: str = "") -> Worker:
    worker = _worker_for_update(by, worker_id)
    if worker.active:
        raise DomainError(_("该人员已在册。"))
    return _set_active(worker, True, by=by, verb="workforce.worker.reactivated", reason=reason.strip())


def _set_active(worker: Worker, active: bool, *, by: Actor, verb: str, reason: str) -> Worker:
    worker.active = active
    worker.save(update_fields=["active", "updated_at"])
    audit.record(verb, worker, by=by, before={"active": not active}, after={"active": active}, parent=worker.mine,
                 reason=reason)
    return worker


# --- certificates ----------------------------------------------------------------------------------------

def _clean_certificate(data: dict[str, Any], certificate: OperatorCertificate | None = None) -> dict[str, Any]:
    clean = _known(data, CERTIFICATE_FIELDS, OperatorCertificate)
    merged = {**({f: getattr(certificate, f) for f in CERTIFICATE_FIELDS} if certificate else {}), **clean}
    if merged.get("operation_type") not in OperationType.values:
        raise DomainError(_("请选择作业类别。"), field="operation_type")
    if not merged.get("number"):
        raise DomainError(_("请填写操作证号。"), field="number")
    problem = rules.certificate_problem(merged.get("issued"), merged.get("expires"))
    if problem:
        raise DomainError(problem, field="expires")
    return clean


def _snapshot(certificate: OperatorCertificate) -> dict[str, Any]:
    """The certificate's audit snapshot, its number masked (it usually holds the ID number: masking.py)."""
    return {**audit.snapshot(certificate), "number": certificate.masked_number}


def _same_certificate(worker: Worker, operation_type: str, number: str, exclude: int | None = None) -> bool:
    same = worker.certificates.filter(operation_type=operation_type, number=number)
    return (same.exclude(pk=exclude) if exclude is not None else same).exists()


def _add_certificate(worker: Worker, *, by: Actor, data: dict[str, Any], reason: str = "") -> OperatorCertificate:
    clean = _clean_certificate(data)
    if _same_certificate(worker, clean["operation_type"], clean["number"]):
        raise DomainError(_("该人员已登记同一作业类别、同一证号的操作证，请修改原记录。"), field="number")
    certificate = OperatorCertificate.objects.create(worker=worker, recorded_on=_beijing_date(by), **clean)
    audit.record("workforce.operatorcertificate.added", certificate, by=by, after=_snapshot(certificate),
                 parent=worker, reason=reason)
    return certificate


def _update_certificate(certificate: OperatorCertificate, *, by: Actor, data: dict[str, Any], reason: str = "") -> bool:
    """Write the fields that change. A new expiry date is recorded today and will be noticed again."""
    clean = _clean_certificate(data, certificate)
    changed = [k for k, v in clean.items() if getattr(certificate, k) != v]
    if not changed:
        return False
    kind, number = clean.get("operation_type", certificate.operation_type), clean.get("number", certificate.number)
    if _same_certificate(certificate.worker, kind, number, exclude=certificate.pk):
        raise DomainError(_("该人员已登记同一作业类别、同一证号的操作证，请修改原记录。"), field="number")
    before = _snapshot(certificate)
    for k in changed:
        setattr(certificate, k, clean[k])
    if "expires" in changed:
        certificate.recorded_on, certificate.expiry_notified_at = _beijing_date(by), None
        changed += ["recorded_on", "expiry_notified_at"]
    certificate.save(update_fields=[*changed, "updated_at"])
    audit.record("workforce.operatorcertificate.updated", certificate, by=by, before=before,
                 after=_snapshot(certificate), parent=certificate.worker, reason=reason)
    return True


@transaction.atomic(durable=True)
def add_certificate(worker_id: int, *, by: Actor, data: dict[str, Any]) -> OperatorCertificate:
    """A special operator's certificate (type, number, issued, expires) on the worker's file."""
    worker = _worker_for_update(by, worker_id)
    return _add_certificate(worker, by=by, data=data)


@transaction.atomic(durable=True)
def update_certificate(certificate_id: int, *, by: Actor, data: dict[str, Any]) -> OperatorCertificate:
    certificate = _certificate_for_update(by, certificate_id)
    _update_certificate(certificate, by=by, data=data)
    return certificate


@transaction.atomic(durable=True)
def delete_certificate(certificate_id: int, *, by: Actor, reason: str = "") -> None:
    """A certificate entered by mistake; a lapsed one is kept (it is the worker's history)."""
    certificate = _certificate_for_update(by, certificate_id)
    audit.record("workforce.operatorcertificate.deleted", certificate, by=by, before=_snapshot(certificate),
                 parent=certificate.worker, reason=reason.strip())
    certificate.delete()


# --- personal data ---------------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def reveal_worker_id(worker_id: int, *, by: Actor) -> Worker:
    """R10.8: the worker's full ID number, to roles that need it (PERSONAL_DATA_VIEW) over the mine; each
    viewing is recorded."""
    require(by.user, Perm.PERSONAL_DATA_VIEW)
    worker = visible(by.user, Worker).select_related("mine").filter(pk=worker_id).first()
    if worker is None or not worker.id_number:
        raise PermissionDenied(Perm.PERSONAL_DATA_VIEW)
    audit.record("workforce.worker.personal_data_viewed", worker, by=by, parent=worker.mine)
    return worker


# --- Excel import ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerRow:
    """One worker of an import: the sheet row it was first named on, its fields, and its certificates as
    (row, fields). The ID number may be the masked one an export shows: it then keeps the stored value."""

    row: int
    data: dict[str, Any]
    certificates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    certificates_added: int = 0
    certificates_updated: int = 0


# What a DomainError's field is called in the workbook (the column to point at).
IMPORT_COLUMNS = {"card_code": "人员卡编码", "name": "姓名", "id_number": "身份证号", "post": "岗位", "team": "班组",
                  "trade": "工种", "operation_type": "作业类别", "number": "操作证号", "issued": "发证日期",
                  "expires": "有效期至"}


@transaction.atomic(durable=True)
def import_workers(mine_id: int, rows: list[WorkerRow], *, by: Actor) -> ImportSummary:
    """All or nothing: every row is written or none is (rows already shape-checked by `excel.py`). A worker is
    found by card: new cards are added, known ones updated; a certificate is found by (type, number). Workers
    and certificates the file does not name are left as they are."""
    mine = _mine_for_update(by, mine_id)
    existing = {w.card_code: w for w in Worker.objects.filter(mine=mine).select_related("mine")}
    summary = ImportSummary()
    errors: list[RowError] = []
    reason = _("Excel 导入")
    for item in rows:
        data = dict(item.data)
        worker = existing.get(str(data.get("card_code", "")))
        shown = str(data.get("id_number") or "")
        if "*" in shown:
            if worker is None or not worker.id_number or mask_id_number(worker.id_number) != shown:
                errors.append(RowError(item.row, IMPORT_COLUMNS["id_number"],
                                       _("身份证号已隐去部分内容，无法识别：请填写完整的身份证号，或留空。")))
                continue
            data["id_number"] = worker.id_number
        number = item.row
        try:
            if worker is None:
                worker = _create_worker(mine, by=by, data=data, reason=reason)
                existing[worker.card_code] = worker
                summary.created += 1
            elif _update_worker(worker, by=by, data=data, reason=reason):
                summary.updated += 1
            else:
                summary.unchanged += 1
            for cert_row, cert in item.certificates:
                number = cert_row  # the row an error is reported on
                found = _imported_certificate(worker, cert)
                if found is None:
                    _add_certificate(worker, by=by, data=cert, reason=reason)
                    summary.certificates_added += 1
                elif _update_certificate(found, by=by, data=cert, reason=reason):
                    summary.certificates_updated += 1
        except DomainError as e:
            errors.append(RowError(number, IMPORT_COLUMNS.get(e.field or "", ""), e.message))
    if errors:
        raise ImportRejected(errors)
    return summary


def _imported_certificate(worker: Worker, cert: dict[str, Any]) -> OperatorCertificate | None:
    """The worker's certificate an imported row names, by type and number; a masked number (an exported ledger)
    names the one it masks. A masked number matching none is refused (it cannot be stored)."""
    same_type = worker.certificates.filter(operation_type=cert["operation_type"]) if worker.pk else []
    if "*" not in cert["number"]:
        return next((c for c in same_type if c.number == cert["number"]), None)
    found = next((c for c in same_type if c.masked_number == cert["number"]), None)
    if found is None:
        raise DomainError(_("操作证号已隐去部分内容，无法识别：请填写完整的操作证号。"), field="number")
    cert["number"] = found.number
    return found


# --- periodic: certificates about to expire ----------------------------------------------------------------

def _notify_expiring_certificates(at: datetime) -> int:
    """R5.2 (kuangan tick): each certificate of a worker on the roster whose expiry comes within
    settings.WORKFORCE_CERTIFICATE_NOTICE_DAYS days is told once to the mine's head and safety officers,
    stamped with the start of the Beijing day it fell due. A certificate already renewed (a later one of the
    same type) or recorded after it lapsed is not noticed."""
    days = settings.WORKFORCE_CERTIFICATE_NOTICE_DAYS
    today = at.astimezone(clock.SHANGHAI).date()
    renewed = OperatorCertificate.objects.filter(worker=OuterRef("worker"), operation_type=OuterRef("operation_type"),
                                                 expires__gt=OuterRef("expires"))
    due = (OperatorCertificate.objects.filter(expiry_notified_at__isnull=True, expires__lte=today + timedelta(days=days),
                                              expires__gte=F("recorded_on"), worker__active=True)
           .exclude(Exists(renewed)).order_by("expires", "pk").values_list("pk", flat=True))
    count = 0
    for pk in list(due):
        with transaction.atomic():
            certificate = (OperatorCertificate.objects.select_for_update(of=("self",))
                           .select_related("worker__mine").filter(pk=pk, expiry_notified_at__isnull=True).first())
            if certificate is None or not rules.needs_notice(certificate.expires, certificate.recorded_on, today, days):
                continue
            stamp = min(clock.from_local(rules.notice_stamp(certificate.expires, certificate.recorded_on, days)), at)
            by = Actor.system(Via.TICK, at=stamp)
            certificate.expiry_notified_at = stamp
            certificate.save(update_fields=["expiry_notified_at"])
            worker = certificate.worker
            audit.record("workforce.operatorcertificate.expiry_notified", certificate, by=by,
                         before={"expiry_notified_at": None}, after={"expiry_notified_at": stamp}, parent=worker)
            notify(mine_users(worker.mine, Role.MINE_HEAD, Role.MINE_SAFETY_OFFICER), by=by,
                   url=worker.get_absolute_url(),
                   title=_("特种作业操作证将于 %(day)s 到期：%(name)s（%(type)s）") % {
                       "day": certificate.expires.isoformat(), "name": worker.name,
                       "type": certificate.get_operation_type_display()},
                   body=_("%(mine)s %(name)s（人员卡 %(card)s）的%(type)s操作证（证号 %(number)s）有效期至 %(day)s，"
                          "请及时安排复审或换证；到期未复审的不得上岗作业。") % {
                       "mine": worker.mine.name, "name": worker.name, "card": worker.card_code,
                       "type": certificate.get_operation_type_display(), "number": certificate.masked_number,
                       "day": certificate.expires.isoformat()})
            count += 1
    return count
