from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kuangan.core.audit import verify_chain


class Command(BaseCommand):
    help = "The audit chain: `kuangan audit verify` recomputes every link and names the first broken one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="verify")
        sub.add_parser("verify", help="recompute the hash chain of every audit event")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"audit chain broken at event #{report.broken_seq}: {report.problem} "
                               f"({report.checked} events before it are intact)")
        self.stdout.write(f"audit chain intact: {report.checked} events verified")
