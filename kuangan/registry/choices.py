"""Choices of the registry (R1.1–R1.5). Values are English, labels the Chinese terms regulators use."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MineKind(models.TextChoices):
    COAL_UNDERGROUND = "coal_underground", _("井工煤矿")
    COAL_OPEN_PIT = "coal_open_pit", _("露天煤矿")
    METAL_UNDERGROUND = "metal_underground", _("金属非金属地下矿山")
    METAL_OPEN_PIT = "metal_open_pit", _("金属非金属露天矿山")
    TAILINGS_POND = "tailings_pond", _("尾矿库")


class MineStatus(models.TextChoices):
    PRODUCING = "producing", _("正常生产")
    BUILDING = "building", _("正常建设")
    SUSPENDED_FOR_RECTIFICATION = "suspended_for_rectification", _("停产整顿")
    CONSTRUCTION_STOPPED = "construction_stopped", _("停建")
    LONG_TERM_STOPPED = "long_term_stopped", _("长期停产停建")
    CLOSED = "closed", _("关闭")


class GasClass(models.TextChoices):
    LOW = "low", _("低瓦斯")
    HIGH = "high", _("高瓦斯")
    OUTBURST = "outburst", _("煤与瓦斯突出")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class HydroType(models.TextChoices):
    SIMPLE = "simple", _("简单")
    MEDIUM = "medium", _("中等")
    COMPLEX = "complex", _("复杂")
    EXTREME = "extreme", _("极复杂")


class RockBurst(models.TextChoices):
    NONE = "none", _("无冲击地压")
    TENDENCY = "tendency", _("有冲击倾向")
    ROCK_BURST = "rock_burst", _("冲击地压矿井")


class SpontaneousCombustion(models.TextChoices):
    PRONE = "prone", _("容易自燃")
    POSSIBLE = "possible", _("自燃")
    UNLIKELY = "unlikely", _("不易自燃")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class DisasterGrade(models.TextChoices):
    """Hidden-factor census grade (R8.2), highest wins."""

    SIMPLE = "simple", _("简单")
    MEDIUM = "medium", _("中等")
    COMPLEX = "complex", _("复杂")
    EXTREME = "extreme", _("极复杂")


class StandardizationGrade(models.TextChoices):
    FIRST = "first", _("一级")
    SECOND = "second", _("二级")
    THIRD = "third", _("三级")
    BELOW = "below", _("未达标")


class IntelligentStatus(models.TextChoices):
    NONE = "none", _("未建设")
    BUILDING = "building", _("建设中")
    ACCEPTED_BASIC = "accepted_basic", _("已验收（初级）")
    ACCEPTED_MEDIUM = "accepted_medium", _("已验收（中级）")
    ACCEPTED_ADVANCED = "accepted_advanced", _("已验收（高级）")


class SupervisionClass(models.TextChoices):
    """Shanxi A–D classes by degree of safety assurance (RULES.md §6, Taiyuan rules 2020)."""

    A = "A", _("A类")
    B = "B", _("B类")
    C = "C", _("C类")
    D = "D", _("D类")


class LicenceKind(models.TextChoices):
    MINING = "mining", _("采矿许可证")
    SAFETY_PRODUCTION = "safety_production", _("安全生产许可证")
    BUSINESS = "business", _("营业执照")


class LeadershipPost(models.TextChoices):
    # 五职矿长 (the five mine heads)
    MINE_HEAD = "mine_head", _("矿长")
    CHIEF_ENGINEER = "chief_engineer", _("总工程师")
    SAFETY_DEPUTY = "safety_deputy", _("安全副矿长")
    PRODUCTION_DEPUTY = "production_deputy", _("生产副矿长")
    ELECTROMECHANICAL_DEPUTY = "electromechanical_deputy", _("机电副矿长")
    # Further deputies the seeds require in some mines (ZY 5)
    VENTILATION_DEPUTY = "ventilation_deputy", _("通风副矿长")
    CONSTRUCTION_DEPUTY = "construction_deputy", _("基建副矿长")
    # 五科 (the five technical sections' heads)
    SAFETY_SECTION = "safety_section", _("安全科科长")
    PRODUCTION_SECTION = "production_section", _("生产技术科科长")
    ELECTROMECHANICAL_SECTION = "electromechanical_section", _("机电科科长")
    VENTILATION_SECTION = "ventilation_section", _("通风科科长")
    SURVEY_WATER_SECTION = "survey_water_section", _("地测防治水科科长")
    # Posts above the mine head are forbidden (XZ 3); recorded so that the rule can flag them.
    CHAIRMAN = "chairman", _("董事长")
    GENERAL_MANAGER = "general_manager", _("总经理")


class Education(models.TextChoices):
    MIDDLE_SCHOOL = "middle_school", _("初中及以下")
    HIGH_SCHOOL = "high_school", _("高中")
    TECHNICAL_SECONDARY = "technical_secondary", _("中专")
    JUNIOR_COLLEGE = "junior_college", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


class LevelStatus(models.TextChoices):
    PRODUCING = "producing", _("生产")
    PREPARING = "preparing", _("准备（开拓）")
    CLOSED = "closed", _("报废")


class FaceKind(models.TextChoices):
    LONGWALL = "longwall", _("采煤工作面")
    HEADING = "heading", _("掘进工作面")


class MiningMethod(models.TextChoices):
    FULLY_MECHANIZED = "fully_mechanized", _("综采")
    TOP_COAL_CAVING = "top_coal_caving", _("综放")
    BLASTING = "blasting", _("炮采")
    CONVENTIONAL = "conventional", _("普采")
    MECHANIZED_HEADING = "mechanized_heading", _("综掘")
    BLAST_HEADING = "blast_heading", _("炮掘")
    CONTINUOUS_MINER = "continuous_miner", _("连采")


class FaceStatus(models.TextChoices):
    PRODUCING = "producing", _("生产")
    PREPARING = "preparing", _("准备")
    STOPPED = "stopped", _("停采（停掘）")
    RETREATING = "retreating", _("回撤")
    SEALED = "sealed", _("封闭")


class SupervisorKind(models.TextChoices):
    RESIDENT_SUPERVISOR = "resident_supervisor", _("驻矿监管专员")
    ASSIGNED_OFFICIAL = "assigned_official", _("包保责任人")


class MineChangeProposalStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class MineChangeProposalTarget(models.TextChoices):
    MINE = "mine", _("矿山基本信息")
    LICENCE = "licence", _("证照")
    FACE = "face", _("采掘工作面")
