"""The seeded tables of enforcement (class factors, cut-offs, veto items, frequencies, penalty benchmarks
and tiers, score deductions, numbering patterns): edited here, each change audited. The page shows
"未找到依据" beside every number whose official source was not found."""

from django.contrib import admin

from kuangan.core.admin import AuditedAdmin

from .models import (
    ClassCutoff,
    ClassFactor,
    ClassVeto,
    DocumentPattern,
    InspectionFrequency,
    PenaltyBenchmark,
    PenaltyTier,
    ScoreDeduction,
)


class TierInline(admin.TabularInline):
    model = PenaltyTier
    extra = 0
    fields = ["order", "condition", "circumstance", "gains_min", "gains_below", "penalty_types", "unit_fine_min",
              "unit_fine_max", "unit_gains_multiple_min", "unit_gains_multiple_max", "person_fine_min",
              "person_fine_max", "measures"]


@admin.register(PenaltyBenchmark)
class PenaltyBenchmarkAdmin(AuditedAdmin):
    list_display = ["code", "violation", "basis_penalty", "tiers_found", "active"]
    search_fields = ["code", "violation"]
    inlines = [TierInline]


@admin.register(ClassFactor)
class ClassFactorAdmin(AuditedAdmin):
    list_display = ["name", "weight", "order", "basis_found", "source"]


@admin.register(ClassCutoff)
class ClassCutoffAdmin(AuditedAdmin):
    list_display = ["klass", "min_score", "basis_found", "source"]


@admin.register(ClassVeto)
class ClassVetoAdmin(AuditedAdmin):
    list_display = ["text", "cap", "active", "basis_found", "source"]


@admin.register(InspectionFrequency)
class InspectionFrequencyAdmin(AuditedAdmin):
    list_display = ["klass", "per_year", "basis_found", "source"]


@admin.register(ScoreDeduction)
class ScoreDeductionAdmin(AuditedAdmin):
    list_display = ["violation", "points", "active", "basis_found", "source"]


@admin.register(DocumentPattern)
class DocumentPatternAdmin(AuditedAdmin):
    list_display = ["organization", "kind", "pattern"]
    list_filter = ["kind"]
