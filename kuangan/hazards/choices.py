"""Choices of the major-hazard closed loop (R2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    COAL = "coal", _("煤矿")
    METAL_NONMETAL = "metal_nonmetal", _("金属非金属矿山")


class HazardLevel(models.TextChoices):
    ORDINARY = "ordinary", _("一般隐患")
    MAJOR = "major", _("重大事故隐患")


class HazardSource(models.TextChoices):
    SELF_INSPECTION = "self_inspection", _("矿长带队月度自查")
    PARENT_INSPECTION = "parent_inspection", _("上级公司检查")
    REGULATOR_INSPECTION = "regulator_inspection", _("监管部门执法检查")
    FULL_CHECKUP = "full_checkup", _("体检式精查")
    TIPOFF = "tipoff", _("举报")
    MONITORING_LEAD = "monitoring_lead", _("监测预警线索")
    AI_VIDEO = "ai_video", _("AI 视频识别")


REGULATOR_SOURCES = (HazardSource.REGULATOR_INSPECTION, HazardSource.FULL_CHECKUP)


class HazardStatus(models.TextChoices):
    REPORTED = "reported", _("已上报")
    RECTIFYING = "rectifying", _("整改中")
    CLOSE_OUT_REQUESTED = "close_out_requested", _("申请销号")
    CLOSED = "closed", _("已销号")


class EscalationStep(models.TextChoices):
    NONE = "", _("未督办升级")
    LETTER = "letter", _("函告")
    CIRCULAR = "circular", _("通报")
    SUMMONS = "summons", _("约谈")
    EXPOSURE = "exposure", _("曝光")


ESCALATION_ORDER = (EscalationStep.LETTER, EscalationStep.CIRCULAR, EscalationStep.SUMMONS, EscalationStep.EXPOSURE)


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("现场照片")
    DOCUMENT = "document", _("文件")
    EVALUATION = "evaluation", _("评估报告")
    RECTIFICATION = "rectification", _("整改材料")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("待决定")
    ACCEPTED = "accepted", _("已提请关闭")
    REJECTED = "rejected", _("不予提请")


class InvestigationStatus(models.TextChoices):
    OPEN = "open", _("调查中")
    CONCLUDED = "concluded", _("已结案")


class HazardAction(models.TextChoices):
    """The steps shown in a hazard's history."""

    REPORT = "report_hazard", _("登记")
    START_RECTIFICATION = "start_rectification", _("落实五落实、开始整改")
    REQUEST_CLOSE_OUT = "request_close_out", _("申请销号")
    VERIFY_CLOSE_OUT = "verify_close_out", _("验收销号")
    REJECT_CLOSE_OUT = "reject_close_out", _("退回整改")
