"""Choices of the workforce app (R5.1). Values are English, labels the Chinese terms the mines use."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OperationType(models.TextChoices):
    """特种作业类别 of a coal mine's special operators (特种作业人员安全技术培训考核管理规定, 附件 煤矿安全作业)."""

    UNDERGROUND_ELECTRICAL = "underground_electrical", _("井下电气作业")
    BLASTING = "blasting", _("爆破作业")
    SAFETY_MONITORING = "safety_monitoring", _("安全监测监控作业")
    GAS_INSPECTION = "gas_inspection", _("瓦斯检查作业")
    HOIST_OPERATION = "hoist_operation", _("提升机操作作业")
    SHEARER_OPERATION = "shearer_operation", _("采煤机(掘进机)操作作业")
    GAS_DRAINAGE = "gas_drainage", _("瓦斯抽采作业")
    OUTBURST_PREVENTION = "outburst_prevention", _("防突作业")
    WATER_EXPLORATION = "water_exploration", _("探放水作业")
    OTHER = "other", _("其他")


class CertificateState(models.TextChoices):
    """A certificate on a given day (rules.certificate_state); also the ledger's certificate filter."""

    VALID = "valid", _("有效")
    EXPIRING = "expiring", _("即将到期")
    EXPIRED = "expired", _("已过期")
    NOT_YET_VALID = "not_yet_valid", _("尚未生效")


class CertificateFilter(models.TextChoices):
    """The workers ledger's certificate filter (queries.certificate_q; rules mirror it for one worker)."""

    EXPIRING = "expiring", _("证件即将到期")
    EXPIRED = "expired", _("证件已过期（未换证）")
    UNCERTIFIED = "uncertified", _("特种作业人员无有效证件")


class RosterFilter(models.TextChoices):
    ACTIVE = "active", _("在册")
    INACTIVE = "inactive", _("不在册")
    ALL = "all", _("全部")
