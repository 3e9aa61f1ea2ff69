"""The `kuangan` console script: Django's manage.py, with `demo-data` spelled as typed."""

from __future__ import annotations

import os
import sys

from kuangan.core import batchprocess


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuangan.settings")
    batchprocess.polars_allocator_settings()  # before anything loads Polars
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")  # `kuangan demo-data` runs the demo_data command
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
