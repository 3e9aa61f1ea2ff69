"""THE access policy. Every query of mine data goes through `scope_q` / `visible`; every action
checks `require`. What a role may do is the ROLE_PERMS table; what a user may see follows from the
user's organization:

- a regulator sees the mines of its division and every division below it (prefix of `path`);
- an enterprise sees its own mines and those of the companies it is the parent of;
- a mine sees itself;
- an expert body sees the mines it is assigned to;
- anything else sees nothing (deny by default).

Models that hold mine data declare `scope_path`, the ORM path from the model to its mine ("" for
the mine itself). The enterprise model declares `enterprise_scoped = True` instead; rows of a regulator
without a mine (an enforcement plan) declare `division_scope_path`, the path to their division. Three more
declarations narrow or widen a scope:

- `regulator_only = True`: only regulators see the rows (plans: an unannounced visit is not announced);
- `hidden_below_owner = (path to the owning regulator's division path, {lookup: value})`: rows matching the
  lookups are seen only by their owner and the levels above it: hidden from mine, enterprise and expert
  users, and from a county when its city plans the visit (四不两直: a planned inspection, a document not
  yet served, a case not yet notified);
- `team_scope_path`: the path to an inspection; a regulator on that inspection's team sees the row while
  the inspection is open, outside its jurisdiction too (交叉执法), and nothing else of that mine;
- `view_perm`: a permission the user must hold besides the scope (leads of illegal production).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from .choices import OrganizationKind, Perm, Role

ALL_VIEW = frozenset({Perm.MINE_VIEW})
REGULATOR_HAZARDS = frozenset({Perm.HAZARD_REPORT, Perm.HAZARD_VERIFY, Perm.HAZARD_SUPERVISE})
MINE_HAZARDS = frozenset({Perm.HAZARD_REPORT, Perm.HAZARD_RECTIFY})
MINE_ALARMS = frozenset({Perm.ALARM_HANDLE, Perm.PLANNED_WINDOW_DECLARE})
# A long planned window (or too many hours a day) takes effect once a regulator approves it.
REGULATOR_ALARMS = frozenset({Perm.ALARM_HANDLE, Perm.PLANNED_WINDOW_DECIDE})
ENFORCEMENT = frozenset({Perm.PLAN_EDIT, Perm.INSPECTION_CONDUCT, Perm.CLASS_OVERRIDE, Perm.PENALTY_CASE,
                         Perm.DOCUMENT_SIGN, Perm.ENFORCEMENT_STATS_VIEW})
# Leads of illegal production are the regulator's: never shown or notified to the mine or its enterprise.
# A mine maps its positioning areas as evidence; only a regulator's confirmation makes a mapping count.
LEADS = frozenset({Perm.LEAD_VIEW, Perm.LEAD_HANDLE, Perm.AREA_MAP_EDIT, Perm.FENCE_EDIT})
MINE_PERSONNEL = frozenset({Perm.AREA_MAP_EDIT, Perm.WORKFORCE_EDIT})

ROLE_PERMS: dict[str, frozenset[str]] = {
    # 三员分立 (R10.7): the system administrator manages accounts and the registry, without the audit
    # trail, roles or tokens; the security administrator gives roles, unlocks accounts and manages tokens,
    # without mine data; the audit administrator reads the audit trail and changes nothing.
    Role.REGULATOR_ADMIN: ALL_VIEW | REGULATOR_HAZARDS | REGULATOR_ALARMS | {
        Perm.MINE_CREATE, Perm.MINE_EDIT, Perm.MINE_STATUS_CHANGE, Perm.MINE_IMPORT,
        Perm.ENTERPRISE_EDIT, Perm.SUPERVISION_EDIT, Perm.USER_MANAGE, Perm.PERSONAL_DATA_VIEW,
        Perm.ENFORCEMENT_STATS_VIEW,
    },
    Role.SECURITY_ADMIN: frozenset({Perm.ROLE_MANAGE, Perm.ACCOUNT_UNLOCK, Perm.TOKEN_MANAGE}),
    Role.INSPECTOR: ALL_VIEW | REGULATOR_HAZARDS | REGULATOR_ALARMS | ENFORCEMENT | LEADS | {
        Perm.MINE_CREATE, Perm.MINE_EDIT, Perm.MINE_STATUS_CHANGE, Perm.ENTERPRISE_EDIT,
        Perm.SUPERVISION_EDIT, Perm.PERSONAL_DATA_VIEW,
    },
    # The agency's head (行政处罚法 第五十七条) approves penalty decisions; he also inspects and reads statistics.
    Role.REGULATOR_LEADER: ALL_VIEW | REGULATOR_HAZARDS | ENFORCEMENT | LEADS | {Perm.PENALTY_APPROVE},
    Role.AUDITOR: ALL_VIEW | {Perm.AUDIT_VIEW, Perm.ENFORCEMENT_STATS_VIEW, Perm.LEAD_VIEW},
    Role.ENTERPRISE_SAFETY_MANAGER: ALL_VIEW | MINE_HAZARDS | {Perm.MINE_EDIT, Perm.PERSONAL_DATA_VIEW},
    # The mine head may close out ordinary hazards; the rules refuse it for major ones (R2.4).
    Role.MINE_HEAD: ALL_VIEW | MINE_HAZARDS | MINE_ALARMS | MINE_PERSONNEL | {
        Perm.MINE_EDIT, Perm.PERSONAL_DATA_VIEW, Perm.HAZARD_VERIFY, Perm.MONTHLY_REPORT_SIGN,
        Perm.PRODUCTION_RETURN_SUBMIT},
    Role.MINE_SAFETY_OFFICER: ALL_VIEW | MINE_HAZARDS | MINE_ALARMS | MINE_PERSONNEL | {Perm.MINE_EDIT},
    Role.MINE_DISPATCHER: ALL_VIEW | MINE_ALARMS,
    Role.MINE_SYSTEM: frozenset({Perm.MONITORING_UPLOAD}),
    Role.EXPERT: ALL_VIEW | {Perm.HAZARD_REPORT},
}

M = TypeVar("M", bound=models.Model)

NOTHING = Q(pk__in=[])


def perms_of(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return ROLE_PERMS.get(user.role, frozenset())


def mine_q(user: Any, path: str) -> Q:
    """Rows whose mine (reached by `path`) the user may see: none without MINE_VIEW (a machine account
    uploads and reads nothing; the security administrator holds no mine data).

    Rows of other models are scoped by `<path> IN (the visible mines)`, not by joining up to the mine's
    division: the database then starts from the few visible mines and reads their rows by the mine index,
    instead of walking a province's million hazards to test each one's division (R2.11)."""
    own = _own_mines_q(user)
    if not path or own is NOTHING:
        return own
    mine_model = apps.get_model("registry", "Mine")
    return Q(**{f"{path}__in": mine_model._default_manager.filter(own).values("pk")})


def _own_mines_q(user: Any) -> Q:
    """The mines the user may see, as a filter of the mine model."""
    org = getattr(user, "organization", None)
    if Perm.MINE_VIEW not in perms_of(user) or org is None:
        return NOTHING
    if org.kind == OrganizationKind.REGULATOR:
        return Q(division__path__startswith=org.division.path)
    if org.kind == OrganizationKind.ENTERPRISE:
        return Q(enterprise__organization=org) | Q(enterprise__parent__organization=org)
    if org.kind == OrganizationKind.MINE:
        return Q(organization=org)
    if org.kind == OrganizationKind.EXPERT:
        # An expert body is assigned to a mine at most once, so this join adds no duplicates.
        return Q(expert_orgs=org)
    return NOTHING


def enterprise_q(user: Any, model: type[models.Model]) -> Q:
    """Enterprises the user may see: its own (and its subsidiaries), or those owning a mine it may
    see (and their parent companies); a regulator also sees every enterprise registered in its
    jurisdiction."""
    org = getattr(user, "organization", None)
    if Perm.MINE_VIEW not in perms_of(user) or org is None:
        return NOTHING
    if org.kind == OrganizationKind.ENTERPRISE:
        return Q(organization=org) | Q(parent__organization=org)
    mine_model = model._meta.get_field("mines").related_model
    assert isinstance(mine_model, type)
    mines = mine_model._default_manager.filter(mine_q(user, ""))
    q = Q(pk__in=mines.values("enterprise_id")) | Q(pk__in=mines.values("enterprise__parent_id"))
    if org.kind == OrganizationKind.REGULATOR:
        q |= Q(division__path__startswith=org.division.path)
    return q


def division_q(user: Any, path: str) -> Q:
    """Rows of a regulator's division and the divisions below it (reached by `path`); regulators only."""
    org = getattr(user, "organization", None)
    if Perm.MINE_VIEW not in perms_of(user) or org is None or org.kind != OrganizationKind.REGULATOR:
        return NOTHING
    return Q(**{f"{path}__path__startswith": org.division.path})


def _is_regulator(user: Any) -> bool:
    org = getattr(user, "organization", None)
    return org is not None and org.kind == OrganizationKind.REGULATOR


def is_regulator(user: Any) -> bool:
    """Whether the user belongs to a regulator (what some actions decide by: a regulator's mapping counts)."""
    return _is_regulator(user)


def _team_q(user: Any, path: str) -> Q:
    """Rows of the open inspections whose team the regulator is on (交叉执法): a subquery, so no duplicates."""
    inspection = apps.get_model("enforcement", "Inspection")  # by name: core imports no domain app
    return Q(**{f"{path}__in" if path else "pk__in": inspection.open_to_team(user)})


def scope_q(user: Any, model: type[models.Model]) -> Q:
    if hasattr(model, "division_scope_path"):
        q = division_q(user, model.division_scope_path)
    elif hasattr(model, "scope_path"):
        q = mine_q(user, model.scope_path)
    elif getattr(model, "enterprise_scoped", False):
        q = enterprise_q(user, model)
    else:
        raise TypeError(f"{model.__name__} declares no scope_path: it cannot be queried through the policy")
    regulator = _is_regulator(user)
    if getattr(model, "regulator_only", False) and not regulator:
        return NOTHING
    view_perm = getattr(model, "view_perm", None)
    if view_perm is not None and view_perm not in perms_of(user):
        return NOTHING
    owner = getattr(model, "hidden_below_owner", None)
    if owner is not None and q is not NOTHING:
        owner_path, lookups = owner
        hidden = Q(**lookups)
        if regulator:
            hidden &= ~Q(**{f"{owner_path}__startswith": user.organization.division.path})
        q &= ~hidden
    team_path = getattr(model, "team_scope_path", None)
    if team_path is not None and regulator and Perm.MINE_VIEW in perms_of(user):
        q |= _team_q(user, team_path)
    return q


def visible(user: Any, queryset: models.QuerySet[M] | type[M]) -> models.QuerySet[M]:
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    return qs.filter(scope_q(user, qs.model))


def get_visible_or_404(user: Any, queryset: models.QuerySet[M] | type[M], **lookup: Any) -> M:
    """The same 404 for "missing" and "not yours"."""
    try:
        return visible(user, queryset).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


def locked_for_action(user: Any, model: type[M], pk: Any, perm: str, *related: str) -> M:
    """Row `pk` of `model`, locked for the action's transaction, if the user may see it and holds `perm`;
    otherwise PermissionDenied, the same for "missing" and "not yours". Only the row itself is locked:
    PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins a scope or `related` may add
    (an enterprise's subsidiaries' mines, an alarm's point)."""
    row = visible(user, model).select_for_update(of=("self",)).select_related(*related).filter(pk=pk).first()
    if row is None:
        raise PermissionDenied(perm)
    require(user, perm)
    return row


def can(user: Any, perm: str, obj: models.Model | None = None) -> bool:
    if perm not in perms_of(user):
        return False
    if obj is None:
        return True
    return visible(user, type(obj)).filter(pk=obj.pk).exists()


def require(user: Any, perm: str, obj: models.Model | None = None) -> None:
    if not can(user, perm, obj):
        raise PermissionDenied(perm)


class ScopedQuerySet(models.QuerySet[M]):
    def visible_to(self, user: Any) -> models.QuerySet[M]:
        return visible(user, self)


def accounts_in_reach(user: Any, perm: str) -> models.QuerySet[Any]:
    """The accounts an administrator's `perm` reaches: those of organizations in its jurisdiction."""
    from .models import User  # the models import this module's policy

    org = getattr(user, "organization", None)
    if perm not in perms_of(user) or org is None:
        raise PermissionDenied(perm)
    return User.objects.filter(organization__division__path__startswith=org.division.path) \
        .select_related("organization__division").order_by("organization__kind", "organization__name", "username")


def tokens_in_reach(user: Any) -> models.QuerySet[Any]:
    from .models import ApiToken

    return ApiToken.objects.filter(user__in=accounts_in_reach(user, Perm.TOKEN_MANAGE)).select_related("user")
