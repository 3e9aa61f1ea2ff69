"""The one NinjaAPI under /api/v1/: bearer tokens for machine clients, the session for pages."""


from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
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


# Schema errors in the user's language (pydantic's own messages are English); custom errors keep theirs.
VALIDATION_MESSAGES = {
    "missing": gettext_lazy("必填项。"),
    "string_too_long": gettext_lazy("不能超过 %(max_length)s 个字符。"),
    "string_too_short": gettext_lazy("至少需要 %(min_length)s 个字符。"),
    "string_type": gettext_lazy("须为文本。"),
    "enum": gettext_lazy("不是有效的选项。"),
    "literal_error": gettext_lazy("不是有效的选项。"),
    "int_parsing": gettext_lazy("须为整数。"),
    "int_type": gettext_lazy("须为整数。"),
    "int_from_float": gettext_lazy("须为整数。"),
    "decimal_parsing": gettext_lazy("须为数字。"),
    "decimal_type": gettext_lazy("须为数字。"),
    "float_parsing": gettext_lazy("须为数字。"),
    "decimal_max_digits": gettext_lazy("数字位数过多。"),
    "decimal_max_places": gettext_lazy("小数位数过多。"),
    "decimal_whole_digits": gettext_lazy("整数位数过多。"),
    "greater_than_equal": gettext_lazy("不能小于 %(ge)s。"),
    "greater_than": gettext_lazy("须大于 %(gt)s。"),
    "less_than_equal": gettext_lazy("不能大于 %(le)s。"),
    "less_than": gettext_lazy("须小于 %(lt)s。"),
    "date_parsing": gettext_lazy("须为日期，格式 YYYY-MM-DD。"),
    "date_from_datetime_parsing": gettext_lazy("须为日期，格式 YYYY-MM-DD。"),
    "date_type": gettext_lazy("须为日期，格式 YYYY-MM-DD。"),
    "bool_parsing": gettext_lazy("须为 true 或 false。"),
    "bool_type": gettext_lazy("须为 true 或 false。"),
    "json_invalid": gettext_lazy("请求体不是有效的 JSON。"),
    "model_attributes_type": gettext_lazy("请求体须为 JSON 对象。"),
    "dict_type": gettext_lazy("请求体须为 JSON 对象。"),
}


def _message(error: dict[str, Any]) -> str:
    template = VALIDATION_MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    try:
        return str(template) % {k: v for k, v in (error.get("ctx") or {}).items()}
    except (KeyError, TypeError, ValueError):
        return str(template)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, [{"loc": list(e.get("loc", [])), "msg": _message(e), "type": e.get("type", "")}
                                 for e in exc.errors])


from kuangan.registry.api import router as registry_router  # noqa: E402

api.add_router("/registry/", registry_router)

from kuangan.hazards.api import router as hazards_router  # noqa: E402

api.add_router("/hazards/", hazards_router)

from kuangan.monitoring.api import router as monitoring_router  # noqa: E402

api.add_router("/monitoring/", monitoring_router)
