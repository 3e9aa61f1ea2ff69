"""Who is told about a mine: its own users by role, and the inspectors of its county's regulator.
System-level (no access policy): the notification recipients of actions and of ingestion."""

from __future__ import annotations

from kuangan.core.choices import OrganizationKind, Role
from kuangan.core.models import User

from .models import Mine


def mine_users(mine: Mine, *roles: str) -> list[User]:
    if mine.organization_id is None:
        return []
    return list(User.objects.filter(is_active=True, organization_id=mine.organization_id, role__in=roles))


def county_inspectors(mine: Mine) -> list[User]:
    """The inspectors of the regulator that holds the mine's own division (the county bureau)."""
    return list(User.objects.filter(is_active=True, role=Role.INSPECTOR,
                                    organization__kind=OrganizationKind.REGULATOR,
                                    organization__division_id=mine.division_id))
