from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from .access import can


def require_perm(perm: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Role-only gate for pages: log-in first, then 403 without the capability."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not can(request.user, perm):
                raise PermissionDenied(perm)
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]  # the access matrix reads it
        return wrapped

    return decorator
