from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import access, actions, audit, auth, queries
from .choices import ADMIN_ROLES, Perm
from .decorators import require_perm
from .errors import DomainError
from .forms import LoginForm, PasswordChangeForm, RoleChangeForm, UserCreateForm
from .http import AuthedRequest


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        auth.record_log_in(self.request, form.get_user())
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            auth.record_log_out(request, request.user)
        return super().post(request, *args, **kwargs)


@login_required
def password_change(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.change_password(request.user.id, by=request.actor,
                                           old_password=form.cleaned_data["old_password"],
                                           new_password=form.cleaned_data["new_password"])
        except DomainError as e:
            form.add_error(e.field, e.message)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return redirect("dashboard:home")
    return render(request, "core/password_change.html", {"form": form})


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    page = Paginator(queries.inbox(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_mark_read(request: AuthedRequest) -> HttpResponse:
    raw = request.POST.getlist("id")
    ids = [int(i) for i in raw if i.isdigit()] if raw else None
    actions.mark_notifications_read(ids, by=request.actor)
    return redirect("core:inbox")


@require_perm(Perm.AUDIT_VIEW)
@require_GET
def audit_log(request: AuthedRequest) -> HttpResponse:
    # Reading the trail changes nothing and is not itself audited.
    filters = queries.AuditFilter.parse(request.GET, request.user)
    events = filters.apply(queries.audit_events(request.user)).select_related("actor")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    report = queries.verify_audit_chain(request.user) if request.GET.get("verify") else None
    return render(request, "core/audit_log.html", {
        "page": page, "rows": audit.with_changes(page), "filters": filters, "report": report,
        "mines": queries.audit_mines(request.user), "query": filters.query()})


@require_perm(Perm.USER_MANAGE)
def user_list(request: AuthedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None, organizations=queries.managed_organizations(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.create_user(by=request.actor, **form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field, e.message)
        else:
            messages.success(request, _("已创建用户 %(name)s。") % {"name": user.username})
            return redirect("core:user_list")
    return _user_list_page(request, form)


def _user_list_page(request: AuthedRequest, form: UserCreateForm, **extra: Any) -> HttpResponse:
    page = Paginator(queries.managed_users(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "core/user_list.html", {
        "page": page, "form": form, "now_at": request.actor.at,
        # accounts of the other administrators: listed, never acted on (三员分立)
        "protected_roles": sorted(ADMIN_ROLES - {request.user.role}), **extra})


@require_perm(Perm.USER_MANAGE)
@require_POST
def user_reset_password(request: AuthedRequest, pk: int) -> HttpResponse:
    target = queries.managed_users(request.user).filter(pk=pk).first()
    if target is None:
        raise Http404
    try:
        password = actions.reset_password(pk, by=request.actor, reason=request.POST.get("reason", ""))
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("core:user_list")
    # shown on this answer only (not stored in a message): the user must change it at the next log-in
    form = UserCreateForm(organizations=queries.managed_organizations(request.user))
    return _user_list_page(request, form, reset={"user": target, "password": password})


@require_perm(Perm.USER_MANAGE)
@require_POST
def user_set_active(request: AuthedRequest, pk: int) -> HttpResponse:
    if not queries.managed_users(request.user).filter(pk=pk).exists():
        raise Http404
    try:
        actions.set_user_active(pk, by=request.actor, active=request.POST.get("active") == "1",
                                reason=request.POST.get("reason", ""))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("core:user_list")


def _security_page(request: AuthedRequest, **extra: Any) -> HttpResponse:
    accounts = access.accounts_in_reach(request.user, Perm.ROLE_MANAGE)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    tokens = access.tokens_in_reach(request.user).filter(revoked_at__isnull=True, user__in=list(page))
    return render(request, "core/security_list.html", {
        "page": page, "now_at": request.actor.at, "role_form": RoleChangeForm(), "tokens": list(tokens),
        "failing": auth.failing_accounts(accounts, request.actor.at),
        "protected_roles": sorted(ADMIN_ROLES - {request.user.role}), "admin_roles": sorted(ADMIN_ROLES), **extra})


@require_perm(Perm.ROLE_MANAGE)
@require_GET
def security_list(request: AuthedRequest) -> HttpResponse:
    return _security_page(request)


def _account_in_reach(request: AuthedRequest, pk: int, perm: str) -> None:
    if not access.accounts_in_reach(request.user, perm).filter(pk=pk).exists():
        raise Http404


@require_perm(Perm.ROLE_MANAGE)
@require_POST
def account_role_change(request: AuthedRequest, pk: int) -> HttpResponse:
    _account_in_reach(request, pk, Perm.ROLE_MANAGE)
    form = RoleChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择新的角色。"))
        return redirect("core:security_list")
    try:
        user = actions.change_user_role(pk, by=request.actor, **form.cleaned_data)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(name)s 的角色已改为%(role)s。") % {"name": user.username,
                                                                      "role": user.get_role_display()})
    return redirect("core:security_list")


@require_perm(Perm.ACCOUNT_UNLOCK)
@require_POST
def account_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    _account_in_reach(request, pk, Perm.ACCOUNT_UNLOCK)
    user = actions.unlock_user(pk, by=request.actor)
    messages.success(request, _("已解锁 %(name)s。") % {"name": user.username})
    return redirect("core:security_list")


@require_perm(Perm.TOKEN_MANAGE)
@require_POST
def token_create(request: AuthedRequest, pk: int) -> HttpResponse:
    _account_in_reach(request, pk, Perm.TOKEN_MANAGE)
    name = request.POST.get("name", "").strip() or _("联网系统")
    try:
        token, secret = actions.create_token(pk, by=request.actor, name=name)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("core:security_list")
    # the secret is never stored: shown on this answer only
    return _security_page(request, new_token={"token": token, "secret": secret})


@require_perm(Perm.TOKEN_MANAGE)
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    if not access.tokens_in_reach(request.user).filter(pk=pk).exists():
        raise Http404
    try:
        token = actions.revoke_token(pk, by=request.actor)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("已吊销令牌 %(name)s。") % {"name": token})
    return redirect("core:security_list")
