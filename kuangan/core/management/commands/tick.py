from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kuangan.core import clock, periodic


class Command(BaseCommand):
    help = ("Runs all periodic work (escalations, missing reports, …) as of --at (ISO time, Beijing time "
            "when no offset is given; default: now). Running it twice at the same time changes nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="e.g. 2024-07-01T08:00 or 2024-07-01T08:00+08:00")

    def handle(self, *args: Any, **options: Any) -> None:
        at = clock.now()
        if options["at"]:
            try:
                at = datetime.fromisoformat(options["at"])
            except ValueError:
                raise CommandError(f"--at: not an ISO time: {options['at']!r}") from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=clock.SHANGHAI)
        with clock.frozen(at):
            results = periodic.run(at)
        summary = ", ".join(f"{k}: {v}" for k, v in results.items()) or "nothing registered"
        self.stdout.write(f"tick at {at.isoformat()}: {summary}")
