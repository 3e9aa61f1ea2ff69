"""State changes of the core app: accounts, tokens, notifications. Each one is audited."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .access import require
from .actor import Actor
from .auth import hash_token, new_token_secret
from .choices import ADMIN_ROLES, BUSINESS_ROLES, ROLE_ORGANIZATION_KIND, OrganizationKind, Perm, Role
from .errors import DomainError
from .models import ApiToken, LoginAttempt, Notification, Organization, User
from .passwords import complexity_problems


def _check_admin_reach(by: Actor, org: Organization | None, perm: str = Perm.USER_MANAGE) -> None:
    """An administrator acts on accounts of organizations inside its jurisdiction only."""
    require(by.user, perm)
    admin_org = by.org
    if org is None or admin_org is None or not org.division.path.startswith(admin_org.division.path):
        raise PermissionDenied(perm)


def _check_target(by: Actor, user: User) -> None:
    """三员分立: no administrator acts on the account of another kind of administrator (so none can
    reset its password, take its role or log in as it). The command line (by.user None) is the operator's."""
    if by.user is not None and user.role in ADMIN_ROLES and user.role != by.user.role:
        raise PermissionDenied(_("不能操作其他管理员的账户。"))


def _reachable(user_id: int, by: Actor, perm: str) -> User:
    user = User.objects.select_related("organization__division").get(pk=user_id)
    _check_admin_reach(by, user.organization, perm)
    _check_target(by, user)
    return user


def _one_time_password() -> str:
    """A random password that passes the complexity rules, shown once; its owner must change it."""
    while True:
        password = secrets.token_urlsafe(12)
        if not complexity_problems(password):
            return password


def _validated(password: str, user: User, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise DomainError(" ".join(e.messages), field=field) from None


@transaction.atomic(durable=True)
def create_user(*, by: Actor, username: str, full_name: str, organization: Organization, role: str,
                password: str, phone: str = "") -> User:
    _check_admin_reach(by, organization)
    if role in ADMIN_ROLES:
        raise DomainError(_("管理员账户只能由运维人员在服务器上用命令创建。"), field="role")
    if ROLE_ORGANIZATION_KIND.get(role) != organization.kind:
        raise DomainError(_("该角色不属于此类单位。"), field="role")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名已存在。"), field="username")
    user = User(username=username, full_name=full_name, organization=organization, role=role, phone=phone,
                is_machine=role == Role.MINE_SYSTEM)
    _validated(password, user, "password")
    user.set_password(password)
    user.password_changed_at = None  # the first log-in asks for a new password
    user.save()
    audit.record("core.user.created", user, by=by, after=audit.snapshot(user), parent=organization)
    return user


@transaction.atomic(durable=True)
def create_admin(*, by: Actor, username: str, full_name: str, organization: Organization, role: str) -> tuple[User, str]:
    """An administrator account, from the server's command line only; returns it and its one-time password."""
    if by.user is not None:
        raise PermissionDenied(_("管理员账户只能由运维人员在服务器上用命令创建。"))
    if role not in ADMIN_ROLES:
        raise DomainError(_("只能创建系统管理员、安全管理员或审计管理员。"), field="role")
    if organization.kind != OrganizationKind.REGULATOR:
        raise DomainError(_("管理员须属于监管部门。"), field="organization")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名已存在。"), field="username")
    password = _one_time_password()
    # Staff: the Django admin opens for them, and shows each only what its role covers.
    user = User(username=username, full_name=full_name, organization=organization, role=role, is_staff=True)
    user.set_password(password)
    user.save()
    audit.record("core.user.created", user, by=by, after=audit.snapshot(user), parent=organization)
    return user, password


@transaction.atomic(durable=True)
def set_user_active(user_id: int, *, by: Actor, active: bool, reason: str = "") -> User:
    user = _reachable(user_id, by, Perm.USER_MANAGE)
    if user.pk == by.user.pk:
        raise DomainError(_("不能停用自己的账户。"))
    before = {"is_active": user.is_active}
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record("core.user.activated" if active else "core.user.deactivated", user, by=by, before=before,
                 after={"is_active": active}, reason=reason, parent=user.organization)
    return user


@transaction.atomic(durable=True)
def reset_password(user_id: int, *, by: Actor, password: str | None = None, reason: str = "") -> str:
    """The system administrator sets a new password (a random one unless given): its owner must change
    it at the next log-in. Returns it, to be shown once; the audit trail never holds it."""
    user = _reachable(user_id, by, Perm.USER_MANAGE)
    if user.pk == by.user.pk:
        raise DomainError(_("请在“修改密码”页面修改自己的密码。"))
    if user.is_machine:
        raise DomainError(_("机器账户不用密码登录，请改用接口令牌。"))
    password = password or _one_time_password()
    _validated(password, user, "password")
    before = {"password_changed_at": user.password_changed_at}
    user.set_password(password)
    user.password_changed_at = None
    user.save(update_fields=["password", "password_changed_at"])
    audit.record("core.user.password_reset", user, by=by, before=before, after={"password_changed_at": None},
                 reason=reason, parent=user.organization)
    return password


@transaction.atomic(durable=True)
def change_user_role(user_id: int, *, by: Actor, role: str, reason: str = "") -> User:
    """The security administrator moves a person between business roles of its organization's kind."""
    user = _reachable(user_id, by, Perm.ROLE_MANAGE)
    if user.role not in BUSINESS_ROLES or role not in BUSINESS_ROLES:
        raise DomainError(_("只能在业务角色之间调整；管理员和机器账户的角色不能在此修改。"), field="role")
    if user.organization is None or ROLE_ORGANIZATION_KIND.get(role) != user.organization.kind:
        raise DomainError(_("该角色不属于此类单位。"), field="role")
    before = {"role": user.role}
    user.role = role
    user.save(update_fields=["role"])
    audit.record("core.user.role_changed", user, by=by, before=before, after={"role": role}, reason=reason,
                 parent=user.organization)
    return user


@transaction.atomic(durable=True)
def unlock_user(user_id: int, *, by: Actor) -> User:
    """Clears the account's log-in failures from every address (the lock-outs with them)."""
    user = _reachable(user_id, by, Perm.ACCOUNT_UNLOCK)
    cleared = LoginAttempt.objects.filter(user=user, cleared=False).update(cleared=True)
    before = {"locked_until": user.locked_until}
    user.locked_until = None
    user.save(update_fields=["locked_until"])
    audit.record("core.user.unlocked", user, by=by, before=before, after={"locked_until": None, "cleared": cleared},
                 parent=user.organization)
    return user


@transaction.atomic(durable=True)
def change_password(user_id: int, *, by: Actor, old_password: str, new_password: str) -> User:
    user = User.objects.get(pk=user_id)
    if by.user is None or by.user.pk != user.pk:
        raise PermissionDenied("own password only")
    if not user.check_password(old_password):
        raise DomainError(_("原密码不正确。"), field="old_password")
    if old_password == new_password:
        raise DomainError(_("新密码不能与原密码相同。"), field="new_password")
    try:
        validate_password(new_password, user)
    except ValidationError as e:
        raise DomainError(" ".join(e.messages), field="new_password") from None
    user.set_password(new_password)
    user.password_changed_at = by.at
    user.save(update_fields=["password", "password_changed_at"])
    audit.record("core.user.password_changed", user, by=by, after={"password_changed_at": by.at})
    return user


@transaction.atomic(durable=True)
def create_token(user_id: int, *, by: Actor, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and its secret, which is never stored and cannot be shown again."""
    user = User.objects.select_related("organization__division").get(pk=user_id)
    if by.user is not None:  # the command line (by = system:shell) is the operator's own tool
        _check_admin_reach(by, user.organization, Perm.TOKEN_MANAGE)
        if not user.is_machine:  # a person's token would let the token's holder act as that person
            raise DomainError(_("只能为机器账户创建接口令牌。"))
    secret = new_token_secret()
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=secret[:12], key_hash=hash_token(secret),
                                    created_at=by.at)
    audit.record("core.api_token.created", token, by=by, after={"name": token.name, "prefix": token.prefix},
                 parent=user)
    return token, secret


@transaction.atomic(durable=True)
def revoke_token(token_id: int, *, by: Actor) -> ApiToken:
    token = ApiToken.objects.select_related("user__organization__division").get(pk=token_id)
    if by.user is not None:
        _check_admin_reach(by, token.user.organization, Perm.TOKEN_MANAGE)
    if token.revoked_at is not None:
        raise DomainError(_("该令牌已吊销。"))
    token.revoked_at = by.at
    token.save(update_fields=["revoked_at"])
    audit.record("core.api_token.revoked", token, by=by, after={"revoked_at": by.at}, parent=token.user)
    return token


@transaction.atomic(durable=True)
def mark_notifications_read(ids: list[int] | None, *, by: Actor) -> int:
    """Mark the user's own notifications read (all unread ones when ids is None)."""
    qs: Any = Notification.objects.filter(recipient=by.user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    changed = list(qs.values_list("pk", flat=True))
    qs.update(read_at=by.at)
    if changed:
        audit.record("core.notification.read", by.user, by=by, after={"notifications": changed})
    return len(changed)
