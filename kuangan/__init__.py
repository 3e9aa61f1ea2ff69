"""kuangan (矿安): mine-safety supervision platform."""

import os

# Polars' allocator (jemalloc) hands freed memory back to the system within a few seconds by default;
# the engine frees and allocates buffers of the same sizes every batch, and re-faulting those pages
# cost a replay a fifth of its time in the kernel (measured: 18 s of 50). Freed pages are marked
# reusable instead (the kernel takes them back under memory pressure). Read when Polars is first
# loaded, which is after this package.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:5000,muzzy_decay_ms:-1")
