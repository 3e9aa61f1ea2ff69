from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from . import auth, clock, passwords
from .actor import Actor

# Requests that a page makes on its own (the alarm list's refresh every 10 s) carry this header
# (hx-headers on the polling element): they do not restart the idle timer.
POLL_HEADER = "X-Kuangan-Poll"
LAST_ACTIVE = "kuangan_last_active"  # session key: kuangan's clock (a POSIX timestamp) at the last request a person made
LAST_ACTIVE_FROZEN = "kuangan_last_active_frozen"


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


class IdleSessionMiddleware:
    """Ends a session after SESSION_IDLE_MINUTES without a request made by a person (R10.7), measured
    by kuangan's clock. Polls neither restart the timer nor save the session (so Django's own expiry,
    SESSION_COOKIE_AGE from the last save, agrees); a poll after the idle time gets `HX-Redirect` to the
    log-in page, so the screen shows the log-in instead of refreshing data for nobody."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            now = clock.now().timestamp()
            # A stamp taken under a frozen clock (tests, `clock.frozen`) is not compared with a live one.
            frozen = clock.is_frozen()
            last = request.session.get(LAST_ACTIVE) if request.session.get(LAST_ACTIVE_FROZEN) == frozen else None
            if isinstance(last, int | float) and now - last > settings.SESSION_IDLE_MINUTES * 60:
                auth.record_log_out(request, user, reason=_("长时间无操作，自动退出"))
                logout(request)
                if not request.path.startswith("/api/"):  # the API answers 401 by itself
                    return self._to_login(request)
            elif (request.headers.get(POLL_HEADER) != "1" or last is None) and (last is None or now > last):
                request.session[LAST_ACTIVE] = now  # never backwards: a clock set back does not end the session
                request.session[LAST_ACTIVE_FROZEN] = frozen
        return self.get_response(request)

    @staticmethod
    def _to_login(request: HttpRequest) -> HttpResponse:
        if not request.headers.get("HX-Request"):
            return redirect_to_login(request.get_full_path())
        # htmx follows HX-Redirect with a full page load: back to the page on screen after the log-in
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = current.path + (f"?{current.query}" if current.query else "")
        response = HttpResponse(status=200)
        response["HX-Redirect"] = resolve_url(settings.LOGIN_URL) + ("?" + urlencode({"next": back}) if back else "")
        return response


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
