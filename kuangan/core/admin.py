"""Django admin for system operators. Audit events are read-only here, as everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model
from django.http import HttpRequest

from . import audit
from .actor import Actor
from .choices import Via
from .models import ApiToken, AuditEvent, Division, Notification, Organization, User


class AuditedAdmin(admin.ModelAdmin):
    """Every change made through the admin goes into the audit chain like any other action."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        verb = f"{obj._meta.app_label}.{obj._meta.model_name}.{'updated' if change else 'created'}"
        audit.record(verb, obj, by=Actor.of(request.user, via=Via.ADMIN), before=before, after=audit.snapshot(obj))

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit.record(f"{obj._meta.app_label}.{obj._meta.model_name}.deleted", obj,
                     by=Actor.of(request.user, via=Via.ADMIN), before=audit.snapshot(obj))
        super().delete_model(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletions go through the pages' actions, which check what depends on the row


@admin.register(Division)
class DivisionAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "division"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["division"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, AuditedAdmin):
    list_display = ["username", "full_name", "organization", "role", "is_active", "locked_until"]
    list_filter = ["role", "is_active", "organization__kind"]
    search_fields = ["username", "full_name"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("矿安", {"fields": ("full_name", "organization", "role", "phone",
                                                                 "is_machine", "locked_until", "password_changed_at")}))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_name", "via", "verb", "target_repr"]
    list_filter = ["via"]
    search_fields = ["verb", "target_repr", "actor_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "created_at", "title", "read_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created by `kuangan token create`, which shows the secret once
