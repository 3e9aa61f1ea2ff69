"""Uploaded documents and photos: size- and type-checked before anything is stored."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError
from .text import join_list

# Extension → the first bytes a real file of that type starts with.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".png": (b"\x89PNG\r\n\x1a\n",),
    ".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",), ".xls": (b"\xd0\xcf\x11\xe0",),
}
PHOTO_TYPES = (".jpg", ".jpeg", ".png")


def check_upload(upload: Any, allowed: tuple[str, ...] = tuple(SIGNATURES)) -> None:
    """Raise DomainError (in the user's language) unless the file is of an allowed type and size."""
    name = str(getattr(upload, "name", "") or "")
    ext = PurePath(name).suffix.lower()
    if ext not in allowed:
        raise DomainError(_("“%(name)s”的类型不受支持，只接受：%(types)s。") % {"name": name, "types": join_list(allowed)})
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise DomainError(_("“%(name)s”是空文件。") % {"name": name})
    if size > settings.UPLOAD_MAX_BYTES:
        raise DomainError(_("“%(name)s”超过 %(mb)d MB。") % {"name": name, "mb": settings.UPLOAD_MAX_BYTES // 2**20})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES[ext]):
        raise DomainError(_("“%(name)s”的内容与扩展名不符。") % {"name": name})
