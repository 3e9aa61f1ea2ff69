"""`kuangan worker`: ingests the drop folder as files arrive and runs the periodic work every minute
(`kuangan tick` at the current time; the engine with an empty batch, so silence is noticed even when
nothing arrives)."""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from kuangan.core import batchprocess, clock, periodic
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.engine.io.drop_folder import DropFolder

from ... import ingest
from ...choices import UploadSource

GIVE_UP_S = 600  # a file still without `||` after 10 minutes is quarantined (FORMATS.md)
BATCH = 2000


class Command(BaseCommand):
    help = "Ingest the drop folder continuously and run the periodic work (tick) every minute."
    # a batch process: Django's system checks (URLs, templates, admin) import every view and took 0.3 s
    # of its 0.9 s start; `scripts/test` runs them (`kuangan check`)
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between scans (default 1)")
        parser.add_argument("--tick-every", type=float, default=60.0, help="seconds between ticks (default 60)")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = DropFolder(settings.MONITORING_DROP_DIR)
        stop = {"now": False}

        def request_stop(*_: Any) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, request_stop)
        with batchprocess.batches():
            self.watch(folder, stop, options)

    def watch(self, folder: DropFolder, stop: dict[str, bool], options: dict[str, Any]) -> None:
        last_tick = 0.0
        self.stdout.write(f"worker: watching {settings.MONITORING_DROP_DIR}")
        while not stop["now"]:
            found = folder.scan(limit=BATCH, max_bytes=settings.UPLOAD_MAX_BYTES)
            fresh = found
            if fresh:
                try:
                    # arrival: the first scan that saw a file (its mtime is the sender's to set), so the
                    # worker's own downtime is not the mines' silence
                    result = ingest.ingest([d.upload for d in fresh], source=UploadSource.DROP_FOLDER,
                                           now=clock.now(), by=Actor.system(Via.INGEST),
                                           arrivals=[datetime.fromtimestamp(d.first_seen, tz=UTC) for d in fresh],
                                           expired=[i for i, d in enumerate(fresh) if d.age_s > GIVE_UP_S])
                except OSError as e:  # a full disk: nothing of the batch was kept; the files stay for later
                    print(f"{clock.now():%H:%M:%S} 本批未能写入（{e}），稍后重试", file=sys.stderr)
                    time.sleep(max(options["interval"], 5.0))
                    continue
                for i, d in enumerate(fresh):
                    if i not in result.incomplete:
                        folder.consume(d)
                if result.alarms or result.quarantined:
                    print(f"{clock.now():%H:%M:%S} {result.accepted} files, {result.readings} readings, "
                          f"{result.quarantined} quarantined, {len(result.alarms)} alarms", file=sys.stderr)
            if time.monotonic() - last_tick >= options["tick_every"]:
                at = clock.now()
                if not fresh:
                    ingest.ingest([], source=UploadSource.DROP_FOLDER, now=at, by=Actor.system(Via.INGEST))
                periodic.run(at)
                last_tick = time.monotonic()
            if options["once"]:
                break
            if len(found) < BATCH:
                time.sleep(options["interval"])
