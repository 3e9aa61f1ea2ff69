from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import passwords
from .actor import Actor


class RejectNulMiddleware:
    """A NUL character is never valid in our query strings, and PostgreSQL cannot even compare text
    holding one: such a request gets a clear 400 instead of reaching a query. (Form fields refuse
    NUL through Django's own validator; JSON bodies through the API schemas.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in k or any("\x00" in v for v in vs) for k, vs in request.GET.lists()):
            message = _("请求中含有空字符（\\x00），已拒绝。")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400, json_dumps_params={"ensure_ascii": False})
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ActorMiddleware:
    """Puts `request.actor` (user + the instant of this request) on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = Actor.of(request.user if request.user.is_authenticated else None)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.headers.get("HX-Request"):
            response["Vary"] = "HX-Request"
        return response


class PasswordExpiryMiddleware:
    """Sends a user whose password is new (set by an administrator) or too old to change it (R10.7)."""

    EXEMPT = ("core:password_change", "core:logout", "set_language")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and not request.path.startswith(("/static/", "/api/"))
                and request.path not in {reverse(n) for n in self.EXEMPT}):
            if passwords.must_change(user):
                return redirect("core:password_change")
        return self.get_response(request)
