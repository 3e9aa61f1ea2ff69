from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("system/audit/", views.audit_log, name="audit_log"),
    path("system/users/", views.user_list, name="user_list"),
    path("system/users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("system/users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("system/security/", views.security_list, name="security_list"),
    path("system/security/<int:pk>/role/", views.account_role_change, name="account_role_change"),
    path("system/security/<int:pk>/unlock/", views.account_unlock, name="account_unlock"),
    path("system/security/<int:pk>/tokens/", views.token_create, name="token_create"),
    path("system/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
