"""Framework-free monitoring engine: parsers of the mines' networking files, the rules, the Parquet store.

Polars runs every query of this process on its in-memory engine. Its default ("auto") sends many
queries to the streaming engine, whose start costs more than a small query itself (a filter of a
1,000-row frame: 178 µs instead of 72), and a batch makes some 150 queries of which most are small
(run_batch on the replay benchmark's 49 batches: 4.05 → 3.29 s). POLARS_ENGINE_AFFINITY, when set,
still decides.
"""

import os

import polars as pl

if "POLARS_ENGINE_AFFINITY" not in os.environ:
    pl.Config.set_engine_affinity("in-memory")
