"""State changes of the core app: accounts, tokens, notifications. Each one is audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .access import require
from .actor import Actor
from .auth import hash_token, new_token_secret
from .choices import ROLE_ORGANIZATION_KIND, Perm
from .errors import DomainError
from .models import ApiToken, Notification, Organization, User


def _check_admin_reach(by: Actor, org: Organization) -> None:
    """A regulator's administrator manages accounts of organizations inside its jurisdiction."""
    require(by.user, Perm.USER_MANAGE)
    admin_org = by.org
    if admin_org is None or not org.division.path.startswith(admin_org.division.path):
        raise PermissionDenied(Perm.USER_MANAGE)


@transaction.atomic(durable=True)
def create_user(*, by: Actor, username: str, full_name: str, organization: Organization, role: str,
                password: str, phone: str = "") -> User:
    _check_admin_reach(by, organization)
    if ROLE_ORGANIZATION_KIND.get(role) != organization.kind:
        raise DomainError(_("该角色不属于此类单位。"), field="role")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名已存在。"), field="username")
    user = User(username=username, full_name=full_name, organization=organization, role=role, phone=phone)
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise DomainError(" ".join(e.messages), field="password") from None
    user.set_password(password)
    user.password_changed_at = None  # the first log-in asks for a new password
    user.save()
    audit.record("core.user.created", user, by=by, after=audit.snapshot(user), parent=organization)
    return user


@transaction.atomic(durable=True)
def set_user_active(user_id: int, *, by: Actor, active: bool, reason: str = "") -> User:
    user = User.objects.select_related("organization__division").get(pk=user_id)
    if user.organization is None:
        raise PermissionDenied(Perm.USER_MANAGE)
    _check_admin_reach(by, user.organization)
    if user.pk == by.user.pk:
        raise DomainError(_("不能停用自己的账户。"))
    before = {"is_active": user.is_active, "locked_until": user.locked_until}
    user.is_active = active
    user.locked_until = None
    user.failed_logins = 0
    user.save(update_fields=["is_active", "locked_until", "failed_logins"])
    audit.record("core.user.activated" if active else "core.user.deactivated", user, by=by, before=before,
                 after={"is_active": active, "locked_until": None}, reason=reason, parent=user.organization)
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
        if user.organization is None:
            raise PermissionDenied(Perm.TOKEN_MANAGE)
        require(by.user, Perm.TOKEN_MANAGE)
        _check_admin_reach(by, user.organization)
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
        require(by.user, Perm.TOKEN_MANAGE)
        if token.user.organization is None:
            raise PermissionDenied(Perm.TOKEN_MANAGE)
        _check_admin_reach(by, token.user.organization)
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
