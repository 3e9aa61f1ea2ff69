"""Loads the seed tables of catalog_data.py into the database (a data migration calls it; later changes are
made in the admin, each audited). Rows already present are updated to the shipped values only by a new
migration that calls this again."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .catalog_data import (
    CLASS_CUTOFFS,
    CLASS_FACTORS,
    FREQUENCIES,
    PENALTY_BENCHMARKS,
    SCORE_DEDUCTIONS,
    VETO_RULES,
)


def load_catalog(get_model: Any) -> int:
    """Create or update every seeded row; `get_model(name)` gives the model (historical in a migration).
    Returns the number of rows written."""
    count = 0
    for model_name, rows, key in (("ClassFactor", CLASS_FACTORS, "code"), ("ClassCutoff", CLASS_CUTOFFS, "klass"),
                                  ("ClassVeto", VETO_RULES, "code"), ("InspectionFrequency", FREQUENCIES, "klass"),
                                  ("ScoreDeduction", SCORE_DEDUCTIONS, "code")):
        model = get_model(model_name)
        for row in rows:
            values = asdict(row)
            model.objects.update_or_create(**{key: values.pop(key)}, defaults=values)
            count += 1
    benchmark_model, tier_model = get_model("PenaltyBenchmark"), get_model("PenaltyTier")
    for b in PENALTY_BENCHMARKS:
        values = asdict(b)
        tiers = values.pop("tiers")
        benchmark, _created = benchmark_model.objects.update_or_create(code=values.pop("code"), defaults=values)
        for t in tiers:
            t["penalty_types"] = list(t["penalty_types"])
            tier_model.objects.update_or_create(benchmark=benchmark, order=t.pop("order"), defaults=t)
            count += 1
        count += 1
    return count
