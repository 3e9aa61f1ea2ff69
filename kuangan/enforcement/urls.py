from django.urls import path

from . import views

app_name = "enforcement"

urlpatterns = [
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/open/", views.inspection_open, name="inspection_open"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/do/<str:name>/", views.inspection_action, name="inspection_action"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/revise/", views.document_revise, name="document_revise"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/reinspect/", views.document_reinspect, name="document_reinspect"),
    path("mine/<int:pk>/", views.mine_inspections, name="mine_inspections"),
    # --- penalty cases ---
    path("cases/", views.case_list, name="case_list"),
    path("cases/file/", views.case_file, name="case_file"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/do/<str:name>/", views.case_action, name="case_action"),
    path("cases/<int:pk>/reveal/", views.case_reveal, name="case_reveal"),
    # --- mine-head scoring ---
    path("scores/", views.score_list, name="score_list"),
    path("scores/new/", views.score_new, name="score_new"),
    # --- supervision classes ---
    path("classes/", views.class_list, name="class_list"),
    path("classes/mine/<int:pk>/", views.class_detail, name="class_detail"),
    path("classes/mine/<int:pk>/override/", views.class_override, name="class_override"),
    # --- statistics ---
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics/export/", views.statistics_export, name="statistics_export"),
    # --- plans ---
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/generate/", views.plan_generate, name="plan_generate"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/add/", views.plan_item_add, name="plan_item_add"),
    path("plans/items/<int:pk>/remove/", views.plan_item_remove, name="plan_item_remove"),
]
