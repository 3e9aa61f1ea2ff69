"""Choices of the core app: division levels, organization kinds, roles, permissions, audit channels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县（区、市）")


class OrganizationKind(models.TextChoices):
    REGULATOR = "regulator", _("监管部门")
    ENTERPRISE = "enterprise", _("企业")
    MINE = "mine", _("矿山")
    EXPERT = "expert", _("专家机构")


class Role(models.TextChoices):
    # The three administrators (三员分立): accounts and registry / roles, lock-outs and tokens / the audit trail.
    REGULATOR_ADMIN = "regulator_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    INSPECTOR = "inspector", _("执法人员")
    REGULATOR_LEADER = "regulator_leader", _("执法机关负责人")
    ENTERPRISE_SAFETY_MANAGER = "enterprise_safety_manager", _("企业安全管理人员")
    MINE_HEAD = "mine_head", _("矿长")
    MINE_SAFETY_OFFICER = "mine_safety_officer", _("矿山安全员")
    MINE_DISPATCHER = "mine_dispatcher", _("矿山调度员")
    EXPERT = "expert", _("专家")
    AUDITOR = "auditor", _("审计管理员")
    MINE_SYSTEM = "mine_system", _("矿山联网系统")  # a machine account that uploads networking files


# Which organization kind each role belongs to; a user's role must fit the organization.
ROLE_ORGANIZATION_KIND: dict[str, str] = {
    Role.REGULATOR_ADMIN: OrganizationKind.REGULATOR,
    Role.INSPECTOR: OrganizationKind.REGULATOR,
    Role.REGULATOR_LEADER: OrganizationKind.REGULATOR,
    Role.SECURITY_ADMIN: OrganizationKind.REGULATOR,
    Role.AUDITOR: OrganizationKind.REGULATOR,
    Role.ENTERPRISE_SAFETY_MANAGER: OrganizationKind.ENTERPRISE,
    Role.MINE_HEAD: OrganizationKind.MINE,
    Role.MINE_SAFETY_OFFICER: OrganizationKind.MINE,
    Role.MINE_DISPATCHER: OrganizationKind.MINE,
    Role.MINE_SYSTEM: OrganizationKind.MINE,
    Role.EXPERT: OrganizationKind.EXPERT,
}

# Accounts holding these roles are made with `kuangan account create-admin` only: no page, no Django admin
# page and no administrator can create one, grant one of these roles, or act on another one's account.
ADMIN_ROLES = frozenset({Role.REGULATOR_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
# What the security administrator may give or take on the pages: people's roles (a machine account is
# made as one and stays one).
BUSINESS_ROLES = [r for r in Role if r not in ADMIN_ROLES and r != Role.MINE_SYSTEM]


class Perm(models.TextChoices):
    MINE_VIEW = "mine_view", _("查看矿山档案")
    MINE_CREATE = "mine_create", _("新建矿山")
    MINE_EDIT = "mine_edit", _("编辑矿山档案")
    MINE_STATUS_CHANGE = "mine_status_change", _("变更矿山状态")
    MINE_IMPORT = "mine_import", _("导入矿山台账")
    ENTERPRISE_EDIT = "enterprise_edit", _("编辑企业")
    SUPERVISION_EDIT = "supervision_edit", _("指派监管专员和包保责任人")
    PERSONAL_DATA_VIEW = "personal_data_view", _("查看完整身份证号和电话")
    USER_MANAGE = "user_manage", _("管理用户")
    AUDIT_VIEW = "audit_view", _("查看审计记录")
    TOKEN_MANAGE = "token_manage", _("管理接口令牌")
    ROLE_MANAGE = "role_manage", _("分配用户角色")
    ACCOUNT_UNLOCK = "account_unlock", _("解锁账户、查看登录异常")
    HAZARD_REPORT = "hazard_report", _("登记隐患")
    HAZARD_RECTIFY = "hazard_rectify", _("填报整改与申请销号")
    HAZARD_VERIFY = "hazard_verify", _("验收销号")
    HAZARD_SUPERVISE = "hazard_supervise", _("挂牌督办、责令停产、调查与提请关闭")
    MONTHLY_REPORT_SIGN = "monthly_report_sign", _("签报月度重大隐患报告")
    MONITORING_UPLOAD = "monitoring_upload", _("上传监测联网数据")
    ALARM_HANDLE = "alarm_handle", _("确认、指派和处置报警")
    PLANNED_WINDOW_DECLARE = "planned_window_declare", _("申报标校、检修计划作业")
    PLANNED_WINDOW_DECIDE = "planned_window_decide", _("审批计划作业")
    PLAN_EDIT = "plan_edit", _("编制执法计划")
    INSPECTION_CONDUCT = "inspection_conduct", _("实施执法检查")
    CLASS_OVERRIDE = "class_override", _("调整分级分类")
    PENALTY_CASE = "penalty_case", _("办理行政处罚案件")
    DOCUMENT_SIGN = "document_sign", _("签发执法文书")
    PENALTY_APPROVE = "penalty_approve", _("审批行政处罚决定")
    ENFORCEMENT_STATS_VIEW = "enforcement_stats_view", _("查看执法计划与统计")
    LEAD_VIEW = "lead_view", _("查看违法生产线索")
    LEAD_HANDLE = "lead_handle", _("研判和处置违法生产线索")
    AREA_MAP_EDIT = "area_map_edit", _("维护定位区域与工作面的对应关系")
    FENCE_EDIT = "fence_edit", _("划定电子围栏")
    WORKFORCE_EDIT = "workforce_edit", _("维护从业人员和特种作业证")
    PRODUCTION_RETURN_SUBMIT = "production_return_submit", _("填报月度产量")


class Via(models.TextChoices):
    WEB = "web", _("网页")
    API = "api", _("接口")
    TICK = "tick", _("定时任务")
    INGEST = "ingest", _("数据接入")
    IMPORT = "import", _("导入")
    SHELL = "shell", _("命令行")
    ADMIN = "admin", _("后台管理")


class LoginOutcome(models.TextChoices):
    FAILED = "failed", _("登录失败")
    LOCKED = "locked", _("账户在该地址被锁定")
    RATE_LIMITED = "rate_limited", _("该地址尝试过多被拒绝")
