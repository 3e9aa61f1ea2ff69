"""Test builders: a small fixed jurisdiction and its personas, and audit assertions.

World: 山西省 14 → 吕梁市 1411 → 中阳县 141129 (ours) and 孝义市 141181 (foreign county).
Enterprise A (mines A1, A2 in 中阳县) under group G; enterprise B (mine B1 in 孝义市).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import models

from kuangan.core import clock
from kuangan.core.actor import Actor
from kuangan.core.choices import OrganizationKind, Role, Via
from kuangan.core.models import AuditEvent, Division, Organization, User
from kuangan.registry.choices import (
    DisasterGrade,
    GasClass,
    HydroType,
    MineKind,
    MineStatus,
    SpontaneousCombustion,
    StandardizationGrade,
    SupervisionClass,
)
from kuangan.registry.models import Enterprise, Mine, MineStatusChange

PASSWORD = "Test-Pass-2024!"


def make_org(name: str, kind: str, division_code: str) -> Organization:
    return Organization.objects.create(name=name, kind=kind, division=Division.objects.get(code=division_code))


def make_user(username: str, org: Organization | None, role: str, **extra: Any) -> User:
    user = User(username=username, full_name=extra.pop("full_name", username), organization=org, role=role,
                password_changed_at=extra.pop("password_changed_at", clock.now()), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_enterprise(name: str, division_code: str, parent: Enterprise | None = None, with_org: bool = True) -> Enterprise:
    org = make_org(name, OrganizationKind.ENTERPRISE, division_code) if with_org else None
    return Enterprise.objects.create(name=name, division=Division.objects.get(code=division_code), parent=parent,
                                     organization=org)


def mine_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": MineKind.COAL_UNDERGROUND, "status": MineStatus.PRODUCING, "approved_capacity": Decimal("90"),
        "gas_class": GasClass.LOW, "hydro_type": HydroType.MEDIUM,
        "spontaneous_combustion": SpontaneousCombustion.POSSIBLE, "disaster_grade": DisasterGrade.MEDIUM,
        "standardization_grade": StandardizationGrade.SECOND, "supervision_class": SupervisionClass.B,
    }
    data.update(overrides)
    return data


def make_mine(code: str, name: str, enterprise: Enterprise, division_code: str, **overrides: Any) -> Mine:
    """A mine as registration leaves it: with its first status row, dated a year back."""
    org = make_org(name, OrganizationKind.MINE, division_code)
    mine = Mine.objects.create(code=code, name=name, enterprise=enterprise, organization=org,
                               division=Division.objects.get(code=division_code), **mine_data(**overrides))
    registered = clock.now() - timedelta(days=365)
    MineStatusChange.objects.create(mine=mine, from_status="", to_status=mine.status, at=registered,
                                    effective_on=registered.astimezone(clock.SHANGHAI).date(), by_name="test", reason="建档")
    return mine


@dataclass
class World:
    county: Organization
    city: Organization
    foreign_county: Organization
    expert_org: Organization
    group: Enterprise
    ent_a: Enterprise
    ent_b: Enterprise
    a1: Mine
    a2: Mine
    b1: Mine
    inspector: User
    county_admin: User  # the county's system administrator (系统管理员)
    sec_admin: User  # the county's security administrator (安全管理员)
    auditor: User  # the county's audit administrator (审计管理员)
    city_inspector: User
    foreign_inspector: User
    group_manager: User
    mine_head: User
    mine_safety_officer: User
    mine_dispatcher: User
    foreign_mine_head: User
    expert: User

    def actor(self, user: User, via: str = Via.WEB) -> Actor:
        return Actor.of(user, via=via)


def build_world() -> World:
    county = make_org("中阳县应急管理局", OrganizationKind.REGULATOR, "141129")
    city = make_org("吕梁市应急管理局", OrganizationKind.REGULATOR, "141100")
    foreign = make_org("孝义市应急管理局", OrganizationKind.REGULATOR, "141181")
    expert_org = make_org("吕梁市矿山安全技术服务中心", OrganizationKind.EXPERT, "141100")
    group = make_enterprise("吕梁宏泰能源集团有限公司", "141100")
    ent_a = make_enterprise("中阳县甲煤业有限公司", "141129", parent=group)
    ent_b = make_enterprise("孝义市乙煤业有限公司", "141181")
    a1 = make_mine("1411290001", "甲一煤矿", ent_a, "141129")
    a2 = make_mine("1411290002", "甲二煤矿", ent_a, "141129", status=MineStatus.BUILDING)
    b1 = make_mine("1411810001", "乙一煤矿", ent_b, "141181")
    a1.expert_orgs.add(expert_org)
    assert a1.organization and b1.organization and ent_a.organization and group.organization
    return World(
        county=county, city=city, foreign_county=foreign, expert_org=expert_org, group=group, ent_a=ent_a,
        ent_b=ent_b, a1=a1, a2=a2, b1=b1,
        inspector=make_user("inspector", county, Role.INSPECTOR, full_name="王检查"),
        county_admin=make_user("county_admin", county, Role.REGULATOR_ADMIN, full_name="县管理员"),
        sec_admin=make_user("sec_admin", county, Role.SECURITY_ADMIN, full_name="县安全管理员"),
        auditor=make_user("auditor", county, Role.AUDITOR, full_name="县审计员"),
        city_inspector=make_user("city_inspector", city, Role.INSPECTOR),
        foreign_inspector=make_user("foreign_inspector", foreign, Role.INSPECTOR),
        group_manager=make_user("group_manager", group.organization, Role.ENTERPRISE_SAFETY_MANAGER),
        mine_head=make_user("mine_head", a1.organization, Role.MINE_HEAD, full_name="甲一矿长"),
        mine_safety_officer=make_user("mine_safety_officer", a1.organization, Role.MINE_SAFETY_OFFICER),
        mine_dispatcher=make_user("mine_dispatcher", a1.organization, Role.MINE_DISPATCHER),
        foreign_mine_head=make_user("foreign_mine_head", b1.organization, Role.MINE_HEAD),
        expert=make_user("expert", expert_org, Role.EXPERT),
    )


def scoped_models() -> list[type[models.Model]]:
    """Every model the access policy scopes: the ones no user may see outside their jurisdiction."""
    from django.apps import apps

    return [m for m in apps.get_models() if hasattr(m, "scope_path") or hasattr(m, "division_scope_path")
            or getattr(m, "enterprise_scoped", False)]


def assert_audited(verb: str, target: models.Model, by: User | None = None) -> AuditEvent:
    """The newest event on `target` with `verb` exists (and was written by `by`, when given)."""
    event = AuditEvent.objects.filter(verb=verb, target_type=target._meta.label_lower,
                                      target_id=str(target.pk)).order_by("-seq").first()
    assert event is not None, f"no audit event {verb} on {target!r}"
    if by is not None:
        assert event.actor_id == by.pk, f"{verb} on {target!r} was recorded for {event.actor_name}, not {by}"
    return event


def _rows(watched: models.Model | models.QuerySet[Any] | type[models.Model]) -> list[dict[str, Any]]:
    if isinstance(watched, models.Model):
        assert watched.pk is not None, f"{watched!r} is not saved: nothing to re-read"
        queryset = type(watched)._base_manager.filter(pk=watched.pk)
    elif isinstance(watched, models.QuerySet):
        queryset = watched.all()
    else:
        queryset = watched._base_manager.all()
    return list(queryset.order_by("pk").values())


# Events that record who came in, not what they did: a token's first use of the day is written when the
# request is authenticated, before the action is refused.
ACCESS_VERBS = ("core.api_token.used",)


@contextmanager
def unchanged(*watched: models.Model | models.QuerySet[Any] | type[models.Model]) -> Iterator[None]:
    """A refused action leaves no trace: each watched row (a saved instance, a queryset, or a model's whole
    table) reads back from the database exactly as before the block, and no audit event was written.

        with unchanged(world.a1), pytest.raises(PermissionDenied):
            actions.update_mine(...)
    """
    before = [_rows(w) for w in watched]
    last_seq = AuditEvent.objects.aggregate(last=models.Max("seq"))["last"] or 0
    yield
    for w, rows in zip(watched, before, strict=True):
        assert _rows(w) == rows, f"{w!r} changed in the database although the action was refused"
    written = list(AuditEvent.objects.filter(seq__gt=last_seq).exclude(verb__in=ACCESS_VERBS)
                   .values_list("verb", flat=True))
    assert written == [], f"a refused action wrote audit events: {written}"


def tamper_audit(statement: str = "", params: list[Any] | None = None) -> None:
    """What a database owner can do behind the platform's back: switch the audit table's append-only
    triggers off, then run `statement` (an UPDATE or DELETE of audit rows)."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent")
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent")
        else:
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
        if statement:
            cur.execute(statement, params or [])
