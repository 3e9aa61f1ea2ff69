"""The seeded enforcement tables hold together: weights, cut-offs, codes, tier ranges, sources, and the
column sizes of the tables they seed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kuangan.enforcement import catalog_data as data
from kuangan.enforcement import rules

pytestmark = pytest.mark.nodb

PENALTY_KEYS = {k for k, _label in data.PENALTY_TYPES}
TIERS = [(b, t) for b in data.PENALTY_BENCHMARKS for t in b.tiers]


def test_the_factor_weights_sum_to_100_and_are_the_nine_taiyuan_factors():
    assert sum(f.weight for f in data.CLASS_FACTORS) == 100
    assert [f.code for f in sorted(data.CLASS_FACTORS, key=lambda f: f.order)] == [
        "safety_management", "mining_conditions", "disaster_degree", "layout", "equipment", "credit",
        "standardization", "staff", "status"]
    assert not any(f.basis_found for f in data.CLASS_FACTORS)
    assert all(f.source.startswith("未找到依据") for f in data.CLASS_FACTORS)


def test_every_seeded_factor_and_veto_has_a_rule():
    facts = rules.ClassFacts(
        status="producing", stopped_days=None, rectification_overrun_days=None, licences_complete=True,
        gas_class="low", hydro_type="simple", rock_burst="none", spontaneous_combustion="unlikely",
        disaster_grade="simple", standardization_grade="first", intelligent_status="none", has_upgrade_project=False,
        leadership_findings=(), missing_reports_12m=0, major_hazards_last_year=0, accidents_3y=None,
        resource_consolidation=None, fully_outsourced=None, majors_12m=0, overdue_open=0, repeats_12m=0, alarms_12m=0)
    result = rules.supervision_class(facts, factors=data.CLASS_FACTORS, cutoffs=data.CLASS_CUTOFFS,
                                     vetoes=data.VETO_RULES, screen=rules.ScreenLimits())
    assert not any("没有计分规则" in n for f in result.factors for n in f.notes)
    assert not any("没有判定规则" in r for r in result.reasons)
    unknown = replace(data.VETO_RULES[0], code="invented", text="新否决项")
    result = rules.supervision_class(facts, factors=data.CLASS_FACTORS, cutoffs=data.CLASS_CUTOFFS,
                                     vetoes=(unknown,), screen=rules.ScreenLimits())
    assert "否决项“新否决项”没有判定规则，未评估" in result.reasons


def test_the_cut_offs_fall_from_a_to_c_and_c_takes_every_score():
    assert [(c.klass, c.min_score) for c in data.CLASS_CUTOFFS] == [("A", 85), ("B", 70), ("C", 0)]
    assert not any(c.basis_found for c in data.CLASS_CUTOFFS)


def test_the_veto_items_are_sourced_and_cap_at_c_or_d():
    codes = [v.code for v in data.VETO_RULES]
    assert len(codes) == len(set(codes))
    assert {v.code for v in data.VETO_RULES if v.cap == "D"} == {
        "long_term_stopped", "stopped_6_months", "rectification_not_resumed", "licences_incomplete"}
    assert {v.code for v in data.VETO_RULES if v.cap == "C"} == {
        "accident_or_concealment_3y", "major_hazard_last_year", "disaster_severe", "resource_consolidation",
        "fully_outsourced"}
    assert all(v.basis_found and "[Q" in v.source for v in data.VETO_RULES)


def test_every_class_has_a_frequency_rising_towards_d():
    assert [(f.klass, f.per_year) for f in data.FREQUENCIES] == [("A", 1), ("B", 2), ("C", 4), ("D", 12)]
    assert all(not f.basis_found and "未找到依据" in f.source for f in data.FREQUENCIES)


def test_penalty_codes_are_unique_and_every_benchmark_has_a_tier():
    codes = [b.code for b in data.PENALTY_BENCHMARKS]
    assert codes == ["NB2024-181", "TOWN-26-2", "SAFE-44", "SAFE-44-2", "CMSR-63", "CMSR-61", "SAFELAW-99"]
    for b in data.PENALTY_BENCHMARKS:
        assert b.tiers, b.code
        orders = [t.order for t in b.tiers]
        assert orders == sorted(set(orders)), b.code
        if len(b.tiers) == 1:
            assert b.tiers[0].circumstance == "default", b.code
    assert {b.code for b in data.PENALTY_BENCHMARKS if b.tiers_found} == {"TOWN-26-2", "SAFE-44", "SAFE-44-2"}


@pytest.mark.parametrize("benchmark,tier", TIERS, ids=[f"{b.code}-{t.order}" for b, t in TIERS])
def test_a_tier_is_consistent(benchmark, tier):
    for lo, hi in ((tier.unit_fine_min, tier.unit_fine_max), (tier.person_fine_min, tier.person_fine_max),
                   (tier.unit_gains_multiple_min, tier.unit_gains_multiple_max)):
        assert (lo is None) == (hi is None)
        assert lo is None or 0 <= lo <= hi
    assert tier.penalty_types and set(tier.penalty_types) <= PENALTY_KEYS
    has_fine = tier.unit_fine_max is not None or tier.unit_gains_multiple_max is not None
    assert ("fine" in tier.penalty_types) == has_fine
    assert not (tier.unit_fine_max is not None and tier.unit_gains_multiple_max is not None)
    if tier.unit_gains_multiple_max is not None:
        assert tier.gains_min is not None
    # a circumstance key the inspector can choose: lower-case ASCII
    assert tier.circumstance.replace("_", "").isalpha() and tier.circumstance.islower()


def test_no_two_tiers_of_a_benchmark_apply_to_the_same_case():
    for b in data.PENALTY_BENCHMARKS:
        for gains in (Decimal(0), Decimal("99999.99"), Decimal(100000), Decimal(10**7)):
            for circumstance in {t.circumstance for t in b.tiers}:
                met = [t.order for t in b.tiers
                       if t.circumstance == circumstance
                       and (t.gains_min is None or gains >= t.gains_min)
                       and (t.gains_below is None or gains < t.gains_below)]
                assert len(met) == 1, (b.code, circumstance, gains, met)


def test_score_deductions_are_unique_and_within_one_cycle():
    codes = [d.code for d in data.SCORE_DEDUCTIONS]
    assert len(codes) == len(set(codes))
    assert all(0 < d.points <= data.SCORE_THRESHOLD and not d.basis_found for d in data.SCORE_DEDUCTIONS)
    assert data.SCORE_THRESHOLD == 12 and "[Q" in data.SCORE_THRESHOLD_SOURCE


def test_the_texts_fit_the_columns_they_seed():
    """Column sizes of enforcement/models.py."""
    sourced = [*data.CLASS_FACTORS, *data.CLASS_CUTOFFS, *data.VETO_RULES, *data.FREQUENCIES,
               *data.PENALTY_BENCHMARKS, *data.SCORE_DEDUCTIONS]
    assert all(0 < len(row.source) <= 300 for row in sourced)
    assert all(len(f.code) <= 40 and len(f.name) <= 40 for f in data.CLASS_FACTORS)
    assert all(len(v.code) <= 40 and len(v.text) <= 200 for v in data.VETO_RULES)
    for b in data.PENALTY_BENCHMARKS:
        assert len(b.code) <= 30 and len(b.enforcer) <= 100 and len(b.tag) <= 10
        assert len(b.basis_violation) <= 300 and len(b.basis_penalty) <= 300 and len(b.statutory_range) <= 300
        for t in b.tiers:
            assert len(t.condition) <= 300 and len(t.circumstance) <= 40 and len(t.measures) <= 300
    assert all(len(d.code) <= 40 and len(d.violation) <= 200 for d in data.SCORE_DEDUCTIONS)
