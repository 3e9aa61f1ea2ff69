"""Pure rules of enforcement, with Hypothesis: the supervision class (R3.1), the monthly plan (R3.2),
penalties on the seeded discretion benchmarks (R3.4) and the mine head's score (R3.8)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuangan.enforcement import catalog_data as data
from kuangan.enforcement import rules
from kuangan.enforcement.catalog_data import CutoffRow, FactorRow

pytestmark = pytest.mark.nodb

LIMITS = rules.ScreenLimits()

GOOD = rules.ClassFacts(
    status="producing", stopped_days=None, rectification_overrun_days=None, licences_complete=True,
    gas_class="low", hydro_type="simple", rock_burst="none", spontaneous_combustion="unlikely",
    disaster_grade="simple", standardization_grade="first", intelligent_status="accepted_advanced",
    has_upgrade_project=False, leadership_findings=(), missing_reports_12m=0, major_hazards_last_year=0,
    accidents_3y=0, resource_consolidation=False, fully_outsourced=False,
    majors_12m=0, overdue_open=0, repeats_12m=0, alarms_12m=0,
)


def judge(facts: rules.ClassFacts, *, cutoffs=data.CLASS_CUTOFFS, factors=data.CLASS_FACTORS,
          screen: rules.ScreenLimits = LIMITS) -> rules.ClassResult:
    return rules.supervision_class(facts, factors=factors, cutoffs=cutoffs, vetoes=data.VETO_RULES, screen=screen)


def reason_with(result: rules.ClassResult, text: str) -> str:
    found = [r for r in result.reasons if text in r]
    assert found, (text, result.reasons)
    return found[0]


# --- supervision class -----------------------------------------------------------------------------------


def test_a_fully_good_mine_is_class_a_with_full_marks():
    result = judge(GOOD)
    assert (result.klass, result.base_class, result.score) == ("A", "A", 100.0)
    assert all(f.points == f.weight for f in result.factors if f.points is not None)


def test_credit_has_no_data_and_the_score_is_rescaled_over_the_other_weights():
    result = judge(replace(GOOD, standardization_grade="second"))
    credit = next(f for f in result.factors if f.code == "credit")
    assert credit.points is None and credit.notes == ("无数据：事故与瞒报尚未建模",)
    # 88 of the 90 points that have data → 97.8 of 100
    assert sum(f.points for f in result.factors if f.points is not None) == 88.0
    assert result.score == 97.8
    line = reason_with(result, "综合得分 97.8 分")
    assert "满分 90 分" in line and "折算为百分制" in line and "安全诚信" in line


def test_rescaling_follows_the_weights_given():
    factors = (FactorRow("standardization", "安全生产标准化", 40, 1, "", False),
               FactorRow("credit", "安全诚信", 50, 2, "", False),
               FactorRow("status", "生产建设状态", 10, 3, "", False))
    result = judge(replace(GOOD, standardization_grade="third"), factors=factors)
    # 20 of 40 + 10 of 10 = 30 of 50 → 60
    assert [f.points for f in result.factors] == [20.0, None, 10.0]
    assert result.score == 60.0 and result.klass == "C"


def test_a_score_exactly_at_a_cut_off_takes_that_class():
    # 标准化三级 −5, 灾害中等 −4.5, 智能化建设中 −4: 76.5 of 90 = 85.0
    facts = replace(GOOD, standardization_grade="third", disaster_grade="medium", intelligent_status="building")
    result = judge(facts)
    assert result.score == 85.0 and result.klass == "A"
    assert "以上包括本数" in reason_with(result, "按得分定为 A 类")
    # one tenth below the line is B
    higher = (CutoffRow("A", Decimal("85.1"), "", False), *data.CLASS_CUTOFFS[1:])
    assert judge(facts, cutoffs=higher).klass == "B"


@given(st.sampled_from(["first", "second", "third", "below"]), st.sampled_from(["simple", "medium", "complex", "extreme"]),
       st.sampled_from(["none", "building", "accepted_basic", "accepted_medium", "accepted_advanced"]))
def test_the_class_is_the_best_cut_off_the_score_reaches(grade, disaster, intelligent):
    result = judge(replace(GOOD, standardization_grade=grade, disaster_grade=disaster, intelligent_status=intelligent))
    assert result.score is not None
    assert result.klass == ("A" if result.score >= 85 else "B" if result.score >= 70 else "C")
    at_score = (CutoffRow("A", Decimal(str(result.score)), "", False), *data.CLASS_CUTOFFS[1:])
    assert judge(replace(GOOD, standardization_grade=grade, disaster_grade=disaster,
                         intelligent_status=intelligent), cutoffs=at_score).klass == "A"


@pytest.mark.parametrize("change,reason", [
    ({"status": "long_term_stopped", "stopped_days": 10}, "生产建设状态为长期停产停建"),
    ({"status": "construction_stopped", "stopped_days": 183}, "连续停产停建 183 天（≥183 天）"),
    ({"status": "suspended_for_rectification", "stopped_days": 60, "rectification_overrun_days": 30},
     "停产整顿期限届满后 30 天仍未复产（≥30 天）"),
    ({"licences_complete": False}, "证照不全或者已过期"),
])
def test_each_d_condition_alone_gives_d(change, reason):
    result = judge(replace(GOOD, **change))
    assert (result.klass, result.base_class) == ("D", "D")
    assert "定为 D 类" in reason_with(result, reason)


@pytest.mark.parametrize("change", [
    {"status": "construction_stopped", "stopped_days": 182},
    {"status": "suspended_for_rectification", "stopped_days": 182, "rectification_overrun_days": 29},
])
def test_one_day_short_of_a_d_condition_is_not_d(change):
    assert judge(replace(GOOD, **change)).klass != "D"


@pytest.mark.parametrize("change,reason", [
    ({"accidents_3y": 1}, "近3年生产安全事故或者查实瞒报 1 起"),
    ({"major_hazards_last_year": 1}, "上一年度重大事故隐患 1 项"),
    ({"gas_class": "outburst"}, "煤与瓦斯突出"),
    ({"gas_class": "high"}, "高瓦斯"),
    ({"hydro_type": "complex"}, "水文地质类型复杂"),
    ({"rock_burst": "rock_burst"}, "冲击地压矿井"),
    ({"resource_consolidation": True}, "资源整合矿井"),
    ({"fully_outsourced": True}, "整体托管矿井"),
])
def test_each_shaanxi_group_caps_at_c(change, reason):
    result = judge(replace(GOOD, **change))
    assert (result.klass, result.base_class) == ("C", "C")
    assert "最高 C 类" in reason_with(result, reason)


def test_a_rock_burst_tendency_or_medium_hydrology_is_not_disaster_severe():
    assert judge(replace(GOOD, rock_burst="tendency", hydro_type="medium")).klass == "A"


@pytest.mark.parametrize("change,missing", [
    ({"accidents_3y": None}, "事故与瞒报尚未建模"),
    ({"resource_consolidation": None}, "未登记是否为资源整合矿井"),
    ({"fully_outsourced": None}, "未登记是否整体托管"),
    ({"status": "construction_stopped", "stopped_days": None}, "连续停产停建的起始日期未知"),
])
def test_a_veto_without_data_does_not_fire_but_is_listed(change, missing):
    result = judge(replace(GOOD, **change))
    assert result.klass == "A"
    line = reason_with(result, missing)
    assert "无数据" in line and "不影响分类" in line


def test_a_closed_mine_is_d():
    result = judge(replace(GOOD, status="closed"))
    assert (result.klass, result.base_class) == ("D", "D")
    reason_with(result, "矿井已关闭")


@pytest.mark.parametrize("change,line", [
    ({"majors_12m": 2}, "近12个月重大事故隐患 2 项（≥2）"),
    ({"overdue_open": 1}, "逾期未整改的隐患 1 项（≥1）"),
    ({"repeats_12m": 1}, "近12个月同类重大事故隐患重复出现 1 次（≥1）"),
    ({"alarms_12m": 20}, "近12个月监测报警 20 次（≥20）"),
])
def test_each_screen_trigger_moves_a_good_mine_one_step(change, line):
    result = judge(replace(GOOD, **change))
    assert (result.base_class, result.klass) == ("A", "B")
    reason_with(result, line)
    reason_with(result, "由 A 类降为 B 类")


@pytest.mark.parametrize("change", [{"majors_12m": 1}, {"alarms_12m": 19}])
def test_below_the_screen_limits_nothing_moves(change):
    assert judge(replace(GOOD, **change)).klass == "A"


def test_all_screen_triggers_together_still_move_one_step_and_are_all_listed():
    result = judge(replace(GOOD, majors_12m=5, overdue_open=3, repeats_12m=2, alarms_12m=40))
    assert result.klass == "B"
    reason_with(result, "触发 4 项")


def test_a_screen_limit_below_one_is_switched_off():
    assert judge(replace(GOOD, overdue_open=5), screen=replace(LIMITS, overdue_open=0)).klass == "A"


FACTS = st.builds(
    rules.ClassFacts,
    status=st.sampled_from(["producing", "building", "suspended_for_rectification", "construction_stopped",
                            "long_term_stopped", "closed"]),
    stopped_days=st.none() | st.integers(0, 800),
    rectification_overrun_days=st.none() | st.integers(0, 100),
    licences_complete=st.booleans(),
    gas_class=st.sampled_from(["low", "high", "outburst", "not_applicable"]),
    hydro_type=st.sampled_from(["simple", "medium", "complex", "extreme"]),
    rock_burst=st.sampled_from(["none", "tendency", "rock_burst"]),
    spontaneous_combustion=st.sampled_from(["prone", "possible", "unlikely", "not_applicable"]),
    disaster_grade=st.sampled_from(["simple", "medium", "complex", "extreme"]),
    standardization_grade=st.sampled_from(["first", "second", "third", "below"]),
    intelligent_status=st.sampled_from(["none", "building", "accepted_basic", "accepted_medium", "accepted_advanced"]),
    has_upgrade_project=st.booleans(),
    leadership_findings=st.lists(st.text(min_size=1, max_size=5), max_size=6).map(tuple),
    missing_reports_12m=st.integers(0, 12),
    major_hazards_last_year=st.integers(0, 6),
    accidents_3y=st.none() | st.integers(0, 3),
    resource_consolidation=st.none() | st.booleans(),
    fully_outsourced=st.none() | st.booleans(),
    majors_12m=st.integers(0, 6),
    overdue_open=st.integers(0, 4),
    repeats_12m=st.integers(0, 3),
    alarms_12m=st.integers(0, 50),
)


@given(FACTS)
def test_the_screen_never_improves_and_moves_at_most_one_step(facts):
    result = judge(facts)
    base, final = rules.CLASS_ORDER.index(result.base_class), rules.CLASS_ORDER.index(result.klass)
    assert base <= final <= base + 1
    assert result.score is None or 0 <= result.score <= 100
    assert all(f.points is None or 0 <= f.points <= f.weight for f in result.factors)


@given(FACTS)
def test_adding_a_major_hazard_never_makes_the_class_better(facts):
    before = rules.CLASS_ORDER.index(judge(facts).klass)
    for more in (replace(facts, majors_12m=facts.majors_12m + 1),
                 replace(facts, major_hazards_last_year=facts.major_hazards_last_year + 1),
                 replace(facts, majors_12m=facts.majors_12m + 1,
                         major_hazards_last_year=facts.major_hazards_last_year + 1)):
        assert rules.CLASS_ORDER.index(judge(more).klass) >= before


@given(st.sampled_from(rules.CLASS_ORDER), st.sampled_from(rules.CLASS_ORDER))
def test_worse_is_the_later_class(a, b):
    assert rules.worse(a, b) == max(a, b) == rules.worse(b, a)


def test_factor_deductions_are_named_with_their_points():
    result = judge(replace(GOOD, leadership_findings=("矿长空缺", "总工程师学历低于大专"), missing_reports_12m=1))
    management = next(f for f in result.factors if f.code == "safety_management")
    # weight 20: 10% a leadership finding, 10% a missing report
    assert management.points == 14.0
    assert "领导班子岗位空缺或者人员不合格 2 项，每项扣 2.0 分，扣 4.0 分" in management.notes
    staff = next(f for f in result.factors if f.code == "staff")
    assert staff.points == 3.0  # weight 5: 20% a finding


# --- plan ---------------------------------------------------------------------------------------------


def year_of(mine: rules.PlanMine, per_year: dict[str, int]) -> list[int]:
    return [month for month in range(1, 13)
            if any(mid == mine.mine_id for mid, _r in rules.plan_month([mine], month=month, per_year=per_year))]


@given(st.integers(0, 10**6), st.integers(1, 12))
def test_a_class_with_n_visits_is_due_in_n_distinct_months(mine_id, n):
    months = rules.due_months(mine_id, n)
    assert len(set(months)) == n and all(1 <= m <= 12 for m in months)
    assert year_of(rules.PlanMine(mine_id, "C", frozenset(), ()), {"C": n}) == sorted(months)


@given(st.integers(0, 10**6))
def test_four_visits_are_three_months_apart(mine_id):
    months = rules.due_months(mine_id, 4)
    assert [b - a for a, b in zip(months, months[1:], strict=False)] == [3, 3, 3]


def test_class_a_mines_of_a_county_are_spread_over_the_year():
    mines = [rules.PlanMine(i, "A", frozenset(), ()) for i in range(100, 112)]
    per_month = [len(rules.plan_month(mines, month=m, per_year={"A": 1})) for m in range(1, 13)]
    assert per_month == [1] * 12


def test_the_reason_names_the_class_and_its_frequency():
    mine = rules.PlanMine(0, "C", frozenset(), ())
    assert rules.plan_month([mine], month=1, per_year={"C": 4}) == [(0, "C类：每年 4 次，本月应检")]
    assert rules.plan_month([mine], month=2, per_year={"C": 4}) == []


def test_a_mine_with_open_risks_is_due_every_month_with_its_reasons():
    mine = rules.PlanMine(5, "A", frozenset(), ("挂牌督办重大隐患 2 项",))
    plans = [rules.plan_month([mine], month=m, per_year={"A": 1}) for m in range(1, 13)]
    assert all(len(p) == 1 and "挂牌督办重大隐患 2 项" in p[0][1] for p in plans)
    assert plans[5] == [(5, "A类：每年 1 次，本月应检；挂牌督办重大隐患 2 项")]  # due month 1 + 5


def test_months_already_planned_or_inspected_are_skipped():
    mine = rules.PlanMine(0, "D", frozenset({2, 3}), ("未处置报警 1 条",))
    assert year_of(mine, {"D": 12}) == [1, *range(4, 13)]


def test_a_class_without_a_frequency_is_planned_only_for_risk():
    assert year_of(rules.PlanMine(0, "B", frozenset(), ()), {"A": 1}) == []


def test_the_plan_refuses_a_month_outside_the_year():
    with pytest.raises(ValueError):
        rules.plan_month([], month=13, per_year={})


# --- penalties ------------------------------------------------------------------------------------------

BENCHMARKS = {b.code: b for b in data.PENALTY_BENCHMARKS}


def decide(code: str, circumstance: str, gains: str | None = None) -> rules.PenaltyResult:
    return rules.penalty(BENCHMARKS[code].tiers,
                         rules.PenaltyFacts(circumstance, None if gains is None else Decimal(gains)))


def test_gains_of_exactly_100000_take_the_multiple_tier():
    result = decide("CMSR-61", "default", "100000")
    assert result.tier_order == 1
    assert result.unit_fine == (Decimal(200000), Decimal(500000))
    assert result.person_fine is None and "confiscate" in result.penalty_types
    assert rules.Criterion("第 1 档 违法所得 ≥ 100000 元（以上包括本数）：本案 100000 元", True) in result.criteria
    assert "单位罚款为违法所得 100000 元的 2–5 倍：200000–500000 元" in result.explanation


def test_gains_just_below_100000_take_the_fixed_tier():
    result = decide("CMSR-61", "default", "99999.99")
    assert result.tier_order == 2
    assert result.unit_fine == (Decimal(100000), Decimal(200000))
    assert rules.Criterion("第 1 档 违法所得 ≥ 100000 元（以上包括本数）：本案 99999.99 元", False) in result.criteria
    assert rules.Criterion("第 2 档 违法所得不足 100000 元：本案 99999.99 元", True) in result.criteria


def test_no_gains_is_the_fixed_tier_but_gains_not_entered_is_no_tier():
    assert decide("CMSR-61", "default", "0").tier_order == 2
    result = decide("CMSR-61", "default", None)
    assert result.tier_order is None and result.unit_fine is None
    assert "不能按本基准立案处罚" in result.explanation[0]


@given(st.decimals(min_value=0, max_value=10**8, places=2))
def test_exactly_one_gains_tier_applies(gains):
    result = rules.penalty(BENCHMARKS["CMSR-61"].tiers, rules.PenaltyFacts("default", gains))
    if gains >= 100000:
        assert result.tier_order == 1 and result.unit_fine == (2 * gains, 5 * gains)
    else:
        assert result.tier_order == 2 and result.unit_fine == (Decimal(100000), Decimal(200000))


@pytest.mark.parametrize("circumstance,order,unit,person,types", [
    ("ordinary_worker", 1, (10000, 20000), (1000, 5000), ("warning", "fine")),
    ("principal_or_manager", 2, (20000, 30000), (5000, 10000), ("fine",)),
])
def test_an_ordinary_worker_and_a_principal_get_different_tiers(circumstance, order, unit, person, types):
    result = decide("SAFE-44", circumstance)
    assert result.tier_order == order
    assert result.unit_fine == tuple(map(Decimal, unit)) and result.person_fine == tuple(map(Decimal, person))
    assert result.penalty_types == types
    # both tiers are shown, met or not
    assert [c.met for c in result.criteria] == [order == 1, order == 2]


@pytest.mark.parametrize("circumstance,order,unit,explained", [
    ("not_submitted", 1, (0, 20000), "单位罚款 不超过 20000 元"),
    ("falsified", 2, (20000, 30000), "单位罚款 20000–30000 元"),
    ("falsified_breakthrough", 3, (30000, 50000), "单位罚款 30000–50000 元"),
])
def test_the_drawings_tiers(circumstance, order, unit, explained):
    result = decide("TOWN-26-2", circumstance)
    assert (result.tier_order, result.unit_fine) == (order, tuple(map(Decimal, unit)))
    assert explained in result.explanation


def test_drawings_still_missing_after_the_deadline_stop_production_without_a_fine():
    result = decide("TOWN-26-2", "overdue_uncorrected")
    assert result.tier_order == 4 and result.penalty_types == ("stop_rectify",)
    assert result.unit_fine is None and "不少于10日" in result.measures
    assert not rules.fine_in_range(Decimal(1000), result.unit_fine)


def test_the_coal_regulation_stages_differ():
    first, overdue = decide("CMSR-63", "first_time"), decide("CMSR-63", "overdue_uncorrected")
    assert first.unit_fine == (Decimal(100000), Decimal(200000)) and "stop_rectify" not in first.penalty_types
    assert overdue.unit_fine == (Decimal(200000), Decimal(500000)) and "stop_rectify" in overdue.penalty_types


@pytest.mark.parametrize("code,unit", [("NB2024-181", (500000, 1000000)), ("SAFELAW-99", (100000, 500000))])
def test_a_benchmark_without_tiers_has_one_default_tier_with_the_statutory_range(code, unit):
    benchmark = BENCHMARKS[code]
    assert not benchmark.tiers_found
    assert [t.circumstance for t in benchmark.tiers] == ["default"]
    assert "裁量档次未找到" in benchmark.tiers[0].condition
    assert decide(code, "default").unit_fine == tuple(map(Decimal, unit))


@pytest.mark.parametrize("code", sorted(BENCHMARKS))
def test_an_unknown_circumstance_finds_no_tier(code):
    result = decide(code, "something_else", "500000")
    assert result.tier_order is None and result.penalty_types == () and result.unit_fine is None
    assert len({c.text.split(" ")[1] for c in result.criteria}) == len(BENCHMARKS[code].tiers)  # every tier shown
    assert "没有适用的裁量档次" in result.explanation[0]


def test_a_proposed_fine_is_checked_against_the_range_ends_included():
    rng = (Decimal(10000), Decimal(20000))
    assert rules.fine_in_range(Decimal(10000), rng) and rules.fine_in_range(Decimal(20000), rng)
    assert not rules.fine_in_range(Decimal("9999.99"), rng) and not rules.fine_in_range(Decimal("20000.01"), rng)
    assert not rules.fine_in_range(Decimal(0), None)


# --- mine-head score ------------------------------------------------------------------------------------


def test_eleven_points_do_not_call_for_a_retake_twelve_do():
    assert not rules.retake_due(rules.score_total([6, 3, 2]), data.SCORE_THRESHOLD)
    assert rules.retake_due(rules.score_total([6, 6]), data.SCORE_THRESHOLD)
    assert rules.score_total([]) == 0


@given(st.lists(st.sampled_from([d.points for d in data.SCORE_DEDUCTIONS]), max_size=10))
def test_the_retake_is_due_exactly_from_the_threshold(points):
    assert rules.retake_due(rules.score_total(points), 12) == (sum(points) >= 12)
