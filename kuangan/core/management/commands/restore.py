from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from kuangan.core import backup


class Command(BaseCommand):
    help = ("Restores a backup made by `kuangan backup` into this instance, whose server and worker must be "
            "stopped: checks every file against the manifest first, then the database, the Parquet store, "
            "uploaded files and the audit anchor log; then verifies the audit chain (with this instance's "
            "KUANGAN_AUDIT_KEY, which must be the backed-up instance's).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="the backup folder (holding manifest.json)")
        parser.add_argument("--force", action="store_true",
                            help="replace the data of an instance that is not empty (its files are moved aside)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = backup.restore(Path(options["dir"]), force=options["force"])
        except backup.BackupError as e:
            raise CommandError(f"restore refused: {e}") from None
        except (OSError, DatabaseError, sqlite3.Error) as e:
            raise CommandError(f"restore failed: {e}") from None
        manifest, head = done.manifest, done.manifest["audit_head"]
        self.stdout.write(f"restored the backup of {manifest['created_at']} ({len(manifest['files'])} files, "
                          f"all matching the manifest)")
        for path in done.set_aside:
            self.stdout.write(f"what this instance held there before is kept aside in {path}")
        if done.chain is None:
            raise CommandError(f"restored, but the audit chain was not verified: {done.note}")
        if not done.chain.ok:
            raise CommandError(f"restored, but the audit chain is broken at event #{done.chain.broken_seq}: "
                               f"{done.chain.problem} (is KUANGAN_AUDIT_KEY the key of the instance backed up?)")
        if done.chain.checked != head["seq"]:
            raise CommandError(f"restored, but the audit chain ends at #{done.chain.checked}, the backup's at "
                               f"#{head['seq']}")
        self.stdout.write(f"audit chain intact: {done.chain.checked} events verified (head #{head['seq']}, "
                          f"as at the backup)")
