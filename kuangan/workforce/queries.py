"""Scoped reads of the workforce: a mine's workers ledger (page and Excel), a worker's file, its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from kuangan.core import audit
from kuangan.core.access import get_visible_or_404, visible
from kuangan.registry.models import Mine

from . import rules
from .choices import CertificateFilter, CertificateState
from .filters import WorkerFilter
from .models import OperatorCertificate, Worker


def notice_days() -> int:
    return int(settings.WORKFORCE_CERTIFICATE_NOTICE_DAYS)


def certificate_q(choice: CertificateFilter | None, today: date, days: int) -> Q | None:
    """The ledger's certificate filter in SQL (rules.worker_flags is the same for one worker): a current
    certificate (not renewed by a later one of its type) expiring within `days` or lapsed, or a special
    operator without any certificate valid `today`."""
    if choice is None:
        return None
    certs = OperatorCertificate.objects.filter(worker=OuterRef("pk"))
    renewed = OperatorCertificate.objects.filter(worker=OuterRef("worker"), operation_type=OuterRef("operation_type"),
                                                 expires__gt=OuterRef("expires"))
    if choice == CertificateFilter.EXPIRING:
        return Q(Exists(certs.filter(issued__lte=today, expires__gte=today, expires__lte=today + timedelta(days=days))
                        .exclude(Exists(renewed))))
    if choice == CertificateFilter.EXPIRED:
        return Q(Exists(certs.filter(expires__lt=today).exclude(Exists(renewed))))
    return Q(special_flag=True) & ~Q(Exists(certs.filter(issued__lte=today, expires__gte=today)))


def visible_workers(user: Any, mine: Mine) -> QuerySet[Worker]:
    return visible(user, Worker).filter(mine=mine)


def worker_ledger(user: Any, mine: Mine, filters: WorkerFilter, today: date) -> QuerySet[Worker]:
    """The page and its Excel export: the mine's workers by name, their certificates in one more query."""
    qs = filters.apply(visible_workers(user, mine), certificate_q(filters.certificate, today, notice_days()))
    return qs.order_by("name", "card_code", "pk").prefetch_related("certificates")


def get_visible_worker(user: Any, mine: Mine, pk: int) -> Worker:
    """The same 404 for missing, another mine's and not yours."""
    return get_visible_or_404(user, visible(user, Worker).select_related("mine"), pk=pk, mine=mine)


def get_visible_certificate(user: Any, mine: Mine, pk: int) -> OperatorCertificate:
    return get_visible_or_404(user, visible(user, OperatorCertificate).select_related("worker__mine"), pk=pk,
                              worker__mine=mine)


@dataclass
class CertificateRow:
    certificate: OperatorCertificate
    state: CertificateState
    renewed: bool  # a later certificate of the same type exists


def certificate_rows(certificates: list[OperatorCertificate], today: date) -> list[CertificateRow]:
    facts = [rules.CertificateFacts(c.operation_type, c.issued, c.expires) for c in certificates]
    days = notice_days()
    return [CertificateRow(c, rules.certificate_state(c.issued, c.expires, today, days), rules.superseded(f, facts))
            for c, f in zip(certificates, facts, strict=True)]


@dataclass
class LedgerRow:
    worker: Worker
    certificates: list[CertificateRow]
    flags: set[CertificateFilter]


def ledger_rows(workers: Any, today: date) -> list[LedgerRow]:
    """A page of the ledger with each worker's certificates and what the certificate filter would say."""
    days = notice_days()
    rows = []
    for w in workers:
        certs = list(w.certificates.all())
        facts = [rules.CertificateFacts(c.operation_type, c.issued, c.expires) for c in certs]
        rows.append(LedgerRow(w, certificate_rows(certs, today), rules.worker_flags(facts, w.special_flag, today, days)))
    return rows


@dataclass
class WorkerFile:
    worker: Worker
    certificates: list[CertificateRow]
    flags: set[CertificateFilter]
    history: Any


def worker_file(user: Any, mine: Mine, pk: int, today: date) -> WorkerFile:
    """一人一档: the worker, the certificates with their state today, the history (the worker's events and its
    certificates')."""
    worker = get_visible_worker(user, mine, pk)
    certs = list(worker.certificates.all())
    facts = [rules.CertificateFacts(c.operation_type, c.issued, c.expires) for c in certs]
    return WorkerFile(worker, certificate_rows(certs, today),
                      rules.worker_flags(facts, worker.special_flag, today, notice_days()),
                      audit.with_changes(audit.history(worker)[:100]))
