"""Major hazards (R2): the standard catalog, hazards and their life cycle, escalation, monthly
reports, closure proposals and investigations. Rows reach their mine through `scope_path`."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kuangan.core.access import ScopedQuerySet
from kuangan.core.clock import SHANGHAI
from kuangan.core.models import User
from kuangan.registry.models import Mine, WorkingFace

from . import rules
from .choices import (
    AttachmentKind,
    EscalationStep,
    HazardAction,
    HazardLevel,
    HazardSource,
    HazardStatus,
    Industry,
    InvestigationStatus,
    ProposalStatus,
)


class HazardStandard(models.Model):
    """One version of a determination standard (一行业一清单, R2.1)."""

    code = models.CharField(_("版本代码"), max_length=30, unique=True)
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices)
    name = models.CharField(_("标准名称"), max_length=100)
    document = models.CharField(_("文号"), max_length=60)
    effective_from = models.DateField(_("施行日期"))
    effective_to = models.DateField(_("废止日期"), null=True, blank=True)
    notes = models.TextField(_("来源与完整性说明"), blank=True)

    class Meta:
        ordering = ["industry", "-effective_from"]
        verbose_name = _("重大事故隐患判定标准")
        verbose_name_plural = _("重大事故隐患判定标准")

    def __str__(self) -> str:
        return f"{self.name}（{self.document}）"


class HazardStandardItem(models.Model):
    standard = models.ForeignKey(HazardStandard, models.PROTECT, related_name="items", verbose_name=_("标准"))
    code = models.CharField(_("条目编号"), max_length=10)
    category_code = models.CharField(_("类别编号"), max_length=5)
    category_name = models.CharField(_("类别"), max_length=100)
    article = models.CharField(_("条款"), max_length=40)
    text = models.TextField(_("情形"))
    gap = models.CharField(_("缺漏说明"), max_length=200, blank=True, help_text=_("原文不完整或存疑时说明缺什么。"))

    class Meta:
        ordering = ["standard", "code"]
        verbose_name = _("判定标准条目")
        verbose_name_plural = _("判定标准条目")
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="hazards_item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class Hazard(models.Model):
    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="hazards", verbose_name=_("矿山"))
    level = models.CharField(_("隐患级别"), max_length=10, choices=HazardLevel.choices)
    standard_item = models.ForeignKey(HazardStandardItem, models.PROTECT, null=True, blank=True,
                                      related_name="hazards", verbose_name=_("判定依据"))
    source = models.CharField(_("来源"), max_length=30, choices=HazardSource.choices)
    description = models.TextField(_("隐患描述"))
    face = models.ForeignKey(WorkingFace, models.SET_NULL, null=True, blank=True, related_name="hazards",
                             verbose_name=_("工作面"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    # No index of its own: the ledger index holds it, after the mine. PostgreSQL walked a found_at index
    # backwards through a province's hazards looking for a city's 50 rarest (0.3 s, docs/benchmarks.md).
    found_at = models.DateTimeField(_("排查时间"))
    found_by = models.CharField(_("排查单位/人员"), max_length=100)
    reported_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("登记人"))
    reported_at = models.DateTimeField(_("登记时间"))
    status = models.CharField(_("状态"), max_length=30, choices=HazardStatus.choices, default=HazardStatus.REPORTED)
    # The five implementations (五落实, R2.3)
    responsible_person = models.CharField(_("整改责任人"), max_length=50, blank=True)
    measures = models.TextField(_("整改措施"), blank=True)
    funds = models.DecimalField(_("整改资金（万元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    # R3.5: a regulator's rectification order caps the plan's deadline (set by enforcement's order).
    order_deadline = models.DateField(_("整改指令期限"), null=True, blank=True)
    contingency_plan = models.TextField(_("应急预案"), blank=True)
    rectification_started_at = models.DateTimeField(_("开始整改时间"), null=True, blank=True)
    # Close-out (R2.4): the mine's evaluation, then the regulator's verification
    evaluation_by = models.CharField(_("评估人员"), max_length=200, blank=True)
    evaluation = models.TextField(_("评估意见"), blank=True)
    close_out_requested_at = models.DateTimeField(_("申请销号时间"), null=True, blank=True)
    verified_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("验收人"))
    verified_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    verification_opinion = models.TextField(_("验收意见"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    # Stop-production (R2.12) and resumption evaluation (R2.4)
    stopped_production = models.BooleanField(_("责令停产"), default=False)
    resume_evaluation = models.TextField(_("复产评估"), blank=True)
    # Supervised listing and escalation (R2.5)
    supervised = models.BooleanField(_("挂牌督办"), default=False)
    supervised_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+",
                                      verbose_name=_("督办人"))
    supervised_at = models.DateTimeField(_("挂牌时间"), null=True, blank=True)
    escalation_step = models.CharField(_("督办升级"), max_length=10, choices=EscalationStep.choices, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)  # next escalation instant, for `kuangan tick`
    # The last day in time, which the ladder counts from: the plan's deadline plus the days a close-out
    # request made in time waited for the regulator; before a plan (major only) the report day + PLAN_DAYS.
    due_on = models.DateField(_("有效整改时限"), null=True, blank=True)
    paused = models.BooleanField(_("等待验收，暂停计时"), default=False)
    verify_due_on = models.DateField(_("验收期限"), null=True, blank=True)
    overdue_told_at = models.DateTimeField(_("超期告知时间"), null=True, blank=True)  # ordinary hazards: once
    # Repeats (R2.8), root cause and rewards (R2.9)
    repeat_of = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="repeats",
                                  verbose_name=_("重复出现于"))
    cause_analysis = models.TextField(_("原因分析"), blank=True)
    prevention_measures = models.TextField(_("源头治理措施"), blank=True)
    finder_reward = models.CharField(_("发现人奖励"), max_length=200, blank=True)
    cause_penalty = models.CharField(_("责任人处罚"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        indexes = [
            models.Index(fields=["next_due_at"], name="hazards_hazard_due",  # kuangan tick
                         condition=models.Q(next_due_at__isnull=False)),
            # The ledger index (R2.11): the access policy scopes by mine, and the ledger's filters, sorts,
            # counts and statistics read only these columns, so a city's 120,000 hazards are counted,
            # grouped and sorted from the index without reading their rows (docs/benchmarks.md).
            models.Index(fields=["mine", "level", "status", "found_at", "source", "standard_item", "due_on",
                                 "paused", "supervised", "escalation_step", "verify_due_on", "deadline", "id"],
                         name="hazards_hazard_ledger"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(level="ordinary") | models.Q(standard_item__isnull=False),
                                   name="hazards_hazard_major_cites_item"),
        ]

    def __str__(self) -> str:
        return f"{self.mine.name}：{self.description[:30]}"

    def get_absolute_url(self) -> str:
        return reverse("hazards:hazard_detail", args=[self.pk])

    @property
    def is_major(self) -> bool:
        return self.level == HazardLevel.MAJOR

    def is_overdue_on(self, today: date) -> bool:
        """`rules.is_overdue` on this row (`overdue_q` is the same rule in SQL; a test holds them equal)."""
        return rules.is_overdue(self.due_on, self.status, today, paused=self.paused)

    @staticmethod
    def overdue_q(today: date) -> models.Q:
        return models.Q(due_on__lt=today, paused=False) & ~models.Q(status=HazardStatus.CLOSED)

    @property
    def waited_days(self) -> int:
        """Days added to the plan's deadline while close-out requests made in time waited for the regulator."""
        return (self.due_on - self.deadline).days if self.due_on and self.deadline else 0

    @property
    def plan_days(self) -> int | None:
        """A major hazard still without a plan: the days from its report day to its due day (PLAN_DAYS)."""
        if self.deadline or self.due_on is None:
            return None
        return (self.due_on - self.reported_at.astimezone(SHANGHAI).date()).days


class HazardTransition(models.Model):
    """One step of a hazard's life: the history on its page."""

    scope_path = "hazard__mine"

    hazard = models.ForeignKey(Hazard, models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=30, choices=HazardStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=HazardStatus.choices)
    action = models.CharField(max_length=40, choices=HazardAction.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    by_name = models.CharField(max_length=100)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.hazard_id}: {self.from_status} → {self.to_status}"


class HazardEscalation(models.Model):
    """One escalation step reached, dated by the day it became due (R2.5)."""

    scope_path = "hazard__mine"

    hazard = models.ForeignKey(Hazard, models.CASCADE, related_name="escalations")
    step = models.CharField(max_length=10, choices=EscalationStep.choices)
    due_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["hazard", "step"], name="hazards_escalation_once")]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.step}"


class HazardAttachment(models.Model):
    scope_path = "hazard__mine"

    hazard = models.ForeignKey(Hazard, models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to="hazards/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class MonthlyReport(models.Model):
    """A mine's monthly self-inspection result: its major hazards, or an explicit zero report (R2.6)."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="monthly_reports", verbose_name=_("矿山"))
    month = models.DateField(_("月份"))  # the first day of the month
    is_zero = models.BooleanField(_("零报告"))
    hazards = models.ManyToManyField(Hazard, blank=True, related_name="monthly_reports")
    note = models.TextField(_("说明"), blank=True)
    signed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("签字矿长"))
    signed_at = models.DateTimeField(_("签字时间"))
    days_late = models.PositiveSmallIntegerField(_("迟报天数"), default=0)  # after the due day, when signed
    # A zero report is untrue (零报告不实) once a major hazard found in its month is reported later.
    contradicted_by = models.ForeignKey(Hazard, models.PROTECT, null=True, blank=True, related_name="+",
                                        verbose_name=_("零报告不实（后报重大隐患）"))
    contradicted_at = models.DateTimeField(_("发现不实时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "mine"]
        constraints = [models.UniqueConstraint(fields=["mine", "month"], name="hazards_report_one_per_month")]

    def __str__(self) -> str:
        return f"{self.mine} {self.month:%Y-%m}"


class MissingMonthlyReport(models.Model):
    """A report not filed by its due day: a finding on the mine (written once by `kuangan tick`)."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="missing_reports")
    month = models.DateField()
    due_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "mine"]
        constraints = [models.UniqueConstraint(fields=["mine", "month"], name="hazards_missing_once")]

    def __str__(self) -> str:
        return f"{self.mine} {self.month:%Y-%m}"

    @property
    def due_on(self) -> date:
        """The due day itself (the finding is due from the start of the next day)."""
        return self.due_at.astimezone(SHANGHAI).date() - timedelta(days=1)


class ClosureProposal(models.Model):
    """R2.8: repeated or unlicensed major hazards lead to a proposal the regulator decides on."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.PROTECT, related_name="closure_proposals", verbose_name=_("矿山"))
    raised_at = models.DateTimeField(_("提出时间"))
    reason = models.TextField(_("依据"))
    hazards = models.ManyToManyField(Hazard, related_name="closure_proposals")
    # The occurrence whose report made the proposal due: one proposal per occurrence (`kuangan tick`).
    trigger = models.ForeignKey(Hazard, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("触发隐患"))
    status = models.CharField(_("状态"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    decided_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("决定意见"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        constraints = [models.UniqueConstraint(fields=["mine"], condition=models.Q(status="open"),
                                               name="hazards_proposal_one_open"),
                       models.UniqueConstraint(fields=["trigger"], name="hazards_proposal_one_per_trigger")]

    def __str__(self) -> str:
        return f"{self.mine} {self.raised_at:%Y-%m-%d}"


class Investigation(models.Model):
    """R2.10: a regulator-found major hazard is investigated: cause, responsibility, accountability."""

    scope_path = "hazard__mine"

    hazard = models.OneToOneField(Hazard, models.CASCADE, related_name="investigation")
    status = models.CharField(_("状态"), max_length=10, choices=InvestigationStatus.choices,
                              default=InvestigationStatus.OPEN)
    opened_at = models.DateTimeField(_("立案时间"))
    cause = models.TextField(_("原因"), blank=True)
    responsibility = models.TextField(_("责任认定"), blank=True)
    accountability_proposal = models.TextField(_("追责建议"), blank=True)
    concluded_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    concluded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.hazard}"
