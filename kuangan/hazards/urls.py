from django.urls import path

from . import views

app_name = "hazards"

urlpatterns = [
    path("", views.hazard_list, name="hazard_list"),
    path("export/", views.hazard_export, name="hazard_export"),
    path("report/", views.hazard_report, name="hazard_report"),
    path("<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("<int:pk>/do/<str:name>/", views.hazard_action, name="hazard_action"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("monthly-reports/", views.monthly_reports, name="monthly_reports"),
    path("closure-proposals/", views.closure_proposals, name="closure_proposals"),
    path("closure-proposals/<int:pk>/decide/", views.closure_decide, name="closure_decide"),
    path("analysis/", views.analysis, name="analysis"),
    path("standards/", views.standard_list, name="standard_list"),
    path("mine/<int:pk>/", views.mine_hazards, name="mine_hazards"),
]
