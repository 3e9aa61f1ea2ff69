"""The access policy's edges (core.access): an organization of a kind the policy does not know sees nothing,
a model without a scope cannot be queried through it, a permission on one object holds only for the objects
the user may see, and the administrators' reach needs the permission and an organization."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from kuangan.core.access import accounts_in_reach, can, perms_of, require, tokens_in_reach, visible
from kuangan.core.choices import Perm, Role
from kuangan.core.models import Division, Organization
from kuangan.registry.models import Mine
from kuangan.testing import make_user, scoped_models

SCOPED = scoped_models()


def test_an_organization_of_a_kind_the_policy_does_not_know_sees_nothing(world):
    # the database does not hold the kind to its choices: a row written around the forms can carry any kind
    odd = Organization.objects.create(name="某研究院", kind="institute", division=world.county.division)
    user = make_user("odd_inspector", odd, Role.INSPECTOR)
    assert Perm.MINE_VIEW in perms_of(user)  # the role would see mines: the organization's kind denies them
    assert SCOPED and [m.__name__ for m in SCOPED if visible(user, m).exists()] == []
    assert not can(user, Perm.MINE_EDIT, world.a1)


def test_a_model_without_a_scope_cannot_be_queried_through_the_policy(world):
    with pytest.raises(TypeError, match="Division declares no scope_path"):
        visible(world.inspector, Division)


def test_a_permission_on_an_object_holds_only_for_objects_the_user_may_see(world):
    assert can(world.inspector, Perm.MINE_EDIT, world.a1)
    assert not can(world.inspector, Perm.MINE_EDIT, world.b1)  # another county's mine
    assert can(world.mine_head, Perm.MINE_EDIT, world.a1)
    assert not can(world.mine_head, Perm.MINE_EDIT, world.a2)  # the same enterprise's other mine
    require(world.inspector, Perm.MINE_EDIT, world.a1)
    with pytest.raises(PermissionDenied):
        require(world.inspector, Perm.MINE_EDIT, world.b1)
    assert Mine.objects.filter(pk=world.b1.pk).exists()  # it exists: it is only not ours


def test_the_administrators_reach_needs_the_permission_and_an_organization(world):
    reached = set(accounts_in_reach(world.sec_admin, Perm.ROLE_MANAGE).values_list("username", flat=True))
    assert {"inspector", "mine_head"} <= reached and "foreign_inspector" not in reached
    for user, perm in ((world.inspector, Perm.ROLE_MANAGE), (world.county_admin, Perm.TOKEN_MANAGE)):
        with pytest.raises(PermissionDenied):
            accounts_in_reach(user, perm)
    with pytest.raises(PermissionDenied):
        tokens_in_reach(world.inspector)
    homeless = make_user("homeless_sec", None, Role.SECURITY_ADMIN)
    assert Perm.ROLE_MANAGE in perms_of(homeless)
    with pytest.raises(PermissionDenied):
        accounts_in_reach(homeless, Perm.ROLE_MANAGE)
