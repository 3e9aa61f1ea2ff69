from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "kuangan.monitoring"
    verbose_name = _("监测预警")

    def ready(self) -> None:
        from kuangan.core import periodic
        from kuangan.core.choices import Perm
        from kuangan.core.navigation import register, register_dossier_tab

        from . import periodic as monitoring_periodic

        periodic.register("monitoring", monitoring_periodic.tick)

        register_dossier_tab(_("监测预警"), "monitoring:mine_monitoring")
        register_dossier_tab(_("人员定位"), "monitoring:personnel")
        register("monitoring", _("报警列表"), "monitoring:alarm_list", Perm.MINE_VIEW)
        register("monitoring", _("违法生产线索"), "monitoring:lead_list", Perm.LEAD_VIEW)
        register("monitoring", _("计划作业"), "monitoring:window_list", Perm.MINE_VIEW)
        register("monitoring", _("联网文件"), "monitoring:upload_list", Perm.MINE_VIEW)
