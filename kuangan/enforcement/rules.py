"""Pure rules of enforcement: the supervision class (R3.1), the monthly plan (R3.2), penalties from the
discretion benchmark (R3.4) and the mine head's safety score (R3.8).
No ORM, no clock, no settings: callers pass the facts and the seeded rows (catalog_data row types)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .catalog_data import CutoffRow, FactorRow, TierRow, VetoRow

# ---------------------------------------------------------------------------------------------------------
# R3.1 Supervision class
# ---------------------------------------------------------------------------------------------------------

CLASS_ORDER = ("A", "B", "C", "D")  # best to worst
STOPPED = ("suspended_for_rectification", "construction_stopped", "long_term_stopped")


def worse(a: str, b: str) -> str:
    """The worse of two classes."""
    return CLASS_ORDER[max(CLASS_ORDER.index(a), CLASS_ORDER.index(b))]


def _one_worse(klass: str) -> str:
    return CLASS_ORDER[min(CLASS_ORDER.index(klass) + 1, len(CLASS_ORDER) - 1)]


@dataclass(frozen=True)
class ClassFacts:
    status: str  # registry MineStatus value
    stopped_days: int | None  # days continuously in a STOPPED status up to the day judged; None if not stopped
    rectification_overrun_days: int | None  # days since the rectification order's deadline, still suspended
    licences_complete: bool
    gas_class: str  # low, high, outburst, not_applicable
    hydro_type: str  # simple, medium, complex, extreme
    rock_burst: str  # none, tendency, rock_burst
    spontaneous_combustion: str  # prone, possible, unlikely, not_applicable
    disaster_grade: str  # simple, medium, complex, extreme
    standardization_grade: str  # first, second, third, below
    intelligent_status: str  # none, building, accepted_basic, accepted_medium, accepted_advanced
    has_upgrade_project: bool
    leadership_findings: tuple[str, ...]  # texts of vacant / unqualified leadership posts
    missing_reports_12m: int  # monthly major-hazard reports not filed in the last 12 months
    major_hazards_last_year: int  # major hazards found in the previous calendar year
    accidents_3y: int | None  # None = no data
    resource_consolidation: bool | None  # None = no data
    fully_outsourced: bool | None  # None = no data
    # rolling 12-month screen
    majors_12m: int
    overdue_open: int
    repeats_12m: int
    alarms_12m: int


@dataclass(frozen=True)
class ScreenLimits:
    """Each screen limit is reached at ≥ the number; a limit below 1 switches its trigger off."""

    majors_12m: int = 2
    overdue_open: int = 1
    repeats_12m: int = 1
    alarms_12m: int = 20
    stopped_days_for_d: int = 183  # Inner Mongolia: 6 months
    rectification_overrun_days_for_d: int = 30  # 1 month


@dataclass(frozen=True)
class FactorScore:
    code: str
    name: str
    points: float | None  # None = 无数据
    weight: int
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ClassResult:
    klass: str
    score: float | None
    factors: tuple[FactorScore, ...]
    reasons: tuple[str, ...]
    base_class: str  # class from the score and the veto items, before the rolling screen


TENTH = Decimal("0.1")

# (label, share): the labels are the registry choices' labels, translated where they are shown
_GAS = {"low": ("低瓦斯", "0"), "high": ("高瓦斯", "0.3"), "outburst": ("煤与瓦斯突出", "0.5"),
        "not_applicable": ("不适用", "0")}
_HYDRO = {"simple": ("简单", "0"), "medium": ("中等", "0.1"), "complex": ("复杂", "0.25"), "extreme": ("极复杂", "0.4")}
_ROCK = {"none": ("无冲击地压", "0"), "tendency": ("有冲击倾向", "0.15"), "rock_burst": ("冲击地压矿井", "0.3")}
_FIRE = {"prone": ("容易自燃", "0.2"), "possible": ("自燃", "0.1"), "unlikely": ("不易自燃", "0"),
         "not_applicable": ("不适用", "0")}
# share of the weight kept
_DISASTER = {"simple": ("简单", "1"), "medium": ("中等", "0.7"), "complex": ("复杂", "0.4"), "extreme": ("极复杂", "0")}
_EQUIPMENT = {"none": ("未建设", "0.4"), "building": ("建设中", "0.6"), "accepted_basic": ("已验收（初级）", "0.8"),
              "accepted_medium": ("已验收（中级）", "0.9"), "accepted_advanced": ("已验收（高级）", "1")}
_STANDARD = {"first": ("一级", "1"), "second": ("二级", "0.8"), "third": ("三级", "0.5"), "below": ("未达标", "0")}
_STATUS = {"producing": ("正常生产", "1"), "building": ("正常建设", "1"),
           "suspended_for_rectification": ("停产整顿", "0.3"), "construction_stopped": ("停建", "0.5"),
           "long_term_stopped": ("长期停产停建", "0"), "closed": ("关闭", "0")}
# share of the weight lost per item
_PER_LEADERSHIP_MANAGEMENT = Decimal("0.1")
_PER_MISSING_REPORT = Decimal("0.1")
_PER_MAJOR_LAST_YEAR = Decimal("0.2")
_PER_LEADERSHIP_STAFF = Decimal("0.2")
_UPGRADE_PROJECT = Decimal("0.5")

_Points = tuple[Decimal | None, tuple[str, ...]]


def _tenth(x: Decimal) -> Decimal:
    return x.quantize(TENTH, ROUND_HALF_UP)


def _pts(x: Decimal) -> str:
    return f"{_tenth(x)}"


def _num(x: Decimal | int) -> str:
    """85 for 85.0, 72.5 for 72.50."""
    d = Decimal(x)
    return f"{d.quantize(Decimal(1))}" if d == d.to_integral_value() else f"{d.normalize()}"


def _deduct(weight: int, items: Sequence[tuple[str, int, Decimal]]) -> _Points:
    """Full weight less `rate × weight` (to a tenth) per item of each (label, count, rate), never below 0."""
    w = Decimal(weight)
    total = Decimal(0)
    notes = []
    for label, count, rate in items:
        if count > 0:
            each = _tenth(w * rate)
            total += each * count
            notes.append(_("%(label)s %(n)d 项，每项扣 %(each)s 分，扣 %(lost)s 分")
                         % {"label": label, "n": count, "each": _pts(each), "lost": _pts(each * count)})
    if total > w:
        notes.append(_("扣至 0 分为止"))
    return max(w - total, Decimal(0)), tuple(notes)


def _level(weight: int, label: str, value: str, table: Mapping[str, tuple[str, str]]) -> _Points:
    """The share of the weight kept for a graded value; an unknown value is 无数据."""
    if value not in table:
        return None, (_("无数据：%(label)s未填写或取值未知（%(value)s）") % {"label": label, "value": value or "—"},)
    name, share = table[value]
    points = _tenth(Decimal(weight) * Decimal(share))
    return points, (_("%(label)s：%(name)s，得 %(points)s 分") % {"label": label, "name": _(name), "points": _pts(points)},)


def _safety_management(f: ClassFacts, weight: int) -> _Points:
    return _deduct(weight, [(_("领导班子岗位空缺或者人员不合格"), len(f.leadership_findings), _PER_LEADERSHIP_MANAGEMENT),
                            (_("近12个月未报送重大事故隐患月报"), f.missing_reports_12m, _PER_MISSING_REPORT),
                            (_("上一年度重大事故隐患"), f.major_hazards_last_year, _PER_MAJOR_LAST_YEAR)])


def _mining_conditions(f: ClassFacts, weight: int) -> _Points:
    parts = ((_("瓦斯等级"), f.gas_class, _GAS), (_("水文地质类型"), f.hydro_type, _HYDRO),
             (_("冲击地压"), f.rock_burst, _ROCK), (_("煤层自燃倾向性"), f.spontaneous_combustion, _FIRE))
    for label, value, table in parts:
        if value not in table:
            return None, (_("无数据：%(label)s未填写或取值未知（%(value)s）") % {"label": label, "value": value or "—"},)
    w = Decimal(weight)
    total = Decimal(0)
    notes = []
    for label, value, table in parts:
        name, rate = table[value]
        lost = _tenth(w * Decimal(rate))
        total += lost
        if lost:
            notes.append(_("%(label)s：%(name)s，扣 %(lost)s 分") % {"label": label, "name": _(name), "lost": _pts(lost)})
    if total > w:
        notes.append(_("扣至 0 分为止"))
    return max(w - total, Decimal(0)), tuple(notes)


def _layout(f: ClassFacts, weight: int) -> _Points:
    return _deduct(weight, [(_("存在技改（基建）项目，边建设边生产风险"), int(f.has_upgrade_project), _UPGRADE_PROJECT)])


def _credit(f: ClassFacts, weight: int) -> _Points:
    return None, (_("无数据：事故与瞒报尚未建模"),)


def _staff(f: ClassFacts, weight: int) -> _Points:
    return _deduct(weight, [(_("领导班子岗位空缺或者人员资格不符"), len(f.leadership_findings), _PER_LEADERSHIP_STAFF)])


_FACTOR_RULES: dict[str, Callable[[ClassFacts, int], _Points]] = {
    "safety_management": _safety_management,
    "mining_conditions": _mining_conditions,
    "disaster_degree": lambda f, w: _level(w, _("灾害等级"), f.disaster_grade, _DISASTER),
    "layout": _layout,
    "equipment": lambda f, w: _level(w, _("智能化建设"), f.intelligent_status, _EQUIPMENT),
    "credit": _credit,
    "standardization": lambda f, w: _level(w, _("安全生产标准化等级"), f.standardization_grade, _STANDARD),
    "staff": _staff,
    "status": lambda f, w: _level(w, _("生产建设状态"), f.status, _STATUS),
}


def factor_scores(facts: ClassFacts, factors: Sequence[FactorRow]) -> tuple[FactorScore, ...]:
    """Each factor's points on a 0..weight scale (one decimal), in the rows' order; None = 无数据.
    Deductions are shares of the factor's weight, so they follow a weight edited in the admin:
    安全管理 −10% per leadership finding and per missing monthly report, −20% per major hazard of last year;
    开采技术条件 −30%/−50% high-gas/outburst, −10/25/40% hydro medium/complex/extreme, −15/30% rock-burst
    tendency/mine, −10/20% spontaneous combustion possible/prone; 灾害程度 keeps 100/70/40/0% for
    simple/medium/complex/extreme; 生产布局 −50% with an upgrade project (边建设边生产); 装备与工艺 keeps
    40–100% by intelligent-mining status; 安全生产标准化 keeps 100/80/50/0% for 一级/二级/三级/未达标;
    从业人员素质 −20% per leadership finding (a vacant or unqualified post is both a management and a staff
    gap); 生产建设状态 keeps 100% producing/building, 50% 停建, 30% 停产整顿, 0 长期停产停建/关闭;
    安全诚信 has no data (accidents and concealment are not modelled yet)."""
    out = []
    for row in sorted(factors, key=lambda r: (r.order, r.code)):
        rule = _FACTOR_RULES.get(row.code)
        points: Decimal | None
        notes: tuple[str, ...]
        if rule is None:
            points, notes = None, (_("无数据：该因素没有计分规则"),)
        else:
            points, notes = rule(facts, row.weight)
        out.append(FactorScore(row.code, row.name,
                               None if points is None else float(points.quantize(TENTH, ROUND_HALF_UP)),
                               row.weight, notes))
    return tuple(out)


def _veto_long_term(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    return f.status == "long_term_stopped", _("生产建设状态为长期停产停建")


def _veto_stopped(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    if f.status not in STOPPED:
        return False, ""
    if f.stopped_days is None:
        return None, _("连续停产停建的起始日期未知")
    return f.stopped_days >= s.stopped_days_for_d, _("连续停产停建 %(n)d 天（≥%(limit)d 天）") % {
        "n": f.stopped_days, "limit": s.stopped_days_for_d}


def _veto_not_resumed(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    if f.status != "suspended_for_rectification":
        return False, ""
    if f.rectification_overrun_days is None:
        return None, _("停产整顿期限未知")
    return (f.rectification_overrun_days >= s.rectification_overrun_days_for_d,
            _("停产整顿期限届满后 %(n)d 天仍未复产（≥%(limit)d 天）") % {
                "n": f.rectification_overrun_days, "limit": s.rectification_overrun_days_for_d})


def _veto_licences(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    return not f.licences_complete, _("证照不全或者已过期")


def _veto_accidents(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    if f.accidents_3y is None:
        return None, _("事故与瞒报尚未建模")
    return f.accidents_3y > 0, _("近3年生产安全事故或者查实瞒报 %(n)d 起") % {"n": f.accidents_3y}


def _veto_major_last_year(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    return f.major_hazards_last_year > 0, _("上一年度重大事故隐患 %(n)d 项") % {"n": f.major_hazards_last_year}


def _veto_disaster(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    found = []
    if f.gas_class in ("high", "outburst"):
        found.append(_(_GAS[f.gas_class][0]))
    if f.hydro_type in ("complex", "extreme"):
        found.append(_("水文地质类型%(name)s") % {"name": _(_HYDRO[f.hydro_type][0])})
    if f.rock_burst == "rock_burst":
        found.append(_(_ROCK["rock_burst"][0]))
    return bool(found), _("、").join(found)


def _veto_consolidation(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    if f.resource_consolidation is None:
        return None, _("未登记是否为资源整合矿井")
    return f.resource_consolidation, _("资源整合矿井")


def _veto_outsourced(f: ClassFacts, s: ScreenLimits) -> tuple[bool | None, str]:
    if f.fully_outsourced is None:
        return None, _("未登记是否整体托管")
    return f.fully_outsourced, _("整体托管矿井")


_VETO_RULES: dict[str, Callable[[ClassFacts, ScreenLimits], tuple[bool | None, str]]] = {
    "long_term_stopped": _veto_long_term,
    "stopped_6_months": _veto_stopped,
    "rectification_not_resumed": _veto_not_resumed,
    "licences_incomplete": _veto_licences,
    "accident_or_concealment_3y": _veto_accidents,
    "major_hazard_last_year": _veto_major_last_year,
    "disaster_severe": _veto_disaster,
    "resource_consolidation": _veto_consolidation,
    "fully_outsourced": _veto_outsourced,
}


def _class_from_score(score: Decimal | None, cutoffs: Sequence[CutoffRow]) -> tuple[str, str]:
    ordered = sorted(cutoffs, key=lambda c: CLASS_ORDER.index(c.klass))
    if score is None:
        klass = ordered[-1].klass if ordered else "D"
        return klass, _("没有任何有数据的评分因素：按最低分类线定为 %(k)s 类") % {"k": klass}
    for c in ordered:
        if score >= Decimal(c.min_score):
            return c.klass, _("按得分定为 %(k)s 类（%(k)s 类分数线 %(min)s 分，以上包括本数）") % {
                "k": c.klass, "min": _num(c.min_score)}
    return "D", _("得分低于所有分类线：定为 D 类")


def _screen(facts: ClassFacts, s: ScreenLimits) -> list[str]:
    checks = ((facts.majors_12m, s.majors_12m, _("近12个月重大事故隐患 %(n)d 项（≥%(limit)d）")),
              (facts.overdue_open, s.overdue_open, _("逾期未整改的隐患 %(n)d 项（≥%(limit)d）")),
              (facts.repeats_12m, s.repeats_12m, _("近12个月同类重大事故隐患重复出现 %(n)d 次（≥%(limit)d）")),
              (facts.alarms_12m, s.alarms_12m, _("近12个月监测报警 %(n)d 次（≥%(limit)d）")))
    return [text % {"n": n, "limit": limit} for n, limit, text in checks if limit >= 1 and n >= limit]


def supervision_class(facts: ClassFacts, *, factors: Sequence[FactorRow], cutoffs: Sequence[CutoffRow],
                      vetoes: Sequence[VetoRow], screen: ScreenLimits) -> ClassResult:
    """R3.1: a mine's class, best A to worst D, with every reason a regulator reads on the page.

    1. Score: the sum of the points of the factors with data, rescaled to 100 over their weights, one decimal.
    2. Class from the score: the best cut-off whose minimum the score reaches (以上包括本数: exactly 85 is A).
    3. Veto items cap the class at their ``cap`` (the D conditions give D, the "参照C类" groups at most C).
       An item whose fact has no data does not apply but is listed as 无数据; an unknown code is listed.
       A closed mine is D. This is ``base_class``.
    4. The rolling 12-month screen moves the class one step worse (A→B→C→D) when any of its limits is
       reached (≥), however many are; it never improves a class."""
    scored = factor_scores(facts, factors)
    with_data = [f for f in scored if f.points is not None]
    weights = sum(f.weight for f in with_data)
    reasons: list[str] = []
    score: Decimal | None = None
    if weights > 0:
        points = sum((Decimal(str(f.points)) for f in with_data), Decimal(0))
        score = (points * 100 / weights).quantize(TENTH, ROUND_HALF_UP)
        missing = [f.name for f in scored if f.points is None]
        reasons.append(_("综合得分 %(score)s 分：有数据的 %(n)d 项因素得 %(points)s 分（满分 %(weights)d 分），折算为百分制")
                       % {"score": _pts(score), "n": len(with_data), "points": _pts(points), "weights": weights}
                       + (_("；无数据未计：%(names)s") % {"names": _("、").join(missing)} if missing else ""))
    klass, why = _class_from_score(score, cutoffs)
    reasons.append(why)

    if facts.status == "closed":
        reasons.append(_("矿井已关闭：定为 D 类"))
        return ClassResult("D", None if score is None else float(score), scored, tuple(reasons), "D")

    for veto in vetoes:
        judge = _VETO_RULES.get(veto.code)
        if judge is None:
            reasons.append(_("否决项“%(text)s”没有判定规则，未评估") % {"text": veto.text})
            continue
        applies, detail = judge(facts, screen)
        if applies is None:
            reasons.append(_("否决项“%(text)s”：无数据（%(what)s），未评估，不影响分类")
                           % {"text": veto.text, "what": detail})
        elif applies:
            capped = worse(klass, veto.cap)
            verdict = (_("定为 D 类") if veto.cap == "D" else _("最高 %(cap)s 类") % {"cap": veto.cap})
            reasons.append(_("否决项“%(text)s”：%(detail)s，%(verdict)s") % {
                "text": veto.text, "detail": detail, "verdict": verdict}
                + (_("（由 %(a)s 类降为 %(b)s 类）") % {"a": klass, "b": capped} if capped != klass else ""))
            klass = capped
    base = klass

    triggers = _screen(facts, screen)
    if triggers:
        reasons.extend(triggers)
        klass = _one_worse(base)
        if klass != base:
            reasons.append(_("近12个月动态筛查触发 %(n)d 项：降一类，由 %(a)s 类降为 %(b)s 类")
                           % {"n": len(triggers), "a": base, "b": klass})
        else:
            reasons.append(_("近12个月动态筛查触发 %(n)d 项：已是 D 类") % {"n": len(triggers)})
    return ClassResult(klass, None if score is None else float(score), scored, tuple(reasons), base)


@dataclass(frozen=True)
class VetoCheck:
    code: str
    text: str
    cap: str
    applies: bool | None  # None: no data (or no rule for the code): not evaluated
    detail: str


def veto_checks(facts: ClassFacts, vetoes: Sequence[VetoRow], screen: ScreenLimits) -> tuple[VetoCheck, ...]:
    """Each veto item as the class page lists it: fired, not fired, or 无数据 — the same judges as
    ``supervision_class`` (which a closed mine never reaches: it is D whatever the items say)."""
    out = []
    for veto in vetoes:
        judge = _VETO_RULES.get(veto.code)
        if judge is None:
            out.append(VetoCheck(veto.code, veto.text, veto.cap, None, _("没有判定规则，未评估")))
            continue
        applies, detail = judge(facts, screen)
        out.append(VetoCheck(veto.code, veto.text, veto.cap, applies, detail))
    return tuple(out)


def screen_triggers(facts: ClassFacts, screen: ScreenLimits) -> tuple[str, ...]:
    """The limits of the rolling 12-month screen that the facts reach."""
    return tuple(_screen(facts, screen))


@dataclass(frozen=True)
class Override:
    """An inspector's override still in force: the class set, the class computed at that moment, the day."""

    to_class: str
    computed_then: str
    day: str  # Beijing date, for the reason


def settle_class(computed: str, override: Override | None) -> tuple[str, tuple[str, ...]]:
    """R3.1: the class a mine gets from its computed class and an override of the current calendar year.

    An override is the inspector's judgement on the facts as they stood when it was made, and holds until
    the year ends. Until then the computed class counts only when it is *worse than the class computed at
    the override* (new adverse facts: a D condition, a screen trigger …); the mine then takes the worse of
    the override and the computed class. The class never becomes better than the override, and as soon as
    the computed class is no worse than it was, the override applies again. Without an override (or from
    1 January of the next year) the computed class applies."""
    if override is None:
        return computed, ()
    held = _("执法人员 %(day)s 调整为 %(o)s 类（调整时计算为 %(k0)s 类），本年度内有效") % {
        "day": override.day, "o": override.to_class, "k0": override.computed_then}
    if CLASS_ORDER.index(computed) > CLASS_ORDER.index(override.computed_then):
        klass = worse(override.to_class, computed)
        return klass, (held, _("此后计算结果变差为 %(k)s 类：按 %(c)s 类（不优于调整类别）") % {
            "k": computed, "c": klass})
    return override.to_class, (held, _("计算结果 %(k)s 类不差于调整时：维持调整的 %(o)s 类") % {
        "k": computed, "o": override.to_class})


# ---------------------------------------------------------------------------------------------------------
# R3.2 Monthly plan
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanMine:
    mine_id: int
    klass: str
    inspected_months: frozenset[int]  # months of this year already holding a plan item or an inspection
    risk: tuple[str, ...]  # open-risk reasons (supervised major hazard, open alarms); empty if none


def due_months(mine_id: int, per_year: int) -> tuple[int, ...]:
    """The months (1–12) a mine with `per_year` visits a year is due: spaced 12/n months apart (n=4: every 3
    months, n=12 or more: every month), starting in month 1 + mine_id mod 12 and wrapping round the year, so
    that the mines of one class are spread over the year instead of all falling in January."""
    n = min(per_year, 12)
    if n <= 0:
        return ()
    start = mine_id % 12
    return tuple(sorted((start + k * 12 // n) % 12 + 1 for k in range(n)))


def plan_month(mines: Sequence[PlanMine], *, month: int, per_year: Mapping[str, int]) -> list[tuple[int, str]]:
    """R3.2: (mine_id, reason) of the mines to inspect in `month`, in the order given. A mine is due in its
    class's months (``due_months``) and in every month while it has open risks; a mine already holding a
    plan item or an inspection in `month` is left out. A class missing from `per_year` has no frequency."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1–12")
    out = []
    for m in mines:
        if month in m.inspected_months:
            continue
        reasons = []
        n = per_year.get(m.klass, 0)
        if month in due_months(m.mine_id, n):
            reasons.append(_("%(k)s类：每年 %(n)d 次，本月应检") % {"k": m.klass, "n": n})
        reasons.extend(m.risk)
        if reasons:
            out.append((m.mine_id, _("；").join(reasons)))
    return out


# ---------------------------------------------------------------------------------------------------------
# R3.4 Penalties
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PenaltyFacts:
    circumstance: str
    illegal_gains: Decimal | None = None  # 元; 0 when there are none, None when not entered


@dataclass(frozen=True)
class Criterion:
    text: str
    met: bool


@dataclass(frozen=True)
class PenaltyResult:
    tier_order: int | None  # None: no tier applies, the case cannot be filed on this benchmark
    criteria: tuple[Criterion, ...]
    penalty_types: tuple[str, ...]
    unit_fine: tuple[Decimal, Decimal] | None
    person_fine: tuple[Decimal, Decimal] | None
    measures: str
    explanation: tuple[str, ...]


def _yuan(x: Decimal) -> str:
    return f"{x.quantize(Decimal(1))}" if x == x.to_integral_value() else f"{x.quantize(Decimal('0.01'))}"


def _money_range(rng: tuple[Decimal, Decimal]) -> str:
    if rng[0] == 0:
        return _("不超过 %(b)s 元") % {"b": _yuan(rng[1])}
    return _("%(a)s–%(b)s 元") % {"a": _yuan(rng[0]), "b": _yuan(rng[1])}


def _range(lo: Decimal | int | None, hi: Decimal | int | None) -> tuple[Decimal, Decimal] | None:
    if hi is None:
        return None
    return Decimal(lo or 0), Decimal(hi)


def _tier_criteria(tier: TierRow, facts: PenaltyFacts) -> list[Criterion]:
    head = _("第 %(n)d 档") % {"n": tier.order}
    out = [Criterion(_("%(head)s 情形：%(condition)s") % {"head": head, "condition": tier.condition},
                     tier.circumstance == facts.circumstance)]
    gains = facts.illegal_gains
    needs_gains = (tier.gains_min is not None or tier.gains_below is not None
                   or tier.unit_gains_multiple_max is not None)
    if needs_gains and gains is None:
        out.append(Criterion(_("%(head)s 违法所得：未填写，无法判断") % {"head": head}, False))
        return out
    if tier.gains_min is not None and gains is not None:
        out.append(Criterion(_("%(head)s 违法所得 ≥ %(min)s 元（以上包括本数）：本案 %(g)s 元")
                             % {"head": head, "min": _yuan(Decimal(tier.gains_min)), "g": _yuan(gains)},
                             gains >= Decimal(tier.gains_min)))
    if tier.gains_below is not None and gains is not None:
        out.append(Criterion(_("%(head)s 违法所得不足 %(below)s 元：本案 %(g)s 元")
                             % {"head": head, "below": _yuan(Decimal(tier.gains_below)), "g": _yuan(gains)},
                             gains < Decimal(tier.gains_below)))
    return out


def penalty(tiers: Sequence[TierRow], facts: PenaltyFacts) -> PenaltyResult:
    """R3.4: the benchmark's tier for the case. Every tier is examined and shown as criteria; the first
    tier by order whose circumstance is the one chosen and whose illegal-gains bounds hold (gains_min
    inclusive, gains_below exclusive) applies. A tier fined in multiples of the gains gets the range
    multiple × gains. No tier applies → tier_order None and no penalty."""
    criteria: list[Criterion] = []
    chosen: TierRow | None = None
    for tier in sorted(tiers, key=lambda t: t.order):
        mine = _tier_criteria(tier, facts)
        criteria.extend(mine)
        if chosen is None and all(c.met for c in mine):
            chosen = tier
    if chosen is None:
        gains = "—" if facts.illegal_gains is None else _yuan(facts.illegal_gains) + _("元")
        return PenaltyResult(None, tuple(criteria), (), None, None, "", (
            _("没有适用的裁量档次（情形代码：%(c)s；违法所得：%(g)s）：不能按本基准立案处罚，请核对情形或者违法所得")
            % {"c": facts.circumstance or "—", "g": gains},))

    explanation = [_("适用第 %(n)d 档：%(condition)s") % {"n": chosen.order, "condition": chosen.condition}]
    if chosen.unit_gains_multiple_max is not None and facts.illegal_gains is not None:
        lo = Decimal(chosen.unit_gains_multiple_min or 0)
        hi = Decimal(chosen.unit_gains_multiple_max)
        unit: tuple[Decimal, Decimal] | None = (lo * facts.illegal_gains, hi * facts.illegal_gains)
        explanation.append(_("单位罚款为违法所得 %(g)s 元的 %(lo)s–%(hi)s 倍：%(a)s–%(b)s 元") % {
            "g": _yuan(facts.illegal_gains), "lo": _yuan(lo), "hi": _yuan(hi),
            "a": _yuan(lo * facts.illegal_gains), "b": _yuan(hi * facts.illegal_gains)})
    else:
        unit = _range(chosen.unit_fine_min, chosen.unit_fine_max)
        if unit:
            explanation.append(_("单位罚款 %(range)s") % {"range": _money_range(unit)})
    person = _range(chosen.person_fine_min, chosen.person_fine_max)
    if person:
        explanation.append(_("个人罚款 %(range)s") % {"range": _money_range(person)})
    if chosen.measures:
        explanation.append(_("其他措施：%(m)s") % {"m": chosen.measures})
    return PenaltyResult(chosen.order, tuple(criteria), tuple(chosen.penalty_types), unit, person, chosen.measures,
                         tuple(explanation))


def fine_in_range(amount: Decimal, rng: tuple[Decimal, Decimal] | None) -> bool:
    """A proposed fine lies within the range, both ends included; no range means no fine may be set."""
    return rng is not None and rng[0] <= amount <= rng[1]


# ---------------------------------------------------------------------------------------------------------
# R3.8 Mine-head safety score
# ---------------------------------------------------------------------------------------------------------


def score_total(points: Iterable[int]) -> int:
    """The points of one scoring cycle (a calendar year)."""
    return sum(points)


def retake_due(total: int, threshold: int) -> bool:
    """At `threshold` points or more (以上包括本数) the mine head retakes the safety exam."""
    return total >= threshold


# --- documents ----------------------------------------------------------------------------------------------

# Dates that other rows hold too (a hazard's capped deadline, a case's payment day, the time on site) and the
# approval change through their actions, never by editing a document's text: a new order is a new document.
FIXED_CONTENT = frozenset({"deadline", "reinspect_on", "payment_due", "approved_by", "approved_at", "started_at",
                           "ended_at", "leader", "order_number"})


def editable_content(content: Mapping[str, object]) -> set[str]:
    """The items of a signed document a new version may change (修改留痕): its text, not its dates of record."""
    return {k for k, v in content.items() if isinstance(v, str)} - FIXED_CONTENT
