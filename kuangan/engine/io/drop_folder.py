"""The drop folder: mines (or their gateways) write networking files into `<root>/<any sub-folder>/`;
the worker takes every complete file (ingestion keeps a copy of each quarantined one).

Every regular file is taken, whatever its name: one with a wrong name or suffix is quarantined by the
parser with its reason instead of lying there unseen. Only hidden names (`.name.part`, as writers use
before renaming) and hidden folders are left alone. Symbolic links and other special files are not
regular files and are not opened (a link could point anywhere; reading a FIFO would block).

A file without its end mark `||` is still being written: it stays and is retried until it is older
than `give_up` (10 minutes in practice, FORMATS.md), then it is handed over as it is and the parser
quarantines it."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..formats import Upload
from ..formats.envelope import stamp_text

# Bytes kept of a file larger than the scan's limit: enough for its reject row and a look at it.
HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
)


@dataclass(frozen=True)
class Dropped:
    path: Path
    upload: Upload
    age_s: float  # since the file was last written (mtime): how long an incomplete file has waited
    first_seen: float  # time.time() of the first scan that saw this path


def header_order(name: str) -> tuple[str, str]:
    """Files sort by the time in their name (the header's upload time: its 14 digits sort as the time
    does), then by name; a name without one first."""
    return (stamp_text(name), name)


class DropFolder:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._first_seen: dict[Path, float] = {}  # path -> time of the first scan that saw it

    def scan(self, *, limit: int | None = None, max_bytes: int | None = None) -> list[Dropped]:
        """The files of the folder in header order, at most `limit` of them. A file larger than
        `max_bytes` is not read into memory: its upload holds its first HEAD_BYTES, its size and the
        digest of the whole file (read in chunks), and the parser quarantines it unread."""
        now = time.time()
        paths = sorted(self._walk(), key=lambda p: header_order(p.name))
        # forget paths that are gone (consumed by another process, removed by hand)
        self._first_seen = {p: self._first_seen.get(p, now) for p in paths}
        found = []
        for path in paths[:limit] if limit else paths:
            read = _read(path, max_bytes)
            if read is None:
                continue  # removed, unreadable or not a regular file: the next scan sees it again
            upload, mtime = read
            found.append(Dropped(path, upload, now - mtime, self._first_seen[path]))
        return found

    def _walk(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if not name.startswith("."):
                    yield Path(folder) / name

    def consume(self, dropped: Dropped) -> None:
        dropped.path.unlink(missing_ok=True)
        self._first_seen.pop(dropped.path, None)


def read_upload(path: Path, max_bytes: int | None) -> Upload | None:
    """A file as an upload (only its beginning when over `max_bytes`), or None when it cannot be read."""
    read = _read(path, max_bytes)
    return None if read is None else read[0]


def _read(path: Path, max_bytes: int | None) -> tuple[Upload, float] | None:
    """(upload, mtime) of a regular file, or None. Opened without following a link, then checked on the
    open descriptor, so that the file cannot be swapped between the check and the read."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None
            if max_bytes is None or st.st_size <= max_bytes:
                return Upload(path.name, file.read()), st.st_mtime
            head = file.read(HEAD_BYTES)
            digest = hashlib.sha256(head)
            size = len(head)
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        except OSError:
            return None
    return Upload(path.name, head, size=size, digest=digest.hexdigest()), st.st_mtime
