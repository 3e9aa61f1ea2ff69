from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "kuangan.dashboard"
    label = "dashboard"
    verbose_name = _("总览")

    def ready(self) -> None:
        from kuangan.core.navigation import register

        register("overview", _("首页"), "dashboard:home", order=0)
