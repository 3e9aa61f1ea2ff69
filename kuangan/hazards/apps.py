from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "kuangan.hazards"
    label = "hazards"
    verbose_name = _("重大隐患")

    def ready(self) -> None:
        from kuangan.core import periodic
        from kuangan.core.choices import Perm
        from kuangan.core.navigation import register, register_dossier_tab

        from . import periodic as hazard_periodic

        periodic.register("hazards", hazard_periodic.tick)
        register_dossier_tab(_("重大隐患"), "hazards:mine_hazards")
        register("hazards", _("隐患台账"), "hazards:hazard_list", Perm.MINE_VIEW)
        register("hazards", _("登记隐患"), "hazards:hazard_report", Perm.HAZARD_REPORT)
        register("hazards", _("月度报告"), "hazards:monthly_reports", Perm.MINE_VIEW)
        register("hazards", _("提请关闭"), "hazards:closure_proposals", Perm.HAZARD_SUPERVISE)
        register("hazards", _("统计分析"), "hazards:analysis", Perm.MINE_VIEW)
        register("hazards", _("判定标准"), "hazards:standard_list", Perm.MINE_VIEW)
