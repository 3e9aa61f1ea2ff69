"""The request type of logged-in pages: `request.user` is our User and `request.actor` is set
by ActorMiddleware (the clock read once for the request)."""

from __future__ import annotations

from django.http import HttpRequest

from .actor import Actor
from .models import User


class AuthedRequest(HttpRequest):
    user: User
    actor: Actor
