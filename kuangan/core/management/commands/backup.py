from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from kuangan.core import backup


class Command(BaseCommand):
    help = ("Writes a consistent backup into DIR (new or empty), while the instance runs: the database, the "
            "Parquet store, uploaded files, the audit anchor log and manifest.json with each file's SHA-256. "
            "The audit key is not included: keep it separately.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="a new or empty folder")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup.backup(Path(options["dir"]))
        except (backup.BackupError, OSError, DatabaseError, sqlite3.Error) as e:
            raise CommandError(f"backup failed: {e}") from None
        files = manifest["files"]
        media = sum(1 for f in files if f["path"].startswith("media/"))
        head = manifest["audit_head"]
        self.stdout.write(
            f"backup written to {options['dir']}: {manifest['database']['vendor']} database, "
            f"{manifest['parquet']['files']} Parquet files of {manifest['parquet']['batches']} committed batches, "
            f"{media} uploaded files, {len(files)} files in all (SHA-256 in {backup.MANIFEST}); "
            f"audit chain head #{head['seq']}")
        self.stdout.write(backup.KEY_NOTE)
