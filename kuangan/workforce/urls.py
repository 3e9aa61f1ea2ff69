from django.urls import path

from . import views

app_name = "workforce"

# <pk> is the mine, <record_id> the worker or (under certificates/) the certificate.
urlpatterns = [
    path("mines/<int:pk>/workers/", views.worker_list, name="worker_list"),
    path("mines/<int:pk>/workers/export/", views.worker_export, name="worker_export"),
    path("mines/<int:pk>/workers/new/", views.worker_create, name="worker_create"),
    path("mines/<int:pk>/workers/import/", views.worker_import, name="worker_import"),
    path("mines/<int:pk>/workers/import/template/", views.worker_import_template, name="worker_import_template"),
    path("mines/<int:pk>/workers/<int:record_id>/", views.worker_detail, name="worker_detail"),
    path("mines/<int:pk>/workers/<int:record_id>/edit/", views.worker_edit, name="worker_edit"),
    path("mines/<int:pk>/workers/<int:record_id>/deactivate/", views.worker_deactivate, name="worker_deactivate"),
    path("mines/<int:pk>/workers/<int:record_id>/reactivate/", views.worker_reactivate, name="worker_reactivate"),
    path("mines/<int:pk>/workers/<int:record_id>/reveal/", views.worker_reveal, name="worker_reveal"),
    path("mines/<int:pk>/workers/<int:record_id>/certificates/new/", views.certificate_create,
         name="certificate_create"),
    path("mines/<int:pk>/certificates/<int:record_id>/", views.certificate_edit, name="certificate_edit"),
    path("mines/<int:pk>/certificates/<int:record_id>/delete/", views.certificate_delete, name="certificate_delete"),
]
