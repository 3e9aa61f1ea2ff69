"""Settings of a process that ingests batch after batch (`kuangan worker`, `kuangan monitoring replay`).

Each batch allocates the same few hundred megabytes again (file texts, the joined record text, the
tables). By default the C allocator gives large freed blocks back to the system at once, and every
page of the next batch's blocks is then faulted in and zeroed by the kernel again (on the replay
benchmark the kernel's time was some 20 of 95 CPU-seconds, 3 million page faults; joining one batch's
record text took 44 ms instead of 7). Kept instead, the freed memory serves the next batch; the peak
stays that of one batch, it does not grow with the batches processed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# glibc mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
KEEP_BYTES = 1 << 30  # freed memory kept for reuse up to this much
MMAP_FROM = 512 << 20  # blocks at least this large are still mapped and unmapped one by one


@contextmanager
def batches() -> Iterator[None]:
    """While batches are processed: freed memory is kept for the next batch (glibc; elsewhere nothing
    changes) and the objects of start-up (they live as long as the process) are out of the garbage
    collector's way; they are handed back to it at the end, so that they are released at exit (the
    allocator setting stays for the rest of the process)."""
    _keep_freed_memory()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _keep_freed_memory() -> None:
    if sys.platform.startswith("linux"):
        name = ctypes.util.find_library("c")
        if name is not None:
            libc = ctypes.CDLL(name)
            if hasattr(libc, "mallopt"):
                libc.mallopt(M_MMAP_THRESHOLD, MMAP_FROM)
                libc.mallopt(M_TRIM_THRESHOLD, KEEP_BYTES)
