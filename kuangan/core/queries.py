"""Scoped reads of the core app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from .access import require, visible
from .audit import verify_chain
from .choices import OrganizationKind, Perm
from .clock import SHANGHAI
from .models import AuditEvent, Notification, Organization, User


def managed_organizations(user: Any) -> QuerySet[Organization]:
    """Organizations whose accounts the user's administrator role reaches: its jurisdiction."""
    require(user, Perm.USER_MANAGE)
    return Organization.objects.filter(division__path__startswith=user.organization.division.path) \
        .select_related("division")


def managed_users(user: Any) -> QuerySet[User]:
    return User.objects.filter(organization__in=managed_organizations(user)) \
        .select_related("organization").order_by("organization__kind", "organization__name", "username")


def inbox(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def audit_events(user: Any) -> QuerySet[AuditEvent]:
    """The audit trail of the auditor's jurisdiction (separation of duties, R10.7): events whose
    division is the auditor's or below it. Only the province (the root division) also sees the
    events that belong to no division."""
    require(user, Perm.AUDIT_VIEW)
    org = user.organization
    if org is None or org.kind != OrganizationKind.REGULATOR:
        raise PermissionDenied(Perm.AUDIT_VIEW)
    if org.division.parent_id is None:
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(division_path__startswith=org.division.path)


def _mine_model() -> type[models.Model]:
    return apps.get_model("registry", "Mine")  # by name: core imports no domain app


def audit_mines(user: Any) -> QuerySet[Any]:
    """The mines the audit log can be filtered by: those the auditor may see."""
    return visible(user, _mine_model()).order_by("name")


def _rows_of_mine(mine_id: int) -> list[tuple[str, QuerySet[Any]]]:
    """(type name, ids as text) of every kind of row that belongs to a mine (models declaring
    `scope_path`), to match events on their target or their parent."""
    found = []
    for model in apps.get_models():
        path = getattr(model, "scope_path", None)
        if path is None:
            continue
        rows = model._base_manager.filter(**{path or "pk": mine_id})
        found.append((model._meta.label_lower, rows.annotate(_id=Cast("pk", CharField())).values("_id")))
    return found


@dataclass(frozen=True)
class AuditFilter:
    """The audit log's filters: person (name or user name), object (name or type), mine, Beijing dates."""

    person: str = ""
    obj: str = ""
    mine: int | None = None
    since: date | None = None
    until: date | None = None
    errors: tuple[str, ...] = ()

    @classmethod
    def parse(cls, params: Any, user: Any) -> AuditFilter:
        errors = []
        dates: dict[str, date | None] = {}
        for name, label in (("since", _("起始日期")), ("until", _("截止日期"))):
            raw = (params.get(name) or "").strip()
            try:
                dates[name] = date.fromisoformat(raw) if raw else None
                if not 1900 <= (dates[name] or date(2000, 1, 1)).year <= 2999:  # converting it to UTC would overflow
                    raise ValueError(raw)
            except ValueError:
                dates[name] = None
                errors.append(_("%(field)s应写成 2024-06-30 这样的日期。") % {"field": label})
        raw_mine = (params.get("mine") or "").strip()
        mine = int(raw_mine) if raw_mine.isdigit() and len(raw_mine) < 10 else None
        if raw_mine and (mine is None or not audit_mines(user).filter(pk=mine).exists()):
            errors.append(_("所选矿山不存在或不在您的辖区内。"))
            mine = None
        return cls(person=(params.get("person") or "").strip()[:100], obj=(params.get("obj") or "").strip()[:100],
                   mine=mine, since=dates["since"], until=dates["until"], errors=tuple(errors))

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.person:
            events = events.filter(Q(actor_name__icontains=self.person) | Q(actor__username__icontains=self.person))
        if self.obj:
            types = [m._meta.label_lower for m in apps.get_models() if self.obj in str(m._meta.verbose_name)]
            events = events.filter(Q(target_repr__icontains=self.obj) | Q(target_type__in=types))
        if self.mine is not None:
            q = Q()
            for type_name, ids in _rows_of_mine(self.mine):
                q |= Q(target_type=type_name, target_id__in=ids) | Q(parent_type=type_name, parent_id__in=ids)
            events = events.filter(q)
        if self.since:
            events = events.filter(at__gte=datetime.combine(self.since, time(0), tzinfo=SHANGHAI))
        if self.until:
            events = events.filter(at__lt=datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=SHANGHAI))
        return events

    def query(self) -> str:
        """The filters as a query string, for the pager's links."""
        pairs = {"person": self.person, "obj": self.obj, "mine": self.mine or "",
                 "since": self.since or "", "until": self.until or ""}
        return urlencode({k: str(v) for k, v in pairs.items() if v})


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    problem: str


def verify_audit_chain(user: Any) -> ChainCheck:
    """The whole chain is verified, but an auditor learns only about their jurisdiction: how many of
    its events were checked, and where the chain broke only when it broke at one of them (or at an
    event that no longer exists, which belongs to no one)."""
    events = audit_events(user)
    report = verify_chain()
    if report.ok:
        return ChainCheck(True, events.count(), "")
    seq = report.broken_seq
    if seq is None or events.filter(seq=seq).exists() or not AuditEvent.objects.filter(seq=seq).exists():
        where = _("审计链在第 %(seq)d 条处断开：") % {"seq": seq} if seq is not None else _("审计链校验未通过：")
        return ChainCheck(False, 0, where + report.problem)
    return ChainCheck(False, 0, _("审计链在本辖区以外的一条记录处断开，请联系省级审计管理员。"))
