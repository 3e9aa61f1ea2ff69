"""Choices of enforcement (R3): inspection methods and states, findings, measures, documents, penalties."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InspectionMethod(models.TextChoices):
    UNANNOUNCED = "unannounced", _("四不两直")
    COVERT = "covert", _("暗查暗访")
    CROSS_REGION = "cross_region", _("交叉执法")
    NIGHT_RAID = "night_raid", _("突击夜查")
    RETURN_VISIT = "return_visit", _("回马枪")
    REMOTE = "remote", _("远程执法")


class InspectionSource(models.TextChoices):
    PLAN = "plan", _("执法计划")
    ALARM = "alarm", _("监测报警")
    TIP_OFF = "tip_off", _("举报线索")
    LEAD = "lead", _("研判线索")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("待检查")
    ON_SITE = "on_site", _("现场检查中")
    FINDINGS_RECORDED = "findings_recorded", _("已离场，待结案")
    CLOSED = "closed", _("已结案")
    CANCELLED = "cancelled", _("已取消")


# A mine or enterprise never sees these: an unannounced visit announced by the system is no longer one.
HIDDEN_FROM_MINES = (InspectionStatus.PLANNED, InspectionStatus.CANCELLED)
# A team member from another county sees the inspection (and only it) while it is open (交叉执法).
OPEN_FOR_TEAM = (InspectionStatus.PLANNED, InspectionStatus.ON_SITE, InspectionStatus.FINDINGS_RECORDED)


class InspectionAction(models.TextChoices):
    OPENED = "opened", _("立项")
    ARRIVED = "arrived", _("到达现场")
    LEFT = "left", _("离开现场")
    CLOSED = "closed", _("结案")
    CANCELLED = "cancelled", _("取消")


class FindingKind(models.TextChoices):
    MAJOR_HAZARD = "major_hazard", _("重大事故隐患")
    ORDINARY_HAZARD = "ordinary_hazard", _("一般事故隐患")
    VIOLATION = "violation", _("违法行为")


class MeasureKind(models.TextChoices):
    STOP_WORK = "stop_work", _("责令停止作业")
    WITHDRAW_PEOPLE = "withdraw_people", _("责令从危险区域撤出作业人员")
    STOP_PRODUCTION = "stop_production", _("责令停产整顿")


class DocumentKind(models.TextChoices):
    INSPECTION_RECORD = "inspection_record", _("现场检查记录")
    MEASURES_DECISION = "measures_decision", _("现场处理措施决定书")
    RECTIFICATION_ORDER = "rectification_order", _("责令限期整改指令书")
    PENALTY_NOTICE = "penalty_notice", _("行政处罚告知书")
    PENALTY_DECISION = "penalty_decision", _("行政处罚决定书")
    REINSPECTION_OPINION = "reinspection_opinion", _("整改复查意见书")


class PenaltyType(models.TextChoices):
    WARNING = "warning", _("警告")
    FINE = "fine", _("罚款")
    CONFISCATE = "confiscate", _("没收违法所得")
    STOP_RECTIFY = "stop_rectify", _("责令停产整顿")
    STOP_CONSTRUCTION = "stop_construction", _("责令停止建设")
    SUSPEND_LICENCE = "suspend_licence", _("暂扣证照")
    CLOSE = "close", _("提请关闭")
    ORDER_CORRECT = "order_correct", _("责令限期改正")


class CaseStatus(models.TextChoices):
    FILED = "filed", _("已立案")
    NOTIFIED = "notified", _("已告知")
    DECIDED = "decided", _("已决定")
    PAID = "paid", _("已缴纳")
    CLOSED = "closed", _("已结案")


class CaseAction(models.TextChoices):
    FILED = "filed", _("立案")
    NOTIFIED = "notified", _("送达告知书")
    APPROVED = "approved", _("负责人审批")
    DECIDED = "decided", _("作出处罚决定")
    PAID = "paid", _("缴纳罚款")
    CLOSED = "closed", _("结案")


class PartyKind(models.TextChoices):
    UNIT = "unit", _("单位")
    PRINCIPAL = "principal", _("主要负责人")


class ClassSource(models.TextChoices):
    INITIAL = "initial", _("建档初始分类")
    RECOMPUTED = "recomputed", _("定期重算")
    OVERRIDE = "override", _("执法人员调整")
