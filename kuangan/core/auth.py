"""Authentication: password log-in with lock-out (R10.7) and bearer tokens for machine clients."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.http import HttpRequest

from . import audit, clock
from .actor import Actor
from .choices import Via
from .models import ApiToken, User

TOKEN_PREFIX = "kat_"


class LockoutBackend(ModelBackend):
    """Counts failed log-ins per account; after LOGIN_MAX_FAILURES the account is locked for a while."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as for a real account: no timing oracle
            return None
        now = clock.now()
        if user.locked_until and user.locked_until > now:
            if request is not None:
                request.login_locked_until = user.locked_until  # type: ignore[attr-defined]
            return None
        if user.is_machine or not user.check_password(password) or not self.user_can_authenticate(user):
            _record_failure(user, now)
            if user.locked_until and user.locked_until > now and request is not None:
                request.login_locked_until = user.locked_until  # type: ignore[attr-defined]
            return None
        if user.failed_logins or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            user.failed_logins, user.locked_until = 0, None
        return user


    def get_user(self, user_id: Any) -> User | None:
        """The session's user with its organization and division: every page's scope needs them."""
        user = User.objects.select_related("organization__division").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


@transaction.atomic
def _record_failure(user: User, now: Any) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.failed_logins += 1
    fields = ["failed_logins"]
    if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
        user.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        user.failed_logins = 0
        fields.append("locked_until")
        audit.record("core.user.locked", user, by=Actor.system(Via.WEB, at=now),
                     after={"locked_until": user.locked_until},
                     reason=f"{settings.LOGIN_MAX_FAILURES} failed log-ins")
    user.save(update_fields=fields)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def user_for_token(secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user__organization__division").filter(
        key_hash=hash_token(secret), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # usage stamp, not a state change
    return token.user
