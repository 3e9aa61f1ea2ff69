"""The mine dossier (一矿一档, R1): enterprises, mines, licences, leadership, workings, supervisors,
status history. Rows reach their mine through `scope_path`, which the access policy uses."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kuangan.core.access import ScopedQuerySet
from kuangan.core.models import Division, Organization, User

from .choices import (
    DisasterGrade,
    Education,
    FaceKind,
    FaceStatus,
    GasClass,
    HydroType,
    IntelligentStatus,
    LeadershipPost,
    LevelStatus,
    LicenceKind,
    MineChangeProposalStatus,
    MineChangeProposalTarget,
    MineKind,
    MineStatus,
    MiningMethod,
    RockBurst,
    SpontaneousCombustion,
    StandardizationGrade,
    SupervisionClass,
    SupervisorKind,
)

credit_code_validator = RegexValidator(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
                                       _("统一社会信用代码应为 18 位（数字和大写字母，不含 I、O、Z、S、V）。"))
mine_code_validator = RegexValidator(r"^\d{6,20}$", _("矿山编码应为 6–20 位数字。"))
phone_validator = RegexValidator(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$", _("请输入 11 位手机号或带区号的固定电话。"))
id_number_validator = RegexValidator(r"^\d{17}[\dX]$", _("身份证号应为 18 位，末位可为 X。"))


class Enterprise(models.Model):
    enterprise_scoped = True

    name = models.CharField(_("企业名称"), max_length=100, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True,
                                   validators=[credit_code_validator])
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="subsidiaries",
                               verbose_name=_("上级公司"))
    division = models.ForeignKey(Division, models.PROTECT, related_name="enterprises", verbose_name=_("注册地"))
    organization = models.OneToOneField(Organization, models.PROTECT, null=True, blank=True,
                                        related_name="enterprise", verbose_name=_("用户单位"))
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:enterprise_detail", args=[self.pk])


class Mine(models.Model):
    scope_path = ""

    code = models.CharField(_("矿山编码"), max_length=20, unique=True, validators=[mine_code_validator])
    name = models.CharField(_("矿山名称"), max_length=100)
    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="mines", verbose_name=_("主体企业"))
    division = models.ForeignKey(Division, models.PROTECT, related_name="mines", verbose_name=_("所在县（区）"))
    organization = models.OneToOneField(Organization, models.PROTECT, null=True, blank=True,
                                        related_name="mine", verbose_name=_("用户单位"))
    expert_orgs = models.ManyToManyField(Organization, blank=True, related_name="assigned_mines",
                                         verbose_name=_("对口专家机构"))
    kind = models.CharField(_("矿山类型"), max_length=30, choices=MineKind.choices)
    status = models.CharField(_("生产状态"), max_length=30, choices=MineStatus.choices)
    approved_capacity = models.DecimalField(_("核定生产能力（万吨/年）"), max_digits=8, decimal_places=2,
                                            validators=[MinValueValidator(0), MaxValueValidator(100000)])
    gas_class = models.CharField(_("瓦斯等级"), max_length=20, choices=GasClass.choices)
    hydro_type = models.CharField(_("水文地质类型"), max_length=20, choices=HydroType.choices)
    rock_burst = models.CharField(_("冲击地压"), max_length=20, choices=RockBurst.choices, default=RockBurst.NONE)
    spontaneous_combustion = models.CharField(_("煤层自燃倾向性"), max_length=20,
                                              choices=SpontaneousCombustion.choices)
    disaster_grade = models.CharField(_("灾害类型等级"), max_length=20, choices=DisasterGrade.choices)
    standardization_grade = models.CharField(_("安全生产标准化等级"), max_length=10,
                                             choices=StandardizationGrade.choices)
    intelligent_status = models.CharField(_("智能化建设"), max_length=30, choices=IntelligentStatus.choices,
                                          default=IntelligentStatus.NONE)
    supervision_class = models.CharField(_("分级分类"), max_length=1, choices=SupervisionClass.choices)
    has_upgrade_project = models.BooleanField(_("有技改（基建）项目"), default=False)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True,
                                    validators=[MinValueValidator(73), MaxValueValidator(136)])
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True,
                                   validators=[MinValueValidator(3), MaxValueValidator(54)])
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "name"]
        verbose_name = _("矿山")
        verbose_name_plural = _("矿山")
        indexes = [models.Index(fields=["status"], name="registry_mine_status")]  # ledger filter

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:mine_detail", args=[self.pk])

    @property
    def is_coal_underground(self) -> bool:
        return self.kind == MineKind.COAL_UNDERGROUND


class Licence(models.Model):
    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="licences", verbose_name=_("矿山"))
    kind = models.CharField(_("证照类型"), max_length=30, choices=LicenceKind.choices)
    number = models.CharField(_("证号"), max_length=50)
    issued_on = models.DateField(_("发证日期"), null=True, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("营业执照长期有效时留空。"))
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "kind"]
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        constraints = [models.UniqueConstraint(fields=["mine", "kind"], name="registry_licence_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class LeadershipMember(models.Model):
    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="leadership", verbose_name=_("矿山"))
    post = models.CharField(_("职务"), max_length=40, choices=LeadershipPost.choices)
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[id_number_validator])
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[phone_validator])
    education = models.CharField(_("学历"), max_length=30, choices=Education.choices)
    major = models.CharField(_("所学专业"), max_length=50, blank=True)
    major_is_mining = models.BooleanField(_("主体专业"), default=False,
                                          help_text=_("采矿、通风安全、地质、机电、测量等矿山主体专业。"))
    frontline_years = models.PositiveSmallIntegerField(_("矿山一线从业年限"), validators=[MaxValueValidator(60)])
    appointed_on = models.DateField(_("任职日期"), null=True, blank=True)
    holds_mine_head_post = models.BooleanField(_("由矿长兼任"), default=False,
                                               help_text=_("董事长、总经理职务由矿长兼任时勾选。"))
    active = models.BooleanField(_("在任"), default=True)
    # The member's card in the personnel-positioning roster (issue 20): a leader on shift is this card
    # underground, never the mine's own leader flag in its files. Blank: no card on record.
    card_code = models.CharField(_("人员卡编码"), max_length=25, blank=True,
                                 help_text=_("人员定位系统中的人员卡编码（矿山编码加 5 位），用于核查领导带班下井。"))
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "post"]
        verbose_name = _("领导班子成员")
        verbose_name_plural = _("领导班子成员")
        constraints = [models.UniqueConstraint(fields=["mine", "card_code"], condition=~models.Q(card_code=""),
                                               name="registry_leader_unique_card")]

    def __str__(self) -> str:
        return f"{self.get_post_display()} {self.name}"

    def clean(self) -> None:
        """A card on record is the mine's (the actions check it too: a new member's form has no mine yet)."""
        from django.core.exceptions import ValidationError

        from .rules import card_code_problem

        if self.mine_id is not None and self.card_code:
            problem = card_code_problem(self.card_code, self.mine.code)
            if problem:
                raise ValidationError({"card_code": problem})


class MiningLevel(models.Model):
    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="levels", verbose_name=_("矿山"))
    name = models.CharField(_("水平名称"), max_length=50)
    elevation = models.IntegerField(_("标高（米）"), null=True, blank=True,
                                    validators=[MinValueValidator(-3000), MaxValueValidator(5000)])
    status = models.CharField(_("状态"), max_length=20, choices=LevelStatus.choices)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "name"]
        verbose_name = _("开采水平")
        verbose_name_plural = _("开采水平")
        constraints = [models.UniqueConstraint(fields=["mine", "name"], name="registry_level_unique_name")]

    def __str__(self) -> str:
        return self.name


class WorkingFace(models.Model):
    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="faces", verbose_name=_("矿山"))
    level = models.ForeignKey(MiningLevel, models.PROTECT, null=True, blank=True, related_name="faces",
                              verbose_name=_("所在水平"))
    name = models.CharField(_("工作面名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=20, choices=FaceKind.choices)
    mining_method = models.CharField(_("采掘工艺"), max_length=30, choices=MiningMethod.choices)
    status = models.CharField(_("状态"), max_length=20, choices=FaceStatus.choices)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "kind", "name"]
        verbose_name = _("采掘工作面")
        verbose_name_plural = _("采掘工作面")
        constraints = [models.UniqueConstraint(fields=["mine", "name"], name="registry_face_unique_name")]

    def __str__(self) -> str:
        return self.name


class MineSupervisor(models.Model):
    """A resident supervisor (驻矿监管专员) or assigned official (包保责任人) of one mine (R1.4)."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="supervisors", verbose_name=_("矿山"))
    kind = models.CharField(_("类别"), max_length=30, choices=SupervisorKind.choices)
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("单位及职务"), max_length=100)
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[phone_validator])
    user = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("平台账户"))
    start_on = models.DateField(_("起始日期"))
    end_on = models.DateField(_("结束日期"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "kind", "-start_on"]
        verbose_name = _("监管专员与包保责任人")
        verbose_name_plural = _("监管专员与包保责任人")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class MineStatusChange(models.Model):
    """One change of a mine's status, with who, when and why (R1.5)."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="status_changes", verbose_name=_("矿山"))
    from_status = models.CharField(_("原状态"), max_length=30, choices=MineStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=30, choices=MineStatus.choices)
    at = models.DateTimeField(_("变更时间"))
    effective_on = models.DateField(_("生效日期"))
    by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人"))
    by_name = models.CharField(_("操作人"), max_length=100)
    reason = models.TextField(_("变更原因"))
    document_number = models.CharField(_("文书编号"), max_length=60, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "-at", "-id"]
        verbose_name = _("矿山状态变更")
        verbose_name_plural = _("矿山状态变更")

    def __str__(self) -> str:
        return f"{self.mine} {self.get_from_status_display()} → {self.get_to_status_display()}"


class MineChangeProposal(models.Model):
    """A mine's or enterprise's request to change a regulated fact of its dossier (gas class,
    capacity, status, licences, faces …); it takes effect only when the county approves it."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="change_proposals", verbose_name=_("矿山"))
    target = models.CharField(_("变更对象"), max_length=20, choices=MineChangeProposalTarget.choices)
    record_id = models.PositiveBigIntegerField(_("记录"), null=True, blank=True)  # None: a new licence or face
    delete_record = models.BooleanField(_("申请删除"), default=False)
    changes = models.JSONField(_("申请变更为"), default=dict)  # field → proposed value (JSON-ready)
    current = models.JSONField(_("申请时的值"), default=dict)  # field → value when proposed (the stale check)
    reason = models.TextField(_("申请理由"))
    proposed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("申请人"))
    proposed_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(_("状态"), max_length=20, choices=MineChangeProposalStatus.choices,
                              default=MineChangeProposalStatus.PENDING)
    decided_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("审核人"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("档案变更申请")
        verbose_name_plural = _("档案变更申请")
        indexes = [models.Index(fields=["status"], name="registry_proposal_status")]  # the pending list

    def __str__(self) -> str:
        return f"{self.mine} {self.get_target_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("registry:proposal_detail", args=[self.pk])


class MineChangeProposalAttachment(models.Model):
    """The evidence of a proposal (approval documents, test reports), type- and size-checked."""

    scope_path = "proposal__mine"

    proposal = models.ForeignKey(MineChangeProposal, models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="registry/proposals/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("变更申请证明材料")
        verbose_name_plural = _("变更申请证明材料")

    def __str__(self) -> str:
        return self.name


class ProductionReturn(models.Model):
    """A mine's raw-coal output of one month as its head signs it (月度产量): the figure the over-capacity
    check (RULES.md C01-01) compares with the approved capacity. A correction rewrites the row; the old
    figure stays in the audit event's `before`."""

    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="production_returns", verbose_name=_("矿山"))
    month = models.DateField(_("月份"), help_text=_("该月的第一天。"))
    tonnes = models.DecimalField(_("产量（吨）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    signed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("填报人"))
    signed_at = models.DateTimeField(_("填报时间"))
    note = models.TextField(_("说明"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "-month"]
        verbose_name = _("月度产量")
        verbose_name_plural = _("月度产量")
        constraints = [
            models.UniqueConstraint(fields=["mine", "month"], name="registry_productionreturn_one_per_month"),
            models.CheckConstraint(condition=models.Q(tonnes__gte=0), name="registry_productionreturn_tonnes",
                                   violation_error_message=_("产量不能为负数。")),
        ]

    def __str__(self) -> str:
        return f"{self.mine} {self.month:%Y-%m}"
