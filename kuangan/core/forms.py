from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .choices import ADMIN_ROLES, BUSINESS_ROLES, Role
from .models import Organization

LOGIN_REFUSED = _("用户名或密码不正确，或账户暂时不能登录。请稍后再试或联系管理员。")


class LoginForm(AuthenticationForm):
    """One message whatever the cause (wrong password, unknown or inactive account, machine account,
    locked for this address, too many attempts from it): the page tells nobody which accounts exist."""

    error_messages = {
        "invalid_login": LOGIN_REFUSED,
        "inactive": LOGIN_REFUSED,
    }


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


class UserCreateForm(forms.Form):
    username = forms.RegexField(label=_("用户名"), regex=r"^[A-Za-z0-9_.-]{3,40}$", max_length=40,
                                error_messages={"invalid": _("用户名只能包含字母、数字、下划线、点和连字符，3–40 个字符。")})
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    organization = forms.ModelChoiceField(label=_("单位"), queryset=Organization.objects.none())
    # Administrator roles are given at the server's command line only (三员分立).
    role = forms.ChoiceField(label=_("角色"), choices=[(r.value, r.label) for r in Role if r not in ADMIN_ROLES])
    phone = forms.RegexField(label=_("手机号"), regex=r"^1\d{10}$", required=False,
                             error_messages={"invalid": _("请输入 11 位手机号。")})
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput,
                               help_text=_("用户首次登录时须修改密码。"))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=[(r.value, r.label) for r in BUSINESS_ROLES])
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
