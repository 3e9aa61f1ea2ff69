"""Pure rules of the workforce (R5.1, R5.2): when a special operator's certificate is valid, expiring or
expired, and when its expiry notice falls due. Plain values in, decisions out; no ORM, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from .choices import CertificateFilter, CertificateState


def certificate_valid(issued: date, expires: date, day: date) -> bool:
    """A certificate is valid from its issue day up to and including its expiry day (a certificate expiring
    on a day is still valid on that day)."""
    return issued <= day <= expires


def certificate_state(issued: date, expires: date, day: date, notice_days: int) -> CertificateState:
    """The state a certificate is in on `day`: expiring when it is valid and lapses within `notice_days`."""
    if day < issued:
        return CertificateState.NOT_YET_VALID
    if day > expires:
        return CertificateState.EXPIRED
    if (expires - day).days <= notice_days:
        return CertificateState.EXPIRING
    return CertificateState.VALID


def certificate_problem(issued: date | None, expires: date | None) -> str | None:
    """Why these dates cannot be a certificate's (None: they can)."""
    if issued is None or expires is None:
        return _("请填写发证日期和有效期。")
    if expires < issued:
        return _("有效期不能早于发证日期。")
    return None


def notice_due_on(expires: date, notice_days: int) -> date:
    """The Beijing day from which a certificate's expiry notice is due."""
    return expires - timedelta(days=notice_days)


def notice_stamp(expires: date, recorded_on: date, notice_days: int) -> datetime:
    """The naive Beijing wall-clock instant a notice is stamped with: the start of the day it fell due, or of
    the day the certificate was recorded when that came later (a certificate recorded inside the window)."""
    return datetime.combine(max(notice_due_on(expires, notice_days), recorded_on), time())


def needs_notice(expires: date, recorded_on: date, today: date, notice_days: int) -> bool:
    """A certificate is noticed once when its expiry comes within `notice_days` of `today`; one recorded
    when it had already lapsed is history, not news."""
    return expires >= recorded_on and notice_due_on(expires, notice_days) <= today


@dataclass(frozen=True)
class CertificateFacts:
    operation_type: str
    issued: date
    expires: date


def superseded(cert: CertificateFacts, certs: Sequence[CertificateFacts]) -> bool:
    """A certificate renewed by a later one of the same type (换证) is history: its lapse is no news."""
    return any(o.operation_type == cert.operation_type and o.expires > cert.expires for o in certs)


def worker_flags(certs: Sequence[CertificateFacts], special: bool, day: date, notice_days: int) -> set[CertificateFilter]:
    """Which of the ledger's certificate filters a worker meets on `day` (queries.certificate_q is the same in
    SQL): a current certificate expiring, a current one lapsed, or a special operator without any valid one."""
    flags = set()
    for c in certs:
        if superseded(c, certs):
            continue
        state = certificate_state(c.issued, c.expires, day, notice_days)
        if state == CertificateState.EXPIRING:
            flags.add(CertificateFilter.EXPIRING)
        elif state == CertificateState.EXPIRED:
            flags.add(CertificateFilter.EXPIRED)
    if special and not any(certificate_valid(c.issued, c.expires, day) for c in certs):
        flags.add(CertificateFilter.UNCERTIFIED)
    return flags
