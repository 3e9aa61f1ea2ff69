"""Settings of a process that ingests batch after batch (`kuangan worker`, `kuangan monitoring replay`).

Each batch allocates the same few hundred megabytes again (file texts, the joined record text, the
tables). By default the C allocator gives large freed blocks back to the system at once, and every
page of the next batch's blocks is then faulted in and zeroed by the kernel again (on the replay
benchmark the kernel's time was some 20 of 95 CPU-seconds, 3 million page faults; joining one batch's
record text took 44 ms instead of 7). Kept instead, the freed memory serves the next batch; the peak
stays that of one batch, it does not grow with the batches processed. Polars allocates with its own
jemalloc, which by default returns every block of 8 MiB or more to the system as soon as it is freed
(its "oversize" arena); `polars_allocator_settings` makes it keep them like smaller ones (for up to
its decay time of 10 s), and gives every thread the same arena: by default each of the threads (the
engine's, the parser's, the Parquet writer's, Polars' own) may allocate from its own, and a block freed
in one arena is of no use to a thread allocating in another (one arena: peak RSS of the replay
benchmark 750-770 → 705-715 MB, system time 5.1-5.3 → 3.5-4.1 s). Both must be set before Polars
is loaded: the `kuangan` command does so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# glibc mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
KEEP_BYTES = 1 << 30  # freed memory kept for reuse up to this much
MMAP_FROM = 512 << 20  # blocks at least this large are still mapped and unmapped one by one
# jemalloc as linked into Polars (symbol prefix _rjem_) reads its options from this variable
POLARS_MALLOC_CONF = "_RJEM_MALLOC_CONF"
POLARS_ALLOCATOR = "oversize_threshold:0,narenas:1"
GC_GEN0 = 50_000  # net new container objects between collections while batches are processed


@contextmanager
def batches() -> Iterator[None]:
    """While batches are processed: freed memory is kept for the next batch (glibc; elsewhere nothing
    changes), the objects of start-up (they live as long as the process) are out of the garbage
    collector's way, and the collector runs only after GC_GEN0 more container objects than were
    freed (Python's default of 700 is reached inside every loop over a batch's 2,000 files: a 20-mine
    day ran it 2,537 times for 0.7 s, each time with the GIL held; at 50,000 it ran 6 times for
    0.09 s). All is handed back at the end, so that the objects are released at exit (the allocator
    setting stays for the rest of the process)."""
    _keep_freed_memory()
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_GEN0, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _keep_freed_memory() -> None:
    if sys.platform.startswith("linux"):
        name = ctypes.util.find_library("c")
        if name is not None:
            libc = ctypes.CDLL(name)
            if hasattr(libc, "mallopt"):
                libc.mallopt(M_MMAP_THRESHOLD, MMAP_FROM)
                libc.mallopt(M_TRIM_THRESHOLD, KEEP_BYTES)


def polars_allocator_settings() -> None:
    """Large blocks freed by Polars are kept for reuse like small ones, in one arena for all threads
    (unless the variable is set already). Only a process that has not loaded Polars yet is affected."""
    os.environ.setdefault(POLARS_MALLOC_CONF, POLARS_ALLOCATOR)
