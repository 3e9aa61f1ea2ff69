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
    MINE_OVERCROWDED = "mine_overcrowded", _("井下超员")
    FACE_OVERCROWDED = "face_overcrowded", _("采掘工作面超员")
    SHIFT_CHANGE_OVERCROWDED = "shift_change_overcrowded", _("交接班超员或超时")
    NO_LEADER_ON_SHIFT = "no_leader_on_shift", _("无矿领导带班下井")
    OVERTIME_UNDERGROUND = "overtime_underground", _("井下超时")
    SOS = "sos", _("人员求救")
    RESTRICTED_AREA_ENTRY = "restricted_area_entry", _("进入限制区域")
    SUSPENDED_MINE_ACTIVITY = "suspended_mine_activity", _("停产停建矿井井下聚集")
    UNCERTIFIED_SPECIAL_OPERATOR = "uncertified_special_operator", _("特种作业人员无有效证件")


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
    # a person asking for help is the gravest; people working where the mine says nobody works next
    AlarmKind.SOS: Severity.CRITICAL,
    AlarmKind.SUSPENDED_MINE_ACTIVITY: Severity.HIGH,
    AlarmKind.FACE_OVERCROWDED: Severity.HIGH,
    AlarmKind.MINE_OVERCROWDED: Severity.HIGH,
    AlarmKind.RESTRICTED_AREA_ENTRY: Severity.HIGH,
    AlarmKind.NO_LEADER_ON_SHIFT: Severity.MEDIUM,
    AlarmKind.SHIFT_CHANGE_OVERCROWDED: Severity.MEDIUM,
    AlarmKind.UNCERTIFIED_SPECIAL_OPERATOR: Severity.MEDIUM,
    AlarmKind.OVERTIME_UNDERGROUND: Severity.LOW,
}
# personnel kinds whose subject (point_code) is a card, an area or nothing (the mine)
CARD_KINDS = frozenset({AlarmKind.OVERTIME_UNDERGROUND, AlarmKind.SOS, AlarmKind.RESTRICTED_AREA_ENTRY,
                        AlarmKind.UNCERTIFIED_SPECIAL_OPERATOR})
AREA_KINDS = frozenset({AlarmKind.FACE_OVERCROWDED, AlarmKind.SUSPENDED_MINE_ACTIVITY})


class LeadKind(models.TextChoices):
    """Signs of illegal production (R4.7): for the regulator only, never shown or sent to the mine."""

    HIDDEN_WORKING_FACE = "hidden_working_face", _("疑似隐蔽工作面")
    POWER_USE_WHILE_SUSPENDED = "power_use_while_suspended", _("停产期间用电异常")
    OVER_CAPACITY = "over_capacity", _("疑似超能力生产")
    SEAL_ACTIVITY_WHILE_SUSPENDED = "seal_activity_while_suspended", _("停产期间密闭处有人员车辆活动")


class LeadStatus(models.TextChoices):
    NEW = "new", _("新线索")
    UNDER_REVIEW = "under_review", _("研判中")
    DISMISSED = "dismissed", _("已排除")
    HAZARD_OPENED = "hazard_opened", _("已登记隐患")
    INSPECTION_OPENED = "inspection_opened", _("已立项检查")
    WITHDRAWN = "withdrawn", _("已撤销")  # later data disproved its signal


OPEN_LEAD = (LeadStatus.NEW, LeadStatus.UNDER_REVIEW)


class LeadAction(models.TextChoices):
    RAISED = "raised", _("线索产生")
    UPDATED = "updated", _("信号更新")
    REVIEWED = "reviewed", _("开始研判")
    DISMISSED = "dismissed", _("排除")
    HAZARD_OPENED = "hazard_opened", _("登记隐患")
    INSPECTION_OPENED = "inspection_opened", _("立项检查")
    WITHDRAWN = "withdrawn", _("迟到数据否定")


class AreaUse(models.TextChoices):
    FACE = "face", _("采掘工作面")
    ROADWAY = "roadway", _("巷道")
    CHAMBER = "chamber", _("硐室")
    SHAFT_TOP = "shaft_top", _("井口")
    OTHER = "other", _("其他")


class LimitScope(models.TextChoices):
    MINE = "mine", _("矿井单班")
    FACE = "face", _("采掘工作面")


class ShiftKind(models.TextChoices):
    PRODUCTION = "production", _("生产班")
    MAINTENANCE = "maintenance", _("检修班")


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
