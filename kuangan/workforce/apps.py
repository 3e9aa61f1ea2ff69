from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "kuangan.workforce"
    label = "workforce"
    verbose_name = _("从业人员")

    def ready(self) -> None:
        from kuangan.core import periodic
        from kuangan.core.navigation import register_dossier_tab

        from . import periodic as workforce_periodic

        register_dossier_tab(_("从业人员"), "workforce:worker_list")
        periodic.register("workforce", workforce_periodic.tick)
