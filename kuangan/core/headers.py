"""Response headers of the deployment hardening (等保 2.0 level 3, docs/security.md): the
Content-Security-Policy on every response, and `Cache-Control: no-store` on every answer to a request
that carries credentials, so no page, API answer or export with personal data stays in a cache."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Scripts only from our own origin: no inline script, no eval, no CDN (htmx, ECharts and the API docs'
# Swagger UI are served from /static/). Style attributes stay allowed (style-src-attr): the templates,
# ECharts' tooltips and Swagger UI set them, and a style attribute cannot run script; <style> elements
# and style sheets only from our origin.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Credentials, not the resolved user: no database query here, and a request with an expired
        # session is answered with the log-in page, which is no loss to leave uncached.
        carries_credentials = (settings.SESSION_COOKIE_NAME in request.COOKIES
                               or "HTTP_AUTHORIZATION" in request.META)
        if carries_credentials and not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response
