"""Deny by default (core.access): a user without a permission to view sees no row of any scoped model, even in
the organization's own county; so does a disabled account, an anonymous user and an account whose role the
policy does not know."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from kuangan.core.access import can, perms_of, visible
from kuangan.core.choices import Perm, Role
from kuangan.registry.models import Enterprise, Mine
from kuangan.testing import make_user, scoped_models

SCOPED = scoped_models()


@pytest.fixture
def denied(world):  # type: ignore[no-untyped-def]
    county = world.inspector.organization
    return {
        "security administrator": world.sec_admin,
        "mine's upload account": make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM),
        "disabled inspector": make_user("gone", county, Role.INSPECTOR, is_active=False),
        "unknown role": make_user("odd", county, "no_such_role"),
        "anonymous": AnonymousUser(),
    }


def test_the_county_inspector_sees_the_rows_the_others_are_denied(world, denied):
    for model in (Mine, Enterprise):
        assert visible(world.inspector, model).exists(), model


@pytest.mark.parametrize("who", ["security administrator", "mine's upload account", "disabled inspector",
                                 "unknown role", "anonymous"])
def test_without_a_view_permission_nothing_of_any_scoped_model(world, denied, who):
    user = denied[who]
    assert Perm.MINE_VIEW not in perms_of(user)
    assert SCOPED and all(not visible(user, model).exists() for model in SCOPED), [
        model.__name__ for model in SCOPED if visible(user, model).exists()]
    assert not can(user, Perm.MINE_VIEW, world.a1) and not can(user, Perm.HAZARD_REPORT)
