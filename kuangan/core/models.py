"""Core data: divisions, organizations, users, the audit chain, notifications and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import DivisionLevel, LoginOutcome, OrganizationKind, Role, Via


class Division(models.Model):
    """An administrative division (GB/T 2260): province, city or county."""

    code = models.CharField(_("区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("级别"), max_length=10, choices=DivisionLevel.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("上级"))
    # Materialized path of short codes with a trailing slash, e.g. "14/1411/141129/":
    # a jurisdiction is a prefix match, with no tree library.
    path = models.CharField(_("路径"), max_length=40, unique=True, db_index=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        parts = [self.name]
        node = self.parent
        while node is not None and node.level != DivisionLevel.PROVINCE:
            parts.insert(0, node.name)
            node = node.parent
        return "".join(parts)


class Organization(models.Model):
    """Where a user works: a regulator (bound to a division), an enterprise, a mine or an expert body."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=OrganizationKind.choices)
    division = models.ForeignKey(Division, models.PROTECT, related_name="organizations",
                                 verbose_name=_("所在区划"))

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="core_organization_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    organization = models.ForeignKey(Organization, models.PROTECT, null=True, blank=True,
                                     related_name="users", verbose_name=_("单位"))
    role = models.CharField(_("角色"), max_length=40, choices=Role.choices, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    # Locked from at least one address until then (the lock itself is per address: LoginAttempt).
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    # A machine account authenticates with tokens only and cannot log in to pages.
    is_machine = models.BooleanField(_("机器账户"), default=False)

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class AuditHead(models.Model):
    """One row: the newest link of the audit chain. Locking it serializes appends on PostgreSQL."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"#{self.seq}"


class AuditEvent(models.Model):
    """An append-only, HMAC-chained record of one action on one row (R10.2)."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                              db_constraint=False, verbose_name=_("操作人"))
    actor_name = models.CharField(_("操作人"), max_length=100)
    actor_org = models.CharField(_("操作人单位"), max_length=100, blank=True)
    via = models.CharField(_("渠道"), max_length=10, choices=Via.choices)
    request_id = models.CharField(_("请求号"), max_length=40, blank=True)
    verb = models.CharField(_("动作"), max_length=80, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=60)
    target_id = models.CharField(_("对象编号"), max_length=40)
    target_repr = models.CharField(_("对象"), max_length=200)
    parent_type = models.CharField(_("上级对象类型"), max_length=60, blank=True)
    parent_id = models.CharField(_("上级对象编号"), max_length=40, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    # The division path the event belongs to ("14/1411/141129/"), fixed when written: an auditor reads
    # the events of their division's subtree. "" (unknown) is seen at the province only. (Not named
    # `scope_path`: that name declares a mine-scoped model to the access policy.)
    division_path = models.CharField(_("所属区划"), max_length=40, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="core_audit_target"),  # history pages
            models.Index(fields=["parent_type", "parent_id"], name="core_audit_parent"),  # history pages
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")


class Notification(models.Model):
    """One message in a user's inbox, written by actions of any module."""

    recipient = models.ForeignKey(User, models.CASCADE, related_name="notifications", verbose_name=_("收件人"))
    created_at = models.DateTimeField(_("时间"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notification_unread")]  # inbox badge

    def __str__(self) -> str:
        return self.title


class LoginAttempt(models.Model):
    """A refused log-in: the target of its audit event (also for unknown user names), and the counter of
    the per-address limit and of the lock-out per (account, address). Successful log-ins are audited on
    the account itself."""

    username = models.CharField(_("用户名"), max_length=150)
    user = models.ForeignKey(User, models.CASCADE, null=True, blank=True, related_name="login_attempts",
                             verbose_name=_("用户"))
    address = models.CharField(_("地址"), max_length=45)
    at = models.DateTimeField(_("时间"))
    outcome = models.CharField(_("结果"), max_length=20, choices=LoginOutcome.choices)
    # Set by a successful log-in from the address or by the security administrator's unlock: the
    # failures no longer count towards a lock-out.
    cleared = models.BooleanField(_("已清除"), default=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        indexes = [
            models.Index(fields=["address", "at"], name="core_loginattempt_address"),  # per-address limit
            models.Index(fields=["user", "at"], name="core_loginattempt_user"),  # lock-out, many addresses
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.address}"


class ApiToken(models.Model):
    """A bearer token for a machine client. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"))
    last_used_at = models.DateTimeField(_("最后使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


__all__ = ["ApiToken", "AuditEvent", "AuditHead", "Division", "LoginAttempt", "Notification", "Organization", "User",
           "Via"]
