from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .access import perms_of
from .navigation import DOSSIER_TABS, ITEMS, SECTIONS, active_url


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    perms = perms_of(user)
    path = request.path
    sections = []
    for key, label in SECTIONS:
        items = []
        for item in ITEMS:
            if item.section != key or (item.perm and item.perm not in perms):
                continue
            url = reverse(item.url_name)
            items.append({"label": item.label, "url": url, "active": False})
        if items:
            sections.append({"key": key, "label": label, "items": items})
    active = active_url(path, [i["url"] for s in sections for i in s["items"]])
    for i in (i for s in sections for i in s["items"]):
        i["active"] = i["url"] == active
    return {
        "nav_sections": sections,
        "dossier_tabs": DOSSIER_TABS,
        "user_perms": perms,
        "unread_count": user.notifications.filter(read_at__isnull=True).count(),
    }
