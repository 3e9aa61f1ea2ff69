from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .models import Organization


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。连续失败多次后账户将被锁定。"),
        "inactive": _("该账户已停用。"),
        "locked": _("该账户因多次登录失败已被锁定，请于 %(until)s 之后再试，或联系管理员解锁。"),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            until = getattr(self.request, "login_locked_until", None)
            if until is not None:
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"until": formats.date_format(until.astimezone(), "Y-m-d H:i")},
                ) from None
            raise


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
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    phone = forms.RegexField(label=_("手机号"), regex=r"^1\d{10}$", required=False,
                             error_messages={"invalid": _("请输入 11 位手机号。")})
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput,
                               help_text=_("用户首次登录时须修改密码。"))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
