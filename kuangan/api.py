"""The one NinjaAPI under /api/v1/: bearer tokens for machine clients, the session for pages."""


from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from kuangan.core.actor import Actor
from kuangan.core.auth import user_for_token
from kuangan.core.choices import Via
from kuangan.core.errors import DomainError


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        request.actor = Actor.of(user, via=Via.API)  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in page user; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_machine:
            request.actor = Actor.of(user, via=Via.API)  # type: ignore[attr-defined]
            return user
        return None


api = NinjaAPI(
    title="kuangan 矿安 API",
    version="1",
    description="矿山安全监管平台接口。机器客户端使用 `Authorization: Bearer <token>`（`kuangan token create` 生成）。",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, detail: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, 422, [{"loc": [exc.field] if exc.field else [], "msg": exc.message}])


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, "无权执行此操作。")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "未找到，或不在您的管辖范围内。")


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 401, "需要登录或有效的接口令牌。")


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, exc.errors)


from kuangan.registry.api import router as registry_router  # noqa: E402

api.add_router("/registry/", registry_router)
