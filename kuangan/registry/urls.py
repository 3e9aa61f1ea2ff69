from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("mines/", views.mine_list, name="mine_list"),
    path("mines/export/", views.mine_export, name="mine_export"),
    path("mines/new/", views.mine_create, name="mine_create"),
    path("mines/import/", views.mine_import, name="mine_import"),
    path("mines/import/template/", views.mine_import_template, name="mine_import_template"),
    path("mines/<int:pk>/", views.mine_detail, name="mine_detail"),
    path("mines/<int:pk>/edit/", views.mine_edit, name="mine_edit"),
    path("mines/<int:pk>/status/", views.mine_status, name="mine_status"),
    path("mines/<int:pk>/history/", views.mine_history, name="mine_history"),
    path("mines/<int:pk>/production/", views.production_returns, name="production_returns"),
    # before the record patterns: "proposals" would otherwise be read as a record kind
    path("mines/<int:pk>/proposals/new/", views.proposal_create, name="proposal_create"),
    path("mines/<int:pk>/proposals/<str:kind>/new/", views.proposal_create, name="proposal_record_create"),
    path("mines/<int:pk>/proposals/<str:kind>/<int:record_id>/", views.proposal_create, name="proposal_record_edit"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/approve/", views.proposal_approve, name="proposal_approve"),
    path("proposals/<int:pk>/reject/", views.proposal_reject, name="proposal_reject"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:pk>/attachments/<int:attachment_pk>/", views.proposal_attachment,
         name="proposal_attachment"),
    path("mines/<int:pk>/<str:kind>/new/", views.mine_record_edit, name="mine_record_create"),
    path("mines/<int:pk>/<str:kind>/<int:record_id>/", views.mine_record_edit, name="mine_record_edit"),
    path("mines/<int:pk>/<str:kind>/<int:record_id>/delete/", views.mine_record_delete, name="mine_record_delete"),
    path("mines/<int:pk>/leadership/<int:member_id>/reveal/", views.leader_reveal, name="leader_reveal"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_edit, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
]
