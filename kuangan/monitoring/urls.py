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
]
