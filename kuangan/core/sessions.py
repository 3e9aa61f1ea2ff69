"""Database sessions whose keys are checked before they reach a query: a forged cookie holding a
character PostgreSQL cannot compare (NUL) is treated as no session, not as a server error."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore


class SessionStore(DbSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return key is not None and len(key) >= 8 and key.isascii() and key.isalnum()
