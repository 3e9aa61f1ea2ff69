from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "kuangan.registry"
    label = "registry"
    verbose_name = _("一矿一档")

    def ready(self) -> None:
        from kuangan.core.choices import Perm
        from kuangan.core.navigation import register, register_dossier_tab

        register("registry", _("矿山台账"), "registry:mine_list", Perm.MINE_VIEW)
        register("registry", _("企业"), "registry:enterprise_list", Perm.MINE_VIEW)
        register("registry", _("档案变更申请"), "registry:proposal_list", Perm.MINE_EDIT)
        register("registry", _("导入矿山台账"), "registry:mine_import", Perm.MINE_IMPORT)
        register_dossier_tab(_("月度产量"), "registry:production_returns")
