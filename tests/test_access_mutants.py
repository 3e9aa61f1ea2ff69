"""Cases of the access policy the mutation run (scripts/mutation) found no test for, asked of the policy
itself (core.access) rather than through the pages: what each organization sees of mines, enterprises and
plans; a visit planned above the county (hidden below its owner); the inspection team from another county
(交叉执法) while the inspection is open; a model that needs a permission besides the scope (leads); and
the helpers the actions use (404 for "missing" and "not yours", the locked row, the administrators'
reach)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from kuangan.core import access
from kuangan.core.choices import Perm, Role
from kuangan.core.models import ApiToken
from kuangan.enforcement.choices import InspectionStatus
from kuangan.enforcement.models import EnforcementPlan, Inspection, InspectionTeamMember, PlanItem
from kuangan.monitoring.choices import LeadKind
from kuangan.monitoring.models import Lead
from kuangan.registry.models import Enterprise, Mine
from kuangan.testing import make_enterprise, make_user, scoped_models

T = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)


def _seen(user, model) -> set[int]:  # type: ignore[no-untyped-def]
    return set(access.visible(user, model).values_list("pk", flat=True))


def _mines(*mines: Mine) -> set[int]:
    return {m.pk for m in mines}


def test_the_roles_permissions_and_none_for_who_is_not_an_active_known_user(world):
    assert access.perms_of(world.inspector) == access.ROLE_PERMS[Role.INSPECTOR]
    assert access.perms_of(world.mine_head) == access.ROLE_PERMS[Role.MINE_HEAD]
    for nobody in (None, AnonymousUser(), make_user("gone", world.county, Role.INSPECTOR, is_active=False),
                   make_user("odd", world.county, "no_such_role")):
        assert access.perms_of(nobody) == frozenset()


def test_each_organization_sees_exactly_its_mines(world):
    ent_a_manager = make_user("ent_a_manager", world.ent_a.organization, Role.ENTERPRISE_SAFETY_MANAGER)
    a1, a2, b1 = world.a1, world.a2, world.b1
    assert _seen(world.inspector, Mine) == _mines(a1, a2)  # the county: its division
    assert _seen(world.city_inspector, Mine) == _mines(a1, a2, b1)  # the city: the divisions below it too
    assert _seen(world.foreign_inspector, Mine) == _mines(b1)
    assert _seen(world.group_manager, Mine) == _mines(a1, a2)  # the parent company: its subsidiaries' mines
    assert _seen(ent_a_manager, Mine) == _mines(a1, a2)
    assert _seen(world.mine_head, Mine) == _mines(a1)
    assert _seen(world.expert, Mine) == _mines(a1)  # the expert body: the mines it is assigned to
    homeless = make_user("homeless_inspector", None, Role.INSPECTOR)
    assert _seen(homeless, Mine) == set() and _seen(homeless, Enterprise) == set()


def test_each_organization_sees_exactly_its_enterprises(world):
    ent_a_manager = make_user("ent_a_manager", world.ent_a.organization, Role.ENTERPRISE_SAFETY_MANAGER)
    without_mines = make_enterprise("中阳县新建煤业有限公司", "141129")  # registered in the county, no mine yet
    group, ent_a, ent_b = world.group.pk, world.ent_a.pk, world.ent_b.pk
    # a regulator: the owners of its mines, their parents, and every enterprise registered in its jurisdiction
    assert _seen(world.inspector, Enterprise) == {group, ent_a, without_mines.pk}
    assert _seen(world.city_inspector, Enterprise) == {group, ent_a, ent_b, without_mines.pk}
    assert _seen(world.foreign_inspector, Enterprise) == {ent_b}
    # an enterprise: itself and its subsidiaries
    assert _seen(world.group_manager, Enterprise) == {group, ent_a}
    assert _seen(ent_a_manager, Enterprise) == {ent_a}
    # a mine or an expert body: the owner of the mines it sees, and the owner's parent
    assert _seen(world.mine_head, Enterprise) == {group, ent_a}
    assert _seen(world.expert, Enterprise) == {group, ent_a}
    assert _seen(world.sec_admin, Enterprise) == set()


def _plan(org, by) -> EnforcementPlan:  # type: ignore[no-untyped-def]
    return EnforcementPlan.objects.create(organization=org, year=2024, month=7, created_by=by, created_at=T)


def _item(plan: EnforcementPlan, mine: Mine, by) -> PlanItem:  # type: ignore[no-untyped-def]
    return PlanItem.objects.create(plan=plan, mine=mine, method="unannounced", reason="举报", added_by=by, added_at=T)


def test_a_plan_is_seen_by_its_regulator_and_the_levels_above_only(world):
    county, city = _plan(world.county, world.inspector), _plan(world.city, world.city_inspector)
    assert _seen(world.inspector, EnforcementPlan) == {county.pk}
    assert _seen(world.city_inspector, EnforcementPlan) == {county.pk, city.pk}
    for user in (world.foreign_inspector, world.mine_head, world.group_manager, world.expert, world.sec_admin):
        assert _seen(user, EnforcementPlan) == set(), user.username


def test_a_visit_the_city_plans_is_hidden_from_the_county_and_every_plan_from_the_mine(world):
    county_item = _item(_plan(world.county, world.inspector), world.a1, world.inspector)
    city_item = _item(_plan(world.city, world.city_inspector), world.a1, world.city_inspector)
    assert _seen(world.inspector, PlanItem) == {county_item.pk}
    assert _seen(world.city_inspector, PlanItem) == {county_item.pk, city_item.pk}
    for user in (world.mine_head, world.group_manager, world.expert, world.foreign_inspector):
        assert _seen(user, PlanItem) == set(), user.username


def _inspection(world, org, status: str) -> Inspection:  # type: ignore[no-untyped-def]
    return Inspection.objects.create(
        mine=world.a1, organization=org, source="tip_off", method="unannounced", leader=world.inspector,
        status=status, planned_on=date(2024, 7, 1), opened_by=world.inspector, opened_at=T)


def test_a_planned_inspection_is_hidden_below_its_owner_and_a_visited_one_is_not(world):
    planned = _inspection(world, world.county, InspectionStatus.PLANNED)
    visited = _inspection(world, world.county, InspectionStatus.ON_SITE)
    city_planned = _inspection(world, world.city, InspectionStatus.PLANNED)
    assert _seen(world.inspector, Inspection) == {planned.pk, visited.pk}
    assert _seen(world.city_inspector, Inspection) == {planned.pk, visited.pk, city_planned.pk}
    for user in (world.mine_head, world.group_manager, world.expert):
        assert _seen(user, Inspection) == {visited.pk}, user.username
    assert _seen(world.foreign_inspector, Inspection) == set()
    assert set(Inspection.objects.filter(pk__in=[planned.pk, city_planned.pk]).visible_to(world.inspector)) == {planned}


def test_a_team_member_from_another_county_sees_the_inspection_while_it_is_open(world):
    visited = _inspection(world, world.county, InspectionStatus.ON_SITE)
    other = _inspection(world, world.county, InspectionStatus.ON_SITE)
    own = InspectionTeamMember.objects.create(inspection=visited, user=world.inspector)
    guest = InspectionTeamMember.objects.create(inspection=visited, user=world.foreign_inspector)
    # 交叉执法: the inspection and its team, nothing else of the mine
    assert _seen(world.foreign_inspector, Inspection) == {visited.pk}
    assert _seen(world.foreign_inspector, InspectionTeamMember) == {own.pk, guest.pk}
    assert _seen(world.foreign_inspector, Mine) == {world.b1.pk}
    assert other.pk not in _seen(world.foreign_inspector, Inspection)
    # a member who is no regulator, or holds no view of mines, is given nothing by the team
    for outsider in (world.foreign_mine_head, make_user("foreign_sec", world.foreign_county, Role.SECURITY_ADMIN)):
        InspectionTeamMember.objects.create(inspection=visited, user=outsider)
        assert _seen(outsider, Inspection) == set() and _seen(outsider, InspectionTeamMember) == set()
    Inspection.objects.filter(pk=visited.pk).update(status=InspectionStatus.CLOSED)
    assert _seen(world.foreign_inspector, Inspection) == set()
    assert _seen(world.foreign_inspector, InspectionTeamMember) == set()


def test_a_lead_needs_a_regulator_holding_the_permission_to_view_leads(world):
    lead = Lead.objects.create(mine=world.a1, kind=LeadKind.HIDDEN_WORKING_FACE, start=T, episode_start=T,
                               raised_at=T)
    assert _seen(world.inspector, Lead) == {lead.pk}
    assert _seen(world.auditor, Lead) == {lead.pk}
    # the county's system administrator sees the mine, not its leads; the mine never
    assert Perm.LEAD_VIEW not in access.perms_of(world.county_admin) and _seen(world.county_admin, Mine)
    for user in (world.county_admin, world.mine_head, world.group_manager, world.foreign_inspector):
        assert _seen(user, Lead) == set(), user.username


def test_is_regulator_asks_the_users_organization(world):
    assert access.is_regulator(world.inspector) and access.is_regulator(world.sec_admin)
    assert not access.is_regulator(world.mine_head) and not access.is_regulator(world.expert)
    assert not access.is_regulator(make_user("homeless", None, Role.INSPECTOR))


def test_missing_and_not_yours_are_the_same_404(world):
    assert access.get_visible_or_404(world.inspector, Mine, pk=world.a1.pk) == world.a1
    assert access.get_visible_or_404(world.inspector, Mine.objects.filter(code=world.a1.code), pk=world.a1.pk) == world.a1
    for lookup in ({"pk": world.b1.pk}, {"pk": 10**9}, {"pk": "not-a-number"}, {"code__in": 7}):
        with pytest.raises(Http404):
            access.get_visible_or_404(world.inspector, Mine, **lookup)


def test_a_permission_without_an_object_is_the_roles(world):
    assert access.can(world.inspector, Perm.MINE_EDIT)
    assert not access.can(world.mine_dispatcher, Perm.MINE_EDIT)
    with pytest.raises(PermissionDenied) as refused:
        access.require(world.mine_dispatcher, Perm.MINE_EDIT)
    assert refused.value.args == (Perm.MINE_EDIT,)


def test_the_row_for_an_action_is_the_users_and_comes_with_what_was_asked(world, django_assert_num_queries):
    with transaction.atomic():
        row = access.locked_for_action(world.inspector, Mine, world.a1.pk, Perm.MINE_EDIT, "enterprise")
        assert row == world.a1
        with django_assert_num_queries(0):
            assert row.enterprise.name == world.ent_a.name
        for user, pk in ((world.inspector, world.b1.pk), (world.inspector, 10**9), (world.auditor, world.a1.pk)):
            with pytest.raises(PermissionDenied) as refused:  # not ours, missing, or ours without the permission
                access.locked_for_action(user, Mine, pk, Perm.MINE_EDIT)
            assert refused.value.args == (Perm.MINE_EDIT,)


def test_the_accounts_in_reach_come_by_organization_then_name_with_their_division(world, django_assert_num_queries):
    accounts = access.accounts_in_reach(world.sec_admin, Perm.ROLE_MANAGE)
    with django_assert_num_queries(1):
        rows = [(u.organization.kind, u.organization.name, u.username, u.organization.division.path)
                for u in accounts]
    # the county's own accounts and its mine's, not the city's expert body nor another county's
    assert [username for _kind, _name, username, _path in rows] == [
        "mine_dispatcher", "mine_head", "mine_safety_officer", "auditor", "county_admin", "inspector", "sec_admin"]
    assert {path for *_rest, path in rows} == {world.county.division.path}


def test_the_tokens_in_reach_come_with_their_accounts(world, django_assert_num_queries):
    ours = make_user("a1_system", world.a1.organization, Role.MINE_SYSTEM)
    theirs = make_user("b1_system", world.b1.organization, Role.MINE_SYSTEM)
    for n, user in enumerate((ours, theirs)):
        ApiToken.objects.create(user=user, name="上传", prefix=f"prefix{n}", key_hash=f"{n}" * 64, created_at=T)
    tokens = access.tokens_in_reach(world.sec_admin)
    with django_assert_num_queries(1):
        assert [t.user.username for t in tokens] == ["a1_system"]


def test_an_object_that_does_not_say_it_is_authenticated_holds_no_permission(world):
    """Deny by default: a user-like object (a token's owner stand-in, a half-built request user) without
    `is_authenticated` gets nothing, whatever role it names."""
    assert access.perms_of(SimpleNamespace(is_active=True, role=Role.INSPECTOR)) == frozenset()


def test_the_policy_answers_nothing_for_a_regulator_only_model_to_anyone_not_a_regulator(world):
    """Each regulator-only model (plans, planned visits, leads) is refused to the mine side before any
    other rule runs: none of the other protections (division, view permission, hiding below the owner) is
    what keeps them out."""
    only = [m for m in scoped_models() if getattr(m, "regulator_only", False)]
    assert {m.__name__ for m in only} >= {"EnforcementPlan", "PlanItem", "Lead"}
    for model in only:
        assert access.scope_q(world.inspector, model) is not access.NOTHING, model.__name__
        for user in (world.mine_head, world.mine_safety_officer, world.group_manager, world.expert):
            assert access.scope_q(user, model) is access.NOTHING, (model.__name__, user.username)
    # a division's rows are a regulator's, even for a mine account holding the permission to view mines
    assert Perm.MINE_VIEW in access.perms_of(world.mine_head)
    assert access.division_q(world.mine_head, "organization__division") is access.NOTHING


def test_rows_hidden_below_their_owner_are_only_those_the_owners_rule_hides(world):
    """The city's visit that has begun is no secret: the county sees it, as it sees its own."""
    city_visited = _inspection(world, world.city, InspectionStatus.ON_SITE)
    city_planned = _inspection(world, world.city, InspectionStatus.PLANNED)
    assert _seen(world.inspector, Inspection) == {city_visited.pk}
    assert _seen(world.city_inspector, Inspection) == {city_visited.pk, city_planned.pk}


def test_the_accounts_in_reach_come_by_kind_organization_and_name_and_need_the_permission(world):
    make_user("a_user", world.a2.organization, Role.MINE_HEAD)  # 甲二煤矿 after 甲一煤矿, "a_" before "mine_"
    reach = list(access.accounts_in_reach(world.county_admin, Perm.USER_MANAGE))
    listed = [(u.organization.kind, u.organization.name, u.username) for u in reach]
    assert listed == sorted(listed) != sorted(listed, key=lambda r: (r[0], r[2]))
    names = {u.username for u in reach}
    assert names >= {"inspector", "mine_head", "a_user"} and "foreign_inspector" not in names
    for nobody, perm in ((AnonymousUser(), Perm.USER_MANAGE), (world.inspector, Perm.USER_MANAGE),
                         (make_user("homeless_admin", None, Role.REGULATOR_ADMIN), Perm.USER_MANAGE)):
        with pytest.raises(PermissionDenied, match=perm):
            access.accounts_in_reach(nobody, perm)
