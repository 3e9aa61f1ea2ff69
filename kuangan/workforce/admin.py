"""The workforce in the Django admin, under the same rules as the registry's records: every change audited,
ID numbers shown masked (AuditedAdmin). The pages are where workers and certificates are normally kept."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from kuangan.core import audit
from kuangan.core.actor import Actor
from kuangan.core.admin import AuditedAdmin
from kuangan.core.choices import Via

from .actions import _snapshot
from .models import OperatorCertificate, Worker


@admin.register(Worker)
class WorkerAdmin(AuditedAdmin):
    list_display = ["card_code", "name", "mine", "team", "special_flag", "active"]
    list_filter = ["active", "special_flag", "leader_flag"]
    search_fields = ["card_code", "name"]
    readonly_fields = ["roster_at"]  # kept by the RYXX feed


@admin.register(OperatorCertificate)
class OperatorCertificateAdmin(AuditedAdmin):
    """The number usually holds the ID number (masking.py): shown masked, edited on the worker's page."""

    list_display = ["worker", "operation_type", "masked_number", "issued", "expires"]
    list_filter = ["operation_type"]
    search_fields = ["worker__name", "worker__card_code"]
    exclude = ["number"]
    readonly_fields = ["masked_number", "recorded_on", "expiry_notified_at"]  # kept by the actions and the tick

    @admin.display(description=gettext_lazy("证号"))
    def masked_number(self, obj: OperatorCertificate) -> str:
        return obj.masked_number if obj is not None else ""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        """As AuditedAdmin's, with the number masked in the event."""
        assert isinstance(obj, OperatorCertificate)
        before = _snapshot(OperatorCertificate.objects.get(pk=obj.pk)) if change else None
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        audit.record(f"workforce.operatorcertificate.{'updated' if change else 'created'}", obj,
                     by=Actor.of(request.user, via=Via.ADMIN), before=before, after=_snapshot(obj), parent=obj.worker)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        assert isinstance(obj, OperatorCertificate)
        audit.record("workforce.operatorcertificate.deleted", obj, by=Actor.of(request.user, via=Via.ADMIN),
                     before=_snapshot(obj), parent=obj.worker)
        admin.ModelAdmin.delete_model(self, request, obj)
