"""Password complexity (R10.7, 等保 2.0 level 3): length and character classes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import clock

MIN_LENGTH = 10
MIN_CLASSES = 3  # of: lower case, upper case, digits, other characters
CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^a-zA-Z0-9]"))


def complexity_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("密码至少需要 %(n)d 个字符。") % {"n": MIN_LENGTH})
    if sum(1 for c in CLASSES if c.search(password)) < MIN_CLASSES:
        problems.append(_("密码须包含大写字母、小写字母、数字、符号中的至少三类。"))
    return problems


class ComplexityValidator:
    def validate(self, password: str, user: Any = None) -> None:
        problems = complexity_problems(password)
        if problems:
            raise ValidationError(problems, code="password_too_simple")

    def get_help_text(self) -> str:
        return _("至少 %(n)d 个字符，包含大写字母、小写字母、数字、符号中的至少三类。") % {"n": MIN_LENGTH}


def must_change(user: Any) -> bool:
    """A person whose password was set by an administrator (or is too old) must change it before
    anything else, on every channel (R10.7). Machine accounts have no password to change."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_machine", False):
        return False
    changed = user.password_changed_at
    return changed is None or clock.now() - changed > timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)
