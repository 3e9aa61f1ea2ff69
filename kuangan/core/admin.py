"""Django admin, under the same rules as the pages (三员分立): a page of the admin opens only for an
active staff account whose role holds the permission the page needs (Django's superuser flag and
model permissions grant nothing here); rows are limited to the administrator's jurisdiction; every
change is audited; account changes with rules of their own (password, activation, role, tokens) go
through the same actions as the pages or are not offered here. Audit events are read-only, as
everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, actions, audit, queries
from .actor import Actor
from .audit_labels import readable_rows
from .choices import ADMIN_ROLES, Perm, Via
from .errors import DomainError
from .masking import PERSONAL_FIELDS, mask_text, mask_value
from .models import ApiToken, AuditEvent, Division, Organization, User
from .views import LogoutView


class RoleAdmin(admin.ModelAdmin):
    """Opens for the roles holding `perm`; `read_only` pages show and change nothing."""

    perm: str = Perm.USER_MANAGE
    read_only = False

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and access.can(user, self.perm))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request) and not self.read_only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and not self.read_only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletions go through the pages' actions, which check what depends on the row

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if hasattr(self.model, "scope_path") or getattr(self.model, "enterprise_scoped", False):
            return access.visible(request.user, qs)  # mine data: the administrator's jurisdiction only
        return qs


class AuditedAdmin(RoleAdmin):
    """Every change made through the admin goes into the audit chain like any other action. Personal
    data (R10.8) is shown masked and not edited here: the pages' forms and the audited reveal do that."""

    def _personal(self) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields if f.name in PERSONAL_FIELDS]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        personal = self._personal()
        return [(name, {**opts, "fields": [f"masked_{f}" if f in personal else f for f in opts["fields"]]})
                for name, opts in super().get_fieldsets(request, obj)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*super().get_readonly_fields(request, obj), *(f"masked_{f}" for f in self._personal())]

    @admin.display(description=gettext_lazy("身份证号"))
    def masked_id_number(self, obj: Any) -> str:
        return str(mask_value("id_number", obj.id_number)) if obj is not None else ""

    @admin.display(description=gettext_lazy("电话"))
    def masked_phone(self, obj: Any) -> str:
        return str(mask_value("phone", obj.phone)) if obj is not None else ""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        verb = f"{obj._meta.app_label}.{obj._meta.model_name}.{'updated' if change else 'created'}"
        audit.record(verb, obj, by=Actor.of(request.user, via=Via.ADMIN), before=before, after=audit.snapshot(obj))

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit.record(f"{obj._meta.app_label}.{obj._meta.model_name}.deleted", obj,
                     by=Actor.of(request.user, via=Via.ADMIN), before=audit.snapshot(obj))
        super().delete_model(request, obj)


def _jurisdiction(request: HttpRequest) -> str:
    org = getattr(request.user, "organization", None)
    return org.division.path if org is not None else "\x00"  # no organization: nothing matches


@admin.register(Division)
class DivisionAdmin(RoleAdmin):
    """Reference data (GB/T 2260), loaded by a migration: shown, not edited."""

    read_only = True
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "division"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(division__path__startswith=_jurisdiction(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "division":
            kwargs["queryset"] = Division.objects.filter(path__startswith=_jurisdiction(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PasswordResetForm(AdminPasswordChangeForm):
    """The admin's "set password", as the reset on the pages: a password is always set (an account is
    stopped by deactivating it, on the user page)."""

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = self.fields["password2"].required = True


@admin.register(User)
class UserAdmin(BaseUserAdmin, AuditedAdmin):
    """For the system administrator. Accounts are created on the user page or, for administrators, at
    the command line; roles are changed by the security administrator; activation on the user page.
    Here: the name and contact fields, and the password reset (which forces a change at the next log-in)."""

    list_display = ["username", "full_name", "organization", "role", "is_active", "locked_until"]
    list_filter = ["role", "is_active", "organization__kind"]
    search_fields = ["username", "full_name"]
    change_password_form = PasswordResetForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (gettext_lazy("账户"), {"fields": ("full_name", "phone", "email", "organization", "role", "is_active",
                                         "is_machine", "is_staff", "is_superuser", "locked_until",
                                         "password_changed_at", "last_login", "date_joined")}),
    )
    readonly_fields = ["username", "organization", "role", "is_active", "is_machine", "is_staff", "is_superuser",
                       "locked_until", "password_changed_at", "last_login", "date_joined"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if not self._allowed(request):
            return User.objects.none()
        return queries.managed_users(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.role in ADMIN_ROLES and obj.role != getattr(request.user, "role", None):
            return False  # another kind of administrator's account: shown, never changed
        return super().has_change_permission(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        user = self.get_object(request, unquote(id))
        if user is None or not self.has_change_permission(request, user):
            raise PermissionDenied
        form = self.change_password_form(user, request.POST)
        if not form.is_valid():
            return super().user_change_password(request, id, form_url)  # shows the form's errors, saves nothing
        change_url = reverse("admin:core_user_change", args=[user.pk])
        try:
            actions.reset_password(user.pk, by=Actor.of(request.user, via=Via.ADMIN),
                                   password=form.cleaned_data["password1"])
        except DomainError as e:
            messages.error(request, e.message)
            return HttpResponseRedirect(change_url)
        messages.success(request, _("密码已重置，该用户下次登录时须修改密码。"))
        return HttpResponseRedirect(change_url)


@admin.register(AuditEvent)
class AuditEventAdmin(RoleAdmin):
    perm = Perm.AUDIT_VIEW
    read_only = True
    list_display = ["seq", "at", "actor_name", "via", "action", "target"]
    list_filter = ["via"]
    search_fields = ["verb", "target_repr", "actor_name"]
    # as on the audit page: readable and masked (older events may hold full personal data)
    fields = readonly_fields = ("seq", "at", "actor_name", "actor_org", "via", "action", "target", "changes",
                                "reason_text")

    @admin.display(description=gettext_lazy("动作"))
    def action(self, obj: AuditEvent) -> str:
        return readable_rows([obj])[0].action

    @admin.display(description=gettext_lazy("对象"))
    def target(self, obj: AuditEvent) -> str:
        return mask_text(obj.target_repr)

    @admin.display(description=gettext_lazy("变更内容"))
    def changes(self, obj: AuditEvent) -> str:
        return "；".join(f"{c.label}：{c.before} → {c.after}" for c in readable_rows([obj])[0].changes)

    @admin.display(description=gettext_lazy("原因"))
    def reason_text(self, obj: AuditEvent) -> str:
        return mask_text(obj.reason)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if not self._allowed(request):
            return AuditEvent.objects.none()
        return queries.audit_events(request.user)  # the auditor's jurisdiction, as on the page


@admin.register(ApiToken)
class ApiTokenAdmin(RoleAdmin):
    """For the security administrator: tokens are created on the account security page or with
    `kuangan token create` (the secret is shown once); revoking here goes through the audited action."""

    perm = Perm.TOKEN_MANAGE
    read_only = True
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if not self._allowed(request):
            return ApiToken.objects.none()
        return access.tokens_in_reach(request.user)

    @admin.action(description=gettext_lazy("吊销所选令牌"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        by = Actor.of(request.user, via=Via.ADMIN)
        for token in queryset.filter(revoked_at__isnull=True):
            actions.revoke_token(token.pk, by=by)
        messages.success(request, _("已吊销所选令牌。"))


def _log_in_on_the_pages(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """One log-in for the whole platform: the admin's own form would skip the limits and the audit."""
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


def _log_out_on_the_pages(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    return LogoutView.as_view()(request)


admin.site.login = _log_in_on_the_pages  # type: ignore[method-assign]
admin.site.logout = _log_out_on_the_pages  # type: ignore[method-assign,assignment]
