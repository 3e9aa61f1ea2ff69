"""Scoped reads of the core app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .access import require
from .choices import Perm
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
    """The audit trail, for the auditor role only (separation of duties, R10.7)."""
    require(user, Perm.AUDIT_VIEW)
    if user.organization is None:
        raise PermissionDenied(Perm.AUDIT_VIEW)
    return AuditEvent.objects.all()
