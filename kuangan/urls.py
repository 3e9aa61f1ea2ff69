from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from .api import api

urlpatterns = [
    path("", include("kuangan.dashboard.urls")),
    path("", include("kuangan.core.urls")),
    path("registry/", include("kuangan.registry.urls")),
    path("hazards/", include("kuangan.hazards.urls")),
    path("monitoring/", include("kuangan.monitoring.urls")),
    path("enforcement/", include("kuangan.enforcement.urls")),
    path("workforce/", include("kuangan.workforce.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
]

handler403 = "kuangan.core.errorviews.forbidden"
handler404 = "kuangan.core.errorviews.not_found"
handler500 = "kuangan.core.errorviews.server_error"
