"""Enforcement (R3): supervision classes and their history, plans, inspections with their team, findings,
on-site measures, exams and referrals, penalty cases, documents with kept versions, mine-head scores.
Rows reach their mine through `scope_path`; plans, which have no mine, through `division_scope_path`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kuangan.core.access import ScopedQuerySet
from kuangan.core.models import Organization, User
from kuangan.hazards.models import Hazard, HazardStandardItem
from kuangan.registry.choices import SupervisionClass
from kuangan.registry.models import LeadershipMember, Mine, MineStatusChange, WorkingFace, id_number_validator

from .choices import (
    HIDDEN_FROM_MINES,
    OPEN_FOR_TEAM,
    CaseAction,
    CaseStatus,
    ClassSource,
    DocumentKind,
    FindingKind,
    InspectionAction,
    InspectionMethod,
    InspectionSource,
    InspectionStatus,
    MeasureKind,
    PartyKind,
)

# --- the seeded tables (catalog_data.py), edited in the admin --------------------------------------


class _Sourced(models.Model):
    source = models.CharField(_("依据"), max_length=300)
    basis_found = models.BooleanField(_("已找到正式依据"), default=False,
                                      help_text=_("未勾选时页面注明“未找到依据”，数值为可调整的默认值。"))

    class Meta:
        abstract = True


class ClassFactor(_Sourced):
    """One factor of the 100-point class score (RULES §6); its points are computed in rules.py."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("因素"), max_length=40)
    weight = models.PositiveSmallIntegerField(_("分值"), validators=[MaxValueValidator(100)])
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("分级分类评分因素")
        verbose_name_plural = _("分级分类评分因素")

    def __str__(self) -> str:
        return f"{self.name}（{self.weight} 分）"


class ClassCutoff(_Sourced):
    klass = models.CharField(_("类别"), max_length=1, choices=SupervisionClass.choices, unique=True)
    min_score = models.DecimalField(_("最低分（含）"), max_digits=5, decimal_places=1,
                                    validators=[MinValueValidator(0), MaxValueValidator(100)])

    class Meta:
        ordering = ["klass"]
        verbose_name = _("分级分类分数线")
        verbose_name_plural = _("分级分类分数线")

    def __str__(self) -> str:
        return f"{self.get_klass_display()} ≥ {self.min_score}"


class ClassVeto(_Sourced):
    """A condition that caps the class whatever the score (D conditions, Shaanxi 参照C类 groups)."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    text = models.CharField(_("情形"), max_length=200)
    cap = models.CharField(_("最高类别"), max_length=1, choices=SupervisionClass.choices)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["cap", "code"]
        verbose_name = _("分级分类否决项")
        verbose_name_plural = _("分级分类否决项")

    def __str__(self) -> str:
        return self.text


class InspectionFrequency(_Sourced):
    klass = models.CharField(_("类别"), max_length=1, choices=SupervisionClass.choices, unique=True)
    per_year = models.PositiveSmallIntegerField(_("每年最少检查次数"), validators=[MaxValueValidator(365)])

    class Meta:
        ordering = ["klass"]
        verbose_name = _("检查频次")
        verbose_name_plural = _("检查频次")

    def __str__(self) -> str:
        return f"{self.get_klass_display()}：{self.per_year} 次/年"


class PenaltyBenchmark(_Sourced):
    """One entry of the discretion benchmark (裁量基准, RULES §8)."""

    code = models.CharField(_("编号"), max_length=30, unique=True)
    violation = models.TextField(_("违法行为"))
    basis_violation = models.CharField(_("违法依据"), max_length=300)
    basis_penalty = models.CharField(_("处罚依据"), max_length=300)
    enforcer = models.CharField(_("实施主体"), max_length=100)
    statutory_range = models.CharField(_("法定处罚幅度"), max_length=300)
    tag = models.CharField(_("可信度"), max_length=10, blank=True)
    tiers_found = models.BooleanField(_("已找到裁量档次"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政处罚裁量基准")
        verbose_name_plural = _("行政处罚裁量基准")

    def __str__(self) -> str:
        return f"{self.code} {self.violation[:40]}"


class PenaltyTier(models.Model):
    benchmark = models.ForeignKey(PenaltyBenchmark, models.CASCADE, related_name="tiers", verbose_name=_("基准"))
    order = models.PositiveSmallIntegerField(_("顺序"))
    condition = models.CharField(_("适用情形"), max_length=300)
    circumstance = models.CharField(_("情形代码"), max_length=40)
    gains_min = models.DecimalField(_("违法所得下限（含，元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    gains_below = models.DecimalField(_("违法所得不足（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    penalty_types = models.JSONField(_("处罚种类"), default=list)
    unit_fine_min = models.DecimalField(_("单位罚款下限（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit_fine_max = models.DecimalField(_("单位罚款上限（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit_gains_multiple_min = models.DecimalField(_("违法所得倍数下限"), max_digits=6, decimal_places=2, null=True,
                                                  blank=True)
    unit_gains_multiple_max = models.DecimalField(_("违法所得倍数上限"), max_digits=6, decimal_places=2, null=True,
                                                  blank=True)
    person_fine_min = models.DecimalField(_("个人罚款下限（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    person_fine_max = models.DecimalField(_("个人罚款上限（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    measures = models.CharField(_("其他措施"), max_length=300, blank=True)

    class Meta:
        ordering = ["benchmark", "order"]
        verbose_name = _("裁量档次")
        verbose_name_plural = _("裁量档次")
        constraints = [models.UniqueConstraint(fields=["benchmark", "order"], name="enforcement_tier_order")]

    def __str__(self) -> str:
        return f"{self.benchmark.code} {self.order}. {self.condition[:30]}"


class ScoreDeduction(_Sourced):
    """Points a mine head is scored for one kind of finding (RULES §7: points per item not found)."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    violation = models.CharField(_("记分情形"), max_length=200)
    points = models.PositiveSmallIntegerField(_("记分"), validators=[MaxValueValidator(12)])
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["-points", "code"]
        verbose_name = _("矿长记分标准")
        verbose_name_plural = _("矿长记分标准")

    def __str__(self) -> str:
        return f"{self.violation}（{self.points} 分）"


# --- classes -------------------------------------------------------------------------------------------


class SupervisionClassChange(models.Model):
    """One change of a mine's class with its reasons and factor scores (R3.1): the history."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="class_changes", verbose_name=_("矿山"))
    at = models.DateTimeField(_("时间"))
    from_class = models.CharField(_("原类别"), max_length=1, choices=SupervisionClass.choices, blank=True)
    to_class = models.CharField(_("新类别"), max_length=1, choices=SupervisionClass.choices)
    # What the rules computed at that instant: equal to to_class unless an inspector's override holds
    # (an override row keeps the class computed when it was made; the tick compares against it).
    computed_class = models.CharField(_("计算类别"), max_length=1, choices=SupervisionClass.choices, blank=True)
    score = models.DecimalField(_("评分"), max_digits=5, decimal_places=1, null=True, blank=True)
    reasons = models.JSONField(_("理由"), default=list)
    factors = models.JSONField(_("因素得分"), default=list)
    source = models.CharField(_("来源"), max_length=20, choices=ClassSource.choices)
    by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人"))
    by_name = models.CharField(_("操作人"), max_length=100)
    note = models.TextField(_("说明"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("分级分类变更")
        verbose_name_plural = _("分级分类变更")

    def __str__(self) -> str:
        return f"{self.mine} {self.from_class or '—'} → {self.to_class}"


# --- plans ---------------------------------------------------------------------------------------------


class EnforcementPlan(models.Model):
    """A regulator's monthly plan (R3.2). No mine: scoped by the organization's division."""

    division_scope_path = "organization__division"
    regulator_only = True

    organization = models.ForeignKey(Organization, models.PROTECT, related_name="enforcement_plans",
                                     verbose_name=_("执法单位"))
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("编制人"))
    created_at = models.DateTimeField(_("编制时间"))
    note = models.TextField(_("说明"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-month", "organization"]
        verbose_name = _("执法计划")
        verbose_name_plural = _("执法计划")
        constraints = [models.UniqueConstraint(fields=["organization", "year", "month"],
                                               name="enforcement_plan_one_per_month")]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}年{self.month}月执法计划"

    def get_absolute_url(self) -> str:
        return reverse("enforcement:plan_detail", args=[self.pk])


class PlanItem(models.Model):
    scope_path = "mine"
    regulator_only = True  # 四不两直: a mine never learns it is planned
    hidden_below_owner = ("plan__organization__division__path", {"pk__isnull": False})  # nor does its county

    plan = models.ForeignKey(EnforcementPlan, models.CASCADE, related_name="items", verbose_name=_("计划"))
    mine = models.ForeignKey(Mine, models.PROTECT, related_name="plan_items", verbose_name=_("矿山"))
    method = models.CharField(_("检查方式"), max_length=20, choices=InspectionMethod.choices)
    reason = models.TextField(_("列入理由"))
    added_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("列入人"))
    added_at = models.DateTimeField(_("列入时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "mine__name"]
        verbose_name = _("计划检查矿山")
        verbose_name_plural = _("计划检查矿山")
        constraints = [models.UniqueConstraint(fields=["plan", "mine"], name="enforcement_planitem_once")]

    def __str__(self) -> str:
        return f"{self.plan}：{self.mine}"


class MissedPlanItem(models.Model):
    """A planned mine not inspected by the month's end: a finding on the plan (written once by the tick)."""

    scope_path = "mine"
    regulator_only = True
    hidden_below_owner = ("item__plan__organization__division__path", {"pk__isnull": False})

    item = models.OneToOneField(PlanItem, models.CASCADE, related_name="missed", verbose_name=_("计划检查矿山"))
    mine = models.ForeignKey(Mine, models.PROTECT, related_name="+", verbose_name=_("矿山"))
    due_at = models.DateTimeField(_("到期时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "mine"]
        verbose_name = _("计划未检查")
        verbose_name_plural = _("计划未检查")

    def __str__(self) -> str:
        return f"{self.item}"


# --- inspections ---------------------------------------------------------------------------------------


class Inspection(models.Model):
    """One inspection (R3.3): planned → on site → findings recorded → closed (or cancelled before arrival)."""

    scope_path = "mine"
    hidden_below_owner = ("organization__division__path", {"status__in": HIDDEN_FROM_MINES})
    team_scope_path = ""

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="inspections", verbose_name=_("矿山"))
    organization = models.ForeignKey(Organization, models.PROTECT, related_name="inspections",
                                     verbose_name=_("执法单位"))
    plan_item = models.OneToOneField(PlanItem, models.SET_NULL, null=True, blank=True, related_name="inspection",
                                     verbose_name=_("执法计划"))
    source = models.CharField(_("来源"), max_length=20, choices=InspectionSource.choices)
    alarm = models.ForeignKey("monitoring.Alarm", models.SET_NULL, null=True, blank=True, related_name="inspections",
                              verbose_name=_("报警"))
    # a lead of illegal production the inspection follows up (seen only by holders of LEAD_VIEW)
    lead = models.ForeignKey("monitoring.Lead", models.SET_NULL, null=True, blank=True, related_name="inspections",
                             verbose_name=_("违法生产线索"))
    source_note = models.TextField(_("线索说明"), blank=True)
    method = models.CharField(_("检查方式"), max_length=20, choices=InspectionMethod.choices)
    notice = models.TextField(_("检查通知"), blank=True, help_text=_("四不两直、暗查暗访等不事先通知的检查留空。"))
    leader = models.ForeignKey(User, models.PROTECT, related_name="led_inspections", verbose_name=_("带队人"))
    status = models.CharField(_("状态"), max_length=20, choices=InspectionStatus.choices,
                              default=InspectionStatus.PLANNED)
    planned_on = models.DateField(_("计划日期"))
    on_site_start = models.DateTimeField(_("到达现场"), null=True, blank=True)
    on_site_end = models.DateTimeField(_("离开现场"), null=True, blank=True)
    briefing = models.JSONField(_("检查前研判"), default=dict, blank=True)  # frozen on arrival
    briefing_at = models.DateTimeField(_("研判时间"), null=True, blank=True)
    place = models.CharField(_("检查地点"), max_length=200, blank=True)
    mine_representative = models.CharField(_("被检查单位陪同人员"), max_length=100, blank=True)
    summary = models.TextField(_("检查情况"), blank=True)
    opened_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("立项人"))
    opened_at = models.DateTimeField(_("立项时间"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    cancel_reason = models.TextField(_("取消理由"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = _("执法检查")
        verbose_name_plural = _("执法检查")
        indexes = [models.Index(fields=["mine", "status", "planned_on"], name="enforcement_inspection_mine")]
        constraints = [
            models.CheckConstraint(condition=models.Q(on_site_end__isnull=True)
                                   | models.Q(on_site_end__gte=models.F("on_site_start")),
                                   name="enforcement_inspection_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.mine.name} {self.planned_on:%Y-%m-%d} {self.get_method_display()}"

    def get_absolute_url(self) -> str:
        return reverse("enforcement:inspection_detail", args=[self.pk])

    @property
    def on_site_hours(self) -> float | None:
        if self.on_site_start is None or self.on_site_end is None:
            return None
        return round((self.on_site_end - self.on_site_start).total_seconds() / 3600, 1)

    @classmethod
    def open_to_team(cls, user: Any) -> models.QuerySet[Any]:
        """Ids of the open inspections the user is a team member of (the access policy's 交叉执法 grant)."""
        return InspectionTeamMember.objects.filter(user=user, inspection__status__in=OPEN_FOR_TEAM) \
            .values("inspection")


class InspectionTeamMember(models.Model):
    """谁检查、谁签名、谁负责: the inspectors of one inspection (行政处罚法 第四十二条: at least two)."""

    scope_path = "inspection__mine"
    hidden_below_owner = ("inspection__organization__division__path", {"inspection__status__in": HIDDEN_FROM_MINES})
    team_scope_path = "inspection"

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="team")
    user = models.ForeignKey(User, models.PROTECT, related_name="inspection_teams", verbose_name=_("执法人员"))
    credential = models.CharField(_("执法证号"), max_length=40, blank=True)

    class Meta:
        ordering = ["inspection", "id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "user"], name="enforcement_team_once")]

    def __str__(self) -> str:
        return str(self.user.display_name)


class InspectionTransition(models.Model):
    scope_path = "inspection__mine"
    hidden_below_owner = ("inspection__organization__division__path", {"inspection__status__in": HIDDEN_FROM_MINES})
    team_scope_path = "inspection"

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=InspectionStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=InspectionStatus.choices)
    action = models.CharField(max_length=20, choices=InspectionAction.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    by_name = models.CharField(max_length=100)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.from_status} → {self.to_status}"


class InspectionFinding(models.Model):
    """A hazard or violation found on site; a hazard enters the hazard ledger in the same transaction."""

    scope_path = "inspection__mine"
    team_scope_path = "inspection"

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="findings", verbose_name=_("检查"))
    kind = models.CharField(_("类型"), max_length=20, choices=FindingKind.choices)
    description = models.TextField(_("问题描述"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    standard_item = models.ForeignKey(HazardStandardItem, models.PROTECT, null=True, blank=True, related_name="+",
                                      verbose_name=_("判定依据"))
    hazard = models.OneToOneField(Hazard, models.PROTECT, null=True, blank=True, related_name="finding",
                                  verbose_name=_("隐患"))
    benchmark = models.ForeignKey(PenaltyBenchmark, models.PROTECT, null=True, blank=True, related_name="findings",
                                  verbose_name=_("违法行为（裁量基准）"))
    legal_basis = models.CharField(_("违反条款"), max_length=300, blank=True)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    order = models.ForeignKey("EnforcementDocument", models.SET_NULL, null=True, blank=True, related_name="findings",
                              verbose_name=_("整改指令书"))
    recorded_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["inspection", "id"]
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.description[:30]}"


class OnSiteMeasure(models.Model):
    scope_path = "inspection__mine"
    team_scope_path = "inspection"

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="measures", verbose_name=_("检查"))
    kind = models.CharField(_("措施"), max_length=20, choices=MeasureKind.choices)
    face = models.ForeignKey(WorkingFace, models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("工作面"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    reason = models.TextField(_("理由"))
    status_change = models.OneToOneField(MineStatusChange, models.PROTECT, null=True, blank=True, related_name="+",
                                         verbose_name=_("状态变更"))
    document = models.ForeignKey("EnforcementDocument", models.SET_NULL, null=True, blank=True,
                                 related_name="measures", verbose_name=_("现场处理措施决定书"))
    ordered_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("决定人"))
    ordered_at = models.DateTimeField(_("决定时间"))

    class Meta:
        ordering = ["inspection", "id"]
        verbose_name = _("现场处理措施")
        verbose_name_plural = _("现场处理措施")

    def __str__(self) -> str:
        return self.get_kind_display()


class InspectionExam(models.Model):
    """逢查必考: the mine head's exam on site (R3.3)."""

    scope_path = "inspection__mine"
    team_scope_path = "inspection"

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="exams", verbose_name=_("检查"))
    member = models.ForeignKey(LeadershipMember, models.PROTECT, related_name="exams", verbose_name=_("受考人"))
    score = models.PositiveSmallIntegerField(_("成绩"), validators=[MaxValueValidator(100)])
    pass_mark = models.PositiveSmallIntegerField(_("及格线"))
    passed = models.BooleanField(_("合格"))
    examined_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("考核人"))
    examined_at = models.DateTimeField(_("考核时间"))

    class Meta:
        ordering = ["inspection", "id"]
        verbose_name = _("逢查必考")
        verbose_name_plural = _("逢查必考")
        constraints = [models.UniqueConstraint(fields=["inspection", "member"], name="enforcement_exam_once")]

    def __str__(self) -> str:
        return f"{self.member.name} {self.score}"


class Referral(models.Model):
    scope_path = "inspection__mine"
    team_scope_path = "inspection"

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="referrals", verbose_name=_("检查"))
    department = models.CharField(_("移送部门"), max_length=100)
    matter = models.TextField(_("移送事项"))
    referred_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("移送人"))
    referred_at = models.DateTimeField(_("移送时间"))

    class Meta:
        ordering = ["inspection", "id"]
        verbose_name = _("移送")
        verbose_name_plural = _("移送")

    def __str__(self) -> str:
        return f"{self.department}：{self.matter[:30]}"


# --- penalties ------------------------------------------------------------------------------------------


class PenaltyCase(models.Model):
    """一案双罚 (R3.4): filed → notified → decided (after the head's approval) → paid → closed."""

    scope_path = "mine"
    hidden_below_owner = ("organization__division__path", {"status": CaseStatus.FILED})  # known from its notice

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="penalty_cases", verbose_name=_("矿山"))
    organization = models.ForeignKey(Organization, models.PROTECT, related_name="penalty_cases",
                                     verbose_name=_("执法单位"))
    inspection = models.ForeignKey(Inspection, models.PROTECT, null=True, blank=True, related_name="cases",
                                   verbose_name=_("检查"))
    finding = models.ForeignKey(InspectionFinding, models.PROTECT, null=True, blank=True, related_name="cases",
                                verbose_name=_("违法行为"))
    benchmark = models.ForeignKey(PenaltyBenchmark, models.PROTECT, related_name="cases", verbose_name=_("裁量基准"))
    tier = models.ForeignKey(PenaltyTier, models.PROTECT, related_name="cases", verbose_name=_("裁量档次"))
    circumstance = models.CharField(_("情形"), max_length=40)
    illegal_gains = models.DecimalField(_("违法所得（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    explanation = models.JSONField(_("裁量说明"), default=dict)
    facts = models.TextField(_("违法事实"))
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.FILED)
    filed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("立案人"))
    filed_at = models.DateTimeField(_("立案时间"))
    notified_at = models.DateTimeField(_("告知时间"), null=True, blank=True)
    approved_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("审批负责人"))
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    payment_due_on = models.DateField(_("缴款期限"), null=True, blank=True)
    paid_at = models.DateTimeField(_("缴纳时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)  # the next reminder, for `kuangan tick`
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("行政处罚案件")
        verbose_name_plural = _("行政处罚案件")
        indexes = [models.Index(fields=["next_due_at"], name="enforcement_case_due",
                                condition=models.Q(next_due_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.mine.name}：{self.benchmark.violation[:30]}"

    def get_absolute_url(self) -> str:
        return reverse("enforcement:case_detail", args=[self.pk])


class PenaltyParty(models.Model):
    """The enterprise and its principal, each with its own penalty (一案双罚)."""

    scope_path = "case__mine"
    hidden_below_owner = ("case__organization__division__path", {"case__status": CaseStatus.FILED})

    case = models.ForeignKey(PenaltyCase, models.CASCADE, related_name="parties")
    kind = models.CharField(_("当事人类型"), max_length=20, choices=PartyKind.choices)
    name = models.CharField(_("名称/姓名"), max_length=100)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[id_number_validator])
    member = models.ForeignKey(LeadershipMember, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("领导班子成员"))
    penalty_types = models.JSONField(_("处罚种类"), default=list)
    fine = models.DecimalField(_("罚款（元）"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["case", "kind"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="enforcement_party_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class PenaltyCaseTransition(models.Model):
    scope_path = "case__mine"
    hidden_below_owner = ("case__organization__division__path", {"case__status": CaseStatus.FILED})

    case = models.ForeignKey(PenaltyCase, models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CaseStatus.choices)
    action = models.CharField(max_length=20, choices=CaseAction.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    by_name = models.CharField(max_length=100)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"


# --- documents ------------------------------------------------------------------------------------------


class DocumentPattern(models.Model):
    """A regulator's numbering pattern per document kind, e.g. 中阳应急煤现决〔{year}〕{n}号."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="document_patterns",
                                     verbose_name=_("执法单位"))
    kind = models.CharField(_("文书"), max_length=30, choices=DocumentKind.choices)
    pattern = models.CharField(_("文号格式"), max_length=60, help_text=_("须含 {year} 与 {n}。"))

    class Meta:
        ordering = ["organization", "kind"]
        verbose_name = _("文书编号格式")
        verbose_name_plural = _("文书编号格式")
        constraints = [models.UniqueConstraint(fields=["organization", "kind"], name="enforcement_pattern_once")]

    def __str__(self) -> str:
        return self.pattern

    def clean(self) -> None:
        from .pdf import format_number

        try:
            format_number(self.pattern, year=2024, sequence=1, org="某某")
        except ValueError as e:
            raise ValidationError({"pattern": str(e)}) from None


class DocumentSequence(models.Model):
    """The last number issued per (organization, kind, year); read under select_for_update."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "kind", "year"],
                                               name="enforcement_sequence_once")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind} {self.year}: {self.last}"


class EnforcementDocument(models.Model):
    """An enforcement document (R3.5): numbered once, every signed edit a new version."""

    scope_path = "mine"
    hidden_below_owner = ("organization__division__path", {"served_at__isnull": True})  # seen once served
    team_scope_path = "inspection"

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="enforcement_documents", verbose_name=_("矿山"))
    organization = models.ForeignKey(Organization, models.PROTECT, related_name="+", verbose_name=_("执法单位"))
    inspection = models.ForeignKey(Inspection, models.PROTECT, null=True, blank=True, related_name="documents",
                                   verbose_name=_("检查"))
    case = models.ForeignKey(PenaltyCase, models.PROTECT, null=True, blank=True, related_name="documents",
                             verbose_name=_("案件"))
    kind = models.CharField(_("文书"), max_length=30, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    sequence = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文号"), max_length=80)
    deadline = models.DateField(_("期限"), null=True, blank=True)  # an order's deadline, a decision's payment day
    served_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    current_version = models.PositiveSmallIntegerField(_("当前版本"), default=0)
    next_due_at = models.DateTimeField(null=True, blank=True)  # the re-inspection reminder, for `kuangan tick`
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("编号时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("执法文书")
        verbose_name_plural = _("执法文书")
        constraints = [models.UniqueConstraint(fields=["organization", "kind", "year", "sequence"],
                                               name="enforcement_document_number_once")]
        indexes = [models.Index(fields=["next_due_at"], name="enforcement_document_due",
                                condition=models.Q(next_due_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("enforcement:document_detail", args=[self.pk])


class DocumentVersion(models.Model):
    """One signed version: content, its changes from the previous one, the PDF and its SHA-256."""

    scope_path = "document__mine"
    hidden_below_owner = ("document__organization__division__path", {"document__served_at__isnull": True})
    team_scope_path = "document__inspection"

    document = models.ForeignKey(EnforcementDocument, models.CASCADE, related_name="versions")
    n = models.PositiveSmallIntegerField(_("版本"))
    content = models.JSONField(_("内容"))
    changes = models.JSONField(_("修改内容"), default=list)
    reason = models.TextField(_("修改理由"), blank=True)
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("签名人"))
    signed_by_name = models.CharField(_("签名人"), max_length=100)
    signed_at = models.DateTimeField(_("签名时间"))

    class Meta:
        ordering = ["document", "n"]
        constraints = [models.UniqueConstraint(fields=["document", "n"], name="enforcement_version_once")]

    def __str__(self) -> str:
        return f"{self.document} 第{self.n}版"


# --- mine-head scoring -----------------------------------------------------------------------------------


class MineHeadScore(models.Model):
    """Points given to a mine head (R3.8), keyed on the ID number: the person, whichever mine he heads."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="head_scores", verbose_name=_("矿山"))
    member = models.ForeignKey(LeadershipMember, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("领导班子成员"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, validators=[id_number_validator])
    year = models.PositiveSmallIntegerField(_("记分年度"))
    deduction = models.ForeignKey(ScoreDeduction, models.PROTECT, related_name="+", verbose_name=_("记分情形"))
    points = models.PositiveSmallIntegerField(_("记分"))
    finding = models.ForeignKey(InspectionFinding, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("检查发现"))
    case = models.ForeignKey(PenaltyCase, models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("案件"))
    scored_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("记分人"))
    scored_at = models.DateTimeField(_("记分时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-scored_at", "-id"]
        verbose_name = _("矿长记分")
        verbose_name_plural = _("矿长记分")
        indexes = [models.Index(fields=["id_number", "year"], name="enforcement_score_person")]

    def __str__(self) -> str:
        return f"{self.name} {self.year} +{self.points}"


class ExamRetake(models.Model):
    """A mine head at the year's threshold, listed once by the tick for the exam retake."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="+", verbose_name=_("矿山"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    year = models.PositiveSmallIntegerField(_("记分年度"))
    points = models.PositiveSmallIntegerField(_("累计记分"))
    listed_at = models.DateTimeField(_("列入时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-listed_at"]
        verbose_name = _("矿长重新考核")
        verbose_name_plural = _("矿长重新考核")
        constraints = [models.UniqueConstraint(fields=["id_number", "year"], name="enforcement_retake_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"
