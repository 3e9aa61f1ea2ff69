from django.contrib import admin

from kuangan.core.admin import AuditedAdmin

from .models import (
    Enterprise,
    LeadershipMember,
    Licence,
    Mine,
    MineChangeProposal,
    MineStatusChange,
    MineSupervisor,
    MiningLevel,
    ProductionReturn,
    WorkingFace,
)
from .rules import REGULATED_MINE_FIELDS


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = ["name", "credit_code", "parent", "division"]
    search_fields = ["name", "credit_code"]


@admin.register(Mine)
class MineAdmin(AuditedAdmin):
    list_display = ["code", "name", "enterprise", "division", "kind", "status", "approved_capacity"]
    list_filter = ["kind", "status", "gas_class", "supervision_class"]
    search_fields = ["code", "name"]
    # a status changes only with a reason, and every regulated fact through the county (issue 17), on the mine's page
    readonly_fields = list(REGULATED_MINE_FIELDS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by their actions (with their audit events): the admin shows them."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(MineStatusChange)
class MineStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["mine", "from_status", "to_status", "at", "by_name"]


@admin.register(MineChangeProposal)
class MineChangeProposalAdmin(ReadOnlyAdmin):
    """Proposals are decided on the mine's pages, where the change is applied and audited."""

    list_display = ["mine", "target", "status", "proposed_by", "proposed_at", "decided_by"]
    list_filter = ["status", "target"]


for model in (Licence, LeadershipMember, MiningLevel, WorkingFace, MineSupervisor):
    admin.site.register(model, AuditedAdmin)


@admin.register(ProductionReturn)
class ProductionReturnAdmin(ReadOnlyAdmin):
    """Returns are signed and corrected on the mine's page, where a correction keeps the old figure in its event."""

    list_display = ["mine", "month", "tonnes", "signed_by", "signed_at"]
