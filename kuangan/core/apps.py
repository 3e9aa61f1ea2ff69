from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kuangan.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from .choices import Perm
        from .navigation import register

        register("overview", _("消息"), "core:inbox")
        register("system", _("用户管理"), "core:user_list", Perm.USER_MANAGE)
        register("system", _("审计记录"), "core:audit_log", Perm.AUDIT_VIEW)
        register("system", _("账户安全"), "core:security_list", Perm.ROLE_MANAGE, order=60)

        from . import audit, periodic

        # Fail at start, not at the first audited action, when the audit chain's key is missing.
        audit.audit_key()
        periodic.register("audit_anchor", audit.write_anchor, final=True)
