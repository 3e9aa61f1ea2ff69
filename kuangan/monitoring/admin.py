"""Monitoring in the Django admin, read-only: its rows come from ingestion and from the actions on the
pages (audited there), never from hand edits. Operators look here for what no page shows, such as
files quarantined because their mine code is not registered (they belong to no mine in scope)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Alarm,
    AlarmDisposal,
    AlarmTransition,
    EngineSnapshot,
    MonitoringPoint,
    PlannedWindow,
    RejectedRecord,
    Upload,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MonitoringPoint)
class MonitoringPointAdmin(ReadOnlyAdmin):
    list_display = ["code", "mine", "sensor_type", "location", "unit", "upper_alarm", "upper_power_off"]
    list_filter = ["sensor_type"]
    search_fields = ["code", "location"]


class RejectedRecordInline(admin.TabularInline):
    model = RejectedRecord
    fields = readonly_fields = ("record_no", "reason", "raw")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "mine_code", "mine", "name", "file_type", "status", "records", "rejected", "reason"]
    list_filter = ["status", "file_type", "source"]
    search_fields = ["name", "mine_code"]
    date_hierarchy = "received_at"
    inlines = [RejectedRecordInline]


@admin.register(PlannedWindow)
class PlannedWindowAdmin(ReadOnlyAdmin):
    list_display = ["mine", "kind", "start", "end", "reason", "declared_by"]
    list_filter = ["kind"]


class AlarmTransitionInline(admin.TabularInline):
    model = AlarmTransition
    fields = readonly_fields = ("at", "action", "by", "note")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ["start", "mine", "kind", "severity", "point_code", "location", "end", "acknowledged_at"]
    list_filter = ["kind", "severity"]
    search_fields = ["point_code", "location", "mine__name"]
    date_hierarchy = "start"
    inlines = [AlarmTransitionInline]


@admin.register(AlarmDisposal)
class AlarmDisposalAdmin(ReadOnlyAdmin):
    list_display = ["alarm", "disposed_by", "disposed_at"]


@admin.register(EngineSnapshot)
class EngineSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["key", "batches", "newest_header", "saved_at"]
    exclude = ["state"]
