from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import actions, audit, queries
from .choices import Perm
from .decorators import require_perm
from .errors import DomainError
from .forms import LoginForm, PasswordChangeForm, UserCreateForm
from .http import AuthedRequest


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


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
    events = queries.audit_events(request.user).select_related("actor")
    verb = request.GET.get("verb", "").strip()
    if verb:
        events = events.filter(verb__icontains=verb)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    report = audit.verify_chain() if request.GET.get("verify") else None
    return render(request, "core/audit_log.html", {"page": page, "rows": audit.with_changes(page), "verb": verb,
                                                   "report": report, "query": f"verb={verb}" if verb else ""})


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
    page = Paginator(queries.managed_users(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "core/user_list.html", {"page": page, "form": form, "now_at": request.actor.at})


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
