"""Error pages in the user's language, never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/error.html", {"code": 403, "title": _("无权访问"),
                                               "text": _("您的角色没有执行此操作的权限。")}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/error.html", {"code": 404, "title": _("未找到"),
                                               "text": _("该页面或记录不存在，或不在您的管辖范围内。")}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/error.html", {"code": 500, "title": _("系统错误"),
                                               "text": _("系统处理请求时出错，已记录。请稍后重试。")}, status=500)
