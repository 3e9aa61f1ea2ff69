"""Periodic work of every app, run by `kuangan tick --at T` (and by `kuangan worker` on a schedule).
Apps register a function `f(at) -> {what: count}` in their AppConfig.ready(); each must be a
deterministic, idempotent function of the data and the instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Job = Callable[[datetime], dict[str, int]]
JOBS: list[tuple[str, Job]] = []


def register(name: str, job: Job) -> None:
    if name not in [n for n, _j in JOBS]:
        JOBS.append((name, job))


def run(at: datetime) -> dict[str, int]:
    results: dict[str, int] = {}
    for _name, job in JOBS:
        results.update(job(at))
    return results
