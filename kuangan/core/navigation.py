"""The navigation: each app registers its entries in its AppConfig.ready(); the menu shows the
entries whose permission the user has, grouped in the order the sections are declared here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

SECTIONS = [
    ("overview", _("总览")),
    ("registry", _("一矿一档")),
    ("hazards", _("重大隐患")),
    ("enforcement", _("监管执法")),
    ("monitoring", _("监测预警")),
    ("system", _("系统")),
]


@dataclass(frozen=True)
class NavItem:
    section: str
    label: object
    url_name: str
    perm: str | None = None
    order: int = 50


ITEMS: list[NavItem] = []
# Tabs that other apps add to the mine dossier: (label, URL name taking the mine's pk).
DOSSIER_TABS: list[tuple[object, str]] = []


def register_dossier_tab(label: object, url_name: str) -> None:
    if url_name not in [u for _label, u in DOSSIER_TABS]:
        DOSSIER_TABS.append((label, url_name))


def register(section: str, label: object, url_name: str, perm: str | None = None, order: int = 50) -> None:
    """Add an entry; within a section, entries are shown by `order`, then in registration order."""
    if section not in dict(SECTIONS):
        raise ValueError(f"unknown navigation section {section!r}")
    if not any(i.url_name == url_name for i in ITEMS):
        ITEMS.append(NavItem(section, label, url_name, perm, order))
        ITEMS.sort(key=lambda i: i.order)



def active_url(path: str, urls: list[str]) -> str | None:
    """The one entry to highlight for `path`: the longest entry URL that is the path or a prefix of it
    (so /hazards/report/ lights 登记隐患, not 隐患台账 at /hazards/ as well); "/" only for itself."""
    matches = [u for u in urls if path == u or (u != "/" and path.startswith(u))]
    return max(matches, key=len, default=None)
