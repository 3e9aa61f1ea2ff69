"""The settings of a process that ingests batch after batch hold only while it does."""

from __future__ import annotations

import gc

from kuangan.core import batchprocess


def test_batches_collect_garbage_less_often_and_give_the_settings_back():
    before = gc.get_threshold()
    with batchprocess.batches():
        assert gc.get_threshold() == (batchprocess.GC_GEN0, *before[1:])
        assert gc.get_freeze_count() > 0  # the objects of start-up are out of the collector's way
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_garbage_in_cycles_is_still_collected_during_batches():
    class Node:
        def __init__(self) -> None:
            self.other: Node | None = None

    collected = []
    with batchprocess.batches():
        for _ in range(3 * batchprocess.GC_GEN0 // 2):
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle that only the collector frees
        collected.append(gc.collect())
    assert collected[0] < 3 * batchprocess.GC_GEN0  # most cycles were freed along the way, not all at the end
