from django.contrib import admin

from kuangan.core.admin import AuditedAdmin

from .models import HazardStandard, HazardStandardItem


class ItemInline(admin.TabularInline):
    model = HazardStandardItem
    extra = 0
    fields = ["code", "category_code", "category_name", "article", "text", "gap"]


@admin.register(HazardStandard)
class HazardStandardAdmin(AuditedAdmin):
    """New versions of a standard are entered here; items of a version cited by hazards stay (PROTECT)."""

    list_display = ["name", "document", "industry", "effective_from", "effective_to"]
    inlines = [ItemInline]


@admin.register(HazardStandardItem)
class HazardStandardItemAdmin(AuditedAdmin):
    list_display = ["code", "standard", "category_name", "article"]
    list_filter = ["standard"]
    search_fields = ["code", "text"]
