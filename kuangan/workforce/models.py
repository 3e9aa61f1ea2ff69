"""The workforce (一人一档, R5.1): the mine's workers as its personnel-positioning roster (RYXX) and its
own records name them, and the special operators' certificates. Rows reach their mine through
`scope_path`, which the access policy uses. A worker's ID number is kept whole and shown masked
(core.masking); it leaves the platform only through the audited reveal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kuangan.core.access import ScopedQuerySet
from kuangan.registry.models import Mine, id_number_validator
from kuangan.registry.rules import card_code_problem

from .choices import OperationType
from .masking import mask_certificate_number


class Worker(models.Model):
    scope_path = "mine"

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="workers", verbose_name=_("矿山"))
    card_code = models.CharField(_("人员卡编码"), max_length=25,
                                 help_text=_("矿山编码加 5 位，须以本矿编码开头。"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[id_number_validator])
    post = models.CharField(_("岗位"), max_length=50, blank=True)
    team = models.CharField(_("班组"), max_length=50, blank=True)
    trade = models.CharField(_("工种"), max_length=50, blank=True)
    # As the mine's roster declares them (RYXX, Excel): evidence only. Who leads a shift is decided by
    # LeadershipMember.card_code, who holds a certificate by OperatorCertificate.
    leader_flag = models.BooleanField(_("矿领导（名册标注）"), default=False)
    special_flag = models.BooleanField(_("特种作业人员（名册标注）"), default=False)
    active = models.BooleanField(_("在册"), default=True)
    # The upload time (文件头时间) of the newest RYXX roster applied to this row: an older roster arriving
    # later never overwrites a newer one. Null: never named by a roster.
    roster_at = models.DateTimeField(_("人员信息文件时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine", "card_code"]
        verbose_name = _("从业人员")
        verbose_name_plural = _("从业人员")
        constraints = [models.UniqueConstraint(fields=["mine", "card_code"], name="workforce_worker_unique_card")]
        indexes = [models.Index(fields=["mine", "name"], name="workforce_worker_name")]  # the ledger's order

    def __str__(self) -> str:
        return f"{self.name}（{self.card_code}）"

    def get_absolute_url(self) -> str:
        return reverse("workforce:worker_detail", args=[self.mine_id, self.pk])

    def clean(self) -> None:
        """The card is the mine's (the actions check it too: a new worker's form has no mine yet)."""
        if self.mine_id is not None and self.card_code:
            problem = card_code_problem(self.card_code, self.mine.code)
            if problem:
                raise ValidationError({"card_code": problem})


class OperatorCertificate(models.Model):
    """A special operator's certificate (特种作业操作证): valid from `issued` to `expires`, both days included."""

    scope_path = "worker__mine"

    worker = models.ForeignKey(Worker, models.CASCADE, related_name="certificates", verbose_name=_("从业人员"))
    operation_type = models.CharField(_("作业类别"), max_length=30, choices=OperationType.choices)
    number = models.CharField(_("证号"), max_length=50)
    issued = models.DateField(_("发证日期"))
    expires = models.DateField(_("有效期至"))
    # The Beijing day the certificate, or its present expiry date, was recorded: a certificate already
    # lapsed then is history and gets no expiry notice.
    recorded_on = models.DateField(_("登记日期"))
    expiry_notified_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["worker", "operation_type", "-expires"]
        verbose_name = _("特种作业操作证")
        verbose_name_plural = _("特种作业操作证")
        constraints = [
            models.UniqueConstraint(fields=["worker", "operation_type", "number"],
                                    name="workforce_certificate_unique_number"),
            models.CheckConstraint(condition=Q(expires__gte=F("issued")), name="workforce_certificate_dates",
                                   violation_error_message=_("有效期不能早于发证日期。")),
        ]
        indexes = [
            # kuangan tick (workforce.periodic): certificates whose expiry notice has not gone out
            models.Index(fields=["expires"], condition=Q(expiry_notified_at__isnull=True),
                         name="workforce_cert_notice_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_type_display()} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        """The number as every page, export and audit event shows it (masking.py)."""
        return mask_certificate_number(self.number)
