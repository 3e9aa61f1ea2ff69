from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("alarms/", views.alarm_list, name="alarm_list"),
    path("alarms/export/", views.alarm_export, name="alarm_export"),
    path("alarms/<int:pk>/", views.alarm_detail, name="alarm_detail"),
    path("alarms/<int:pk>/acknowledge/", views.alarm_acknowledge, name="alarm_acknowledge"),
    path("alarms/<int:pk>/assign/", views.alarm_assign, name="alarm_assign"),
    path("alarms/<int:pk>/dispose/", views.alarm_dispose, name="alarm_dispose"),
    path("alarms/<int:pk>/hazard/", views.alarm_report_hazard, name="alarm_report_hazard"),
    path("windows/", views.window_list, name="window_list"),
    path("windows/declare/", views.window_declare, name="window_declare"),
    path("windows/<int:pk>/approve/", views.window_approve, name="window_approve"),
    path("windows/<int:pk>/reject/", views.window_reject, name="window_reject"),
    path("uploads/", views.upload_list, name="upload_list"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("mine/<int:pk>/", views.mine_monitoring, name="mine_monitoring"),
    # personnel positioning (the dossier's tab) and leads of illegal production (issue 20)
    path("mine/<int:pk>/personnel/", views.personnel, name="personnel"),
    path("mine/<int:pk>/personnel/map/", views.personnel_map_area, name="personnel_map_area"),
    path("mine/<int:pk>/personnel/fences/", views.personnel_fence_draw, name="personnel_fence_draw"),
    path("mine/<int:pk>/personnel/fences/<int:record_id>/end/", views.personnel_fence_end,
         name="personnel_fence_end"),
    path("mine/<int:pk>/personnel/shifts/", views.personnel_shifts, name="personnel_shifts"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/export/", views.lead_export, name="lead_export"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/review/", views.lead_review, name="lead_review"),
    path("leads/<int:pk>/dismiss/", views.lead_dismiss, name="lead_dismiss"),
    path("leads/<int:pk>/hazard/", views.lead_report_hazard, name="lead_report_hazard"),
    path("alarms/<int:pk>/lead/", views.alarm_open_lead, name="alarm_open_lead"),
]
