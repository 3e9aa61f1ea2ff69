from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kuangan.core.audit import verify_chain, write_anchor


class Command(BaseCommand):
    help = ("The audit chain: `kuangan audit verify` recomputes every HMAC link, compares the anchor log and "
            "names the first broken link (exit status 1); `kuangan audit anchor` writes the chain head to the "
            "anchor log now.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="{verify,anchor}")
        sub.add_parser("verify", help="recompute every link and compare the anchor log")
        sub.add_parser("anchor", help="append the chain head to the anchor log (when it moved)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "anchor":
            written = write_anchor()["audit_anchors"]
            where = settings.AUDIT_ANCHOR_PATH
            self.stdout.write(f"anchor written to {where}" if written else f"chain head already anchored in {where}")
            return
        report = verify_chain()
        if not report.ok:
            at = f" at event #{report.broken_seq}" if report.broken_seq is not None else ""
            raise CommandError(f"audit chain broken{at}: {report.problem} "
                               f"({report.checked} events before it are intact)")
        self.stdout.write(f"audit chain intact: {report.checked} events verified, "
                          f"{report.anchors} anchors matched ({settings.AUDIT_ANCHOR_PATH})")
