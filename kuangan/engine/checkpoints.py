"""Checkpoints kept in a list in memory, in the order they were made: the engine's tests and benchmarks keep
them so (the platform keeps them in its database the same way: kuangan.monitoring.ingest)."""

from __future__ import annotations

from datetime import datetime

from .pipeline import BatchResult, EngineState, Judged, usable


class MemoryCheckpoints:
    def __init__(self) -> None:
        self.kept: list[tuple[bytes, dict[str, Judged]]] = []  # (state, mine → its streams' judged times)

    def checkpoint(self, mine_code: str, late: dict[str, datetime]) -> tuple[EngineState, Judged] | None:
        """The newest checkpoint of the mine usable for its late data (engine.pipeline.History)."""
        for blob, judged in reversed(self.kept):
            if mine_code in judged and usable(judged[mine_code], late):
                return EngineState.from_bytes(blob, without_definitions=True), judged[mine_code]
        return None

    def keep(self, result: BatchResult, before: EngineState | None = None, before_blob: bytes | None = None) -> None:
        """The checkpoints the batch's late data made stale go, its new ones are kept (the state before the
        batch as `before_blob`, the bytes it was saved as, when given)."""
        for mine, late in result.late.items():
            self.kept = [(blob, {m: j for m, j in judged.items() if m != mine or usable(j, late)})
                         for blob, judged in self.kept]
        self.kept = [(blob, judged) for blob, judged in self.kept if judged]
        for c in result.checkpoints:
            blob = before_blob if before_blob is not None and c.state is before else c.state.to_bytes(definitions=False)
            self.kept.append((blob, dict(c.seen_until)))
