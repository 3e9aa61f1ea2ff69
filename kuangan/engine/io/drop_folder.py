"""The drop folder: mines (or their gateways) write networking files into `<root>/<any sub-folder>/`;
the worker takes every complete file (ingestion keeps a copy of each quarantined one).

A file without its end mark `||` is still being written: it stays and is retried until it is older
than `give_up` (10 minutes in practice, FORMATS.md), then it is handed over as it is and the parser
quarantines it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..formats import Upload
from ..formats.envelope import stamp_text

SUFFIXES = (".txt", ".TXT")


@dataclass(frozen=True)
class Dropped:
    path: Path
    upload: Upload
    age_s: float


def header_order(name: str) -> tuple[str, str]:
    """Files sort by the time in their name (the header's upload time: its 14 digits sort as the time
    does), then by name; a name without one first."""
    return (stamp_text(name), name)


class DropFolder:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def scan(self, *, limit: int | None = None) -> list[Dropped]:
        now = time.time()
        found = []
        for path in self._walk():
            try:
                stat = path.stat()
                data = path.read_bytes()
            except OSError:
                continue  # removed or unreadable meanwhile: the next scan sees it again
            found.append(Dropped(path, Upload(path.name, data), now - stat.st_mtime))
        found.sort(key=lambda d: header_order(d.upload.name))
        return found[:limit] if limit else found

    def _walk(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.endswith(SUFFIXES) and not name.startswith("."):
                    yield Path(folder) / name

    def consume(self, dropped: Dropped) -> None:
        dropped.path.unlink(missing_ok=True)
