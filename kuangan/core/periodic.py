"""Periodic work of every app, run by `kuangan tick --at T` (and by `kuangan worker` on a schedule).
Apps register a function `f(at) -> {what: count}` in their AppConfig.ready(); each must be a
deterministic, idempotent function of the data and the instant. A `final` job runs after all the
others (the audit anchor: it records the chain head the other jobs leave)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Job = Callable[[datetime], dict[str, int]]
JOBS: list[tuple[str, Job]] = []
FINAL_JOBS: list[tuple[str, Job]] = []


def register(name: str, job: Job, *, final: bool = False) -> None:
    jobs = FINAL_JOBS if final else JOBS
    if name not in [n for n, _j in jobs]:
        jobs.append((name, job))


def run(at: datetime) -> dict[str, int]:
    results: dict[str, int] = {}
    for _name, job in [*JOBS, *FINAL_JOBS]:
        results.update(job(at))
    return results
