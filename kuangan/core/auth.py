"""Authentication (R10.7): password log-in with the per-address limit and the lock-out per (account,
address), the audit of log-ins and log-outs, and bearer tokens for machine clients.

Every refusal looks the same to the client (one message, one password hash of work): nobody learns
whether an account exists, is locked or is inactive. Refusals are counted by client address
(REMOTE_ADDR, or behind the proxy the address it appended last to X-Forwarded-For), so a stranger elsewhere
cannot lock a user out; an account failing from many addresses is reported to the security
administrators of its jurisdiction instead.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from . import audit, clock
from .actor import Actor
from .choices import LoginOutcome, OrganizationKind, Role, Via
from .models import ApiToken, AuditEvent, LoginAttempt, User
from .notify import notify

TOKEN_PREFIX = "kat_"
# Distinct addresses failing for one account within the lock-out window that make it a report to the
# security administrators (a password being guessed from several places, which no lock-out stops).
MANY_ADDRESSES = 3
REPORTED = "core.user.login_failures_reported"


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    if settings.BEHIND_PROXY:
        # Only the last entry is the proxy's own word; earlier ones are whatever the client sent.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return str(forwarded)[:45]
    return str(request.META.get("REMOTE_ADDR") or "")[:45]


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def address_over_limit(address: str, now: datetime) -> bool:
    """More failed log-ins from this address than LOGIN_RATE allows. Only failures count: a county
    office behind one address logging in at the start of a shift is not refused."""
    attempts, seconds = settings.LOGIN_RATE
    return LoginAttempt.objects.filter(address=address, outcome=LoginOutcome.FAILED,
                                       at__gt=now - timedelta(seconds=seconds)).count() >= attempts


def _live(user: User, now: datetime) -> QuerySet[LoginAttempt]:
    return LoginAttempt.objects.filter(user=user, cleared=False, at__gt=now - _window())


def locked_for(user: User, address: str, now: datetime) -> bool:
    return _live(user, now).filter(address=address, outcome=LoginOutcome.LOCKED).exists()


def failing_addresses(user: User, now: datetime) -> int:
    return _live(user, now).filter(outcome=LoginOutcome.FAILED).values("address").distinct().count()


class LockoutBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if username is None or password is None:
            return None
        now = clock.now()
        address = client_address(request)
        user = User.objects.select_related("organization__division").filter(username=username).first()
        # One password hash in every branch, so the time of the answer tells nothing either.
        if user is not None and user.has_usable_password():
            correct = check_password(password, user.password)
        else:
            make_password(password)
            correct = False
        if address_over_limit(address, now):
            _refuse_over_limit(username, user, address, now)
            return None
        if (user is None or not correct or user.is_machine or not self.user_can_authenticate(user)
                or locked_for(user, address, now)):
            _record_failure(username, user, address, now)
            return None
        LoginAttempt.objects.filter(user=user, address=address, cleared=False).update(cleared=True)
        return user

    def get_user(self, user_id: Any) -> User | None:
        """The session's user with its organization and division: every page's scope needs them."""
        user = User.objects.select_related("organization__division").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def _by(now: datetime) -> Actor:
    return Actor.system(Via.WEB, at=now)  # nobody is logged in yet


@transaction.atomic
def _refuse_over_limit(username: str, user: User | None, address: str, now: datetime) -> None:
    """Audited once per window: a flood from one address writes one event, not one per attempt."""
    seconds = settings.LOGIN_RATE[1]
    if LoginAttempt.objects.filter(address=address, outcome=LoginOutcome.RATE_LIMITED,
                                   at__gt=now - timedelta(seconds=seconds)).exists():
        return
    row = LoginAttempt.objects.create(username=username[:150], user=user, address=address, at=now,
                                      outcome=LoginOutcome.RATE_LIMITED)
    audit.record("core.login_attempt.rate_limited", row, by=_by(now), parent=user,
                 after={"address": address, "attempts": settings.LOGIN_RATE[0], "seconds": seconds})


@transaction.atomic
def _record_failure(username: str, user: User | None, address: str, now: datetime) -> None:
    row = LoginAttempt.objects.create(username=username[:150], user=user, address=address, at=now,
                                      outcome=LoginOutcome.FAILED)
    audit.record("core.login_attempt.failed", row, by=_by(now), parent=user, after={"address": address})
    if user is None:
        return
    live = _live(user, now).filter(address=address)
    last_lock = live.filter(outcome=LoginOutcome.LOCKED).order_by("-at", "-id").first()
    failures = live.filter(outcome=LoginOutcome.FAILED)
    if last_lock is not None:
        failures = failures.filter(id__gt=last_lock.id)
    if failures.count() >= settings.LOGIN_MAX_FAILURES:
        until = now + _window()
        LoginAttempt.objects.create(username=user.username, user=user, address=address, at=now,
                                    outcome=LoginOutcome.LOCKED)
        User.objects.filter(pk=user.pk).update(locked_until=until)
        audit.record("core.user.locked", user, by=_by(now), parent=user.organization,
                     before={"locked_until": user.locked_until}, after={"locked_until": until, "address": address},
                     reason=_("同一地址连续 %(n)d 次登录失败") % {"n": settings.LOGIN_MAX_FAILURES})
    _report_many_addresses(user, now)


def _report_many_addresses(user: User, now: datetime) -> None:
    count = failing_addresses(user, now)
    if count < MANY_ADDRESSES or user.organization is None:
        return
    if AuditEvent.objects.filter(verb=REPORTED, target_type="core.user", target_id=str(user.pk),
                                 at__gt=now - _window()).exists():
        return
    path = user.organization.division.path
    prefixes = [path[:i + 1] for i, c in enumerate(path) if c == "/"]  # its division and every one above
    admins = User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True, organization__kind=OrganizationKind.REGULATOR,
                                 organization__division__path__in=prefixes)
    by = _by(now)
    notify(admins, by=by, url=reverse("core:security_list"),
           title=_("账户 %(name)s 在 %(n)d 个地址登录失败") % {"name": user.username, "n": count},
           body=_("%(minutes)d 分钟内该账户从 %(n)d 个不同地址登录失败，可能有人在猜测密码。请核实并联系账户使用人。")
           % {"minutes": settings.LOGIN_LOCKOUT_MINUTES, "n": count})
    audit.record(REPORTED, user, by=by, parent=user.organization,
                 after={"addresses": count, "reported_to": sorted(a.username for a in admins)})


def record_log_in(request: HttpRequest, user: User) -> None:
    audit.record("core.user.logged_in", user, by=Actor.of(user), parent=user.organization,
                 after={"address": client_address(request)})


def record_log_out(request: HttpRequest, user: User, reason: str = "") -> None:
    audit.record("core.user.logged_out", user, by=Actor.of(user), parent=user.organization,
                 after={"address": client_address(request)}, reason=reason)


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
    midnight = datetime.combine(clock.today(), datetime.min.time(), tzinfo=clock.SHANGHAI)
    with transaction.atomic():
        # The first use of a Beijing day is audited; the conditional update lets only one request win it.
        first = ApiToken.objects.filter(pk=token.pk, last_used_at__lt=midnight).update(last_used_at=now) or \
            ApiToken.objects.filter(pk=token.pk, last_used_at__isnull=True).update(last_used_at=now)
        if first:
            audit.record("core.api_token.used", token, by=Actor.of(token.user, via=Via.API), parent=token.user,
                         after={"first_use_on": clock.today()})
        elif token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # usage stamp, not a state change
    return token.user


def failing_accounts(accounts: Any, now: datetime) -> list[tuple[User, int]]:
    """The accounts (of `accounts`) failing from MANY_ADDRESSES or more addresses in the lock-out window,
    with the number of addresses: the security administrator's report."""
    rows = (LoginAttempt.objects.filter(user__in=accounts, outcome=LoginOutcome.FAILED, cleared=False,
                                        at__gt=now - _window())
            .values("user").annotate(n=Count("address", distinct=True)).filter(n__gte=MANY_ADDRESSES))
    counts = {r["user"]: r["n"] for r in rows}
    return [(u, counts[u.pk]) for u in User.objects.filter(pk__in=counts).select_related("organization")]
