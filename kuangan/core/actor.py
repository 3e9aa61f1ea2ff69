"""Who does an action, from where, and at which instant (the clock is read once per request)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import clock
from .choices import Via


@dataclass(frozen=True)
class Actor:
    user: Any  # core.models.User, or None for the system
    at: datetime
    via: str = Via.WEB
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    @property
    def org(self) -> Any:
        return getattr(self.user, "organization", None)

    @property
    def name(self) -> str:
        if self.user is None:
            return f"system:{self.via}"
        return str(self.user.display_name)

    @classmethod
    def of(cls, user: Any, via: str = Via.WEB, at: datetime | None = None) -> Actor:
        return cls(user=user, at=at or clock.now(), via=via)

    @classmethod
    def system(cls, via: str, at: datetime | None = None) -> Actor:
        return cls(user=None, at=at or clock.now(), via=via)
