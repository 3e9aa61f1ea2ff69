"""Seed data of enforcement (pure data, stdlib only): the supervision-class factors, cut-offs, veto items
and inspection frequencies (R3.1, R3.2), the penalty discretion benchmarks (R3.4) and the mine-head
score deductions (R3.8). The rows seed admin-editable tables; ``rules.py`` computes with whatever the
tables hold.

Source: /work/shared/docs/RULES.md §6, §7 and §8, which compile public re-posts of the official texts.
Nothing here was read from an official gazette; every value must be checked against the official text
before it becomes a hard rule.

- **Supervision class** (RULES §6). The nine factors are those of 《太原市煤矿分级分类安全监管监察实施细则》
  (2020-06-02) [Q]; their points were not found, so the weights are defaults (``basis_found=False``).
  The 100-point score with veto items follows the older Jinzhong practice (2017) [Q]; its cut-offs were not
  found (defaults). The D conditions are Inner Mongolia's [Q], plus Taiyuan's definition of D (长期停产停建)
  [Q]. The "参照C类" groups are Shaanxi's (2022) [Q]. These come from other provinces: the article text
  of the Shanxi 办法 was not found. Minimum inspection frequencies per class were not found (defaults).
  Confidence: medium for the factors and veto items, none for the numbers marked ``basis_found=False``.
- **Penalty benchmarks** (RULES §8, rows 1–7). Legal bases and statutory ranges are quoted from re-posts
  [Q]; row 7 cites the 2014 text of the 安全生产法, whose 2021 counterpart (第一百零二条) is reported with
  different amounts [S] and must be verified. Discretion tiers were found only for rows 2, 3 and 4
  (``tiers_found=True``). The other rows carry the statutory range as their tier(s): a single ``default``
  tier, or, where the statute itself sets stages (row 5: first offence / not corrected by the deadline;
  row 6: illegal gains ≥ 10万 / below), one tier per stage. Amounts are in 元. Confidence: medium.
- **Mine-head score** (RULES §7). The 12-point threshold is quoted [Q]; the calendar-year cycle is
  inferred [I]; the points per item were not found, so they are defaults (``basis_found=False``). The
  6/9/12 tiers of an unsourced summary page are deliberately not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# ---------------------------------------------------------------------------------------------------------
# Row types. The field names are the contract with the models (enforcement/models.py) and rules.py.
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorRow:
    code: str
    name: str
    weight: int  # points of the factor in the 100-point score
    order: int
    source: str
    basis_found: bool


@dataclass(frozen=True)
class CutoffRow:
    klass: str  # "A", "B", "C"
    min_score: Decimal | int  # 以上包括本数: a score equal to it reaches the class
    source: str
    basis_found: bool


@dataclass(frozen=True)
class VetoRow:
    code: str  # rules.py knows how to judge each code
    text: str
    cap: str  # the best class the mine can have when the item applies: "C" or "D"
    source: str
    basis_found: bool


@dataclass(frozen=True)
class FrequencyRow:
    klass: str
    per_year: int  # minimum inspections a year
    source: str
    basis_found: bool = False


@dataclass(frozen=True)
class TierRow:
    order: int
    condition: str  # Chinese: when the tier applies
    circumstance: str  # machine key the inspector chooses; "default" when the benchmark has one tier
    gains_min: Decimal | int | None  # 违法所得 ≥ this (以上包括本数)
    gains_below: Decimal | int | None  # 违法所得 < this (不足)
    penalty_types: tuple[str, ...]  # keys of PENALTY_TYPES
    unit_fine_min: Decimal | int | None  # 元; 0 with a maximum = "不超过 max"
    unit_fine_max: Decimal | int | None
    unit_gains_multiple_min: Decimal | int | None  # fine = multiple × illegal gains
    unit_gains_multiple_max: Decimal | int | None
    person_fine_min: Decimal | int | None  # 一案双罚: the principal / persons directly responsible
    person_fine_max: Decimal | int | None
    measures: str  # other measures, Chinese, may be empty


@dataclass(frozen=True)
class BenchmarkRow:
    code: str
    violation: str
    basis_violation: str  # 认定违法行为的依据
    basis_penalty: str  # 作出处罚决定的依据
    enforcer: str  # 实施主体
    statutory_range: str
    source: str
    tag: str  # confidence tag of RULES.md: "Q", "S", "I", "R"
    tiers_found: bool  # False: the page says 裁量档次未找到 and the tiers are the statutory range
    tiers: tuple[TierRow, ...]


@dataclass(frozen=True)
class DeductionRow:
    code: str
    violation: str
    points: int
    source: str
    basis_found: bool = False


# ---------------------------------------------------------------------------------------------------------
# R3.1 Supervision class (RULES §6)
# ---------------------------------------------------------------------------------------------------------

_FACTOR_SOURCE = "未找到依据（RULES §6：太原细则列出的因素，分值未找到）"

CLASS_FACTORS: tuple[FactorRow, ...] = (
    FactorRow("safety_management", "安全管理", 20, 1, _FACTOR_SOURCE, False),
    FactorRow("mining_conditions", "开采技术条件", 15, 2, _FACTOR_SOURCE, False),
    FactorRow("disaster_degree", "灾害程度", 15, 3, _FACTOR_SOURCE, False),
    FactorRow("layout", "生产布局", 10, 4, _FACTOR_SOURCE, False),
    FactorRow("equipment", "装备与工艺", 10, 5, _FACTOR_SOURCE, False),
    FactorRow("credit", "安全诚信", 10, 6, _FACTOR_SOURCE, False),
    FactorRow("standardization", "安全生产标准化", 10, 7, _FACTOR_SOURCE, False),
    FactorRow("staff", "从业人员素质", 5, 8, _FACTOR_SOURCE, False),
    FactorRow("status", "生产建设状态", 5, 9, _FACTOR_SOURCE, False),
)

_CUTOFF_SOURCE = "未找到依据（RULES §6：晋中2017年实行百分制加否决项定A–D类，分数线未找到）"

CLASS_CUTOFFS: tuple[CutoffRow, ...] = (
    CutoffRow("A", 85, _CUTOFF_SOURCE, False),
    CutoffRow("B", 70, _CUTOFF_SOURCE, False),
    CutoffRow("C", 0, _CUTOFF_SOURCE + "；得分不单独定D类，D类由否决项确定", False),
)

_NMG = "RULES §6：内蒙古D类条件{item} [Q l33hv1.com/article/158184.html]；山西条文未找到，借用外省规定"
_SHAANXI = "RULES §6：陕西2022年重点监管“参照C类”{item} [Q news.gqsoso.com/qita/202111/29144396.html]"

VETO_RULES: tuple[VetoRow, ...] = (
    VetoRow("long_term_stopped", "长期停产停建", "D",
            "RULES §6：太原细则，D类为长期停产停建的煤矿 [Q a5759.cn/news/1014901.html]", True),
    VetoRow("stopped_6_months", "连续停产停建6个月以上", "D", _NMG.format(item="（一）"), True),
    VetoRow("rectification_not_resumed", "责令停产整顿（停止建设）期限届满1个月后仍未复产复建", "D",
            _NMG.format(item="（二）"), True),
    VetoRow("licences_incomplete", "证照不全或者超过有效期", "D", _NMG.format(item="（三）"), True),
    VetoRow("accident_or_concealment_3y", "近3年发生生产安全事故或者查实瞒报", "C", _SHAANXI.format(item="（一）"), True),
    VetoRow("major_hazard_last_year", "上一年度查出重大事故隐患", "C", _SHAANXI.format(item="（二）"), True),
    VetoRow("disaster_severe", "灾害严重（煤与瓦斯突出、高瓦斯、水文地质类型复杂及以上、冲击地压）", "C",
            _SHAANXI.format(item="（三）"), True),
    VetoRow("resource_consolidation", "资源整合矿井", "C", _SHAANXI.format(item="（四）"), True),
    VetoRow("fully_outsourced", "整体托管矿井", "C", _SHAANXI.format(item="（五）"), True),
)

_FREQUENCY_SOURCE = "未找到依据（RULES §6：最低检查频次未找到）"

FREQUENCIES: tuple[FrequencyRow, ...] = (
    FrequencyRow("A", 1, _FREQUENCY_SOURCE),
    FrequencyRow("B", 2, _FREQUENCY_SOURCE),
    FrequencyRow("C", 4, _FREQUENCY_SOURCE),
    FrequencyRow("D", 12, _FREQUENCY_SOURCE),
)

# ---------------------------------------------------------------------------------------------------------
# R3.4 Penalty discretion benchmarks (RULES §8, rows 1–7)
# ---------------------------------------------------------------------------------------------------------

PENALTY_TYPES: tuple[tuple[str, str], ...] = (
    ("warning", "警告"),
    ("fine", "罚款"),
    ("confiscate", "没收违法所得"),
    ("stop_rectify", "责令停产整顿"),
    ("stop_construction", "责令停止建设"),
    ("suspend_licence", "暂扣证照"),
    ("close", "提请关闭"),
    ("order_correct", "责令限期改正"),
)


def _tier(order: int, condition: str, circumstance: str, penalty_types: tuple[str, ...], *,
          unit: tuple[int, int] | None = None, multiple: tuple[int, int] | None = None,
          person: tuple[int, int] | None = None, gains_min: int | None = None, gains_below: int | None = None,
          measures: str = "") -> TierRow:
    return TierRow(
        order=order, condition=condition, circumstance=circumstance, gains_min=gains_min, gains_below=gains_below,
        penalty_types=penalty_types,
        unit_fine_min=unit[0] if unit else None, unit_fine_max=unit[1] if unit else None,
        unit_gains_multiple_min=multiple[0] if multiple else None,
        unit_gains_multiple_max=multiple[1] if multiple else None,
        person_fine_min=person[0] if person else None, person_fine_max=person[1] if person else None,
        measures=measures)


_SAFETY_LAW_2021 = "《中华人民共和国安全生产法》（2021年修正）"
_PUNISH_RULES = "《安全生产违法行为行政处罚办法》"
_COAL_REGULATION = "《煤矿安全生产条例》（国务院令第774号，2024-05-01施行）"
_ENFORCER_NF = "未找到（RULES §8 未载明实施主体）"

PENALTY_BENCHMARKS: tuple[BenchmarkRow, ...] = (
    BenchmarkRow(
        code="NB2024-181",
        violation="矿山建设项目没有安全设施设计或者安全设施设计未按照规定报经有关部门审查同意，逾期仍未改正",
        basis_violation=_SAFETY_LAW_2021 + "第九十八条第（二）项",
        basis_penalty=_SAFETY_LAW_2021 + "第九十八条",
        enforcer="煤矿安全监管监察部门",
        statutory_range="单位10万–50万元，责令停止建设或者停产停业整顿；直接负责的主管人员和其他直接责任人员2万–5万元。"
                        "逾期未改正的：单位50万–100万元，个人5万–10万元",
        source="RULES §8 第1行：《煤矿安全监管监察行政处罚裁量权基准》（国家矿山安全监察局，2024）第一百八十一条"
               " [Q paper.ty122.com/Html/2024-12-03/13958.html]；裁量档次原文截断，未找到",
        tag="Q",
        tiers_found=False,
        tiers=(_tier(1, "逾期仍未改正（法定幅度；裁量档次未找到）", "default", ("fine",),
                     unit=(500000, 1000000), person=(50000, 100000),
                     measures="此前已责令停止建设或者停产停业整顿、限期改正"),),
    ),
    BenchmarkRow(
        code="TOWN-26-2",
        violation="乡镇煤矿未按照规定报送矿井图纸（井上下对照图、采掘工程平面图、通风系统图）",
        basis_violation="《乡镇煤矿管理条例》第二十六条第（二）项",
        basis_penalty="《乡镇煤矿管理条例》第二十六条",
        enforcer=_ENFORCER_NF,
        statutory_range="警告；5万元以下罚款；责令停产整顿",
        source="RULES §8 第2行：原煤炭行政处罚裁量基准 [Q 360docs.net/doc/6215934666.html]",
        tag="Q",
        tiers_found=True,
        tiers=(
            _tier(1, "未报送井上下对照图、采掘工程平面图或者通风系统图", "not_submitted",
                  ("warning", "order_correct", "fine"), unit=(0, 20000), measures="责令限期报送"),
            _tier(2, "报送的图纸弄虚作假", "falsified", ("fine",), unit=(20000, 30000)),
            _tier(3, "图纸弄虚作假，导致与相邻矿井贯通", "falsified_breakthrough", ("fine",), unit=(30000, 50000)),
            _tier(4, "逾期仍不报送，或者没有图纸", "overdue_uncorrected", ("stop_rectify",),
                  measures="责令停产整顿，时间不少于10日"),
        ),
    ),
    BenchmarkRow(
        code="SAFE-44",
        violation="从业人员违反操作规程或者安全管理规定作业",
        basis_violation=_PUNISH_RULES + "第四十四条",
        basis_penalty=_PUNISH_RULES + "第四十四条",
        enforcer=_ENFORCER_NF,
        statutory_range="单位1万–3万元；个人0.1万–1万元",
        source="RULES §8 第3行：安全生产行政处罚裁量基准 [Q kleyou.net/html/text/lar/173051/17305132_2.html]",
        tag="Q",
        tiers_found=True,
        tiers=(
            _tier(1, "一般从业人员违反操作规程", "ordinary_worker", ("warning", "fine"),
                  unit=(10000, 20000), person=(1000, 5000)),
            _tier(2, "主要负责人、安全管理人员或者特种作业人员违反操作规程", "principal_or_manager", ("fine",),
                  unit=(20000, 30000), person=(5000, 10000)),
        ),
    ),
    BenchmarkRow(
        code="SAFE-44-2",
        violation="违章指挥或者强令从业人员违章、冒险作业",
        basis_violation=_PUNISH_RULES + "第四十四条第（二）项",
        basis_penalty=_PUNISH_RULES + "第四十四条",
        enforcer=_ENFORCER_NF,
        statutory_range="单位1万–3万元；个人0.1万–1万元",
        source="RULES §8 第4行：安全生产行政处罚裁量基准 [Q kleyou.net/html/text/lar/173051/17305132_2.html]",
        tag="Q",
        tiers_found=True,
        tiers=(
            _tier(1, "违章指挥", "illegal_command", ("fine",), unit=(10000, 20000), person=(1000, 5000)),
            _tier(2, "强令从业人员违章、冒险作业", "forced_risky_work", ("fine",),
                  unit=(20000, 30000), person=(5000, 10000)),
        ),
    ),
    BenchmarkRow(
        code="CMSR-63",
        violation="煤矿未按照规定配备矿长等负责人、未按照规定设立救护队，或者主要系统不符合规定",
        basis_violation=_COAL_REGULATION + "第六十三条",
        basis_penalty=_COAL_REGULATION + "第六十三条",
        enforcer=_ENFORCER_NF,
        statutory_range="责令限期改正，单位10万–20万元；逾期未改正的，责令停产整顿，单位20万–50万元；个人3万–5万元",
        source="RULES §8 第5行 [Q jianbiaoku.com/webarbs/book/171633/4859095.shtml]；裁量档次未找到，"
               "两档为条例规定的两个阶段；个人罚款适用的阶段原文未见，两档均列",
        tag="Q",
        tiers_found=False,
        tiers=(
            _tier(1, "首次查处：责令限期改正（法定幅度）", "first_time", ("order_correct", "fine"),
                  unit=(100000, 200000), person=(30000, 50000)),
            _tier(2, "逾期未改正（法定幅度）", "overdue_uncorrected", ("stop_rectify", "fine"),
                  unit=(200000, 500000), person=(30000, 50000)),
        ),
    ),
    BenchmarkRow(
        code="CMSR-61",
        violation="未取得安全生产许可证等擅自从事煤炭生产",
        basis_violation=_COAL_REGULATION + "第六十一条",
        basis_penalty=_COAL_REGULATION + "第六十一条",
        enforcer=_ENFORCER_NF,
        statutory_range="责令停止生产，没收违法所得和开采出的煤炭以及采掘设备；违法所得10万元以上的，"
                        "并处违法所得2倍以上5倍以下的罚款；没有违法所得或者违法所得不足10万元的，并处10万–20万元罚款",
        source="RULES §8 第6行 [Q jianbiaoku.com/webarbs/book/171633/4859095.shtml]；裁量档次未找到，"
               "两档为条例按违法所得划分的两种情形",
        tag="Q",
        tiers_found=False,
        tiers=(
            _tier(1, "违法所得10万元以上（包括本数）", "default", ("confiscate", "fine"), multiple=(2, 5),
                  gains_min=100000, measures="责令停止生产；没收开采出的煤炭以及采掘设备"),
            _tier(2, "没有违法所得或者违法所得不足10万元", "default", ("confiscate", "fine"), unit=(100000, 200000),
                  gains_below=100000, measures="责令停止生产；没收开采出的煤炭以及采掘设备"),
        ),
    ),
    BenchmarkRow(
        code="SAFELAW-99",
        violation="生产经营单位未采取措施消除事故隐患",
        basis_violation="《中华人民共和国安全生产法》（2014年修正）第九十九条",
        basis_penalty="《中华人民共和国安全生产法》（2014年修正）第九十九条",
        enforcer=_ENFORCER_NF,
        statutory_range="责令立即消除或者限期消除；拒不执行的，责令停产停业整顿，单位10万–50万元，个人2万–5万元",
        source="RULES §8 第7行 [Q tj.sina.com.cn]；2021年修正文本（第一百零二条）的数额据称不同 [S]，须核对",
        tag="Q",
        tiers_found=False,
        tiers=(_tier(1, "责令消除事故隐患后拒不执行（法定幅度；裁量档次未找到）", "default", ("stop_rectify", "fine"),
                     unit=(100000, 500000), person=(20000, 50000), measures="责令立即消除或者限期消除事故隐患"),),
    ),
)

# ---------------------------------------------------------------------------------------------------------
# R3.8 Mine-head safety score (RULES §7)
# ---------------------------------------------------------------------------------------------------------

_DEDUCTION_SOURCE = "未找到依据（RULES §7：记分情形见山西办法 [Q quantou.org]，每项分值未找到）"

SCORE_DEDUCTIONS: tuple[DeductionRow, ...] = (
    DeductionRow("accident", "发生生产安全事故", 12, _DEDUCTION_SOURCE),
    DeductionRow("major_hazard", "存在重大事故隐患", 6, _DEDUCTION_SOURCE),
    DeductionRow("stop_rectify", "被责令停产整顿", 6, _DEDUCTION_SOURCE),
    DeductionRow("order_not_done", "逾期未完成整改", 3, _DEDUCTION_SOURCE),
    DeductionRow("violation", "一般安全生产违法行为", 2, _DEDUCTION_SOURCE),
    DeductionRow("missing_report", "未按月报告重大事故隐患排查治理情况", 2, _DEDUCTION_SOURCE),
)

SCORE_THRESHOLD = 12
SCORE_THRESHOLD_SOURCE = ("RULES §7：《山西省煤矿矿长安全生产考核记分办法》（2019-07-01施行），一个记分周期累计记满12分的，"
                          "重新参加安全生产知识和管理能力考核 [Q quantou.org/xinwenzixun/68.html]；"
                          "记分周期为自然年 [I]")
