from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kuangan.demo import build


class Command(BaseCommand):
    help = "Builds the deterministic demo data set (Lüliang city, 中阳县 and 孝义市) unless it is present."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-absent", action="store_true", help="do nothing when the demo data exists")
        parser.add_argument("--logins", action="store_true", help="print one demo login per role")

    def handle(self, *args: Any, **options: Any) -> None:
        if build.present():
            if not options["if_absent"]:
                self.stdout.write("demo data already present; nothing changed")
        else:
            summary = build.build()
            self.stdout.write(f"demo data built: {summary}")
        if options["logins"]:
            self.stdout.write(build.logins_text())
