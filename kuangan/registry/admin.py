from django.contrib import admin

from kuangan.core.admin import AuditedAdmin

from .models import (
    Enterprise,
    LeadershipMember,
    Licence,
    Mine,
    MineStatusChange,
    MineSupervisor,
    MiningLevel,
    WorkingFace,
)


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = ["name", "credit_code", "parent", "division"]
    search_fields = ["name", "credit_code"]


@admin.register(Mine)
class MineAdmin(AuditedAdmin):
    list_display = ["code", "name", "enterprise", "division", "kind", "status", "approved_capacity"]
    list_filter = ["kind", "status", "gas_class", "supervision_class"]
    search_fields = ["code", "name"]
    readonly_fields = ["status"]  # a status changes only with a reason, on the mine's page


@admin.register(MineStatusChange)
class MineStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["mine", "from_status", "to_status", "at", "by_name"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


for model in (Licence, LeadershipMember, MiningLevel, WorkingFace, MineSupervisor):
    admin.site.register(model, AuditedAdmin)
