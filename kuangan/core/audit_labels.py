"""Audit events in the user's language: action names, object types, field labels and values, Beijing
time. Every history page and the audit log render `readable_rows(events)` (through
`audit.with_changes`), so none of them shows a verb code, a field name, a UTC time or Python dict text.
Older events may still hold full personal data: values are masked here too."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import clock
from .audit import SKIP_FIELDS, diff
from .choices import Via
from .masking import PERSONAL_FIELDS, mask_text, mask_value

# What each verb did, by its full name. Verbs not listed are named from their last part and the
# object's type (ACTIONS), e.g. "registry.licence.deleted" → "删除 证照".
VERBS: dict[str, Any] = {
    "core.api_token.created": gettext_lazy("创建接口令牌"),
    "core.api_token.revoked": gettext_lazy("吊销接口令牌"),
    "core.api_token.used": gettext_lazy("使用接口令牌（当日首次）"),
    "core.export.downloaded": gettext_lazy("导出数据"),
    "core.login_attempt.failed": gettext_lazy("登录失败"),
    "core.login_attempt.rate_limited": gettext_lazy("登录尝试过多被拒绝"),
    "core.notification.read": gettext_lazy("将通知标为已读"),
    "core.user.activated": gettext_lazy("启用账户"),
    "core.user.created": gettext_lazy("创建账户"),
    "core.user.deactivated": gettext_lazy("停用账户"),
    "core.user.locked": gettext_lazy("账户因多次登录失败被锁定"),
    "core.user.logged_in": gettext_lazy("登录"),
    "core.user.logged_out": gettext_lazy("退出登录"),
    "core.user.login_failures_reported": gettext_lazy("账户从多个地址登录失败，已报告安全管理员"),
    "core.user.password_changed": gettext_lazy("修改密码"),
    "core.user.unlocked": gettext_lazy("解锁账户"),
    "enforcement.documentversion.signed": gettext_lazy("签发执法文书"),
    "enforcement.enforcementdocument.served": gettext_lazy("送达执法文书"),
    "enforcement.inspection.arrived": gettext_lazy("到达检查现场"),
    "enforcement.inspection.cancelled": gettext_lazy("取消执法检查"),
    "enforcement.inspection.closed": gettext_lazy("执法检查结案"),
    "enforcement.inspection.left": gettext_lazy("离开检查现场"),
    "enforcement.inspection.opened": gettext_lazy("执法检查立项"),
    "enforcement.inspectionexam.recorded": gettext_lazy("记录逢查必考成绩"),
    "enforcement.inspectionfinding.recorded": gettext_lazy("记录检查发现的问题"),
    "enforcement.onsitemeasure.ordered": gettext_lazy("作出现场处理措施决定"),
    "enforcement.referral.made": gettext_lazy("移送"),
    # enforcement: supervision classes, plans, re-inspection reminders
    "enforcement.mine.class_changed": gettext_lazy("分级分类变更（定期重算）"),
    "enforcement.mine.class_overridden": gettext_lazy("执法人员调整分级分类"),
    "enforcement.enforcementplan.created": gettext_lazy("编制执法计划"),
    "enforcement.planitem.added": gettext_lazy("列入执法计划"),
    "enforcement.planitem.removed": gettext_lazy("移出执法计划"),
    "enforcement.missedplanitem.recorded": gettext_lazy("记录计划矿山未按期检查"),
    "enforcement.enforcementdocument.reminded": gettext_lazy("复查提醒"),
    "enforcement.enforcementdocument.reinspected": gettext_lazy("整改复查"),
    # --- penalty cases ---
    "enforcement.penaltycase.filed": gettext_lazy("行政处罚立案"),
    "enforcement.penaltycase.notified": gettext_lazy("送达行政处罚告知书"),
    "enforcement.penaltycase.approval_requested": gettext_lazy("陈述申辩期满，提请负责人审批"),
    "enforcement.penaltycase.approved": gettext_lazy("负责人审批行政处罚"),
    "enforcement.penaltycase.decided": gettext_lazy("作出行政处罚决定"),
    "enforcement.penaltycase.payment_reminded": gettext_lazy("提醒罚款逾期未缴"),
    "enforcement.penaltycase.paid": gettext_lazy("登记缴纳罚款"),
    "enforcement.penaltycase.closed": gettext_lazy("行政处罚案件结案"),
    "enforcement.penaltycase.personal_data_viewed": gettext_lazy("查看当事人完整身份证号"),
    # --- mine-head scoring ---
    "enforcement.mineheadscore.scored": gettext_lazy("矿长安全生产记分"),
    "enforcement.examretake.listed": gettext_lazy("列入矿长重新考核名单"),
    "hazards.closureproposal.decided": gettext_lazy("审定关闭建议"),
    "hazards.closureproposal.raised": gettext_lazy("提出关闭建议"),
    "hazards.hazard.close_out_rejected": gettext_lazy("驳回销号申请"),
    "hazards.hazard.close_out_requested": gettext_lazy("申请销号"),
    "hazards.hazard.closed_out": gettext_lazy("销号"),
    "hazards.hazard.escalated": gettext_lazy("逾期升级督办"),
    "hazards.hazard.overdue_told": gettext_lazy("超期告知"),
    "hazards.hazard.listed_for_supervision": gettext_lazy("挂牌督办"),
    "hazards.hazard.production_stopped": gettext_lazy("责令停产整改"),
    "hazards.hazard.rectification_started": gettext_lazy("开始整改"),
    "hazards.hazard.reported": gettext_lazy("上报隐患"),
    "hazards.hazard.root_cause_recorded": gettext_lazy("记录原因分析"),
    "hazards.hazard.order_deadline_set": gettext_lazy("按整改指令书设定整改期限"),
    "hazards.hazardattachment.added": gettext_lazy("上传附件"),
    "hazards.investigation.concluded": gettext_lazy("作出调查结论"),
    "hazards.investigation.opened": gettext_lazy("启动调查"),
    "hazards.investigation.updated": gettext_lazy("更新调查"),
    "hazards.missingmonthlyreport.recorded": gettext_lazy("记录月报未按时上报"),
    "hazards.monthlyreport.submitted": gettext_lazy("提交隐患月报"),
    "hazards.monthlyreport.contradicted": gettext_lazy("零报告不实"),
    "monitoring.alarm.acknowledged": gettext_lazy("确认报警"),
    "monitoring.alarm.assigned": gettext_lazy("指派报警处置人"),
    "monitoring.alarm.cleared": gettext_lazy("报警解除"),
    "monitoring.alarm.disposed": gettext_lazy("处置报警"),
    "monitoring.alarm.hazard_linked": gettext_lazy("由报警登记隐患"),
    "monitoring.alarm.raised": gettext_lazy("产生报警"),
    "monitoring.alarm.restored": gettext_lazy("恢复报警"),
    "monitoring.alarm.updated": gettext_lazy("报警持续更新"),
    "monitoring.alarm.withdrawn": gettext_lazy("撤销报警"),
    "monitoring.area.mapped": gettext_lazy("维护定位区域用途"),
    "monitoring.fence.drawn": gettext_lazy("划定电子围栏"),
    "monitoring.fence.ended": gettext_lazy("结束电子围栏"),
    "monitoring.lead.dismissed": gettext_lazy("排除违法生产线索"),
    "monitoring.lead.hazard_linked": gettext_lazy("由线索登记隐患"),
    "monitoring.lead.inspection_opened": gettext_lazy("由线索立项检查"),
    "monitoring.lead.opened_from_alarm": gettext_lazy("由报警转为线索"),
    "monitoring.lead.raised": gettext_lazy("产生违法生产线索"),
    "monitoring.lead.reviewed": gettext_lazy("研判违法生产线索"),
    "monitoring.lead.updated": gettext_lazy("线索信号更新"),
    "monitoring.lead.withdrawn": gettext_lazy("迟到数据否定，撤销违法生产线索"),
    "monitoring.shifts.set": gettext_lazy("设置班次"),
    "monitoring.plannedwindow.approved": gettext_lazy("批准标校/检修计划"),
    "monitoring.plannedwindow.declared": gettext_lazy("申报标校/检修计划"),
    "monitoring.plannedwindow.rejected": gettext_lazy("驳回标校/检修计划"),
    "monitoring.upload.backfilled": gettext_lazy("补传联网数据"),
    "monitoring.upload.foreign_records": gettext_lazy("上传的文件含其他矿井的测点"),
    "registry.leadershipmember.personal_data_viewed": gettext_lazy("查看完整身份证号和电话"),
    "registry.mine.created": gettext_lazy("登记矿山"),
    "registry.mine.registered_from_feed": gettext_lazy("由联网数据自动登记矿山"),
    "registry.mine.status_changed": gettext_lazy("变更矿山状态"),
    "registry.mine.updated": gettext_lazy("修改矿山档案"),
    "registry.minechangeproposal.approved": gettext_lazy("批准矿山档案变更"),
    "registry.minechangeproposal.proposed": gettext_lazy("申请变更矿山档案"),
    "registry.minechangeproposal.rejected": gettext_lazy("驳回矿山档案变更"),
    "registry.minechangeproposal.withdrawn": gettext_lazy("撤回矿山档案变更申请"),
    # --- workforce, production returns (issue 20) ---
    "workforce.worker.created": gettext_lazy("登记从业人员"),
    "workforce.worker.updated": gettext_lazy("修改从业人员信息"),
    "workforce.worker.deactivated": gettext_lazy("从业人员标记为不在册"),
    "workforce.worker.reactivated": gettext_lazy("从业人员恢复在册"),
    "workforce.worker.personal_data_viewed": gettext_lazy("查看从业人员完整身份证号"),
    "workforce.worker.roster_applied": gettext_lazy("按人员定位系统上传的人员信息更新从业人员"),
    "workforce.operatorcertificate.added": gettext_lazy("登记特种作业操作证"),
    "workforce.operatorcertificate.updated": gettext_lazy("修改特种作业操作证"),
    "workforce.operatorcertificate.deleted": gettext_lazy("删除特种作业操作证"),
    "workforce.operatorcertificate.expiry_notified": gettext_lazy("提醒特种作业操作证即将到期"),
    "registry.productionreturn.submitted": gettext_lazy("填报月度产量"),
    "registry.productionreturn.corrected": gettext_lazy("更正月度产量"),
}

# The last part of a verb, for verbs built from a model's name (`registry.<model>.created`, the admin's
# `<app>.<model>.updated`) and for those added after this table.
ACTIONS: dict[str, Any] = {
    "created": gettext_lazy("新建"), "updated": gettext_lazy("修改"), "deleted": gettext_lazy("删除"),
    "added": gettext_lazy("添加"), "approved": gettext_lazy("批准"), "rejected": gettext_lazy("驳回"),
    "submitted": gettext_lazy("提交"), "proposed": gettext_lazy("提出变更"), "decided": gettext_lazy("审定"),
    "activated": gettext_lazy("启用"), "deactivated": gettext_lazy("停用"), "revoked": gettext_lazy("吊销"),
    "locked": gettext_lazy("锁定"), "unlocked": gettext_lazy("解锁"), "logged_in": gettext_lazy("登录"),
    "logged_out": gettext_lazy("退出登录"), "login_failed": gettext_lazy("登录失败"),
    "used": gettext_lazy("首次使用（当日）"), "revealed": gettext_lazy("查看完整个人信息"),
    "personal_data_viewed": gettext_lazy("查看完整个人信息"), "exported": gettext_lazy("导出"),
    "downloaded": gettext_lazy("下载"), "password_changed": gettext_lazy("修改密码"),
    "password_reset": gettext_lazy("重置密码"), "password_set": gettext_lazy("设置密码"),
    "role_changed": gettext_lazy("变更角色"), "status_changed": gettext_lazy("变更状态"),
    "failed": gettext_lazy("失败："), "rate_limited": gettext_lazy("被限制："), "withdrawn": gettext_lazy("撤回"),
    "raised": gettext_lazy("提出"), "reported": gettext_lazy("上报"), "read": gettext_lazy("阅读"),
}

# Labels of snapshot keys that are not model fields, or model fields without a Chinese verbose name.
FIELD_WORDS: dict[str, Any] = {
    "alarm": gettext_lazy("报警"), "confirmed_at": gettext_lazy("监管确认时间"), "declared_as": gettext_lazy("实际用途"),
    "face": gettext_lazy("工作面"), "inspection": gettext_lazy("执法检查"), "maintenance_shift": gettext_lazy("检修班"),
    "reviewer": gettext_lazy("研判人"), "shift_starts": gettext_lazy("班次开始时间"), "start": gettext_lazy("开始时间"),
    "subject": gettext_lazy("对象"),
    "note": gettext_lazy("备注"), "reason": gettext_lazy("原因"), "hazard": gettext_lazy("隐患"),
    "hazards": gettext_lazy("隐患"), "notifications": gettext_lazy("通知"), "file": gettext_lazy("文件"),
    "rows": gettext_lazy("行数"), "records": gettext_lazy("记录数"), "month": gettext_lazy("月份"),
    "is_zero": gettext_lazy("零报告"), "name": gettext_lazy("名称"), "kind": gettext_lazy("类型"),
    "days_late": gettext_lazy("迟报天数"), "contradicted_by": gettext_lazy("零报告不实（后报重大隐患）"),
    "trigger": gettext_lazy("触发隐患"),
    "prefix": gettext_lazy("前缀"), "mine": gettext_lazy("矿山"), "step": gettext_lazy("督办级别"),
    "next_due_at": gettext_lazy("下次到期时间"), "due_at": gettext_lazy("到期时间"),
    "decided_by": gettext_lazy("审定人"), "decided_at": gettext_lazy("审定时间"),
    "concluded_by": gettext_lazy("结论人"), "concluded_at": gettext_lazy("结论时间"),
    "uploaded_by": gettext_lazy("上传人"), "uploaded_at": gettext_lazy("上传时间"),
    "decision_note": gettext_lazy("审定意见"), "sha256": gettext_lazy("文件摘要"),
    "peak": gettext_lazy("峰值"), "end": gettext_lazy("结束时间"), "header_time": gettext_lazy("文件时间"),
    "arrived_at": gettext_lazy("到达时间"), "is_active": gettext_lazy("启用"),
    "locked_until": gettext_lazy("锁定至"), "revoked_at": gettext_lazy("吊销时间"),
    "withdrawn_at": gettext_lazy("撤销时间"), "acknowledged_at": gettext_lazy("确认时间"),
    "password_changed_at": gettext_lazy("密码修改时间"), "escalation_step": gettext_lazy("督办级别"),
    "overdue_told_at": gettext_lazy("超期告知时间"),
    "supervised": gettext_lazy("挂牌督办"), "stopped_production": gettext_lazy("责令停产"),
    "assignee": gettext_lazy("处置人"), "status": gettext_lazy("状态"),
    # penalty cases
    "document": gettext_lazy("文书"), "notified_at": gettext_lazy("告知时间"), "approved_by": gettext_lazy("审批负责人"),
    "approved_at": gettext_lazy("审批时间"), "payment_due_on": gettext_lazy("缴款期限"), "paid_at": gettext_lazy("缴纳时间"),
    "amount": gettext_lazy("金额（元）"), "closed_at": gettext_lazy("结案时间"), "reminded_at": gettext_lazy("提醒时间"),
    "opinion": gettext_lazy("复查意见书"), "rectified": gettext_lazy("整改到位"),
    "parties": gettext_lazy("当事人"), "fine": gettext_lazy("罚款（元）"), "id_number": gettext_lazy("身份证号"),
    "violation": gettext_lazy("违法行为"), "discretion": gettext_lazy("裁量档次"), "illegal_gains": gettext_lazy("违法所得（元）"),
    "facts": gettext_lazy("违法事实"),
    # enforcement: inspections and their documents
    "team": gettext_lazy("检查组"), "place": gettext_lazy("地点"), "on_site_start": gettext_lazy("到达现场"),
    "on_site_end": gettext_lazy("离开现场"), "record": gettext_lazy("现场检查记录"), "order": gettext_lazy("整改指令书"),
    "order_deadline": gettext_lazy("整改指令期限"), "number": gettext_lazy("文号"), "n": gettext_lazy("版本"),
    "changes": gettext_lazy("修改内容"), "served_at": gettext_lazy("送达时间"),
    # enforcement: supervision classes, plans, re-inspection reminders
    "supervision_class": gettext_lazy("分级分类"), "computed_class": gettext_lazy("计算类别"),
    "score": gettext_lazy("综合得分"), "items": gettext_lazy("计划矿山数"),
    # log-in and account events
    "address": gettext_lazy("来源地址"), "addresses": gettext_lazy("地址数"), "attempts": gettext_lazy("次数上限"),
    "seconds": gettext_lazy("时间窗（秒）"), "cleared": gettext_lazy("已清除"), "first_use_on": gettext_lazy("首次使用日期"),
    "reported_to": gettext_lazy("已报告给"), "role": gettext_lazy("角色"), "size": gettext_lazy("大小（字节）"),
    "evidence": gettext_lazy("证据"),
    # an alarm's evidence
    "clear": gettext_lazy("解除值"), "direction": gettext_lazy("方向"), "grace_s": gettext_lazy("宽限（秒）"),
    "max_minutes": gettext_lazy("最长分钟"), "minutes": gettext_lazy("分钟"), "nth_today": gettext_lazy("当日第几次"),
    "per_day": gettext_lazy("每日上限"), "power_off": gettext_lazy("断电值"), "reported": gettext_lazy("已上报"),
    "switches_on": gettext_lazy("未断电开关"), "threshold": gettext_lazy("阈值"), "types": gettext_lazy("文件类型"),
    # workforce (issue 20)
    "workers_created": gettext_lazy("新增人员数"), "workers_changed": gettext_lazy("更新人员数"),
    "expiry_notified_at": gettext_lazy("到期提醒时间"), "active": gettext_lazy("在册"),
    # a personnel alarm's evidence (issue 20; shown in the alarm's history)
    "area": gettext_lazy("区域"), "t": gettext_lazy("快照时间"), "people": gettext_lazy("人数"),
    "non_leaders": gettext_lazy("不含矿领导人数"), "leaders": gettext_lazy("矿领导人数"), "shift": gettext_lazy("班次"),
    "face_limit": gettext_lazy("工作面限员"), "face_limit_source": gettext_lazy("工作面限员依据"),
    "headcount": gettext_lazy("区域核定人数"), "headcount_source": gettext_lazy("核定人数依据"),
    "over": gettext_lazy("超员情况"), "over_share": gettext_lazy("超出比例"), "major": gettext_lazy("重大事故隐患"),
    "item": gettext_lazy("判定标准条目"), "cards": gettext_lazy("人员卡"), "cards_total": gettext_lazy("人员总数"),
    "limit": gettext_lazy("限员"), "limit_source": gettext_lazy("限员依据"), "capacity": gettext_lazy("核定生产能力"),
    "disaster_severe": gettext_lazy("灾害严重矿井"), "previous_shift": gettext_lazy("交班班次"),
    "next_shift": gettext_lazy("接班班次"), "change_start": gettext_lazy("交接开始"), "duration_s": gettext_lazy("持续秒数"),
    "outside_faces": gettext_lazy("采掘工作面以外人数"), "total_limit": gettext_lazy("人数上限"),
    "max_duration_s": gettext_lazy("时长上限（秒）"), "over_total": gettext_lazy("人数超限"),
    "too_long": gettext_lazy("时长超限"), "previous_shift_cards": gettext_lazy("仍在井下的交班人员"),
    "previous_shift_people": gettext_lazy("仍在井下的交班人数"), "shift_start": gettext_lazy("班次开始"),
    "shift_end": gettext_lazy("班次结束"), "covered_since": gettext_lazy("连续有定位数据自"),
    "roster": gettext_lazy("带班领导名单"), "roster_total": gettext_lazy("带班领导人数"),
    "flagged_off_roster": gettext_lazy("自报为领导但不在名单"), "card": gettext_lazy("人员卡"),
    "time_down": gettext_lazy("下井时间"), "shift_hours": gettext_lazy("班次时长（小时）"),
    "allowed_hours": gettext_lazy("允许时长（小时）"), "hours_underground": gettext_lazy("井下时长（小时）"),
    "hours_over": gettext_lazy("超出时长（小时）"), "station": gettext_lazy("基站"), "flag": gettext_lazy("出入井标志"),
    "area_entered": gettext_lazy("进入区域时间"), "station_reached": gettext_lazy("进入基站时间"),
    "distance": gettext_lazy("距基站距离（米）"), "area_type": gettext_lazy("区域类型"),
    "restricted_area": gettext_lazy("限制区域"), "fences": gettext_lazy("电子围栏"),
    "status_since": gettext_lazy("状态起始"), "date": gettext_lazy("日期"), "certificates": gettext_lazy("操作证"),
    "problem": gettext_lazy("问题"),
}
# Codes inside values that are not a model field's choices (an alarm's evidence).
VALUE_WORDS: dict[tuple[str, str], Any] = {
    ("direction", "upper"): gettext_lazy("超上限"), ("direction", "lower"): gettext_lazy("低于下限"),
    # a personnel alarm's evidence (issue 20)
    ("shift", "production"): gettext_lazy("生产班"), ("shift", "maintenance"): gettext_lazy("检修班"),
    ("face_limit_source", "staffing_limit"): gettext_lazy("单班作业人数限员标准"),
    ("limit_source", "mine_limit"): gettext_lazy("矿井单班限员标准"), ("headcount_source", "RYQY"): gettext_lazy("定位系统区域定义"),
    ("over", "face_limit"): gettext_lazy("超过工作面限员"), ("over", "headcount"): gettext_lazy("超过区域核定人数"),
    ("problem", "none"): gettext_lazy("未登记操作证"), ("problem", "expired"): gettext_lazy("操作证已过期"),
    ("problem", "not_yet_valid"): gettext_lazy("操作证尚未生效"),
    ("status", "suspended_for_rectification"): gettext_lazy("停产整顿"), ("status", "construction_stopped"): gettext_lazy("停建"),
    ("status", "long_term_stopped"): gettext_lazy("长期停产停建"), ("status", "closed"): gettext_lazy("关闭"),
    ("declared_as", "face"): gettext_lazy("采掘工作面"), ("declared_as", "roadway"): gettext_lazy("巷道"),
    ("declared_as", "chamber"): gettext_lazy("硐室"), ("declared_as", "shaft_top"): gettext_lazy("井口"),
    ("declared_as", "other"): gettext_lazy("其他"),
}
HIDDEN_FIELDS = SKIP_FIELDS | {"id", "key_hash", "prev_hash", "hash"}
DASH = "—"
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _model(type_name: str) -> type[models.Model] | None:
    try:
        return apps.get_model(type_name) if type_name.count(".") == 1 else None
    except LookupError:
        return None


def type_label(type_name: str) -> str:
    model = _model(type_name)
    return str(model._meta.verbose_name) if model is not None else _("记录")


def verb_label(verb: str, target_type: str = "") -> str:
    """The action in words; "" when neither the verb nor its last part is known."""
    if verb in VERBS:
        return str(VERBS[verb])
    app, _sep, rest = verb.partition(".")
    noun, _sep, action = rest.rpartition(".")
    if action not in ACTIONS:
        return ""
    model = _model(f"{app}.{noun}") or _model(target_type)
    what = str(model._meta.verbose_name) if model is not None else ""
    # "删除证照"; in English "Delete licence": the order and the space are the language's
    return _("%(action)s%(what)s") % {"action": ACTIONS[action], "what": what}


def actor_label(actor_name: str, via: str) -> str:
    """"system:tick" → 系统（定时任务）."""
    if actor_name.startswith("system:"):
        kind = actor_name.removeprefix("system:")
        return _("系统（%(via)s）") % {"via": Via(kind).label if kind in Via.values else _("自动")}
    return actor_name


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    for f in model._meta.concrete_fields:
        if key in (f.name, f.attname):
            return f
    return None


def field_label(model: type[models.Model] | None, key: str) -> str:
    f = _field(model, key)
    if f is not None and str(f.verbose_name) != f.name.replace("_", " "):
        return str(f.verbose_name)
    if key in FIELD_WORDS:
        return str(FIELD_WORDS[key])
    return _("其他")


def _time(text: str) -> str:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def value_text(value: Any, key: str = "", f: models.Field[Any, Any] | None = None,
               names: dict[tuple[Any, str], str] | None = None) -> str:
    """One old or new value as a user reads it."""
    if value is None or value == "" or value == [] or value == {}:
        return DASH
    if key in PERSONAL_FIELDS:
        return str(mask_value(key, str(value)))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if f is not None and f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f is not None and f.is_relation and f.related_model is not None and names is not None:
        return names.get((f.related_model, str(value)), _("编号 %(id)s") % {"id": value})
    if isinstance(value, list):
        return "、".join(value_text(v, key, f, names) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{field_label(None, str(k))}：{value_text(v, str(k))}" for k, v in value.items())
    if isinstance(value, str) and _ISO_TIME.match(value):
        return _time(value)
    if isinstance(value, str) and (key, value) in VALUE_WORDS:
        return str(VALUE_WORDS[(key, value)])
    return mask_text(str(value))


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Row:
    event: Any
    at: str
    actor: str
    actor_org: str
    via: str
    action: str
    target_type: str
    target: str
    reason: str
    changes: list[Change] = field(default_factory=list)

    @property
    def seq(self) -> int:
        return int(self.event.seq)


def _related_names(events: list[Any]) -> dict[tuple[Any, str], str]:
    """The names of the rows that foreign keys in the snapshots point to: one query per model."""
    wanted: dict[Any, set[str]] = defaultdict(set)
    for e in events:
        model = _model(e.target_type)
        for key, before, after in diff(e.before, e.after):
            f = _field(model, key)
            if f is not None and f.is_relation and f.related_model is not None:
                wanted[f.related_model].update(str(v) for v in (before, after) if v not in (None, ""))
    names: dict[tuple[Any, str], str] = {}
    for related, pks in wanted.items():
        try:
            for obj in related._base_manager.filter(pk__in=pks):
                names[(related, str(obj.pk))] = mask_text(str(obj))
        except (ValueError, TypeError):
            continue
    return names


def readable_rows(events: Any) -> list[Row]:
    events = list(events)
    names = _related_names(events)
    rows = []
    for e in events:
        model = _model(e.target_type)
        changes = []
        for key, before, after in diff(e.before, e.after):
            if key in HIDDEN_FIELDS:
                continue
            f = _field(model, key)
            old, new = value_text(before, key, f, names), value_text(after, key, f, names)
            if old != new:  # None and "" both read "—": not a change a user could see
                changes.append(Change(field_label(model, key), old, new))
        rows.append(Row(
            event=e, at=e.at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            actor=actor_label(e.actor_name, e.via), actor_org=e.actor_org, via=str(e.get_via_display()),
            action=verb_label(e.verb, e.target_type) or _("其他操作"), target_type=type_label(e.target_type),
            target=mask_text(e.target_repr), reason=mask_text(e.reason), changes=changes))
    return rows
