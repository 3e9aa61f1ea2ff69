"""Personnel-positioning files as a mine's system writes them (FORMATS.md §1), for ingestion tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kuangan.engine.formats import Upload

T = "%Y-%m-%d %H:%M:%S"


def _file(mine: str, kind: str, at: datetime, records: Sequence[str], header: str | None = None) -> Upload:
    head = header or f"{mine};测试煤矿;{at:{T}}"
    body = "".join(f"{r}~" for r in records)
    return Upload(f"{mine}_{kind}_{at:%Y%m%d%H%M%S}.txt", f"{head}~{body}||".encode())


def card(mine: str, n: int) -> str:
    return f"{mine}{n:05d}"


def area(mine: str, n: int) -> str:
    return f"{mine}{n:04d}"


@dataclass(frozen=True)
class Down:
    """A person underground (or, flag 2, just come up)."""

    n: int
    area: int
    since: datetime
    flag: int = 1
    state: str = "正常"


def ryss(mine: str, at: datetime, people: Sequence[Down]) -> Upload:
    records = []
    for p in people:
        station = f"{area(mine, p.area)}000001"
        up = f"{at:{T}}" if p.flag == 2 else ""
        records.append(f"{card(mine, p.n)};工人{p.n};{p.flag};{p.since:{T}};{up};{area(mine, p.area)};{p.since:{T}};"
                       f"{station};{p.since:{T}};三八制;5;{p.state};0;0;{station}&{p.since:{T}}")
    return _file(mine, "RYSS", at, records)


def ryqy(mine: str, at: datetime, areas: Sequence[tuple[int, str, int | None, str]]) -> Upload:
    """areas: (n, type, approved headcount, name)."""
    return _file(mine, "RYQY", at, [f"{t};{area(mine, n)};{'' if h is None else h};{name}" for n, t, h, name in areas])


def ryxx(mine: str, at: datetime, people: Sequence[tuple[int, str]], approved: int = 300) -> Upload:
    """people: (n, name)."""
    header = f"{mine};测试煤矿;{approved};KJ128A;人员定位系统;测试厂家;2026-12-31;{at:{T}}"
    return _file(mine, "RYXX", at, [f"{card(mine, n)};{name};采煤工;采煤工;综采一队;1985-03;高中;0;0"
                                    for n, name in people], header=header)
