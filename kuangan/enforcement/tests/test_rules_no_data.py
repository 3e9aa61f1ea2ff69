"""The supervision class when data or rules are missing (R3.1): a graded fact left blank or unknown, a factor
or a veto item the rules do not know, no factor with data at all, and a score below every cut-off."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kuangan.enforcement import catalog_data as data
from kuangan.enforcement import rules
from kuangan.enforcement.catalog_data import CutoffRow, FactorRow, VetoRow

from .test_rules import GOOD, LIMITS, judge

pytestmark = pytest.mark.nodb


def factor(result: rules.ClassResult, code: str) -> rules.FactorScore:
    return next(f for f in result.factors if f.code == code)


def test_a_graded_fact_left_blank_or_unknown_is_no_data_not_zero():
    result = judge(replace(GOOD, standardization_grade="", disaster_grade="very_hard"))
    standardization = factor(result, "standardization")
    assert standardization.points is None
    assert standardization.notes == ("无数据：安全生产标准化等级未填写或取值未知（—）",)
    assert factor(result, "disaster_degree").notes == ("无数据：灾害等级未填写或取值未知（very_hard）",)
    assert "无数据未计：" in next(r for r in result.reasons if r.startswith("综合得分"))


def test_one_unknown_mining_condition_makes_the_whole_factor_no_data():
    result = judge(replace(GOOD, hydro_type=""))
    mining = factor(result, "mining_conditions")
    assert mining.points is None and mining.notes == ("无数据：水文地质类型未填写或取值未知（—）",)


def test_a_factor_without_a_scoring_rule_is_listed_as_no_data():
    factors = (*data.CLASS_FACTORS, FactorRow("reputation", "社会评价", 10, 99, "", False))
    result = judge(GOOD, factors=factors)
    unknown = factor(result, "reputation")
    assert (unknown.points, unknown.notes) == (None, ("无数据：该因素没有计分规则",))
    assert result.score == 100.0  # rescaled over the factors with data only


def test_without_any_factor_with_data_the_class_is_the_lowest_cut_off():
    only_credit = (FactorRow("credit", "安全诚信", 100, 1, "", False),)
    result = judge(GOOD, factors=only_credit)
    assert result.score is None and result.klass == "C"
    assert result.reasons[0] == "没有任何有数据的评分因素：按最低分类线定为 C 类"
    assert not any(r.startswith("综合得分") for r in result.reasons)
    none = judge(GOOD, factors=only_credit, cutoffs=())
    assert none.klass == "D" and none.reasons[0] == "没有任何有数据的评分因素：按最低分类线定为 D 类"


def test_a_score_below_every_cut_off_is_class_d():
    cutoffs = (CutoffRow("A", Decimal(99), "", False), CutoffRow("B", Decimal(98), "", False),
               CutoffRow("C", Decimal(97), "", False))
    result = judge(replace(GOOD, standardization_grade="second"), cutoffs=cutoffs)  # 97.8 of 100
    assert result.score == 97.8 and result.klass == "C"
    result = judge(replace(GOOD, standardization_grade="third"), cutoffs=cutoffs)
    assert result.score < 97 and (result.klass, result.base_class) == ("D", "D")
    assert "得分低于所有分类线：定为 D 类" in result.reasons


def test_a_veto_item_without_a_rule_is_listed_as_not_evaluated():
    vetoes = (*data.VETO_RULES, VetoRow("new_item", "新增否决项", "D", "", False))
    checks = rules.veto_checks(GOOD, vetoes, LIMITS)
    unknown = next(c for c in checks if c.code == "new_item")
    assert (unknown.applies, unknown.detail, unknown.cap) == (None, "没有判定规则，未评估", "D")
    assert all(c.applies is not None for c in checks if c.code != "new_item")
