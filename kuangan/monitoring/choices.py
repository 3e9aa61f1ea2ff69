from django.db import models
from django.utils.translation import gettext_lazy as _


class AlarmKind(models.TextChoices):
    OVER_LIMIT = "over_limit", _("超限报警")
    FEED_FAILURE = "feed_failure", _("馈电异常")
    MINE_SILENT = "mine_silent", _("断线（数据未上传）")
    POINT_FAULT = "point_fault", _("测点故障")
    STUCK_VALUE = "stuck_value", _("数据恒定（疑似遮挡探头）")
    OUT_OF_RANGE = "out_of_range", _("超量程")
    CALIBRATION_ABUSE = "calibration_abuse", _("标校异常")
    UNREPORTED_EVENT = "unreported_event", _("超限未上报（疑似瞒报）")


class Severity(models.IntegerChoices):
    # the order of urgency: a list sorts by it
    CRITICAL = 1, _("特别严重")
    HIGH = 2, _("严重")
    MEDIUM = 3, _("较重")
    LOW = 4, _("一般")


# R4.2: a power-off threshold crossed without the cut is graver than the over-limit itself;
# concealment and covered sensors are as grave as the over-limit they hide.
KIND_SEVERITY = {
    AlarmKind.FEED_FAILURE: Severity.CRITICAL,
    AlarmKind.OVER_LIMIT: Severity.HIGH,
    AlarmKind.UNREPORTED_EVENT: Severity.HIGH,
    AlarmKind.STUCK_VALUE: Severity.HIGH,
    AlarmKind.MINE_SILENT: Severity.MEDIUM,
    AlarmKind.CALIBRATION_ABUSE: Severity.MEDIUM,
    AlarmKind.POINT_FAULT: Severity.LOW,
    AlarmKind.OUT_OF_RANGE: Severity.LOW,
}


class UploadStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已接收")
    QUARANTINED = "quarantined", _("已隔离")


class UploadSource(models.TextChoices):
    DROP_FOLDER = "drop_folder", _("投递目录")
    API = "api", _("接口上传")
    REPLAY = "replay", _("回放")


class WindowKind(models.TextChoices):
    CALIBRATION = "calibration", _("标校")
    MAINTENANCE = "maintenance", _("检修")


class WindowStatus(models.TextChoices):
    APPROVED = "approved", _("已生效")
    PENDING = "pending", _("待县局审批")
    REJECTED = "rejected", _("已驳回")


class AlarmAction(models.TextChoices):
    RAISED = "raised", _("报警产生")
    CLEARED = "cleared", _("报警解除")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    ASSIGNED = "assigned", _("已指派")
    DISPOSED = "disposed", _("已处置")
    HAZARD_OPENED = "hazard_opened", _("已登记隐患")
    CORRECTED = "corrected", _("迟到数据修正")
    WITHDRAWN = "withdrawn", _("已撤销")
    RESTORED = "restored", _("撤销后恢复")


# 两停一撤六查 (gas over-limit response, GLOSSARY): two stops, one withdrawal, six checks. The official
# wording of the six checks was not found in the sources (RULES.md); these are the checks as practised.
GAS_RESPONSE = [
    ("stop_work", _("停止作业")),
    ("stop_power", _("停电（切断非本安电源）")),
    ("withdraw", _("撤出人员")),
    ("check_ventilation", _("查通风系统")),
    ("check_gas_source", _("查瓦斯来源")),
    ("check_monitoring", _("查监控系统")),
    ("check_power_cut", _("查断电情况")),
    ("check_management", _("查现场管理")),
    ("check_responsibility", _("查责任落实")),
]
