from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnforcementConfig(AppConfig):
    name = "kuangan.enforcement"
    label = "enforcement"
    verbose_name = _("监管执法")

    def ready(self) -> None:
        from kuangan.core.choices import Perm
        from kuangan.core.navigation import register, register_dossier_tab

        register_dossier_tab(_("执法检查"), "enforcement:mine_inspections")
        register("enforcement", _("执法检查"), "enforcement:inspection_list", Perm.MINE_VIEW)
        register("enforcement", _("立项检查"), "enforcement:inspection_open", Perm.INSPECTION_CONDUCT)
        register("enforcement", _("执法文书"), "enforcement:document_list", Perm.MINE_VIEW)
        register("enforcement", _("行政处罚"), "enforcement:case_list", Perm.MINE_VIEW)
        register("enforcement", _("矿长记分"), "enforcement:score_list", Perm.MINE_VIEW)
        # --- supervision classes and plans ---
        from kuangan.core import periodic

        from . import periodic as enforcement_periodic

        periodic.register("enforcement", enforcement_periodic.tick)
        register_dossier_tab(_("分级分类"), "enforcement:class_detail")
        register("enforcement", _("分级分类"), "enforcement:class_list", Perm.ENFORCEMENT_STATS_VIEW)
        register("enforcement", _("执法计划"), "enforcement:plan_list", Perm.ENFORCEMENT_STATS_VIEW)
        register("enforcement", _("执法统计"), "enforcement:statistics", Perm.ENFORCEMENT_STATS_VIEW)
