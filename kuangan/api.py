"""The one NinjaAPI under /api/v1/: bearer tokens for machine clients, the session for pages.

Who may call what, before any operation runs (R10.7, issue 17):
- no credentials, or a token that is unknown, revoked or of an inactive account: 401 with
  `WWW-Authenticate: Bearer`;
- a person who must change their password first (`passwords.must_change`): 403 on every operation;
- a machine account (a mine's networking system) only on the operations mounted with `MACHINE_AUTH`
  (the monitoring uploads): 403 everywhere else.
The session cookie is checked for CSRF on unsafe methods, but only when it carries a logged-in user:
a request without a session has nothing a forged page could borrow.
"""


from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import APIKeyCookie, HttpBearer

from kuangan.core import passwords
from kuangan.core.actor import Actor
from kuangan.core.auth import user_for_token
from kuangan.core.choices import Role, Via
from kuangan.core.errors import DomainError


def _admit(request: HttpRequest, user: Any, *, machines: bool) -> Any:
    """The caller, if this operation may serve them; a 403 with the reason otherwise."""
    if user.is_machine or user.role == Role.MINE_SYSTEM:
        if not machines:
            raise HttpError(403, _("机器账户只能上传联网文件，不能调用此接口。"))
    elif passwords.must_change(user):
        raise HttpError(403, _("请先登录网页修改密码（初始密码或已过期的密码），然后才能使用接口。"))
    request.actor = Actor.of(user, via=Via.API)  # type: ignore[attr-defined]
    return user


class TokenAuth(HttpBearer):
    def __init__(self, *, machines: bool = False) -> None:
        self.machines = machines
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return _admit(request, user, machines=self.machines)


class SessionAuth(APIKeyCookie):
    """The logged-in page user; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # no session to ride on: a 401, not a CSRF failure
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated or user.is_machine:
            return None
        return _admit(request, user, machines=False)


# The operations a machine account may call: the routers mounted with it (kuangan.monitoring.api.uploads).
MACHINE_AUTH = [TokenAuth(machines=True), SessionAuth()]

ERROR_SCHEMAS = {
    "Error": {"type": "object", "title": "Error", "required": ["detail"],
              "properties": {"detail": {"type": "string", "title": "说明"}}},
    "InvalidInput": {
        "type": "object", "title": "InvalidInput", "required": ["detail"],
        "properties": {"detail": {"type": "array", "title": "各项错误", "items": {
            "type": "object", "required": ["loc", "msg"],
            "properties": {"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                           "msg": {"type": "string"}, "type": {"type": "string"}}}}}},
}


def _error_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


class KuanganAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        """Every operation documents the errors every operation can give, in one place: 401 and 403
        always, 404 with an id in the path, 400 and 422 with input (400: a NUL in the query string)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {})
        components["schemas"] = {**components.get("schemas", {}), **ERROR_SCHEMAS}
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                params = {p["in"] for p in operation.get("parameters", [])}
                errors = {401: _error_response("未登录，或接口令牌无效", "Error"),
                          403: _error_response("无权执行此操作（含须先修改密码、机器账户）", "Error")}
                if "path" in params:
                    errors[404] = _error_response("未找到，或不在您的管辖范围内", "Error")
                if "query" in params:
                    errors[400] = _error_response("请求中含有空字符", "Error")
                if params or "requestBody" in operation:
                    errors[422] = _error_response("输入有误", "InvalidInput")
                responses = operation.setdefault("responses", {})
                for status, response in errors.items():
                    responses.setdefault(status, response)
        return schema


api = KuanganAPI(
    title="kuangan 矿安 API",
    version="1",
    description="矿山安全监管平台接口。机器客户端使用 `Authorization: Bearer <token>`（`kuangan token create` 生成）；"
                "矿山联网系统的机器账户只能调用联网文件上传接口。",
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
    return _error(request, 403, _("无权执行此操作。"))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, _("未找到，或不在您的管辖范围内。"))


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = _error(request, 401, _("需要登录或有效的接口令牌。"))
    response["WWW-Authenticate"] = 'Bearer realm="kuangan"'
    return response


_QUERY_PARAMS: dict[str, dict[str, bool]] = {}  # operation id -> its documented query parameters -> is a list


def _query_params(operation_id: str) -> dict[str, bool]:
    if not _QUERY_PARAMS:
        for item in api.get_openapi_schema()["paths"].values():
            for op in item.values():
                _QUERY_PARAMS[op["operationId"]] = {
                    p["name"]: p.get("schema", {}).get("type") == "array"
                    for p in op.get("parameters", []) if p["in"] == "query"}
    return _QUERY_PARAMS.get(operation_id, {})


def _known_query_only(run: Any) -> Any:
    """A query parameter the operation does not have is refused (422), not ignored: a misspelt filter
    would otherwise answer with everything; so is a single-valued one given twice, of which one value
    would silently win. The names are the OpenAPI's, so the two cannot differ."""
    operation_id = run.__self__.operation_id

    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.GET:
            known = _query_params(operation_id)
            errors = [{"loc": ["query", name], "msg": _("此接口没有这个查询参数。"), "type": "unknown_parameter"}
                      for name in sorted(set(request.GET) - set(known))]
            errors += [{"loc": ["query", name], "msg": _("此查询参数只能给出一次。"), "type": "repeated_parameter"}
                       for name, values in sorted(request.GET.lists()) if len(values) > 1 and not known.get(name, True)]
            if errors:
                return _error(request, 422, errors)
        return run(request, *args, **kwargs)

    return checked


api.add_decorator(_known_query_only, mode="view")


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

from kuangan.enforcement.api import router as enforcement_router  # noqa: E402

api.add_router("/enforcement/", enforcement_router)

from kuangan.monitoring.api import uploads as monitoring_uploads  # noqa: E402

api.add_router("/monitoring/", monitoring_uploads, auth=MACHINE_AUTH)
